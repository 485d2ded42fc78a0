"""Files as they really come: every bad file is refused with a French message naming the file
(and the line when there is one), never a traceback, never a partial write; the odd but honest
ones (old Mac line endings, UTF-16, banded counts, Excel serial dates) are read."""

from __future__ import annotations

import codecs
import os
import random
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
import xlsxwriter

from fluxcore.__main__ import main
from fluxcore.db import CONTRACT_TABLES, Database, table_checksum
from fluxcore.imports import import_paths, reader

FIXTURES = Path(__file__).parent / "fixtures" / "import_fr"
SEED = 20261202
HEADER = b"reservataire_id;nom;type\n"
ROW = b"COM-99;Ville de Test;COMMUNE\n"


def checksums(db: Database) -> dict[str, str]:
    tables = dict.fromkeys((*CONTRACT_TABLES, "import_batch", "audit_log"))
    return {t: table_checksum(db, t) for t in tables}


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    """A database with the French fixtures imported (a few rows in every table)."""
    database = Database(tmp_path_factory.mktemp("fuzz") / "base.duckdb")
    result = import_paths(database, sorted(FIXTURES.glob("*.csv")), actor="test")
    assert result.ok, result.problems.text()
    yield database
    database.close()


def _rng() -> random.Random:
    return random.Random(SEED)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _workbook(path: Path, sheets: dict[str, list[list]], errors=()) -> Path:
    """An XLSX of rows per sheet; `errors`: (sheet, row, col, formula, shown value)."""
    book = xlsxwriter.Workbook(str(path))
    for name, rows in sheets.items():
        ws = book.add_worksheet(name)
        for r, row in enumerate(rows):
            ws.write_row(r, 0, row)
        for sheet, r, c, formula, value in errors:
            if sheet == name:
                ws.write_formula(r, c, formula, None, value)
    book.close()
    return path


