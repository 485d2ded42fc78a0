"""Heavy work within bounds (issue 27): FLUX_MEMOIRE, FLUX_TEMP, FLUX_TEMP_MAX and FLUX_THREADS
applied to every connection; a big import under a tight bound spills to disk and succeeds, or,
where even that cannot work, fails with a French message and nothing written."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from fluxcore import fichier
from fluxcore.db import CONTRACT_TABLES, Database, row_counts
from fluxcore.errors import MemoireInsuffisanteError, ReglageError
from fluxcore.imports import import_paths

RACINE = Path(__file__).resolve().parent.parent
LOGEMENTS = 100_000      # ~4 MB of CSV: spills under 56MB, cannot finish under 12MB (nor 20MB)


def _fichiers(dossier: Path, n: int = LOGEMENTS) -> list[Path]:
    """200 résidences and `n` logements, as a bailleur's export would give them."""
    res = dossier / "residences.csv"
    res.write_text("residence_id;nom;commune_insee\n"
                   + "".join(f"R{i:04d};Résidence {i};51454\n" for i in range(200)),
                   encoding="utf-8")
    log = dossier / "logements.csv"
    with open(log, "w", encoding="utf-8") as f:
        f.write("logement_id;residence_id;typologie;financement;surface_m2;loyer_mensuel\n")
        for i in range(n):
            f.write(f"L{i:08d};R{i % 200:04d};T{1 + i % 5};PLUS;{40 + i % 60},5;"
                    f"{300 + i % 400},10\n")
    return [res, log]


@pytest.fixture
def base(tmp_path, empty_template):
    path = tmp_path / "base.duckdb"
    shutil.copyfile(empty_template, path)
    return path


def _comptes(db: Database) -> dict[str, int]:
    return dict(row_counts(db).itertuples(index=False))


def test_big_import_spills_to_flux_temp_and_succeeds(base, tmp_path, monkeypatch):
    temp = tmp_path / "debordement"
    monkeypatch.setenv("FLUX_MEMOIRE", "56MB")
    monkeypatch.setenv("FLUX_THREADS", "1")
    monkeypatch.setenv("FLUX_TEMP", str(temp))
    db = Database(base)
    try:
        assert db.scalar("select current_setting('memory_limit')") == "53.4 MiB"
        assert db.scalar("select current_setting('threads')") == 1
        dossier = temp / "base.duckdb.tmp"
        assert db.scalar("select current_setting('temp_directory')") == str(dossier)
        assert stat.S_IMODE(dossier.stat().st_mode) == 0o700
        deborde = []

        def etape(_fraction, message):     # what lies in FLUX_TEMP at each step
            deborde.append(len(list(dossier.iterdir())))

        result = import_paths(db, _fichiers(tmp_path), actor="test", progress=etape)
        assert result.applied, result.problems.text()
        assert max(deborde) > 0             # spilled to disk during the import
        assert db.scalar("select count(*) from logement") == LOGEMENTS
        assert db.scalar("select count(*) from residence") == 200
        assert db.scalar("select count(*) from import_batch") == 2
    finally:
        db.close()


def test_big_import_that_cannot_finish_says_so_and_writes_nothing(base, tmp_path, monkeypatch):
    monkeypatch.setenv("FLUX_MEMOIRE", "12MB")
    db = Database(base)
    try:
        avant = _comptes(db)
        with pytest.raises(MemoireInsuffisanteError) as err:
            import_paths(db, _fichiers(tmp_path), actor="test")
        assert str(err.value) == (
            "Mémoire insuffisante pendant l'import de « logements.csv » : le fichier n'est pas "
            "en cause et la base n'a pas été modifiée. Augmentez la mémoire permise à DuckDB "
            "(variable FLUX_MEMOIRE, ex. 4GB) ou libérez de la mémoire sur le serveur, puis "
            "relancez l'import ; ou découpez le fichier (OutOfMemoryException).")
        assert _comptes(db) == avant
        assert avant["import_batch"] == 0 and avant["logement"] == 0
        assert set(avant) == set(CONTRACT_TABLES)
    finally:
        db.close()


def test_full_spill_folder_is_said_as_such(base, tmp_path, monkeypatch):
    monkeypatch.setenv("FLUX_MEMOIRE", "56MB")
    monkeypatch.setenv("FLUX_THREADS", "1")
    monkeypatch.setenv("FLUX_TEMP_MAX", "1MB")
    db = Database(base)
    try:
        with pytest.raises(MemoireInsuffisanteError, match=(
                r"^Mémoire insuffisante pour l'écriture « importer » : libérez de la place sur "
                r"le disque du dossier temporaire \(variable FLUX_TEMP\) ou relevez sa taille "
                r"permise \(FLUX_TEMP_MAX\), puis relancez ; rien n'a été écrit")):
            import_paths(db, _fichiers(tmp_path), actor="test")
        assert db.scalar("select count(*) from logement") == 0
        assert db.scalar("select count(*) from import_batch") == 0
    finally:
        db.close()


