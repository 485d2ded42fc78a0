"""Version of the application and of a base's schema (issue 27): pyproject's version, the git
commit when there is one, the last migration applied against the code's."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from fluxcore import version
from fluxcore.db import Database

RACINE = Path(__file__).resolve().parent.parent
MIGRATIONS = sorted((RACINE / "fluxcore" / "sql" / "migrations").glob("[0-9][0-9][0-9]_*.sql"))


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
    s = version.version_schema(empty_db)
    assert s.applique == s.code == len(MIGRATIONS) == 8
    assert s.etat == "a_jour" and s.libelle() == "schéma 8"
    assert version.legende(empty_db) == f"Version {version.libelle_application()} · schéma 8"
    assert version.legende() == f"Version {version.libelle_application()}"


def test_schema_behind_and_ahead(empty_db):
    with empty_db.transaction() as cur:
        cur.execute("delete from schema_version where version = 8")
    s = version.version_schema(empty_db)
    assert (s.applique, s.code, s.manquantes, s.etat) == (7, 8, (8,), "en_retard")
    assert s.libelle() == "schéma 7 (en retard : l'application attend 8)"
    with empty_db.transaction() as cur:
        cur.execute("insert into schema_version values (8, 'x', now()), (9, 'y', now())")
    s = version.version_schema(empty_db)
    assert (s.applique, s.etat) == (9, "en_avance")
    assert s.libelle() == "schéma 9 (en avance : cette application connaît 8)"


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "fluxcore", *args], cwd=RACINE,
                          capture_output=True, text=True, timeout=60)


def test_cli_version_and_info(tmp_path, empty_template):
    run = _cli("--version")
    assert run.returncode == 0
    assert run.stdout == f"Gestion en flux {version.libelle_application()} · schéma 8\n"
    base = tmp_path / "b.duckdb"
    shutil.copyfile(empty_template, base)
    run = _cli("info", "--db", str(base))
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[:2] == [
        f"Base « {base} », schéma version 8",
        f"Application {version.libelle_application()}, schéma attendu 8"]


def test_info_says_a_base_ahead(tmp_path, empty_template):
    base = tmp_path / "b.duckdb"
    shutil.copyfile(empty_template, base)
    db = Database(base)
    with db.transaction() as cur:
        cur.execute("insert into schema_version values (9, 'future', now())")
    db.close()
    run = _cli("info", "--db", str(base))
    assert run.stdout.splitlines()[0] == (
        f"Base « {base} », schéma version 9 (en avance : cette application connaît 8)")
