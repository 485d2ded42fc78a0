"""Issue 26, point 4 : tout CSV que l'outil écrit s'ouvre tel quel dans Excel en français
(séparateur `;`, UTF-8 avec BOM, virgule décimale, oui/non, dates ISO), l'import le relit, et
la ligne de commande se tait quand son lecteur ferme le tuyau (`… | head -1`)."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import sys
import zipfile
from datetime import date, datetime

import pandas as pd
import pytest

from fluxcore.__main__ import FRAGILITE_COLONNES, JAUGES_COLONNES, OBJECTIFS_COLONNES, main
from fluxcore.db import Database, table_checksum
from fluxcore.imports.spec import SPECS
from fluxcore.neutralisation import BOM, csv_octets, octets
from fluxcore.neutralisation import csv as csv_excel
from tests import factory

BOM8 = b"\xef\xbb\xbf"
DATE = ["--date", "2026-11-23"]


@pytest.fixture(scope="module")
def base_demo(demo_path, tmp_path_factory):
    """A copy of the demo base for the command line (in this process and in subprocesses):
    the session's demo connection of this worker opens the original with another
    configuration."""
    copie = tmp_path_factory.mktemp("csv_excel") / "demo.duckdb"
    shutil.copyfile(demo_path, copie)
    return copie


def _lignes(texte: str) -> list[list[str]]:
    assert texte.startswith(BOM), texte[:40]
    return list(csv.reader(io.StringIO(texte[1:], newline=""), delimiter=";"))


def _colonne(lignes: list[list[str]], nom: str) -> list[str]:
    j = lignes[0].index(nom)
    return [r[j] for r in lignes[1:]]


# ---------------------------------------------------------------- the one home

def test_bytes_for_french_excel():
    df = pd.DataFrame({
        "nom": ["classé", "=1+1", None, "-12"],
        "x": [1.5, 0.1 + 0.2, None, -2.0],
        "ok": [True, False, True, False],
        "peut_etre": pd.array([True, None, False, True], dtype="boolean"),
        "n": [1, 2, 3, -4],
        "jour": pd.to_datetime(["2026-01-02", None, "2026-11-23", "2026-12-31"]),
        "mixte": [date(2026, 3, 4), None, True, 2.5]})
    assert csv_octets(df) == (
        b"\xef\xbb\xbfnom;x;ok;peut_etre;n;jour;mixte\n"
        b"class\xc3\xa9;1,5;oui;oui;1;2026-01-02;2026-03-04\n"
        b"'=1+1;0,3;non;;2;;\n"
        b";;oui;non;3;2026-11-23;oui\n"
        b"'-12;-2,0;non;oui;-4;2026-12-31;2,5\n")


def test_a_file_holds_the_same_bytes_and_the_text_has_no_bom(tmp_path):
    df = pd.DataFrame({"commune": ["Épernay"], "taux": [0.25], "en_qpv": [True]})
    path = tmp_path / "x.csv"
    assert csv_excel(df, path) is None
    assert path.read_bytes() == csv_octets(df) == (
        BOM8 + "commune;taux;en_qpv\nÉpernay;0,25;oui\n".encode())
    texte = csv_excel(df)
    assert not texte.startswith(BOM)
    assert octets(texte) == octets(BOM + texte) == csv_octets(df)      # one BOM, never two


def test_no_float_noise_and_times():
    df = pd.DataFrame({"v": [0.1 + 0.2, 1 / 3, 59.0, 1e20, -2.5e-7, float("nan")],
                       "t": pd.to_datetime(["2026-11-23 14:05:09.5", "2026-11-23", None, None,
                                            None, None], format="mixed"),
                       "o": [datetime(2026, 1, 2, 8, 30), datetime(2026, 1, 2), None, None,
                             None, None]})
    assert csv_excel(df).splitlines() == [
        "v;t;o", "0,3;2026-11-23 14:05:09;2026-01-02 08:30:00",
        "0,333333333333333;2026-11-23 00:00:00;2026-01-02 00:00:00", "59,0;;", "1e+20;;",
        "-2,5e-07;;", ";;"]
    jours = pd.DataFrame({"d": pd.to_datetime(["2026-11-23", None]), "o": [date(2026, 1, 2), 3]})
    assert csv_excel(jours) == "d;o\n2026-11-23;2026-01-02\n;3\n"     # no time at midnight


def test_injection_still_neutralised_and_a_carriage_return_gives_crlf():
    df = pd.DataFrame({"nom": ["\r=1", "@SUM(A1)", "+33 1 23"], "=col": [-1.5, 2.0, None]})
    assert csv_octets(df) == (BOM8 + b"nom;'=col\r\n\"'\r=1\";-1,5\r\n'@SUM(A1);2,0\r\n"
                              b"'+33 1 23;\r\n")


# ---------------------------------------------------------------- the importer reads it

def test_canonical_export_is_french_excel_and_imports_back_identical(small_db, tmp_path):
    from fluxcore.exports import export_tables
    from fluxcore.imports import import_paths

    export_tables(small_db, tmp_path / "export")
    files = sorted((tmp_path / "export").glob("*.csv"))
    assert {f.stem for f in files} == set(SPECS)
    for f in files:
        assert f.read_bytes().startswith(BOM8), f.name
    logements = _lignes((tmp_path / "export" / "logement.csv").read_text(encoding="utf-8"))
    assert set(_colonne(logements, "surface_m2")) == {"60,0"}
    assert set(_colonne(logements, "ascenseur")) == {"non"}
    assert set(_colonne(logements, "date_mise_en_service")) == {"1970-06-01"}
    residences = _lignes((tmp_path / "export" / "residence.csv").read_text(encoding="utf-8"))
    assert _colonne(residences, "en_qpv") == ["oui", "non", "non"]
    assert _colonne(residences, "latitude") == ["49,25", "49,25", "48,29"]
    back = Database(tmp_path / "retour.duckdb")
    try:
        result = import_paths(back, files)
        assert result.ok, result.problems.text()
        # (the importer recomputes a résidence's QPV from its coordinates, which this
        # hand-built base does not follow; the demo's identity: tests/test_imports.py)
        for table in SPECS:
            if table not in ("parametre", "residence"):
                assert table_checksum(back, table) == table_checksum(small_db, table), table
    finally:
        back.close()


def test_what_csv_writes_is_imported(empty_db, tmp_path):
    from fluxcore.imports import import_paths

    res = tmp_path / "residence.csv"
    csv_excel(pd.DataFrame({
        "residence_id": ["R1"], "nom": ["=Les Tilleuls"], "commune_insee": ["51454"],
        "epci_siren": ["200067213"], "departement": ["51"], "en_qpv": [False],
        "latitude": [49.2583], "longitude": [4.0317], "annee_construction": [1970]}), res)
    log = tmp_path / "logement.csv"
    csv_excel(pd.DataFrame({
        "logement_id": ["L1"], "residence_id": ["R1"], "typologie": ["T3"], "nb_pieces": [3],
        "surface_m2": [65.5], "financement": ["PLUS"], "loyer_mensuel": [0.1 + 0.2],
        "ascenseur": [True], "accessible_pmr": [False],
        "date_mise_en_service": [date(1975, 9, 1)]}), log)
    result = import_paths(empty_db, [res, log])
    assert result.ok, result.problems.text()
    assert empty_db.df("select nom, en_qpv, latitude from residence").values.tolist() == [
        ["=Les Tilleuls", False, 49.2583]]
    assert empty_db.df("select surface_m2, loyer_mensuel, ascenseur, accessible_pmr, "
                       "date_mise_en_service from logement").values.tolist() == [
        [65.5, 0.3, True, False, pd.Timestamp(1975, 9, 1)]]


# ---------------------------------------------------------------- every CSV of the command line

def _stdout(capsys, *args) -> str:
    assert main(list(args)) == 0, capsys.readouterr().err
    return capsys.readouterr().out


def test_cli_jauges(base_demo, capsys):
    lignes = _lignes(_stdout(capsys, "jauges", "--db", str(base_demo), "--annee", "2026", *DATE,
                             "--format", "csv"))
    assert lignes[0] == JAUGES_COLONNES
    assert any("," in v for v in _colonne(lignes, "taux"))      # decimal comma
    assert not any("." in v for r in lignes[1:] for v in r[3:])


def test_cli_objectifs(base_demo, capsys):
    lignes = _lignes(_stdout(capsys, "objectifs", "--db", str(base_demo), "--annee", "2026",
                             *DATE, "--format", "csv"))
    assert lignes[0] == OBJECTIFS_COLONNES and len(lignes) > 1
    assert all("." not in v for v in _colonne(lignes, "pct"))


def test_cli_fragilite(base_demo, capsys):
    lignes = _lignes(_stdout(capsys, "fragilite", "--db", str(base_demo), *DATE))
    assert lignes[0][:len(FRAGILITE_COLONNES)] == FRAGILITE_COLONNES
    assert set(_colonne(lignes, "en_qpv")) == {"oui", "non"}      # never True/False
    assert all("." not in v for v in _colonne(lignes, "indice"))


def test_cli_coter_scores_position_and_candidates(base_demo, capsys):
    base = ["coter", "--db", str(base_demo), *DATE]
    scores = _lignes(_stdout(capsys, *base))
    assert scores[0][:3] == ["demande_id", "epci_siren", "version"]
    assert all(len(d) == 10 and d[4] == "-" for d in _colonne(scores, "date_depot"))  # ISO
    assert all("," in s for s in _colonne(scores, "score") if s)
    position = _lignes(_stdout(capsys, *base, "--demande", scores[1][0]))
    assert position[-1][:2] == ["TOTAL", "Score"] and "," in position[-1][-1]
    liberation = Database(base_demo, read_only=True)
    try:
        lib = liberation.scalar("select max(liberation_id) from liberation")
    finally:
        liberation.close()
    candidats = _lignes(_stdout(capsys, *base, "--logement", lib))
    assert candidats[0][:2] == ["rang", "demande_id"] and len(candidats) > 1
    for c in ("ok_taille", "eligible", "dalo"):
        assert set(_colonne(candidats, c)) <= {"oui", "non", ""}, c


def test_cli_sne_stdout_and_sortie_are_the_same_bytes(base_demo, capsys, tmp_path):
    args = ["sne", "rapprocher", "--db", str(base_demo), "--annee", "2025", "--format", "csv"]
    out = _stdout(capsys, *args)
    lignes = _lignes(out)
    assert lignes[0][0] == "Écart" and len(lignes) > 1
    assert set(_colonne(lignes, "DALO (SNE)")) <= {"oui", "non", ""}
    path = tmp_path / "sne.csv"
    _stdout(capsys, *args, "--sortie", str(path))
    assert path.read_bytes() == out.encode("utf-8")


def test_cli_import_report(tmp_path, capsys):
    bad = tmp_path / "logement.csv"
    bad.write_text("logement_id;residence_id;typologie;financement;surface_m2\n"
                   "X1;RES-Z;T3;PLUS;=1+1\n", encoding="utf-8")
    rapport = tmp_path / "rapport.csv"
    assert main(["import", "--db", str(tmp_path / "vide.duckdb"), str(bad), "--controle",
                 "--rapport", str(rapport)]) == 1
    capsys.readouterr()
    data = rapport.read_bytes()
    assert data.startswith(BOM8 + b"niveau;fichier;ligne;colonne;valeur;probleme\n")
    assert b";2;surface_m2;'=1+1;" in data           # the line as a number, the value neutralised


def test_cli_export_and_modeles(tmp_path, capsys):
    path = str(tmp_path / "petite.duckdb")
    factory.small_year(Database(path)).close()
    assert main(["export", "--db", path, "--out", str(tmp_path / "exp")]) == 0
    assert main(["modeles", "--db", path, "--out", str(tmp_path / "mod")]) == 0
    capsys.readouterr()
    reservataires = (tmp_path / "exp" / "reservataire.csv").read_bytes()
    assert reservataires.startswith(BOM8 + b"reservataire_id;nom;type;")
    assert _colonne(_lignes(reservataires.decode()), "repris_par_prefet") == ["non", "non"]
    with zipfile.ZipFile(tmp_path / "mod" / "modeles_import.zip") as z:
        assert sorted(z.namelist()) == sorted([f"{t}.csv" for t in SPECS] + ["LISEZMOI.csv"])
        assert z.read("reservataire.csv") == reservataires.split(b"\n")[0] + b"\n"
        lisezmoi = _lignes(z.read("LISEZMOI.csv").decode())
    assert lisezmoi[0] == ["table", "colonne", "obligatoire", "regle", "source"]
    assert {"oui", "non"} == set(_colonne(lisezmoi, "obligatoire"))


def test_journal_and_bilan_statistics_bytes():
    from fluxcore.journal import journal_csv

    df = pd.DataFrame({"horodatage": pd.to_datetime(["2026-11-23 09:15:00"]),
                       "utilisateur": ["@zoe"], "action": ["Paramètre modifié"],
                       "table": ["Paramètres"], "element": ["x"], "details": ["ok"]})
    assert journal_csv(df) == (BOM8 + "Date et heure;Utilisateur;Action;Table;Élément;Détails\n"
                               "2026-11-23 09:15:00;'@zoe;Paramètre modifié;Paramètres;x;ok\n"
                               .encode())


def test_a_terminal_gets_no_bom(base_demo, monkeypatch):
    class Terminal(io.TextIOWrapper):
        def isatty(self) -> bool:
            return True

    raw = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", Terminal(raw, encoding="utf-8", newline=""))
    assert main(["jauges", "--db", str(base_demo), "--annee", "2026", *DATE,
                 "--format", "csv"]) == 0
    assert raw.getvalue().startswith(b"reservataire_id;nom;")


# ---------------------------------------------------------------- a reader that closes the pipe

@pytest.mark.parametrize("args", [
    ["coter", "--db", "{db}", *DATE],                                            # 110 ko
    ["jauges", "--db", "{db}", "--annee", "2026", *DATE, "--format", "csv"],
    ["jauges", "--db", "{db}", "--annee", "2026", *DATE],                        # print()
    ["sne", "rapprocher", "--db", "{db}", "--annee", "2025"],
    ["info", "--db", "{db}"],
    ["--help"],
], ids=["coter-csv", "jauges-csv", "jauges-texte", "sne-texte", "info", "aide"])
def test_closed_pipe_ends_quietly(base_demo, args):
    cmd = [sys.executable, "-m", "fluxcore", *(a.format(db=base_demo) for a in args)]
    for lire in (False, True):            # closed before any output, or after one line
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if lire:
            assert p.stdout.readline()
        p.stdout.close()
        err = p.stderr.read().decode()
        p.stderr.close()
        rc = p.wait(timeout=600)
        assert err == "", err                     # no traceback, no « Exception ignored »
        assert rc in (0, 141), (rc, lire)
        if args[0] != "--help" and not lire:      # argparse swallows the error of --help
            assert rc == 141
        if args[0] == "coter" and lire:           # more than the pipe holds: cut for sure
            assert rc == 141
