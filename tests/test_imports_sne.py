"""Importing SNE radiations extracts (fluxcore.imports.sne, through fluxcore.imports.import_paths):
recognised by their headers, the arrêté du 17 septembre 2012's contingent labels and the RPLS
codes read as the product's contingents, personal data never stored, re-import idempotent, a
bad file refused whole with its file, line and column."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from fluxcore.codes import CONTINGENTS
from fluxcore.db import Database
from fluxcore.imports import import_paths, sne
from fluxcore.imports.nomenclatures import CONTINGENT_SNE_CODES

D = dt.date
SIREN = "351234567"
EXTRAIT = ["NUR", "Date de radiation", "N° RPLS", "Contingent de réservation", "Prioritaire DALO",
           "Accord collectif départemental", "Déjà locataire", "SIREN", "Nom du demandeur"]
# the contingents as the arrêté du 17 septembre 2012 names them, the RPLS codes, and none
CONTINGENTS_FICHIER = [
    ('Contingent de l\'Etat "fonctionnaires"', "ETAT_FONCTIONNAIRES"),
    ('Contingent de l\'Etat "prioritaires"', "ETAT_PRIORITAIRES"),
    ("Contingent des collectivités territoriales, de leurs établissements publics et des EPCI",
     "COLLECTIVITES"),
    ("Contingent des employeurs et des collecteurs du 1 % logement", "EMPLOYEURS"),
    ("Autre contingent", "AUTRES"),
    ("1", "ETAT_FONCTIONNAIRES"), ("2", "ETAT_PRIORITAIRES"), ("3", "EMPLOYEURS"),
    ("4", "COLLECTIVITES"), ("5", "ETAT_FONCTIONNAIRES"), ("6", "AUTRES"), ("7", "NON_RESERVE"),
    ("", None),
]
COLONNES = ["numero_unique", "date_radiation", "logement_rpls", "contingent", "dalo",
            "accord_collectif", "mutation", "reservataire", "commune_insee", "siren_bailleur",
            "motif_radiation"]


def _ecrire_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buf.getvalue().encode("cp1252"))     # as the SNE's export gives it
    return path


def _lignes_extrait() -> list[list[str]]:
    rows = []
    for i, (libelle, _code) in enumerate(CONTINGENTS_FICHIER, start=1):
        dalo = ("Oui", "Non", "")[i % 3]
        rows.append([f"0510026{i:05d}", f"{i:02d}/03/2026", f"51000000{i:02d}", libelle, dalo,
                     "Non" if i % 2 else "Oui", "Oui" if i == 12 else "Non", SIREN,
                     f"DUPONTEL Héloïse {i}"])
    return rows


def _attendu_extrait() -> dict[str, dict]:
    out = {}
    for i, (_libelle, code) in enumerate(CONTINGENTS_FICHIER, start=1):
        out[f"0510026{i:05d}"] = {
            "numero_unique": f"0510026{i:05d}", "date_radiation": D(2026, 3, i),
            "logement_rpls": f"51000000{i:02d}", "contingent": code,
            "dalo": (True, False, None)[i % 3], "accord_collectif": not i % 2,
            "mutation": i == 12, "reservataire": None, "commune_insee": None,
            "siren_bailleur": SIREN, "motif_radiation": None}
    return out


def _radiations(db: Database) -> dict[str, dict]:
    df = db.df(f"select {', '.join(COLONNES)} from radiation_sne order by numero_unique")
    out = {}
    for row in df.to_dict("records"):
        row = {k: (None if v is None or (not isinstance(v, str) and pd.isna(v)) else v)
               for k, v in row.items()}
        row["date_radiation"] = pd.Timestamp(row["date_radiation"]).date()
        for k in ("dalo", "accord_collectif", "mutation"):
            row[k] = None if row[k] is None else bool(row[k])
        out[row["numero_unique"]] = row
    return out


def _tout_le_texte(db: Database) -> str:
    """Every cell of every table but the reference geography, as text."""
    tables = db.df("select table_name from duckdb_tables() where not starts_with(table_name, "
                   "'ref_')")["table_name"]
    return "\n".join(db.df(f'select * from "{t}"').astype(str).to_csv() for t in tables)


@pytest.fixture
def extrait(tmp_path) -> Path:
    return _ecrire_csv(tmp_path / "extrait_sne_2026.csv", EXTRAIT, _lignes_extrait())


def test_mapping_constants():
    assert set(CONTINGENT_SNE_CODES) == {str(i) for i in range(1, 8)}
    assert set(CONTINGENT_SNE_CODES.values()) <= set(CONTINGENTS)
    assert set(sne.ENTETES) == set(COLONNES)


def test_csv_extract_is_recognised_and_imported(empty_db, extrait):
    assert sne.correspondance(EXTRAIT) is not None
    assert sne.correspondance(EXTRAIT).colonnes == {
        "numero_unique": "NUR", "date_radiation": "Date de radiation",
        "logement_rpls": "N° RPLS", "contingent": "Contingent de réservation",
        "dalo": "Prioritaire DALO", "accord_collectif": "Accord collectif départemental",
        "mutation": "Déjà locataire", "siren_bailleur": "SIREN"}
    result = import_paths(empty_db, [extrait], actor="test")
    assert result.ok and result.applied, result.problems.text()
    report = result.problems.frame()
    assert report[["niveau", "fichier", "ligne", "probleme"]].values.tolist() == [
        ["AVERTISSEMENT", "« extrait_sne_2026.csv »", 1,
         "1 colonne du fichier ignorée, absente de la correspondance : "
         "« Nom du demandeur »"]]
    assert result.counts[["table", "inseres", "modifies", "inchanges"]].values.tolist() == [
        ["radiation_sne", 13, 0, 0]]
    assert _radiations(empty_db) == _attendu_extrait()
    # the personal data of the extract is stored nowhere
    texte = _tout_le_texte(empty_db)
    assert "DUPONTEL" not in texte and "Héloïse" not in texte
    assert "extrait_sne_2026.csv" in texte                     # (the search does see the base)


def test_reimport_is_idempotent_and_updates_on_the_numero_unique(empty_db, extrait, tmp_path):
    assert import_paths(empty_db, [extrait]).applied
    again = import_paths(empty_db, [extrait])
    assert again.applied
    assert again.counts[["inseres", "modifies", "inchanges"]].values.tolist() == [[0, 0, 13]]
    assert _radiations(empty_db) == _attendu_extrait()
    # the same extract corrected in the SNE: one contingent changed, one radiation added
    rows = _lignes_extrait()
    rows[1][3] = "Contingent des employeurs et des collecteurs du 1 % logement"
    rows.append(["051002699999", "20/03/2026", "5100000099", "Autre contingent", "", "", "",
                 "", "X"])
    corrige = _ecrire_csv(tmp_path / "extrait_corrige.csv", EXTRAIT, rows)
    result = import_paths(empty_db, [corrige])
    assert result.applied, result.problems.text()
    assert result.counts[["inseres", "modifies", "inchanges"]].values.tolist() == [[1, 1, 12]]
    got = _radiations(empty_db)
    assert len(got) == 14
    assert got["051002600002"]["contingent"] == "EMPLOYEURS"
    assert got["051002699999"] == {
        "numero_unique": "051002699999", "date_radiation": D(2026, 3, 20),
        "logement_rpls": "5100000099", "contingent": "AUTRES", "dalo": None,
        "accord_collectif": None, "mutation": None, "reservataire": None,
        "commune_insee": None, "siren_bailleur": None, "motif_radiation": None}


def test_xlsx_extract_with_other_spellings(empty_db, tmp_path):
    headers = ["Numéro unique", "Date de signature du bail", "Identifiant RPLS", "Contingent",
               "DALO", "Motif de radiation", "Code INSEE", "Réservataire", "Téléphone"]
    assert set(sne.correspondance(headers).colonnes) == {
        "numero_unique", "date_radiation", "logement_rpls", "contingent", "dalo",
        "motif_radiation", "commune_insee", "reservataire"}
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Export"
    ws.append(headers)
    ws.append(["051000000101", dt.datetime(2026, 3, 1), "0800000001", 2, "oui",
               "Attribution d'un logement", "08105", "Préfet des Ardennes", "0601020304"])
    ws.append(["051000000102", "02/03/2026", 800000002, 7, "non", None, 8105, None,
               "0601020305"])
    ws.append(["051000000103", dt.date(2026, 3, 3), "5100000003",
               "Contingent de l'Etat \"fonctionnaires\"", None, "Abandon", "51454", None, None])
    path = tmp_path / "radiations.xlsx"
    wb.save(path)
    result = import_paths(empty_db, [path])
    assert result.ok and result.applied, result.problems.text()
    warnings = result.problems.frame()
    assert warnings["probleme"].tolist() == [
        "1 colonne du fichier ignorée, absente de la correspondance : « Téléphone »"]
    assert warnings["fichier"].tolist() == ["« radiations.xlsx », feuille « Export »"]
    vide = dict.fromkeys(COLONNES)
    assert _radiations(empty_db) == {
        "051000000101": {**vide, "numero_unique": "051000000101",
                         "date_radiation": D(2026, 3, 1), "logement_rpls": "0800000001",
                         "contingent": "ETAT_PRIORITAIRES", "dalo": True,
                         "motif_radiation": "Attribution d'un logement",
                         "commune_insee": "08105", "reservataire": "Préfet des Ardennes"},
        "051000000102": {**vide, "numero_unique": "051000000102",
                         "date_radiation": D(2026, 3, 2), "logement_rpls": "800000002",
                         "contingent": "NON_RESERVE", "dalo": False, "commune_insee": "08105"},
        "051000000103": {**vide, "numero_unique": "051000000103",
                         "date_radiation": D(2026, 3, 3), "logement_rpls": "5100000003",
                         "contingent": "ETAT_FONCTIONNAIRES", "motif_radiation": "Abandon",
                         "commune_insee": "51454"},
    }
    assert "0601020304" not in _tout_le_texte(empty_db)


def test_canonical_csv_imports_without_mapping(empty_db, tmp_path):
    assert sne.correspondance(COLONNES) is None            # no mapping needed
    rows = [["NU-1", "2026-05-04", "5100000001", "EMPLOYEURS", "oui", "non", "non", "AL",
             "51454", SIREN, "Attribution"],
            ["NU-2", "05/05/2026", "5100000002", "", "", "", "", "", "", "", ""]]
    path = _ecrire_csv(tmp_path / "export.csv", COLONNES, rows)
    result = import_paths(empty_db, [path])
    assert result.ok and result.applied, result.problems.text()
    assert result.counts["table"].tolist() == ["radiation_sne"]
    assert _radiations(empty_db) == {
        "NU-1": {"numero_unique": "NU-1", "date_radiation": D(2026, 5, 4),
                 "logement_rpls": "5100000001", "contingent": "EMPLOYEURS", "dalo": True,
                 "accord_collectif": False, "mutation": False, "reservataire": "AL",
                 "commune_insee": "51454", "siren_bailleur": SIREN,
                 "motif_radiation": "Attribution"},
        "NU-2": {**dict.fromkeys(COLONNES), "numero_unique": "NU-2",
                 "date_radiation": D(2026, 5, 5), "logement_rpls": "5100000002"},
    }


# -- refused files ---------------------------------------------------------------------------
def _avec(ligne: int, colonne: str, valeur: str) -> list[list[str]]:
    """The extract with one cell changed (ligne: the line number a spreadsheet shows)."""
    rows = _lignes_extrait()
    rows[ligne - 2][EXTRAIT.index(colonne)] = valeur
    return rows


@pytest.mark.parametrize(("rows", "ligne", "colonne", "valeur", "debut"), [
    (_avec(4, "Date de radiation", "31/02/2026"), 4, "Date de radiation", "31/02/2026",
     "valeur illisible : attendu une date JJ/MM/AAAA ou AAAA-MM-JJ"),
    (_avec(5, "Contingent de réservation", "Contingent ministériel"), 5,
     "Contingent de réservation", "Contingent ministériel",
     "code inconnu : attendu l'un de ETAT_PRIORITAIRES, ETAT_FONCTIONNAIRES, COLLECTIVITES, "
     "EMPLOYEURS, AUTRES, NON_RESERVE, un libellé du SNE"),
    (_avec(6, "NUR", ""), 6, "NUR", None, "valeur obligatoire manquante"),
    (_avec(7, "SIREN", "35123456"), 7, "SIREN", "35123456",
     "format invalide : attendu un SIREN à 9 chiffres"),
])
def test_a_bad_cell_refuses_the_whole_file(empty_db, tmp_path, rows, ligne, colonne, valeur,
                                           debut):
    assert import_paths(empty_db, [_ecrire_csv(tmp_path / "avant.csv", EXTRAIT, [
        ["051009900001", "01/01/2026", "5100000001", "2", "", "", "", SIREN, "Z"]])]).applied
    avant = _radiations(empty_db)
    batches = empty_db.scalar("select count(*) from import_batch")
    path = _ecrire_csv(tmp_path / "extrait.csv", EXTRAIT, rows)
    result = import_paths(empty_db, [path])
    assert not result.ok and not result.applied
    errors = result.problems.frame()
    errors = errors[errors["niveau"] == "ERREUR"]
    assert len(errors) == 1, result.problems.text()
    e = errors.iloc[0]
    assert (e["fichier"], int(e["ligne"]), e["colonne"]) == ("« extrait.csv »", ligne, colonne)
    assert (None if pd.isna(e["valeur"]) else e["valeur"]) == valeur
    assert e["probleme"].startswith(debut), e["probleme"]
    # nothing written: the one radiation before, no batch
    assert _radiations(empty_db) == avant and len(avant) == 1
    assert empty_db.scalar("select count(*) from import_batch") == batches


def test_a_numero_unique_given_twice_refuses_the_file(empty_db, tmp_path):
    rows = _lignes_extrait()
    rows[5][0] = rows[2][0]                                  # lines 4 and 7
    result = import_paths(empty_db, [_ecrire_csv(tmp_path / "extrait.csv", EXTRAIT, rows)])
    assert not result.ok and not result.applied
    errors = result.problems.frame()
    errors = errors[errors["niveau"] == "ERREUR"]
    assert [int(x) for x in errors["ligne"]] == [4, 7]
    assert set(errors["fichier"]) == {"« extrait.csv »"}
    assert set(errors["valeur"]) == {"051002600003"}
    assert set(errors["colonne"]) <= {"NUR", "numero_unique"}
    assert set(errors["probleme"]) == {
        "identifiant en double dans le lot (2 lignes : « extrait.csv » ligne 4, « extrait.csv » "
        "ligne 7)"}
    assert empty_db.scalar("select count(*) from radiation_sne") == 0
    assert empty_db.scalar("select count(*) from import_batch") == 0


def test_a_bad_file_in_a_batch_refuses_the_good_one_too(empty_db, extrait, tmp_path):
    bad = _ecrire_csv(tmp_path / "mauvais.csv", EXTRAIT, [
        ["051009900001", "32/01/2026", "5100000001", "2", "", "", "", SIREN, "Z"]])
    result = import_paths(empty_db, [extrait, bad])
    assert not result.applied
    assert set(result.problems.frame().query("niveau == 'ERREUR'")["fichier"]) == {
        "« mauvais.csv »"}
    assert empty_db.scalar("select count(*) from radiation_sne") == 0


def test_a_file_that_is_not_an_sne_extract_is_not_read_as_one(empty_db, tmp_path):
    # the SNE's export of demandes: a numéro unique and a date de radiation, but neither the
    # dwelling nor the contingent
    demandes = ["Numéro unique", "Date de dépôt", "Commune demandée 1", "Typologie demandée",
                "Statut", "Date de radiation", "Motif de radiation"]
    assert sne.correspondance(demandes) is None
    assert sne.correspondance(["Nom", "Prénom", "Adresse"]) is None
    assert sne.correspondance(["NUR", "N° RPLS", "Contingent"]) is None        # no date
    assert sne.correspondance(["NUR", "Date de radiation", "SIREN"]) is None   # no dwelling
    assert sne.correspondance(["NUR", "Date de radiation", "Contingent"]) is not None
    path = _ecrire_csv(tmp_path / "demandes.csv", demandes, [
        ["051002300012", "15/01/2024", "51454", "T3", "Active", "", ""]])
    result = import_paths(empty_db, [path])
    assert not result.applied
    # read (by its name) as a file of demandes, never as radiations
    problemes = result.problems.frame()["probleme"]
    assert problemes.str.contains("table demande").all(), problemes.tolist()
    assert not problemes.str.contains("radiation_sne|radiations SNE").any()
    assert empty_db.scalar("select count(*) from radiation_sne") == 0
    # under a neutral name, a table without SNE headers is not read as radiations either
    autre = _ecrire_csv(tmp_path / "export.csv", ["Nom", "Prénom", "Adresse"],
                        [["DUPONT", "Jean", "1 rue de Vesle"]])
    result = import_paths(empty_db, [autre])
    assert not result.applied
    assert not result.problems.frame()["probleme"].str.contains("radiation").any()
    assert empty_db.scalar("select count(*) from radiation_sne") == 0
