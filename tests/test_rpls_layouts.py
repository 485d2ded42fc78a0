"""RPLS files in the layouts that are really published: the current open data (`_CODE`/`_LIBELLE`
pairs, BOM, quoted `;`, EPSG per row, no id), the older open data (ISO-8859-1, numeric FINAN,
QPV 1/2), the landlord's own positional submission (identity line, no header, contingent), and
the identity of dwellings without an id from one year's file to the next."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from fluxcore.db import table_checksum
from fluxcore.imports import import_paths
from fluxcore.imports.nomenclatures import FINAN, RPLS_BAILLEUR, finan_code

OPEN_DATA = ["REG_CODE", "REG_LIBELLE", "DEP_CODE", "DEP_LIBELLE", "EPCI_CODE", "EPCI_LIBELLE",
             "DEPCOM", "DEPCOM_LIBELLE", "CODEPOSTAL", "NUMVOIE", "INDREP", "TYPVOIE",
             "NOMVOIE", "ETAGE", "TYPECONST_LIBELLE", "NBPIECE", "SURFHAB", "CONSTRUCT",
             "LOCAT", "FINAN_CODE", "FINAN_LIBELLE", "DPEENERGIE", "X", "Y", "EPSG",
             "QUALITE_XY"]
FINANS = [("13", "PLUS/LLS dans les DOM"), ("10", "PLA d'intégration/LLTS dans les DOM"),
          ("14", "PLS/PPLS/PCLS/PLA CFF"), ("52", "HLM/O"), ("16", "PLI")]


def _open_data(rows, dpe: str = "D", numvoie_of=lambda i: 12 + i // 10,
               surface_of=lambda i: 30 + i * 1.5) -> str:
    """Current open-data layout: UTF-8 with BOM, every text field quoted, `;`."""
    out = io.StringIO()
    w = csv.writer(out, delimiter=";", quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")
    w.writerow(OPEN_DATA)
    for i in rows:
        code, label = FINANS[i % len(FINANS)]
        # Reims, rue des Lilas: Lambert-93 points inside the QPV QN05103M (Croix-Rouge)
        w.writerow(["44", "Grand Est", "51", "Marne", "200067213", "CU du Grand Reims", "51454",
                    "Reims", "51100", str(numvoie_of(i)), "", "RUE", "DES LILAS", str(i % 5),
                    "collectif", 1 + i % 5, f"{surface_of(i):.2f}".replace(".", ","), "1968",
                    "1970", code, label, dpe, f"{773390 + i % 3}.5", "6903970.25", "2154",
                    "11"])
    return "\ufeff" + out.getvalue()


def _write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_nomenclature_codes_and_labels():
    assert [c for c, _, _ in FINAN] == ["10", "11", "12", "13", "14", "16", "17", "49", "50",
                                        "51", "52", "53", "54", "55", "99"]
    assert {c: cat for c, _, cat in FINAN}["13"] == "PLUS"      # not PLAI
    assert finan_code("13") == finan_code("013") == finan_code("13.0") == "13"
    assert finan_code("PLA d'intégration/LLTS dans les DOM") == "10"
    assert finan_code("PLS/PPLS/PCLS/PLA CFF") == "14"
    assert finan_code("HLM/O") == "52" and finan_code("PLA-I") == "10"
    assert finan_code("15") is None and finan_code("inconnu") is None


def test_current_open_data(empty_db, tmp_path):
    path = _write(tmp_path, "rpls_2025.csv", _open_data(range(30)))
    result = import_paths(empty_db, [path])
    assert result.ok, result.problems.text()
    assert result.problems.frame().empty
    assert result.counts.set_index("table")["inseres"].to_dict() == {"residence": 3,
                                                                     "logement": 30}
    fin = empty_db.df("select financement_code, financement, count(*) as n from logement "
                      "group by all order by 1")
    assert fin.values.tolist() == [["10", "PLAI", 6], ["13", "PLUS", 6], ["14", "PLS", 6],
                                   ["16", "PLI", 6], ["52", "PLUS", 6]]
    res = empty_db.df("select * from residence order by adresse")
    assert res["adresse"].tolist() == ["12 RUE DES LILAS", "13 RUE DES LILAS",
                                       "14 RUE DES LILAS"]
    assert res["en_qpv"].all() and set(res["qpv_code"]) == {"QN05103M"}
    assert (res["epsg"] == 2154).all() and res["latitude"].between(49.2, 49.3).all()
    assert set(empty_db.df("select type_construction from logement")["type_construction"]) \
        == {"C"}


def test_older_open_data_iso_8859_1(empty_db, tmp_path):
    text = ("DEPCOM;CODEPOSTAL;LIBCOM;NUMVOIE;TYPVOIE;NOMVOIE;QPV;TYPECONST;NBPIECE;SURFHAB;"
            "CONSTRUCT;LOCAT;FINAN;DPEENERGIE\n"
            "10387;10000;Troyes;4;RUE;DE L'ÉGLISE;2;C;3;62,3;1972;1973;12;E\n"
            "10387;10000;Troyes;4;RUE;DE L'ÉGLISE;2;C;2;48;1972;1973;52;E\n"
            "10387;10000;Troyes;9;AV;PASTEUR;1;I;4;80;2010;2011;10;B\n"
            "10387;10000;Troyes;9;AV;PASTEUR;1;I;5;95;2010;2011;99;B\n")
    path = _write(tmp_path, "rpls_2019.csv", text, "iso-8859-1")
    result = import_paths(empty_db, [path])
    assert result.ok, result.problems.text()
    log = empty_db.df("select financement_code, financement from logement order by 1")
    assert log.values.tolist() == [["10", "PLAI"], ["12", "PLUS"], ["52", "PLUS"],
                                   ["99", "AUTRE"]]
    res = empty_db.df("select adresse, en_qpv_fichier from residence order by 1")
    assert res.values.tolist() == [["4 RUE DE L'ÉGLISE", False], ["9 AV PASTEUR", True]]


def _bailleur(rows: list[dict], identity: str | None = "775665557;OPH DE LA MARNE;2026") -> str:
    lines = [identity] if identity else []
    lines += [";".join(str(r.get(f, "")) for f in RPLS_BAILLEUR) for r in rows]
    return "\r\n".join(lines) + "\r\n"


def _dwelling(n: int, **kw) -> dict:
    base = dict(IDENT_REP=f"51454{n:05d}", IDENT_INT=f"INT-{n}", DEPCOM="51454",
                CODEPOSTAL="51100", LIBCOM="REIMS", NUMVOIE=3, TYPVOIE="RUE", NOMVOIE="DU BAC",
                ETAGE=n % 4, QPV=2, TYPECONST="C", NBPIECE=1 + n % 5, SURFHAB="61,5",
                CONSTRUCT=1975, LOCAT=1976, FINAN=13, LOYERPRINC="389,20", CONTINGENT=7,
                DPEENERGIE="D")
    return {**base, **kw}


def test_landlord_submission_seeds_the_stock(empty_db, tmp_path):
    resa = _write(tmp_path, "reservataire.csv",
                  "reservataire_id;nom;type;territoire\nPREF51;Préfet de la Marne;PREFET;51\n"
                  "PREF08;Préfet des Ardennes;PREFET;08\nAL;Action Logement;ACTION_LOGEMENT;\n"
                  "REIMS;Ville de Reims;COMMUNE;51454\n")
    assert import_paths(empty_db, [resa]).ok
    rows = [_dwelling(1, CONTINGENT=2), _dwelling(2, CONTINGENT=3, FINAN=10, LOYERPRINC=402),
            _dwelling(3, CONTINGENT=4), _dwelling(4, CONTINGENT=7),
            _dwelling(5, CONTINGENT=1), _dwelling(6, CONTINGENT="", LOYERPRINC=9999)]
    path = _write(tmp_path, "RPLS_775665557_2026.txt", _bailleur(rows), "cp1252")
    result = import_paths(empty_db, [path])
    assert result.ok, result.problems.text()
    warn = result.problems.frame()
    # contingent 1 (État fonctionnaires): no PREFET_FONCTIONNAIRES, the préfet is the fallback
    assert warn.empty, warn.to_string()
    log = empty_db.df("select logement_id, loyer_mensuel, financement from logement "
                      "order by 1").set_index("logement_id")
    assert log.loc["5145400001", "loyer_mensuel"] == pytest.approx(389.2)
    assert log.loc["5145400002", "financement"] == "PLAI"
    assert log["loyer_mensuel"].isna().sum() == 1               # 9999 = sans objet
    stock = empty_db.df("select logement_id, reservataire_id, type_droit, nb_droits "
                        "from reservation_stock order by 1")
    assert stock.values.tolist() == [["5145400001", "PREF51", "SUITE", 1],
                                     ["5145400002", "AL", "SUITE", 1],
                                     ["5145400003", "REIMS", "SUITE", 1],
                                     ["5145400005", "PREF51", "SUITE", 1]]


def test_landlord_submission_without_matching_reservataire(empty_db, tmp_path):
    path = _write(tmp_path, "rpls.txt", _bailleur([_dwelling(1, CONTINGENT=4),
                                                   _dwelling(2, CONTINGENT=9)]))
    result = import_paths(empty_db, [path])
    report = result.problems.frame()
    assert not result.ok                      # 9 is no contingent code
    bad = report[report["niveau"] == "ERREUR"].iloc[0]
    assert (bad["ligne"], bad["colonne"], bad["valeur"]) == (3, "CONTINGENT", "9")
    warn = report[report["niveau"] == "AVERTISSEMENT"].iloc[0]
    assert warn["ligne"] == 2 and "aucun réservataire de type COMMUNE" in warn["probleme"]


def test_headerless_file_of_another_shape_is_not_recognised(empty_db, tmp_path):
    rows = [";".join(["x"] * 30) for _ in range(3)]
    path = _write(tmp_path, "export.txt", "ENTETE;BIZARRE\n" + "\n".join(rows) + "\n")
    before = {t: table_checksum(empty_db, t) for t in ("residence", "logement")}
    result = import_paths(empty_db, [path])
    assert not result.ok
    assert "format non reconnu" in result.problems.text()
    assert "ligne illisible" not in result.problems.text()
    assert {t: table_checksum(empty_db, t) for t in before} == before


def test_next_years_file_keeps_the_identity_of_dwellings_without_id(empty_db, tmp_path):
    first = _write(tmp_path, "rpls_2025.csv", _open_data(range(300)))
    assert import_paths(empty_db, [first]).ok
    ids = set(empty_db.df("select logement_id from logement")["logement_id"])
    assert len(ids) == 300
    # next year: every DPE changed, rows in another order, dwelling 7 sold, 2 new ones
    rows = [i for i in range(302) if i != 7][::-1]
    second = _write(tmp_path, "rpls_2026.csv", _open_data(rows, dpe="C"))
    result = import_paths(empty_db, [second])
    assert result.ok, result.problems.text()
    counts = result.counts.set_index("table")
    assert counts.loc["logement", ["inseres", "modifies"]].tolist() == [2, 299]
    assert empty_db.scalar("select count(*) from logement") == 302        # 300 - 0 + 2
    assert ids - set(empty_db.df("select logement_id from logement")["logement_id"]) == set()
    text = result.problems.text()
    assert "2 nouveaux logements en tout" in text
    assert "1 logement importé auparavant dans les communes de ce fichier n'y figure plus " \
           "(vendu, démoli, ou décrit autrement ?) : il reste dans la base" in text
    # the same file again: nothing new, nothing changed
    again = import_paths(empty_db, [second])
    assert again.counts.set_index("table").loc["logement", "inchanges"] == 301
    assert "nouveau" not in again.problems.text()


def test_identical_dwellings_are_reported_as_ambiguous(empty_db, tmp_path):
    # rows 0, 5, 10… share address, floor, rooms, surface, year: five identical dwellings
    same = dict(numvoie_of=lambda i: 12, surface_of=lambda i: 48.0)
    one = _write(tmp_path, "a.csv", _open_data(range(0, 25, 5), **same))
    assert import_paths(empty_db, [one]).ok
    two = _write(tmp_path, "b.csv", _open_data([0, 5, 10], **same))
    result = import_paths(empty_db, [two])
    assert result.ok
    assert empty_db.scalar("select count(*) from logement") == 5
    assert "impossible de dire lequel est nouveau" in result.problems.text()


def test_setting_overrides_the_nomenclature(empty_db, tmp_path):
    from fluxcore.parametres import set_parametre

    set_parametre(empty_db, "rpls_codes_financement", {"52": "PLAI"})
    path = _write(tmp_path, "rpls.csv", _open_data(range(5)))
    assert import_paths(empty_db, [path]).ok
    assert empty_db.scalar("select financement from logement where financement_code = '52'") \
        == "PLAI"


def test_landlord_submission_without_identity_line(empty_db, tmp_path):
    path = _write(tmp_path, "rpls.csv", _bailleur([_dwelling(1), _dwelling(2)], identity=None))
    result = import_paths(empty_db, [path])
    assert result.ok, result.problems.text()
    assert empty_db.df("select logement_id from logement order by 1")["logement_id"].tolist() \
        == ["5145400001", "5145400002"]
    # line numbers are the file's: the first dwelling is line 1
    bad = _write(tmp_path, "bad.csv", _bailleur([_dwelling(1), _dwelling(2, NBPIECE="x")],
                                                identity=None))
    row = import_paths(empty_db, [bad]).problems.frame().iloc[0]
    assert (row["ligne"], row["colonne"], row["valeur"]) == (2, "NBPIECE", "x")
