"""Imports beyond one canonical CSV: workbooks, RPLS files, templates, a killed import, CLI."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from fluxcore.__main__ import main
from fluxcore.backup import backup_database, describe_backup, restore_database
from fluxcore.db import Database, table_checksum
from fluxcore.exports import template_csv_zip, template_xlsx
from fluxcore.geo import to_wgs84
from fluxcore.imports import import_paths
from fluxcore.parametres import set_parametre

ROOT = Path(__file__).resolve().parent.parent
RPLS = ROOT / "tests" / "fixtures" / "rpls_extrait.csv"


def test_workbook_with_a_sheet_per_table(empty_db, tmp_path):
    path = tmp_path / "patrimoine.xlsx"
    with pd.ExcelWriter(path, engine="xlsxwriter") as w:
        pd.DataFrame({"a": ["mode d'emploi"]}).to_excel(w, sheet_name="README", index=False)
        pd.DataFrame({"residence_id": ["R1"], "nom": ["Les Tilleuls"], "commune_insee": [
            "10387"], "en_qpv": ["non"]}).to_excel(w, sheet_name="residence", index=False)
        pd.DataFrame({"logement_id": ["L1", "L2"], "residence_id": ["R1", "R1"],
                      "typologie": ["T2", "T4"], "surface_m2": [45.5, 81.0],
                      "financement": ["PLUS", "PLAI"],
                      "date_mise_en_service": pd.to_datetime(["1980-05-01", "1980-05-01"])}
                     ).to_excel(w, sheet_name="logements", index=False)
    result = import_paths(empty_db, [path])
    assert result.ok, result.problems.text()
    assert result.counts["table"].tolist() == ["residence", "logement"]
    log = empty_db.df("select * from logement order by 1")
    assert log["surface_m2"].tolist() == [45.5, 81.0]
    assert str(log["date_mise_en_service"].iloc[0].date()) == "1980-05-01"
    assert empty_db.scalar("select departement || '/' || epci_siren from residence") == \
        "10/200069250"


def test_workbook_errors_name_the_sheet(empty_db, tmp_path):
    path = tmp_path / "lot.xlsx"
    with pd.ExcelWriter(path, engine="xlsxwriter") as w:
        pd.DataFrame({"reservataire_id": ["X"], "nom": ["X"], "type": ["MAIRE"]}).to_excel(
            w, sheet_name="reservataire", index=False)
    result = import_paths(empty_db, [path])
    row = result.problems.frame().iloc[0]
    assert row["fichier"] == "« lot.xlsx », feuille « reservataire »"
    assert (row["ligne"], row["colonne"], row["valeur"]) == (2, "type", "MAIRE")


def test_rpls_file_forms_residences_from_addresses(empty_db, tmp_path):
    path = tmp_path / "rpls_2026.csv"
    path.write_bytes(RPLS.read_bytes())
    result = import_paths(empty_db, [path])
    assert result.ok, result.problems.text()
    assert result.problems.frame().empty         # FINAN 13 is PLUS in the nomenclature
    res = empty_db.df("select * from residence order by residence_id")
    assert len(res) == 3          # « 12 RUE DES LILAS » twice, « 3 B AV JEAN JAURES », no address
    lilas = res[res["adresse"] == "12 RUE DES LILAS"].iloc[0]
    assert lilas["en_qpv"] and lilas["qpv_code"] == "QN05103M"
    assert 49.0 < lilas["latitude"] < 49.4 and 3.9 < lilas["longitude"] < 4.2  # Lambert-93
    jaures = res[res["adresse"] == "3 B AV JEAN JAURES"].iloc[0]
    assert not jaures["en_qpv"] and jaures["annee_construction"] == 1995
    sans = res[res["adresse"].isna()].iloc[0]
    assert sans["commune_insee"] == "08105" and sans["nom"].startswith("Patrimoine Charleville")
    log = empty_db.df("select * from logement order by logement_id").set_index("logement_id")
    assert log["typologie"].to_dict() == {"0810500001": "T4", "5145400001": "T3",
                                          "5145400002": "T1", "5145400003": "T6"}
    assert log["financement"].to_dict() == {"0810500001": "PLS", "5145400001": "PLUS",
                                            "5145400002": "PLAI", "5145400003": "PLUS"}
    assert log["financement_code"].to_dict() == {"0810500001": "14", "5145400001": "13",
                                                 "5145400002": "10", "5145400003": "13"}
    assert pd.isna(log.loc["5145400003", "loyer_mensuel"])          # 9999 = sans objet
    assert log.loc["5145400002", "etage"] == 0                       # RDC
    assert str(log.loc["5145400001", "date_mise_en_service"].date()) == "1970-01-01"
    # the setting overrides the nomenclature code by code; re-import updates the dwelling
    set_parametre(empty_db, "rpls_codes_financement", {"13": "PLAI"})
    again = import_paths(empty_db, [path])
    assert again.ok and again.problems.warnings == 0
    assert again.counts.set_index("table").loc["logement", "modifies"] == 2  # PLUS is 13
    assert empty_db.scalar("select string_agg(financement, ',' order by logement_id) from "
                           "logement where financement_code = '13'") == "PLAI,PLAI"


def test_lambert93_origin():
    lon, lat = to_wgs84([700000.0], [6600000.0], [2154])
    assert lon[0] == pytest.approx(3.0, abs=1e-9) and lat[0] == pytest.approx(46.5, abs=1e-9)


def test_templates_list_every_table(empty_db, tmp_path):
    names = zipfile.ZipFile(io.BytesIO(template_csv_zip(empty_db))).namelist()
    from fluxcore.imports.spec import SPECS

    assert "logement.csv" in names and "LISEZMOI.csv" in names
    assert sorted(names) == sorted([f"{t}.csv" for t in SPECS] + ["LISEZMOI.csv"])
    path = tmp_path / "modele.xlsx"
    path.write_bytes(template_xlsx(empty_db))
    sheets = pd.read_excel(path, sheet_name=None, engine="calamine")
    assert next(iter(sheets)) == "README" and "grille_cotation" in sheets
    # the empty template imports as « nothing to import », without error on its README
    result = import_paths(empty_db, [path])
    assert not result.ok and "aucune donnée" in result.problems.text()


KILLER = """
import os, sys
from fluxcore.db import Database
from fluxcore.imports import import_paths
db = Database(sys.argv[1])
def progress(fraction, message):
    if message.startswith("Écriture : logement"):
        os._exit(9)          # killed half-way: after the résidences were written
