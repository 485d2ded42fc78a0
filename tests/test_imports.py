"""Imports: French files with exact values, every class of bad input refused with its message
and the database untouched, idempotent re-import, export → import round trip."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from fluxcore.db import CONTRACT_TABLES, Database, table_checksum
from fluxcore.exports import export_tables
from fluxcore.imports import import_paths, summary
from fluxcore.imports.spec import SPECS
from tests import factory

FIXTURES = Path(__file__).parent / "fixtures" / "import_fr"


def checksums(db: Database) -> dict[str, str]:
    return {t: table_checksum(db, t) for t in CONTRACT_TABLES if t != "schema_version"}


@pytest.fixture(scope="session")
def fr_template(empty_template, tmp_path_factory):
    """The French fixture files imported once into a file; each test gets a copy."""
    path = tmp_path_factory.mktemp("fr") / "fr.duckdb"
    shutil.copyfile(empty_template, path)
    db = Database(path)
    result = import_paths(db, sorted(FIXTURES.glob("*.csv")), actor="test")
    db.close()
    assert result.ok, result.problems.text()
    return path


@pytest.fixture
def fr_db(fr_template, tmp_path):
    yield from factory.copie(fr_template, tmp_path / "fr.duckdb")


def test_french_files_import_with_exact_values(fr_db):
    res = fr_db.df("select * from residence order by residence_id").to_dict("records")
    assert res[0]["nom"] == "Les Châtaigniers" and res[0]["adresse"] == "12 rue de l'Étang"
    assert res[0]["en_qpv"] and res[0]["qpv_code"] == "QN05103M"
    assert res[0]["latitude"] == 49.2303 and res[0]["longitude"] == 4.0088
    # Windows-1252 « Œ », leading zero restored, département and EPCI derived from the commune
    assert res[1]["adresse"] == "3 allée des Œillets"
    assert (res[1]["commune_insee"], res[1]["departement"], res[1]["epci_siren"]) == (
        "08105", "08", "200041630")
    assert fr_db.scalar("select count(*) from residence where qpv_code is null") == 1
    assert not res[1]["en_qpv"]
    log = fr_db.df("select * from logement order by logement_id").set_index("logement_id")
    assert log.loc["5100000001", "surface_m2"] == 65.5
    assert log.loc["5100000001", "loyer_mensuel"] == pytest.approx(412.30)
    assert log.loc["5100000002", "loyer_mensuel"] == pytest.approx(1012.40)   # "1 012,40"
    assert log.loc["5100000002", "typologie"] == "T6"                         # "T6+"
    assert log.loc["5100000002", "financement"] == "PLAI"                     # "plai"
    assert log.loc["0800000001", "typologie"] == "T2"                         # "t2"
    assert log.loc["0800000001", "hors_flux_motif"] == "DEFENSE"
    assert log["ascenseur"].tolist() == [True, True, True]       # Vrai, oui, O
    assert log["accessible_pmr"].tolist() == [False, False, False]  # faux, non, N
    assert log.loc["5100000001", "date_mise_en_service"].date() == dt.date(1975, 3, 1)
    assert log.loc["0800000001", "date_mise_en_service"].date() == dt.date(1992, 9, 1)
    conv = fr_db.df("select convention_id, taux_flux, date_signature from convention "
                    "order by 1").to_dict("records")
    assert [c["taux_flux"] for c in conv] == [30.0, 25.0]         # "30,0" and "25 %"
    assert conv[1]["date_signature"].date() == dt.date(2024, 1, 15)
    att = fr_db.df("select * from attribution").iloc[0]
    assert att["ressources_uc"] == pytest.approx(7142.86) and att["quartile"] == 1
    assert att["prioritaire"] and not att["dalo"] and not att["salarie"]
    assert fr_db.scalar("select statut from orientation") == "ATTRIBUE"
    dem = fr_db.df("select * from demande").iloc[0]
    assert list(dem["criteres"]) == ["DALO", "HANDICAP"] and dem["statut"] == "ACTIVE"


def test_lineage_and_idempotent_reimport(fr_db):
    batches = fr_db.df("select * from import_batch order by batch_id")
    assert len(batches) == 8 and batches["rows_inserted"].sum() == 13
    assert batches["sha256"].str.len().eq(64).all() and (batches["imported_by"] == "test").all()
    before = checksums(fr_db)
    again = import_paths(fr_db, sorted(FIXTURES.glob("*.csv")), actor="test")
    assert again.ok and again.counts["inseres"].sum() == 0
    assert again.counts["modifies"].sum() == 0 and again.counts["inchanges"].sum() == 13
    after = checksums(fr_db)
    assert {t: v for t, v in after.items() if t not in ("import_batch", "audit_log")} == {
        t: v for t, v in before.items() if t not in ("import_batch", "audit_log")}
    assert fr_db.scalar("select count(*) from audit_log where action = 'import'") == 2


def test_partial_file_updates_only_its_columns(fr_db, tmp_path):
    f = tmp_path / "loyers.csv"
    f.write_text("logement_id;loyer_mensuel\n5100000001;420,00\n", encoding="utf-8")
    result = import_paths(fr_db, [f])
    assert result.ok and result.counts.iloc[0]["modifies"] == 1
    row = fr_db.df("select * from logement where logement_id = '5100000001'").iloc[0]
    assert row["loyer_mensuel"] == 420.0 and row["surface_m2"] == 65.5 and row["typologie"] == "T3"


def test_dry_run_writes_nothing(fr_db, tmp_path):
    f = tmp_path / "reservataire.csv"
    f.write_text("reservataire_id,nom,type\nCOM-51454,Ville de Reims,COMMUNE\n", encoding="utf-8")
    before = checksums(fr_db)
    result = import_paths(fr_db, [f], dry_run=True)
    assert result.ok and not result.applied and result.counts.iloc[0]["inseres"] == 1
    assert "rien n'est écrit" in summary(result)
    assert checksums(fr_db) == before


BAD = {
    "colonne_manquante": ("logement_id;residence_id;nb_pieces;financement\nX1;RES-A;3;PLUS\n",
                          2, "typologie", "colonne obligatoire absente"),
    "identifiant_absent": ("residence_id;typologie;financement\nRES-A;T3;PLUS\n", 1,
                           "logement_id", "colonne obligatoire absente"),
    "colonne_inconnue": ("logement_id;residence_id;typologie;financement;couleur\n"
                         "X1;RES-A;T3;PLUS;bleu\n", 1, "couleur", "colonne inconnue"),
    "type_invalide": ("logement_id;residence_id;typologie;financement;surface_m2\n"
                      "X1;RES-A;T3;PLUS;abc\n", 2, "surface_m2", "valeur illisible"),
    "surface_negative": ("logement_id;residence_id;typologie;financement;surface_m2\n"
                         "X1;RES-A;T3;PLUS;-12\n", 2, "surface_m2", "hors bornes"),
    "taux_au_dela_de_100": ("convention_id;reservataire_id;departement;annee_debut;annee_fin;"
                            "taux_flux\nCONV-X;AL;51;2024;2026;120\n", 2, "taux_flux",
                            "hors bornes"),
    "quartile_5": ("attribution_id;logement_id;quartile\nATT-9;5100000001;5\n", 2, "quartile",
                   "hors bornes"),
    "residence_inconnue": ("logement_id;residence_id;typologie;financement\n"
                           "X1;RES-Z;T3;PLUS\n", 2, "residence_id", "référence inconnue"),
    "reservataire_inconnu": ("orientation_id;liberation_id;destinataire;date_orientation;statut\n"
                             "ORI-2;LIB-1;INCONNU;03/05/2025;oriente\n", 2, "destinataire",
                             "référence inconnue"),
    "identifiant_en_double": ("logement_id;residence_id;typologie;financement\n"
                              "X1;RES-A;T3;PLUS\nX1;RES-A;T2;PLUS\n", 2, "logement_id",
                              "identifiant en double"),
    "liberation_avant_service": ("liberation_id;logement_id;date_liberation\n"
                                 "LIB-2;5100000001;01/01/1970\n", 2, "date_liberation",
                                 "antérieure à la mise en service"),
    "taux_somme_au_dela_de_100": ("convention_id;reservataire_id;departement;annee_debut;"
                                  "annee_fin;taux_flux\nCONV-X;AL;51;2025;2025;50\n", 2,
                                  "taux_flux", "totalisent plus de 100 %"),
    "date_invalide": ("liberation_id;logement_id;date_liberation\nLIB-2;5100000001;31/02/2025\n",
                      2, "date_liberation", "valeur illisible"),
    "code_inconnu": ("logement_id;residence_id;typologie;financement\nX1;RES-A;T3;PLAX\n", 2,
                     "financement", "code inconnu"),
    "booleen_invalide": ("logement_id;residence_id;typologie;financement;ascenseur\n"
                         "X1;RES-A;T3;PLUS;peut-être\n", 2, "ascenseur", "valeur illisible"),
    "conge_apres_liberation": ("liberation_id;logement_id;date_conge;date_liberation\n"
                               "LIB-2;5100000001;01/08/2025;01/07/2025\n", 2, "date_conge",
                               "congé daté après la libération"),
    "ligne_mal_formee": ("logement_id;residence_id;typologie;financement\n"
                         "X1;RES-A;T3;PLUS;en trop\n", None, None, "ligne illisible"),
    "table_inconnue": ("identifiant;couleur\n1;bleu\n", 1, None,
                       "format non reconnu : attendu l'en-tête d'une table"),
    # found in review: refused with a message, never a traceback
    "taux_seul_au_dela_de_100": ("convention_id;taux_flux\nCONV-P;80\n", 2, "taux_flux",
                                 "totalisent plus de 100 %"),
    "fin_avant_debut": ("convention_id;reservataire_id;departement;annee_debut;annee_fin;"
                        "taux_flux\nCONV-Y;AL;51;2026;2024;1\n", 2, "annee_fin",
                        "année de fin antérieure"),
    "fin_seule_avant_debut": ("convention_id;annee_fin\nCONV-P;2020\n", None, None,
                              "écriture refusée par la base"),
    "annee_a_deux_chiffres": ("demande_id;date_depot;statut\nDEM-2;01/03/24;active\n", 2,
                              "date_depot", "valeur illisible"),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_input_is_named_and_changes_nothing(fr_db, tmp_path, case):
    content, line, column, message = BAD[case]
    f = tmp_path / "lot.csv"
    f.write_bytes(content.encode("cp1252"))
    before = checksums(fr_db)
    result = import_paths(fr_db, [f])
    assert not result.ok and not result.applied
    problems = result.problems.frame()
    hit = problems[problems["probleme"].str.contains(message, regex=False)]
    assert len(hit), result.problems.text()
    assert (hit["fichier"] == "« lot.csv »").all()
    if line is not None:
        assert int(hit["ligne"].iloc[0]) == line
    if column is not None:
        assert hit["colonne"].iloc[0] == column
    assert checksums(fr_db) == before


def test_every_problem_of_a_file_is_reported_at_once(fr_db, tmp_path):
    f = tmp_path / "logement.csv"
    f.write_text("logement_id;residence_id;typologie;financement;surface_m2\n"
                 "X1;RES-Z;T3;PLAX;-1\nX2;RES-A;T2;PLUS;abc\n", encoding="utf-8")
    result = import_paths(fr_db, [f])
    found = set(zip(result.problems.frame()["ligne"], result.problems.frame()["colonne"]))
    assert {(2, "financement"), (2, "surface_m2"), (3, "surface_m2")} <= found


def test_export_then_import_gives_identical_tables(demo_db, empty_db, tmp_path):
    counts = export_tables(demo_db, tmp_path / "export")
    assert counts["logement"] == 3000
    result = import_paths(empty_db, sorted((tmp_path / "export").glob("*.csv")))
    assert result.ok, result.problems.text()
    for table in SPECS:
        if table == "parametre":
            continue
        assert table_checksum(empty_db, table) == table_checksum(demo_db, table), table
    same = "select cle, valeur from parametre order by cle"
    assert empty_db.df(same).equals(demo_db.df(same))


def test_import_history_and_setting_input(fr_db):
    from fluxcore.journal import derniers_imports
    from fluxcore.reglages import valeur_json, valeur_saisie

    hist = derniers_imports(fr_db)
    assert len(hist) == 8 and set(hist["table_name"]) >= {"Résidences", "Demandes"}
    assert hist["empreinte"].str.len().eq(12).all()
    assert valeur_saisie("prefet_taux_max_pct", "27,5") == 27.5
    assert valeur_saisie("rotation_annees_historique", "4") == 4
    assert valeur_saisie("rendu_bailleur_compte_livre", "non") is False
    assert valeur_saisie("periodes_construction", "[1950, 1980]") == [1950, 1980]
    assert valeur_json(fr_db, "prefet_taux_max_pct") == "30"
    with pytest.raises(Exception, match="attendu un nombre"):
        valeur_saisie("prefet_taux_max_pct", "trente")


def test_numbers_blank_rows_and_partial_residences(fr_db, tmp_path):
    f = tmp_path / "logement.csv"
    f.write_text("logement_id;loyer_mensuel;surface_m2\n5100000001;1,234.56;65,5\n;;\n"
                 "5100000002;\"1.234,5\";132,25\n", encoding="utf-8")
    result = import_paths(fr_db, [f])
    assert result.ok, result.problems.text()
    rents = fr_db.df("select loyer_mensuel from logement order by logement_id")
    assert sorted(rents["loyer_mensuel"].tolist()) == [389.0, 1234.5, 1234.56]
    f.write_text("logement_id;loyer_mensuel\n;;\n5100000002;1.234.567\n", encoding="utf-8")
    row = import_paths(fr_db, [f]).problems.frame().iloc[0]     # read as 1 234 567: too high
    assert (row["ligne"], row["probleme"].startswith("valeur hors bornes")) == (3, True)
    res = tmp_path / "residence.csv"
    res.write_text("residence_id;commune_insee\nRES-A;51454\n", encoding="utf-8")
    assert import_paths(fr_db, [res]).ok
    assert fr_db.scalar("select nom from residence where residence_id = 'RES-A'") == \
        "Les Châtaigniers"


def test_duplicates_across_files_name_both(fr_db, tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("reservataire_id;nom;type\nCOM-1;Ville;COMMUNE\n", encoding="utf-8")
    b.write_text("reservataire_id;nom;type\nCOM-1;Ville bis;COMMUNE\n;Sans id;COMMUNE\n",
                 encoding="utf-8")
    frame = import_paths(fr_db, [a, b]).problems.frame()
    dup = frame[frame["probleme"].str.contains("en double")]
    assert len(dup) == 2 and "« a.csv » ligne 2, « b.csv » ligne 2" in dup["probleme"].iloc[0]
    assert (frame["probleme"] == "valeur obligatoire manquante").sum() == 1


def test_workbook_percent_cells_are_refused(empty_db, tmp_path):
    import pandas as pd

    path = tmp_path / "conventions.xlsx"
    with pd.ExcelWriter(path, engine="xlsxwriter") as w:
        pd.DataFrame({"reservataire_id": ["AL"], "nom": ["AL"], "type": ["ACTION_LOGEMENT"]}
                     ).to_excel(w, sheet_name="reservataire", index=False)
        pd.DataFrame({"convention_id": ["C1"], "reservataire_id": ["AL"], "departement": ["51"],
                      "annee_debut": [2025], "annee_fin": [2027], "taux_flux": [0.25]}
                     ).to_excel(w, sheet_name="convention", index=False)
    frame = import_paths(empty_db, [path]).problems.frame()
    assert frame["probleme"].str.contains("pourcentage lu comme une fraction").any()


def test_long_upload_names(empty_db):
    from fluxcore.imports import import_uploads

    name = "r" * 300 + ".csv"
    result = import_uploads(empty_db, [(name, b"reservataire_id;nom;type\nX;X;AUTRE\n")])
    assert result.ok and result.counts.iloc[0]["fichier"] == name


# == the write lock: an import's checking pass does not hold it (issue 29) ======================
def _en_pause(db, f: Path, dry_run: bool):
    """Start importing `f` in a thread that pauses inside its checking pass (at its first
    « Écriture » step); returns (thread, paused event, resume event, results)."""
    import threading

    arrete, reprise, out = threading.Event(), threading.Event(), {}

    def progress(_f, message):
        if message.startswith("Écriture") and not arrete.is_set():
            arrete.set()
            assert reprise.wait(60)

    def run():
        out["result"] = import_paths(db, [f], actor="import", dry_run=dry_run,
                                     progress=progress)

    t = threading.Thread(target=run)
    t.start()
    assert arrete.wait(60)
    return t, reprise, out


def _ecrire_pendant(db) -> str:
    """A user's write while the import is paused: it must not wait for the import."""
    rid = db.scalar("select min(reservataire_id) from reservataire")
    with db.transaction("orienter") as cur:
        cur.execute("update reservataire set nom = 'Nom changé pendant' "
                    "where reservataire_id = ?", [rid])
    return rid


