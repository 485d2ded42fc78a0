"""python -m fluxcore sne rapprocher: the text, CSV and JSON outputs carry the figures of
fluxcore.sne on the same base (the reconciliation itself is tested by hand-built cases
elsewhere), the workbooks open, and every mistake gets a French message and exit code 2."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys
import zipfile

import openpyxl
import pandas as pd
import pytest

from fluxcore import sne
from fluxcore.__main__ import SNE_ECARTS_MAX, main
from fluxcore.db import Database
from fluxcore.formats import fmt_pct
from fluxcore.perimetre import Perimetre

ANNEE = 2025     # a whole year of the demo (reference date 23/11/2026)
FEUILLES = ["Synthèse", "Écarts", "Toutes les lignes"]


@pytest.fixture(scope="module")
def base(demo_path, tmp_path_factory):
    """A copy of the demo: the CLI opens it read-only, apart from the session's connection."""
    path = tmp_path_factory.mktemp("sne_cli") / "demo.duckdb"
    shutil.copy(demo_path, path)
    return path


@pytest.fixture(scope="module")
def attendu(base):
    """fluxcore.sne on the same base: the whole patrimoine and the Marne."""
    db = Database(base, read_only=True)
    try:
        yield {None: sne.rapprocher(db, Perimetre(ANNEE)),
               "51": sne.rapprocher(db, Perimetre(ANNEE, departement="51"))}
    finally:
        db.close()


def _run(capsys, *args) -> tuple[int, str, str]:
    rc = main(["sne", "rapprocher", *args])
    out = capsys.readouterr()
    return rc, out.out, out.err


def _sans_espaces_fines(text: str) -> str:
    return text.replace("\u202f", " ")


def test_texte_summary_table_and_discrepancies(base, attendu, capsys):
    r = attendu[None]
    assert len(r.lignes) > 0 and len(r.ecarts) > SNE_ECARTS_MAX   # the demo has its errors
    rc, out, err = _run(capsys, "--db", str(base), "--annee", str(ANNEE))
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[0] == (f"Rapprochement SNE {ANNEE} — Tout le patrimoine — tolérance sur les "
                        f"dates : {r.tolerance} jours")
    conformes = int((r.lignes["statut"] == "CONFORME").sum())
    assert (f"Concordance : {_sans_espaces_fines(fmt_pct(r.concordance_pct, 1))} "
            f"({conformes} lignes concordantes sur {len(r.lignes)})") in lines
    # every statut, in the order of sne.STATUTS, with its count
    start = lines.index("Lignes par statut :") + 1
    shown = [re.match(r"  (.+?)\s+(\d+)$", x).groups()
             for x in lines[start:start + len(r.synthese)]]
    assert shown == [(x.libelle, str(x.lignes)) for x in r.synthese.itertuples()]
    # the per-réservataire table: bailleur / SNE / écart / concordantes / à corriger
    start = lines.index("Attributions par réservataire :") + 2
    rows = lines[start:start + len(r.par_reservataire)]
    for row, x in zip(rows, r.par_reservataire.itertuples()):
        assert row.startswith("  " + x.libelle[:57]), row
        nums = row[2 + 58:].split()
        assert [int(n) for n in nums] == [x.selon_bailleur, x.selon_sne, x.ecart, x.concordantes,
                                          x.a_corriger], row
    # the discrepancies: label and correction, limited, with a note saying where the rest is
    start = lines.index(f"Écarts à corriger ({len(r.ecarts)} lignes) :") + 1
    listed = [x for x in lines[start:] if x.startswith("  [")]
    assert len(listed) == SNE_ECARTS_MAX
    for x, row in zip(listed, r.ecarts.head(SNE_ECARTS_MAX).to_dict("records")):
        assert x.startswith(f"  [{sne.STATUTS[row['statut']][0]}] ")
        assert x.endswith(" — " + _sans_espaces_fines(row["correction"]))
    assert lines[-1] == (f"  … et {len(r.ecarts) - SNE_ECARTS_MAX} autres lignes : la liste "
                         "complète est dans --format csv, --xlsx ou --zip.")