import_paths(db, sys.argv[2:], progress=progress)
"""


def test_killed_import_leaves_the_database_as_before(tmp_path):
    db_path = tmp_path / "base.duckdb"
    Database(db_path).close()
    res = tmp_path / "residence.csv"
    res.write_text("residence_id;nom;commune_insee\nR1;A;51454\nR2;B;10387\n", encoding="utf-8")
    log = tmp_path / "logement.csv"
    log.write_text("logement_id;residence_id;typologie;financement\nL1;R1;T2;PLUS\n",
                   encoding="utf-8")
    db = Database(db_path)
    before = {t: table_checksum(db, t) for t in ("residence", "logement", "import_batch")}
    db.close()
    run = subprocess.run([sys.executable, "-c", KILLER, str(db_path), str(res), str(log)],
                         cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 9, run.stderr
    db = Database(db_path)
    assert {t: table_checksum(db, t) for t in before} == before
    assert db.scalar("select count(*) from residence") == 0
    db.close()


def test_cli_import_export_backup_restore(tmp_path, capsys):
    db_path = str(tmp_path / "cli.duckdb")
    bad = tmp_path / "reservataire.csv"
    bad.write_text("reservataire_id;nom;type\nX;X;MAIRE\n", encoding="utf-8")
    assert main(["import", "--db", db_path, str(bad), "--rapport",
                 str(tmp_path / "rapport.csv")]) == 1
    err = capsys.readouterr().err
    assert "ligne 2, colonne « type » : valeur « MAIRE »" in err
    assert pd.read_csv(tmp_path / "rapport.csv", sep=";")["ligne"].tolist() == [2]
    good = ROOT / "tests" / "fixtures" / "import_fr"
    assert main(["import", "--db", db_path, *map(str, sorted(good.glob("*.csv")))]) == 0
    assert "13 lignes ajoutées" in capsys.readouterr().out
    assert main(["export", "--db", db_path, "--out", str(tmp_path / "exp")]) == 0
    assert (tmp_path / "exp" / "logement.csv").read_text().count("\n") == 4
    assert main(["backup", "--db", db_path, "--out", str(tmp_path / "bak.duckdb")]) == 0
    assert main(["import", "--db", db_path, str(bad).replace("reservataire.csv", "x.csv")]) == 1
    info = describe_backup(tmp_path / "bak.duckdb")
    assert info["lignes"]["logement"] == 3
    assert main(["restore", "--db", db_path, "--from", str(tmp_path / "bak.duckdb")]) == 1
    assert main(["restore", "--db", db_path, "--from", str(tmp_path / "bak.duckdb"),
                 "--confirmer"]) == 0


def test_backup_and_restore_bring_back_the_data(tmp_path):
    db = Database(tmp_path / "a.duckdb")
    import_paths(db, sorted((ROOT / "tests" / "fixtures" / "import_fr").glob("*.csv")))
    backup_database(db, tmp_path / "copie.duckdb", actor="admin")
    with db.transaction() as cur:
        cur.execute("delete from attribution")
    db.close()
    restore_database(tmp_path / "a.duckdb", tmp_path / "copie.duckdb", actor="admin")
    db = Database(tmp_path / "a.duckdb")
    assert db.scalar("select count(*) from attribution") == 1
    assert db.scalar("select action from audit_log order by audit_id desc limit 1") == \
        "restauration"
    db.close()


def test_rpls_without_identifier_or_rooms(empty_db, tmp_path):
    path = tmp_path / "rpls.csv"
    path.write_text("DEPCOM;NUMVOIE;TYPVOIE;NOMVOIE;NBPIECE;SURFHAB;CONSTRUCT;FINAN;QPV\n"
                    "51454;1;RUE;HAUTE;3;60;1970;PLUS;2\n51454;1;RUE;HAUTE;2;45;1970;PLAI;2\n",
                    encoding="utf-8")
    result = import_paths(empty_db, [path])
    assert result.ok, result.problems.text()
    ids = empty_db.df("select logement_id from logement")["logement_id"].tolist()
    assert len(ids) == 2 and all(i.startswith("RPLS-") for i in ids)
    again = import_paths(empty_db, [path])
    assert again.ok and again.counts["inseres"].sum() == 0       # stable ids
    path.write_text("DEPCOM;NBPIECE;SURFHAB;FINAN\n51454;;60;PLUS\n", encoding="utf-8")
    frame = import_paths(empty_db, [path]).problems.frame()
    assert (frame["colonne"] == "NBPIECE").any()
    path.write_text("DEPCOM;SURFHAB;FINAN\n51454;60;PLUS\n", encoding="utf-8")
    assert "NBPIECE" in import_paths(empty_db, [path]).problems.text()