@pytest.mark.parametrize("dry_run", [True, False], ids=["essai", "import"])
def test_a_write_goes_through_while_an_import_is_checked(fr_db, tmp_path, dry_run):
    f = tmp_path / "reservataire.csv"
    f.write_text("reservataire_id,nom,type\nCOM-99999,Commune nouvelle,COMMUNE\n",
                 encoding="utf-8")
    import threading

    t, reprise, out = _en_pause(fr_db, f, dry_run)
    ecrit = {}
    w = threading.Thread(target=lambda: ecrit.update(rid=_ecrire_pendant(fr_db)))
    w.start()
    w.join(30)                 # blocked until the import ends if it held the write lock
    fini_pendant = not w.is_alive()
    reprise.set()
    t.join(60)
    w.join(60)
    assert fini_pendant, "l'écriture a attendu la fin du contrôle de l'import"
    assert not t.is_alive()
    rid = ecrit["rid"]
    result = out["result"]
    assert result.ok, result.problems.text()
    assert result.applied is (not dry_run)
    noms = dict(fr_db.df("select reservataire_id, nom from reservataire").values.tolist())
    assert noms[rid] == "Nom changé pendant"                     # the user's write kept
    assert ("COM-99999" in noms) is (not dry_run)                 # redone under the lock
    assert fr_db.scalar("select count(*) from audit_log where action = 'import'") == (
        1 if dry_run else 2)