def test_cli_import_under_tiny_memory_exits_2_in_french(base, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLUX_")}
    env.update(FLUX_MEMOIRE="12MB", FLUX_UTILISATEURS="aucun")
    run = subprocess.run([sys.executable, "-m", "fluxcore", "import", "--db", str(base),
                          *map(str, _fichiers(tmp_path))],
                         cwd=RACINE, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 2, run.stderr
    assert run.stderr.startswith("Erreur : Mémoire insuffisante pendant l'import de « "
                                 "logements.csv » : le fichier n'est pas en cause")
    assert "(variable FLUX_MEMOIRE, ex. 4GB)" in run.stderr
    assert "Traceback" not in run.stderr
    db = Database(base, read_only=True)
    try:
        assert db.scalar("select count(*) from logement") == 0
        assert db.scalar("select count(*) from import_batch") == 0
    finally:
        db.close()


def test_a_read_out_of_memory_is_said_in_french(tmp_path, monkeypatch):
    monkeypatch.setenv("FLUX_MEMOIRE", "8MB")
    db = Database(":memory:", migrate=False)
    try:
        with pytest.raises(MemoireInsuffisanteError, match=(
                r"^Mémoire insuffisante pour cette lecture : augmentez la mémoire permise à "
                r"DuckDB \(variable FLUX_MEMOIRE, ex\. 4GB\) ou libérez de la mémoire sur le "
                r"serveur, puis relancez \(OutOfMemoryException\)\.$")):
            db.df("select list(i) from range(5000000) r(i)")
    finally:
        db.close()


# -- the settings ---------------------------------------------------------------------------
def test_defaults_sixty_percent_and_spill_folder_beside_the_base(base, monkeypatch):
    db = Database(base)
    try:
        r = fichier.reglages(str(base))
        assert r.memoire == fichier.memoire_visible() * 60 // 100
        assert r.temp == base.parent / "base.duckdb.tmp" and r.temp_max is None
        assert r.threads is None
        assert db.scalar("select current_setting('temp_directory')") == str(r.temp)
        assert stat.S_IMODE(r.temp.stat().st_mode) == 0o700
    finally:
        db.close()


@pytest.mark.parametrize(("texte", "octets"), [
    ("2GB", 2 * 10**9), ("512 Mo", 512 * 10**6), ("1,5 GiB", 3 * 2**29), ("4 go", 4 * 10**9),
    ("300000000", 300_000_000)])
def test_readable_sizes(monkeypatch, texte, octets):
    monkeypatch.setenv("FLUX_MEMOIRE", texte)
    assert fichier.reglages("x.duckdb").memoire == octets


def test_percentage_of_visible_memory(monkeypatch):
    monkeypatch.setenv("FLUX_MEMOIRE", "25%")
    assert fichier.reglages("x.duckdb").memoire == fichier.memoire_visible() // 4


@pytest.mark.parametrize(("variable", "valeur", "attendu"), [
    ("FLUX_MEMOIRE", "beaucoup", "une taille comme 2GB, 512MB, 4 Go ou 60%"),
    ("FLUX_MEMOIRE", "2 GX", "une taille comme 2GB, 512MB, 4 Go ou 60%"),
    ("FLUX_MEMOIRE", "1MB", "au moins 8MB ; 1GB ou plus pour un import"),
    ("FLUX_MEMOIRE", "0%", "un pourcentage entre 1 % et 100 %"),
    ("FLUX_MEMOIRE", "150%", "un pourcentage entre 1 % et 100 %"),
    ("FLUX_TEMP_MAX", "vingt", "une taille comme 20GB ou 500 Go"),
    ("FLUX_THREADS", "0", "un nombre entier de 1 à 1024"),
    ("FLUX_THREADS", "deux", "un nombre entier de 1 à 1024"),
])
def test_unreadable_settings_are_refused_in_french(base, monkeypatch, variable, valeur,
                                                   attendu):
    monkeypatch.setenv(variable, valeur)
    with pytest.raises(ReglageError) as err:
        Database(base)
    assert str(err.value) == (
        f"Réglage {variable} illisible : « {valeur} » (attendu {attendu}). Corrigez la "
        f"variable d'environnement {variable} du serveur, ou retirez-la pour la valeur par "
        "défaut.")


def test_flux_temp_that_is_a_file_is_refused(base, tmp_path, monkeypatch):
    fichier_ordinaire = tmp_path / "pas-un-dossier"
    fichier_ordinaire.write_text("x")
    monkeypatch.setenv("FLUX_TEMP", str(fichier_ordinaire))
    with pytest.raises(ReglageError, match=r"^Réglage FLUX_TEMP illisible : .* \(attendu un "
                                           r"dossier\)"):
        Database(base)


def test_cli_refuses_an_unreadable_setting(base):
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLUX_")}
    env.update(FLUX_MEMOIRE="deux gigas", FLUX_UTILISATEURS="aucun")
    run = subprocess.run([sys.executable, "-m", "fluxcore", "info", "--db", str(base)],
                         cwd=RACINE, env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert run.stderr == ("Erreur : Réglage FLUX_MEMOIRE illisible : « deux gigas » (attendu "
                          "une taille comme 2GB, 512MB, 4 Go ou 60%). Corrigez la variable "
                          "d'environnement FLUX_MEMOIRE du serveur, ou retirez-la pour la "
                          "valeur par défaut.\n")
