"""Issue 29 (parts 3 and 4): identifiers whose leading zeros a spreadsheet dropped are refused
with a hint, and no value is damaged silently (formula without value, mixed encodings, control
characters, values too long)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from fluxcore.db import CONTRACT_TABLES, Database, table_checksum
from fluxcore.imports import import_paths

RES = "residence_id;nom;commune_insee\nRES-A;Les Tilleuls;51454\n"
LOG_HEADER = "logement_id;residence_id;typologie;surface_m2;financement;date_mise_en_service\n"
HINT = "les zéros de tête ont sans doute été perdus par le tableur (format Texte)"


def _csv(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def _log_row(ident: str, surface: str = "45") -> str:
    return f"{ident};RES-A;T2;{surface};PLUS;01/01/1990\n"


def checksums(db: Database) -> dict[str, str]:
    return {t: table_checksum(db, t) for t in CONTRACT_TABLES if t != "schema_version"}


@pytest.fixture
def parc(empty_db, tmp_path):
    """A résidence and two dwellings whose ids start with a zero."""
    paths = [_csv(tmp_path / "residences.csv", RES),
             _csv(tmp_path / "logements.csv", LOG_HEADER + _log_row("0800000254")
                  + _log_row("0800000255"))]
    result = import_paths(empty_db, paths)
    assert result.ok, result.problems.text()
    return empty_db


def _errors(result) -> list[tuple]:
    f = result.problems.frame()
    f = f[f["niveau"] == "ERREUR"]
    return list(zip(f["fichier"], f["ligne"], f["colonne"], f["valeur"], f["probleme"],
                    strict=True))


def test_csv_reimport_with_stripped_zeros_is_refused(parc, tmp_path):
    before = checksums(parc)
    path = _csv(tmp_path / "logements.csv", LOG_HEADER + _log_row("800000254", "50")
                + _log_row("0800000255", "51"))
    result = import_paths(parc, [path])
    assert not result.ok
    assert _errors(result) == [(
        "« logements.csv »", 2, "logement_id", "800000254",
        f"identifiant « 800000254 » : le logement « 0800000254 » existe déjà ; {HINT}")]
    assert checksums(parc) == before                      # nothing written
    assert parc.scalar("select count(*) from logement") == 2


def test_reference_with_stripped_zeros_is_refused(parc, tmp_path):
    path = _csv(tmp_path / "liberations.csv",
                "liberation_id;logement_id;date_liberation\nLIB-1;800000255;01/02/2026\n")
    result = import_paths(parc, [path])
    assert not result.ok
    assert ("« liberations.csv »", 2, "logement_id", "800000255",
            f"identifiant « 800000255 » : le logement « 0800000255 » existe déjà ; {HINT}") \
        in _errors(result)


def test_xlsx_numeric_id_is_refused(parc, tmp_path):
    path = tmp_path / "parc.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "logement"
    ws.append(["logement_id", "residence_id", "typologie", "surface_m2", "financement"])
    ws.append([800000254, "RES-A", "T2", 45, "PLUS"])         # a number: its zero is gone
    ws.append(["0800000255", "RES-A", "T2", 45, "PLUS"])
    wb.save(path)
    result = import_paths(parc, [path])
    assert _errors(result) == [(
        "« parc.xlsx », feuille « logement »", 2, "logement_id", "800000254",
        f"identifiant « 800000254 » : le logement « 0800000254 » existe déjà ; {HINT}")]
    assert parc.scalar("select count(*) from logement") == 2


def test_xlsx_numeric_id_shorter_than_the_column_is_refused(empty_db, tmp_path):
    """First import: no id in the database, but the other ids of the column have 10 digits."""
    path = tmp_path / "parc.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "logement"
    ws.append(["logement_id", "residence_id", "typologie", "surface_m2", "financement"])
    ws.append(["0800000255", "RES-A", "T2", 45, "PLUS"])
    ws.append([800000256, "RES-A", "T2", 45, "PLUS"])
    res = wb.create_sheet("residence")
    res.append(["residence_id", "nom", "commune_insee"])
    res.append(["RES-A", "Les Tilleuls", "51454"])
    wb.save(path)
    result = import_paths(empty_db, [path])
    assert _errors(result) == [(
        "« parc.xlsx », feuille « logement »", 3, "logement_id", "800000256",
        "identifiant « 800000256 » : les autres identifiants de la colonne ont 10 chiffres, "
        "avec des zéros de tête (ex. « 0800000255 ») : attendu « 0800000256 » ? " + HINT)]
    assert empty_db.scalar("select count(*) from logement") == 0


def test_rpls_ident_rep_with_stripped_zeros_is_refused(empty_db, tmp_path):
    header = "IDENT_REP;DEPCOM;NUMVOIE;TYPVOIE;NOMVOIE;ETAGE;NBPIECE;SURFHAB;CONSTRUCT;FINAN\n"
    first = _csv(tmp_path / "rpls_2025.csv", header
                 + "0810500001;08105;3;RUE;DES PRES;1;3;60;1990;PLUS\n"
                 + "0810500002;08105;3;RUE;DES PRES;2;3;60;1990;PLUS\n")
    result = import_paths(empty_db, [first])
    assert result.ok, result.problems.text()
    again = _csv(tmp_path / "rpls_2026.csv", header
                 + "810500001;8105;3;RUE;DES PRES;1;3;60;1990;PLUS\n"
                 + "0810500002;08105;3;RUE;DES PRES;2;3;60;1990;PLUS\n")
    result = import_paths(empty_db, [again])
    assert ("« rpls_2026.csv »", 2, "IDENT_REP", "810500001",
            f"identifiant « 810500001 » : le logement « 0810500001 » existe déjà ; {HINT}") \
        in _errors(result)
    assert empty_db.scalar("select count(*) from logement") == 2


def test_formula_without_cached_value_names_the_cell(empty_db, tmp_path):
    path = tmp_path / "residences.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "residence"
    ws.append(["residence_id", "nom", "commune_insee"])
    ws.append(["RES-A", "Les Tilleuls", "51454"])
    ws.append(["RES-B", '=CONCAT("Les ", "Ormes")', "51454"])   # openpyxl stores no value
    wb.save(path)
    result = import_paths(empty_db, [path])
    assert ("« residences.xlsx », feuille « residence »", 3, "nom", None,
            "formule sans valeur calculée (cellule B3) : le classeur a été écrit par un "
            "programme qui ne calcule pas les formules ; ouvrez-le dans le tableur et "
            "enregistrez-le, ou collez les valeurs seules") in _errors(result)
    assert empty_db.scalar("select count(*) from residence") == 0


def test_utf8_file_with_one_windows_1252_line_is_refused(empty_db, tmp_path):
    path = tmp_path / "residences.csv"
    path.write_bytes(b"residence_id;nom;commune_insee\n"
                     + "RES-A;Les Érables;51454\n".encode("cp1252")
                     + "RES-B;Résidence de l'Été;51454\n".encode())
    result = import_paths(empty_db, [path])
    assert _errors(result) == [(
        "« residences.csv »", 2, None, None,
        "encodage incohérent : le fichier est en UTF-8 mais contient un octet 0xC9 qui n'en "
        "est pas (deux fichiers d'encodages différents mis bout à bout, ou fichier tronqué ?) "
        "; enregistrez-le entièrement en « CSV UTF-8 »")]
    assert empty_db.scalar("select count(*) from residence") == 0


def test_windows_1252_file_still_reads(empty_db, tmp_path):
    path = _csv(tmp_path / "residences.csv", "residence_id;nom;commune_insee\n"
                "RES-A;Les Érables;51454\nRES-B;Résidence de l'Été;51454\n", "cp1252")
    result = import_paths(empty_db, [path])
    assert result.ok, result.problems.text()
    assert empty_db.scalar("select nom from residence where residence_id = 'RES-B'") == \
        "Résidence de l'Été"


def test_nul_byte_in_a_value_names_the_cell(empty_db, tmp_path):
    rows = "".join(f"RES-{i};Résidence {i};51454\n" for i in range(40))
    path = _csv(tmp_path / "residences.csv", "residence_id;nom;commune_insee\n" + rows
                + "RES-X;Les\x00Ormes;51454\n")
    result = import_paths(empty_db, [path])
    assert _errors(result) == [(
        "« residences.csv »", 42, "nom", "Les\ufffdOrmes",
        "caractère de contrôle dans la valeur (octet nul) : fichier endommagé ou mal exporté ; "
        "corrigez la cellule")]
    assert empty_db.scalar("select count(*) from residence") == 0


def test_one_megabyte_value_is_refused(empty_db, tmp_path):
    path = _csv(tmp_path / "residences.csv", "residence_id;nom;commune_insee\n"
                "RES-A;Les Tilleuls;51454\nRES-B;" + "x" * (1 << 20) + ";51454\n")
    result = import_paths(empty_db, [path])
    assert _errors(result) == [(
        "« residences.csv »", 3, "nom", "x" * 60 + "…",
        "valeur trop longue : 1\u202f048\u202f576 caractères, au plus 1\u202f000 dans cette "
        "colonne (fichier endommagé, ou colonnes décalées ?)")]
    assert empty_db.scalar("select count(*) from residence") == 0
