"""The one way tests open the Streamlit app (AppTest) on a database file.

Independent of the developer's machine: the working directory is a fresh folder holding only
the project's `.streamlit/config.toml` (a `secrets.toml` with an `[auth]` section or a
`utilisateurs.toml` left at the project root changes nothing), open mode unless a users file
is named, and the database given by path.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
# Upper bound of one script run: a guard against a hang, never a speed check (tests run on
# loaded machines; speed is measured by `python -m fluxcore bench`).
LIMITE_S = 600

_UNSET = object()


def repertoire_propre(monkeypatch, tmp_path: Path) -> Path:
    """Work in a fresh folder holding only the project's Streamlit configuration (Streamlit
    reads `.streamlit/secrets.toml` from the working directory)."""
    work = tmp_path / "repertoire_de_travail"
    (work / ".streamlit").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ROOT / ".streamlit" / "config.toml", work / ".streamlit" / "config.toml")
    monkeypatch.chdir(work)
    return work


def de_fonction(func, args: tuple, monkeypatch, tmp_path: Path) -> AppTest:
    """A script made of one function (AppTest.from_function), in open mode and a fresh
    working directory."""
    monkeypatch.setenv("FLUX_UTILISATEURS", "aucun")
    repertoire_propre(monkeypatch, tmp_path)
    return AppTest.from_function(func, args=args, default_timeout=LIMITE_S)


def app_sur(db_path, monkeypatch, tmp_path: Path, comptes=_UNSET) -> AppTest:
    """The app of app.py on `db_path`. `comptes`: a users file (sign-in required), None for no
    FLUX_UTILISATEURS variable at all, or left out for open mode (`aucun`)."""
    monkeypatch.setenv("FLUX_DB", str(db_path))
    if comptes is None:
        monkeypatch.delenv("FLUX_UTILISATEURS", raising=False)
    else:
        monkeypatch.setenv("FLUX_UTILISATEURS", "aucun" if comptes is _UNSET else str(comptes))
    repertoire_propre(monkeypatch, tmp_path)
    monkeypatch.setattr("ui.data.DEFAULT_DB", str(db_path))
    monkeypatch.setattr("ui.state.DEFAULT_DB", str(db_path))
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=LIMITE_S)
