"""Which application and which database: the version of the code (pyproject.toml, and the
short git commit when the repository is there) and the schema version of a base (its last
migration applied, compared with the migrations this code knows).

Shown at the bottom of the sidebar (« Version 0.1.0 (abc1234) · schéma 8 »), by
`python -m fluxcore --version` and by `python -m fluxcore info`. Never fails: without git (a
Docker image), without pyproject.toml, the parts that cannot be known are left out.
"""

from __future__ import annotations

import subprocess
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

RACINE = Path(__file__).resolve().parent.parent


@cache
def version_application() -> str:
    """[project].version of pyproject.toml, else the installed package's, else « inconnue »."""
    try:
        with open(RACINE / "pyproject.toml", "rb") as f:
            return str(tomllib.load(f)["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        pass
    try:
        from importlib.metadata import version

        return version("gestion-flux")
    except Exception:
        return "inconnue"


@cache
def commit() -> str | None:
    """The short git commit of the working tree, None without a repository or without git."""
    if not (RACINE / ".git").exists():
        return None
    try:
        run = subprocess.run(["git", "-C", str(RACINE), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    sortie = run.stdout.strip()
    return sortie if run.returncode == 0 and sortie else None


def libelle_application() -> str:
    """« 0.1.0 (abc1234) », or « 0.1.0 » without git."""
    c = commit()
    return f"{version_application()} ({c})" if c else version_application()


@dataclass(frozen=True)
class Schema:
    applique: int | None        # last migration applied to the base (None: none)
    code: int                   # last migration this code knows
    manquantes: tuple[int, ...]  # known by the code, not applied (the base is behind)

    @property
    def etat(self) -> str:
        """« a_jour », « en_retard » (migrations missing) or « en_avance » (the base was
        migrated by a newer version of the application)."""
        if self.manquantes:
            return "en_retard"
        if self.applique is not None and self.applique > self.code:
            return "en_avance"
        return "a_jour"

    def libelle(self) -> str:
        if self.etat == "en_retard":
            return (f"schéma {self.applique or 0} (en retard : l'application attend "
                    f"{self.code})")
        if self.etat == "en_avance":
            return (f"schéma {self.applique} (en avance : cette application connaît "
                    f"{self.code})")
        return f"schéma {self.applique}"


def version_code() -> int:
    """The last migration of this code (fluxcore/sql/migrations)."""
    from fluxcore.db import list_migrations

    return max((v for v, _, _ in list_migrations()), default=0)


def version_schema(db: Any) -> Schema:
    """The schema version of an open Database (its schema_version table). Reads one small
    table: allowed to every role, like Database.version()."""
    from fluxcore.db import list_migrations

    cur = db._con.cursor()     # the schema's version is no one's data (see Database.version)
    try:
        appliquees = {r[0] for r in cur.execute("select version from schema_version")
                      .fetchall()}
    finally:
        cur.close()
    connues = {v for v, _, _ in list_migrations()}
    return Schema(max(appliquees, default=None), version_code(),
                  tuple(sorted(connues - appliquees)))


def legende(db: Any | None = None) -> str:
    """« Version 0.1.0 (abc1234) · schéma 8 » (without a base: the application's alone)."""
    texte = f"Version {libelle_application()}"
    if db is not None:
        texte += f" · {version_schema(db).libelle()}"
    return texte