def _valid_workbook(path: Path) -> Path:
    return _workbook(path, {"reservataire": [["reservataire_id", "nom", "type"],
                                             *[[f"COM-{i}", f"Ville {i}", "COMMUNE"]
                                               for i in range(200)]]})


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _declared_huge(path: Path) -> Path:
    """A workbook-looking ZIP whose central directory declares a 4 GB member."""
    _zip(path, {"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
    data = bytearray(path.read_bytes())
    entry = data.rfind(b"PK\x01\x02")
    data[entry + 24:entry + 28] = struct.pack("<I", 0xFFFFFFF0)     # uncompressed size
    return _write(path, bytes(data))


def _changing(tmp_path: Path, monkeypatch) -> Path:
    """A CSV that grows while it is read (a copy still in progress)."""
    path = _write(tmp_path / "reservataires.csv", HEADER + ROW)
    original = reader.read_csv

    def read_csv(cur, source, *args):
        with source.open("ab") as fh:
            fh.write(b"COM-98;Autre ville;COMMUNE\n")
        return original(cur, source, *args)

    monkeypatch.setattr(reader, "read_csv", read_csv)
    return path


def _too_large(tmp_path: Path) -> Path:
    path = tmp_path / "enorme.csv"
    with path.open("wb") as fh:              # sparse: no disk used, never read
        fh.truncate(reader.MAX_BYTES + 1)
    return path


Builder = Callable[[Path, pytest.MonkeyPatch], Path]

# name: (builder, words the French message must contain, expected line or None)
BAD: dict[str, tuple[Builder, str, int | None]] = {
    "octets_aleatoires_csv": (lambda t, m: _write(t / "a.csv", _rng().randbytes(4096)),
                              "format non reconnu : contenu binaire", None),
    "octets_aleatoires_txt": (lambda t, m: _write(t / "a.txt", _rng().randbytes(512)),
                              "format non reconnu", None),
    "octets_aleatoires_xlsx": (lambda t, m: _write(t / "a.xlsx", _rng().randbytes(4096)),
                               "format non reconnu : le fichier n'est pas un classeur", None),
    "octets_nuls": (lambda t, m: _write(t / "a.csv", HEADER + b"COM\x00-1;V\x00;COMMUNE\n"),
                    "octets nuls", None),
    "fichier_vide": (lambda t, m: _write(t / "a.csv", b""), "le fichier est vide", None),
    "en_tete_seul": (lambda t, m: _write(t / "a.csv", HEADER), "aucune donnée à importer", None),
    "bom_seul": (lambda t, m: _write(t / "a.csv", b"\xef\xbb\xbf"), "le fichier est vide", None),
    "bom_utf16_seul": (lambda t, m: _write(t / "a.txt", b"\xff\xfe\r\x00\n\x00"),
                       "le fichier est vide", None),
    "xlsx_tronque": (lambda t, m: _write(t / "b.xlsx", _valid_workbook(
        t / "ok.xlsx").read_bytes()[:3000]), "archive tronquée ou endommagée", None),
    "xlsx_chiffre": (lambda t, m: _write(t / "b.xlsx", reader.OLE + _rng().randbytes(4096)),
                     "classeur protégé par mot de passe ou chiffré : enregistrez-le sans mot "
                     "de passe", None),
    "xls_ancien": (lambda t, m: _write(t / "b.xls", reader.OLE + _rng().randbytes(4096)),
                   "classeur Excel 97-2003 (.xls) illisible", None),
    "zip_pas_un_classeur": (lambda t, m: _zip(t / "b.xlsx", {"notes.txt": b"bonjour"}),
                            "archive ZIP qui n'est pas un classeur", None),
    "xlsx_renomme_csv": (lambda t, m: _write(t / "b.csv", _valid_workbook(
        t / "ok.xlsx").read_bytes()), "format non reconnu : le fichier est une archive ZIP",
        None),
    "bombe_zip_taux": (lambda t, m: _zip(t / "b.xlsx", {
        "xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": bytes(20 << 20)}),
        "bombe ZIP", None),
    "bombe_zip_taille_declaree": (lambda t, m: _declared_huge(t / "b.xlsx"), "bombe ZIP", None),
    "trop_volumineux": (lambda t, m: _too_large(t), "fichier trop volumineux", None),
    "change_pendant_la_lecture": (_changing, "le fichier a changé pendant la lecture", None),
    "guillemet_non_ferme": (lambda t, m: _write(t / "a.csv", HEADER + b'COM-1;"Ville;COMMUNE\n'
                                                + ROW), "un guillemet n'est pas fermé", 2),
    "separateurs_melanges": (lambda t, m: _write(t / "a.csv", HEADER + ROW
                                                 + b"COM-2,Ville,COMMUNE\n"),
                             "le nombre de champs ne correspond pas", 3),
    "champs_en_nombre_variable": (lambda t, m: _write(t / "a.csv", HEADER + ROW
                                                      + b"COM-3;Ville;COMMUNE;en trop\n" + ROW),
                                  "le nombre de champs ne correspond pas", 3),
    "ni_utf8_ni_cp1252": (lambda t, m: _write(t / "a.csv", HEADER + b"COM-4;Ville \x81;COMMUNE\n"),
                          "encodage non reconnu", 2),
    "deux_encodages": (lambda t, m: _write(t / "a.csv", HEADER + "COM-5;Évry;COMMUNE\n".encode()
                                           + "COM-6;Évian;COMMUNE\n".encode("cp1252")),
                       "encodage incohérent", 3),
    "utf16_tronque": (lambda t, m: _write(t / "a.txt", (HEADER + ROW).decode().encode("utf-16")
                                          + b"\x41"), "UTF-16 tronqué", None),
    "dossier": (lambda t, m: (t / "dossier.csv").mkdir() or t / "dossier.csv",
                "c'est un dossier, pas un fichier", None),
    "chemin_inexistant": (lambda t, m: t / "absent.csv", "fichier introuvable", None),
    "en_tete_en_double": (lambda t, m: _write(t / "a.csv", b"reservataire_id;nom;nom;type\n"
                                              b"COM-7;A;B;COMMUNE\n"), "colonne en double", 1),
    "ligne_enorme_sans_fin": (lambda t, m: _write(t / "a.csv", b"x" * (50 << 20)),
                              "aucune fin de ligne dans le premier Mo", None),
    "ligne_de_donnees_enorme": (lambda t, m: _write(t / "a.csv", b"residence_id;nom\n"
                                                    b"RES-A;Nom\n" + b"x" * (3 << 20) + b"\n"),
                                "ligne illisible", None),
    "que_des_separateurs": (lambda t, m: _write(t / "a.csv", b";;;;\n;;;;\n;;;;\n"),
                            "ligne d'en-tête vide", 1),
    "pdf_renomme": (lambda t, m: _write(t / "a.csv", b"%PDF-1.7\n" + _rng().randbytes(800)),
                    "format non reconnu : le fichier est un document PDF", None),
    "image_renommee": (lambda t, m: _write(t / "a.csv", b"\x89PNG\r\n\x1a\n" + _rng().randbytes(
        800)), "format non reconnu : le fichier est une image PNG", None),
    "page_html_en_xls": (lambda t, m: _write(t / "b.xls", b"<html><table><tr><td>1</td></tr>"
                                             b"</table></html>"), "page HTML", None),
    "csv_nomme_xlsx": (lambda t, m: _write(t / "b.xlsx", HEADER + ROW),
                       "donnez-lui l'extension .csv", None),
    "extension_inconnue": (lambda t, m: _write(t / "a.docx", HEADER + ROW), "format non reconnu",
                           None),
    "disposition_inconnue": (lambda t, m: _write(t / "a.csv", b"identifiant;couleur\n1;bleu\n"),
                             "format non reconnu : attendu l'en-tête d'une table", 1),
    "xlsx_feuille_vide": (lambda t, m: _workbook(t / "b.xlsx", {"residence": []}),
                          "aucune donnée à importer", None),
    "xlsx_en_tete_nombres_et_dates": (lambda t, m: _workbook(t / "b.xlsx", {
        "Feuil1": [[2024, 3.5, 45292], ["a", "b", "c"]]}), "en-tête trouvé : « 2024 »", 1),
    "xlsx_erreurs_de_formule": (lambda t, m: _workbook(
        t / "b.xlsx", {"reservataire": [["reservataire_id", "nom", "type"],
                                        ["COM-8", None, "COMMUNE"]]},
        [("reservataire", 1, 1, "=NA()", "#N/A"), ("reservataire", 1, 2, "=1/0", "#DIV/0!")]),
        "erreur de formule du tableur", 2),
    "typologie_hors_bornes": (lambda t, m: _write(t / "logements.csv", b"logement_id;residence_id;"
                                                  b"typologie;financement\nL9;RES-A;T9;PLUS\n"),
                              "code inconnu : attendu T1 à T6 (T6 = 6 pièces et plus", 2),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_file_is_refused_in_french_and_changes_nothing(db, tmp_path, monkeypatch, case):
    build, words, line = BAD[case]
    path = build(tmp_path, monkeypatch)
    before = checksums(db)
    result = import_paths(db, [path], actor="test")            # never raises
    assert not result.ok and not result.applied
    frame = result.problems.frame()
    hit = frame[frame["probleme"].str.contains(words, regex=False)]
    assert len(hit), result.problems.text()
    if line is not None:
        assert int(hit["ligne"].iloc[0]) == line, result.problems.text()
    named = frame[frame["niveau"] == "ERREUR"]["fichier"]
    assert named.str.contains(path.name, regex=False).any() or (named == "lot").all()
    assert "Traceback" not in result.problems.text()
    assert checksums(db) == before


def test_unreadable_file(db, tmp_path, monkeypatch):
    path = _write(tmp_path / "a.csv", HEADER + ROW)
    path.chmod(0)
    if os.geteuid() == 0:                 # root reads any file: refuse it as the OS would
        opener = Path.open

        def refused(self, *args, **kwargs):
            if self == path:
                raise PermissionError(13, "Permission denied", str(self))
            return opener(self, *args, **kwargs)

        monkeypatch.setattr(Path, "open", refused)
    try:
        before = checksums(db)
        result = import_paths(db, [path])
        assert not result.ok and "droits d'accès" in result.problems.text()
        assert checksums(db) == before
    finally:
        path.chmod(0o600)


GOOD: dict[str, Callable[[Path], Path]] = {
    "fins_de_ligne_mac": lambda t: _write(t / "a.csv", (HEADER + ROW).replace(b"\n", b"\r")),
    "utf16_sans_bom": lambda t: _write(t / "a.csv", (HEADER + ROW).decode().encode("utf-16-le")),
    "utf16_be_avec_bom": lambda t: _write(t / "a.csv", codecs.BOM_UTF16_BE
                                          + (HEADER + ROW).decode().encode("utf-16-be")),
    "texte_unicode_excel": lambda t: _write(t / "a.txt", (HEADER + ROW).decode().replace(
        ";", "\t").replace("\n", "\r\n").encode("utf-16")),
    "utf8_avec_bom": lambda t: _write(t / "a.csv", b"\xef\xbb\xbf" + HEADER + ROW),
}


@pytest.mark.parametrize("case", GOOD)
def test_odd_but_honest_file_is_read(db, tmp_path, case):
    path = GOOD[case](tmp_path)
    before = checksums(db)
    result = import_paths(db, [path], dry_run=True)
    assert result.ok, result.problems.text()
    assert result.counts.iloc[0]["inseres"] == 1
    assert checksums(db) == before


def test_a_bad_line_does_not_hide_the_next_file(db, tmp_path):
    """An unreadable line used to abort the transaction: the next file got the same error."""
    bad = _write(tmp_path / "a.csv", HEADER + b"COM-1;Ville;COMMUNE;en trop\n")
    good = _write(tmp_path / "b.csv", HEADER + b"COM-2;Ville;MAIRIE\n")
    frame = import_paths(db, [bad, good]).problems.frame()
    assert frame.set_index("fichier").loc["« a.csv »", "probleme"].startswith("ligne illisible")
    assert frame.set_index("fichier").loc["« b.csv »", "probleme"].startswith("code inconnu")


def test_unexpected_exception_is_a_message_and_a_rollback(db, tmp_path, monkeypatch):
    def broken(*_args):
        raise RuntimeError("panne simulée")

    monkeypatch.setattr("fluxcore.imports.coherence.check", broken)
    path = _write(tmp_path / "a.csv", HEADER + ROW)
    before = checksums(db)
    result = import_paths(db, [path])
    assert not result.ok and not result.applied
    assert "import interrompu par une erreur inattendue (RuntimeError : panne simulée) : la " \
           "base n'a pas été modifiée" in result.problems.text()
    assert checksums(db) == before


def test_size_limit_is_configurable(db, tmp_path, monkeypatch):
    path = _write(tmp_path / "a.csv", HEADER + ROW)
    monkeypatch.setenv(reader.MAX_BYTES_ENV, "10")
    text = import_paths(db, [path]).problems.text()
    assert f"fichier trop volumineux : {len(HEADER + ROW)} octets, au-delà de la limite de " \
           "10 octets" in text


def test_bands_serial_dates_and_typologies(db, tmp_path):
    path = _write(tmp_path / "logements.csv", (
        b"logement_id;residence_id;typologie;nb_pieces;financement;date_mise_en_service\n"
        b"L1;RES-A;T5 et plus;5 et plus;PLUS;45292\n"
        b"L2;RES-A;6 et +;6 et +;PLUS;45292,5\n"
        b"L3;RES-A;T6+;5+;PLUS;01/03/2024\n"
        b"L4;RES-A;T6 et plus;5 ou plus;PLUS;2024-03-01 00:00:00\n"))
    result = import_paths(db, [path], dry_run=True)
    assert result.ok, result.problems.text()
    frame = result.problems.frame()
    bands = frame[frame["probleme"].str.contains("lue comme sa borne inférieure")]
    assert bands[["ligne", "colonne", "valeur"]].values.tolist() == [
        [2, "typologie", "T5 et plus"], [2, "nb_pieces", "5 et plus"],
        [3, "nb_pieces", "6 et +"], [4, "nb_pieces", "5+"], [5, "nb_pieces", "5 ou plus"]]
    serial = frame[frame["colonne"] == "date_mise_en_service"]
    assert serial["probleme"].tolist() == [
        "date au format numérique d'Excel, lue comme 01/01/2024 (nombre de jours depuis le "
        "30/12/1899 ; 2 cellules de la colonne dans ce cas) : vérifiez-la, ou formatez la "
        "colonne en date"]
    assert (frame["niveau"] == "AVERTISSEMENT").all()
    preview = next(iter(result.previews.values()))
    assert preview["typologie"].tolist() == ["T5", "T6", "T6", "T6"]
    assert preview["nb_pieces"].tolist() == [5, 6, 5, 5]
    assert [str(d)[:10] for d in preview["date_mise_en_service"]] == [
        "2024-01-01", "2024-01-01", "2024-03-01", "2024-03-01"]


def test_typology_codes_out_of_range_and_years_are_errors(db, tmp_path):
    path = _write(tmp_path / "logements.csv", (
        b"logement_id;residence_id;typologie;financement;date_mise_en_service\n"
        b"L1;RES-A;T9;PLUS;\nL2;RES-A;T0;PLUS;\nL3;RES-A;T12;PLUS;\nL4;RES-A;7;PLUS;\n"
        b"L5;RES-A;T3;PLUS;2024\n"))
    frame = import_paths(db, [path]).problems.frame()
    typo = frame[frame["colonne"] == "typologie"]
    assert typo["valeur"].tolist() == ["T9", "T0", "T12", "7"]
    assert set(typo["probleme"]) == {
        "code inconnu : attendu T1 à T6 (T6 = 6 pièces et plus, studio = T1)"}
    year = frame[frame["colonne"] == "date_mise_en_service"].iloc[0]
    assert (year["ligne"], year["probleme"]) == (6, "valeur illisible : attendu une date "
                                                    "JJ/MM/AAAA ou AAAA-MM-JJ")


def test_lost_leading_zero_is_hinted(db, tmp_path):
    path = _write(tmp_path / "residences.csv",
                  b"residence_id;epci_siren;qpv_code\nRES-A;20006721;QN05103M\nRES-B;2000416;\n")
    frame = import_paths(db, [path]).problems.frame()
    hint = "(un tableur a-t-il supprimé le zéro initial ? Formatez la colonne en texte)"
    assert frame["probleme"].tolist() == [
        f"format invalide : attendu un SIREN d'EPCI à 9 chiffres {hint}",
        f"format invalide : attendu un SIREN d'EPCI à 9 chiffres {hint}"]


def test_workbook_formula_errors_and_serial_dates(db, tmp_path):
    path = _workbook(tmp_path / "lot.xlsx", {
        "liberations": [[], ["liberation_id", "logement_id", "date_liberation"],
                        ["LIB-8", "5100000001", 45292], ["LIB-9", None, 45300]]},
        [("liberations", 3, 1, "=VLOOKUP(1,A1:A2,2,0)", "#REF!")])
    frame = import_paths(db, [path]).problems.frame()
    err = frame[frame["niveau"] == "ERREUR"].iloc[0]
    assert (err["fichier"], err["ligne"], err["colonne"], err["valeur"]) == (
        "« lot.xlsx », feuille « liberations »", 4, "logement_id", "#REF!")
    assert (frame["niveau"] == "ERREUR").sum() == 1
    assert frame["probleme"].str.contains("lue comme 01/01/2024").any()


def test_excel_unicode_text_keeps_accents(empty_db, tmp_path):
    text = "reservataire_id\tnom\ttype\r\nCOM-1\tSaint-Rémi-en-l'Œil\tCOMMUNE\r\n"
    path = _write(tmp_path / "export.txt", text.encode("utf-16"))
    assert import_paths(empty_db, [path]).ok
    assert empty_db.scalar("select nom from reservataire") == "Saint-Rémi-en-l'Œil"


CLI = {
    "octets_aleatoires_csv": "format non reconnu",
    "xlsx_chiffre": "classeur protégé par mot de passe",
    "trop_volumineux": "fichier trop volumineux",
}


@pytest.mark.parametrize("case", CLI)
def test_cli_refuses_bad_files_in_french(tmp_path, monkeypatch, capsys, case):
    db_path = tmp_path / "cli.duckdb"
    assert main(["import", "--db", str(db_path), *map(str, sorted(FIXTURES.glob("*.csv")))]) == 0
    base = Database(db_path)
    before = checksums(base)
    base.close()
    capsys.readouterr()
    path = BAD[case][0](tmp_path, monkeypatch)
    assert main(["import", "--db", str(db_path), str(path)]) != 0
    out = capsys.readouterr()
    assert CLI[case] in out.err and "Import refusé" in out.out
    assert "Traceback" not in out.err + out.out
    base = Database(db_path)
    assert checksums(base) == before
    base.close()


def test_calamine_reads_blank_rows_above_the_header(empty_db, tmp_path):
    path = _workbook(tmp_path / "reservataires.xlsx", {"reservataire": [
        [], [], ["reservataire_id", "nom", "type"], ["COM-1", "Ville", "COMMUNE"]]})
    result = import_paths(empty_db, [path])
    assert result.ok, result.problems.text()
    assert empty_db.scalar("select reservataire_id from reservataire") == "COM-1"