def test_an_import_checked_while_nothing_else_is_written_commits_once(fr_db, tmp_path):
    f = tmp_path / "reservataire.csv"
    f.write_text("reservataire_id,nom,type\nCOM-99998,Autre commune,COMMUNE\n",
                 encoding="utf-8")
    etapes = []
    result = import_paths(fr_db, [f], actor="import",
                          progress=lambda _f, m: etapes.append(m))
    assert result.applied
    assert not [e for e in etapes if e.startswith("Une autre écriture")]
    assert fr_db.scalar("select count(*) from reservataire where reservataire_id = "
                        "'COM-99998'") == 1


# == out of memory is said as such, not blamed on the file (issue 29) ===========================
@pytest.mark.parametrize("erreur", ["duckdb", "python"])
def test_out_of_memory_is_not_blamed_on_the_file(fr_db, tmp_path, monkeypatch, capsys, erreur):
    import duckdb

    from fluxcore import __main__ as cli
    from fluxcore.errors import MemoireInsuffisanteError

    def plus_de_memoire(*_a, **_k):
        raise (duckdb.OutOfMemoryException("Out of Memory Error: failed to allocate")
               if erreur == "duckdb" else MemoryError())

    f = tmp_path / "reservataire.csv"
    f.write_text("reservataire_id,nom,type\nCOM-99997,Commune,COMMUNE\n", encoding="utf-8")
    before = checksums(fr_db)
    monkeypatch.setattr("fluxcore.imports.read_file", plus_de_memoire)
    with pytest.raises(MemoireInsuffisanteError, match=r"^Mémoire insuffisante pendant "
                                                       r"l'import de « reservataire\.csv » : "
                                                       r"le fichier n'est pas en cause"):
        import_paths(fr_db, [f])
    assert checksums(fr_db) == before
    path = fr_db.path
    fr_db.close()
    code = cli.main(["import", "--db", path, str(f)])
    err = capsys.readouterr().err
    assert code != 0 and "Mémoire insuffisante" in err and "guillemet" not in err
    assert "Traceback" not in err