def test_csv_holds_every_line_with_french_headers(base, attendu, capsys, tmp_path):
    r = attendu[None]
    rc, out, err = _run(capsys, "--db", str(base), "--annee", str(ANNEE), "--format", "csv")
    assert rc == 0, err
    assert out.startswith("\ufeff")     # standard output not a terminal: BOM, as `jauges`
    df = pd.read_csv(io.StringIO(out[1:]), sep=";", dtype=str, keep_default_na=False)
    assert list(df.columns) == list(sne.COLONNES_EXPORT.values())
    assert len(df) == len(r.lignes)
    counts = df["Écart"].value_counts().to_dict()
    assert counts == {x.libelle: x.lignes for x in r.synthese.itertuples() if x.lignes}
    expected = sne.lignes_export(r)
    assert df["Numéro unique (SNE)"].tolist() == expected["Numéro unique (SNE)"].fillna(
        "").tolist()
    assert df["Correction à faire"].tolist() == expected["Correction à faire"].tolist()
    assert all(re.fullmatch(r"(\d{4}-\d{2}-\d{2})?", d) for d in df["Bail (outil)"])
    # --sortie: the same lines in a file Excel reads (UTF-8 with BOM), a note on screen
    path = tmp_path / "sne.csv"
    rc, out2, _ = _run(capsys, "--db", str(base), "--annee", str(ANNEE), "--format", "csv",
                       "--sortie", str(path))
    assert rc == 0 and out2 == f"Rapprochement écrit : « {path} ».\n"
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert path.read_bytes() == out.encode("utf-8")          # what `> sne.csv` writes


def test_json_carries_the_figures_of_a_departement(base, attendu, capsys):
    r = attendu["51"]
    rc, out, err = _run(capsys, "--db", str(base), "--annee", str(ANNEE), "--departement", "51",
                        "--format", "json")
    assert rc == 0, err
    data = json.loads(out)
    assert set(data) >= {"annee", "perimetre", "tolerance_jours", "synthese",
                         "par_reservataire", "lignes"}
    assert data["annee"] == ANNEE and data["tolerance_jours"] == r.tolerance
    assert data["perimetre"]["departement"] == "51"
    assert data["perimetre"]["epci_siren"] is None and data["perimetre"]["libelle"] == "Marne (51)"
    assert data["concordance_pct"] == pytest.approx(r.concordance_pct, abs=0.01)
    assert data["synthese"] == r.synthese.to_dict("records")
    assert data["par_reservataire"] == r.par_reservataire.to_dict("records")
    assert len(data["lignes"]) == len(r.lignes)
    assert [x["statut"] for x in data["lignes"]] == r.lignes["statut"].tolist()
    assert {x["departement"] for x in data["lignes"]} == {"51"}
    for x in data["lignes"]:
        for key in ("date_radiation", "date_outil"):
            assert x[key] is None or re.fullmatch(r"\d{4}-\d{2}-\d{2}", x[key]), x
        assert x["ecart_jours"] is None or isinstance(x["ecart_jours"], int)
        assert x["dalo_sne"] in (None, True, False)
    first = r.lignes.iloc[0]
    assert data["lignes"][0]["date_radiation"] == (
        None if pd.isna(first["date_radiation"]) else first["date_radiation"].date().isoformat())
    # the whole patrimoine holds more lines than the Marne
    assert len(attendu[None].lignes) > len(r.lignes)


