"""Version of the application and of a base's schema (issue 27): pyproject's version, the git
commit when there is one, the last migration applied against the code's."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from fluxcore import version
from fluxcore.db import Database, list_migrations

RACINE = Path(__file__).resolve().parent.parent
MIGRATIONS = sorted((RACINE / "fluxcore" / "sql" / "migrations").glob("[0-9][0-9][0-9]_*.sql"))

DERNIERE = list_migrations()[-1][0]      # the schema version this code expects


def test_application_version_is_pyproject_s():
    with open(RACINE / "pyproject.toml", "rb") as f:
        attendu = tomllib.load(f)["project"]["version"]
    assert version.version_application() == attendu == "0.1.0"


def test_commit_is_git_s_or_nothing(monkeypatch):
    c = version.commit()
    if shutil.which("git") and (RACINE / ".git").exists():
        attendu = subprocess.run(["git", "-C", str(RACINE), "rev-parse", "--short", "HEAD"],
                                 capture_output=True, text=True).stdout.strip()
        assert c == attendu and version.libelle_application() == f"0.1.0 ({attendu})"
    version.commit.cache_clear()
    monkeypatch.setenv("PATH", "")                  # no git: no commit, no failure
    try:
        assert version.commit() is None
        assert version.libelle_application() == "0.1.0"
    finally:
        version.commit.cache_clear()


def test_schema_version_of_an_up_to_date_base(empty_db):
    n = DERNIERE
    s = version.version_schema(empty_db)
    assert s.applique == s.code == len(MIGRATIONS) == n >= 9
    assert s.etat == "a_jour" and s.libelle() == f"schéma {n}"
    assert version.legende(empty_db) == f"Version {version.libelle_application()} · schéma {n}"
    assert version.legende() == f"Version {version.libelle_application()}"


def test_schema_behind_and_ahead(empty_db):
    n = DERNIERE
    with empty_db.transaction() as cur:
        cur.execute("delete from schema_version where version = ?", [n])
    s = version.version_schema(empty_db)
    assert (s.applique, s.code, s.manquantes, s.etat) == (n - 1, n, (n,), "en_retard")
    assert s.libelle() == f"schéma {n - 1} (en retard : l'application attend {n})"
    with empty_db.transaction() as cur:
        cur.execute("insert into schema_version values (?, 'x', now()), (?, 'y', now())",
                    [n, n + 1])
    s = version.version_schema(empty_db)
    assert (s.applique, s.etat) == (n + 1, "en_avance")
    assert s.libelle() == f"schéma {n + 1} (en avance : cette application connaît {n})"


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "fluxcore", *args], cwd=RACINE,
                          capture_output=True, text=True, timeout=60)


def test_cli_version_and_info(tmp_path, empty_template):
    run = _cli("--version")
    assert run.returncode == 0
    assert run.stdout == f"Gestion en flux {version.libelle_application()} · schéma {DERNIERE}\n"
    base = tmp_path / "b.duckdb"
    shutil.copyfile(empty_template, base)
    run = _cli("info", "--db", str(base))
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[:2] == [
        f"Base « {base} », schéma version {DERNIERE}",
        f"Application {version.libelle_application()}, schéma attendu {DERNIERE}"]


def test_info_says_a_base_ahead(tmp_path, empty_template):
    base = tmp_path / "b.duckdb"
    shutil.copyfile(empty_template, base)
    db = Database(base)
    with db.transaction() as cur:
        cur.execute("insert into schema_version values (?, 'future', now())", [DERNIERE + 1])
    db.close()
    run = _cli("info", "--db", str(base))
    assert run.stdout.splitlines()[0] == (
        f"Base « {base} », schéma version {DERNIERE + 1} (en avance : cette application "
        f"connaît {DERNIERE})")