def test_workbook_and_zip_open_with_their_sheets(base, attendu, capsys, tmp_path):
    r = attendu[None]
    xlsx = tmp_path / "sne.xlsx"
    rc, out, err = _run(capsys, "--db", str(base), "--annee", str(ANNEE), "--format", "csv",
                        "--xlsx", str(xlsx))
    assert rc == 0
    assert out.startswith("\ufeffÉcart;")     # stdout stays pure CSV: the note goes to stderr
    assert err == f"Classeur écrit : « {xlsx} ».\n"
    wb = openpyxl.load_workbook(xlsx, read_only=True)
    assert wb.sheetnames == FEUILLES
    assert wb["Écarts"].max_row == len(r.ecarts) + 1
    assert wb["Toutes les lignes"].max_row == len(r.lignes) + 1
    assert str(ANNEE) in wb["Synthèse"]["A1"].value
    wb.close()

    archive = tmp_path / "sne.zip"
    rc, out, _ = _run(capsys, "--db", str(base), "--annee", str(ANNEE), "--zip", str(archive))
    assert rc == 0 and out.splitlines()[-1].startswith(f"Archive écrite : « {archive} »")
    with zipfile.ZipFile(archive) as z:
        names = z.namelist()
        assert len(names) == len(r.par_reservataire) + 1
        assert f"rapprochement_sne_{ANNEE}_complet.xlsx" in names
        assert f"rapprochement_sne_{ANNEE}_Action_Logement_Services.xlsx" in names
        for name in names:
            wb = openpyxl.load_workbook(io.BytesIO(z.read(name)), read_only=True)
            assert wb.sheetnames == FEUILLES, name
            wb.close()


def test_mistakes_are_explained_in_french(base, capsys, tmp_path):
    args = ["--db", str(base), "--annee", str(ANNEE)]
    rc, out, err = _run(capsys, *args, "--departement", "99")
    assert rc == 2 and out == ""
    assert err == "Erreur : Département « 99 » inconnu du code officiel géographique 2026.\n"
    rc, _, err = _run(capsys, *args, "--departement", "75")
    assert rc == 2 and "Département « 75 » (Paris) : aucune résidence du patrimoine" in err
    assert "départements du patrimoine : 08, 10, 51, 52" in err
    rc, _, err = _run(capsys, *args, "--epci", "123456789")
    assert rc == 2 and "EPCI « 123456789 » inconnu" in err
    rc, _, err = _run(capsys, *args, "--commune", "99999")
    assert rc == 2 and "Commune « 99999 » inconnue" in err
    rc, _, err = _run(capsys, "--db", str(base), "--annee", "2031")
    assert rc == 2 and err.startswith("Erreur : Aucune radiation SNE importée pour 2031 : "
                                      "rapprochement non fait.")
    assert "python -m fluxcore import" in err
    rc, _, err = _run(capsys, *args, "--xlsx", str(tmp_path / "absent" / "x.xlsx"))
    assert rc == 2 and "Impossible d'écrire" in err and "le dossier n'existe pas" in err
    # `sne` alone, or an unknown action: the usage, in French
    assert main(["sne"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Erreur : indiquez l'action de la commande « sne ».\nUsage : python "
                          "-m fluxcore sne rapprocher --db FICHIER --annee AAAA")
    assert "rapprocher" in err and "python -m fluxcore import" in err
    assert main(["sne", "corriger", "--db", str(base)]) == 2
    assert "action « corriger » inconnue" in capsys.readouterr().err


def test_as_a_user_runs_it(base):
    """In a separate process: exit codes, no traceback, the help names the import."""
    def run(*args):
        return subprocess.run([sys.executable, "-m", "fluxcore", *args], capture_output=True,
                              text=True, timeout=600)

    out = run("sne", "rapprocher", "--db", str(base), "--annee", str(ANNEE), "--epci",
              "200067213")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(f"Rapprochement SNE {ANNEE} — CU du Grand Reims (200067213)")
    bad = run("sne", "rapprocher", "--db", str(base), "--annee", str(ANNEE), "--departement",
              "99")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "Département « 99 » inconnu" in bad.stderr
    usage = run("sne")
    assert usage.returncode == 2 and "Traceback" not in usage.stderr and "Usage :" in usage.stderr
    aide = run("sne", "rapprocher", "--help")
    assert aide.returncode == 0 and "reconnu à ses en-têtes" in aide.stdout
