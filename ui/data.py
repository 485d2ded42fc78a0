"""Cached adapters between pages and fluxcore.

One Database per file and process (`fluxcore.db.partagee`, closed before a restore); page
data is cached with `st.cache_data`, keyed on the database version (max audit id), so any
audited write or import refreshes it.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from pathlib import Path

import streamlit as st

from fluxcore.acces import Utilisateur
from fluxcore.db import Database, liberer_partagee, partagee
from fluxcore.errors import FluxcoreError

DEFAULT_DB = os.environ.get("FLUX_DB", str(Path(__file__).resolve().parent.parent / "data"
                                           / "demo.duckdb"))


def _open(path: str) -> Database:
    return partagee(path)


def release_db(path: str) -> None:
    """Close the connection shared by every session and the server (before a restore
    replaces the file). A session still
    holding that Database gets « la base a été restaurée… » on its next use (fluxcore.fichier:
    the restore also closes every connection of this process to the file)."""
    liberer_partagee(path)


def get_db(path: str) -> Database:
    """The process's connection to `path`, bound to the signed-in user (fluxcore enforces the
    user's role); raises FluxcoreError with a French message."""
    if not Path(path).exists():
        raise FluxcoreError(
            f"Le fichier de base « {path} » n'existe pas. Générez la démonstration avec "
            f"« make run » ou « python -m fluxcore demo --db {path} ».")
    return _open(path).pour(st.session_state.get("utilisateur"))


def _key(func: Callable) -> str:
    """The stable name of a fluxcore function, « module:qualname »: the cache key (st.cache_data
    would hash a function by its id, which changes when its module is reloaded)."""
    return f"{func.__module__}:{func.__qualname__}"


def _resolve(key: str) -> Callable:
    """The function named by `_key`."""
    module, _, qualname = key.partition(":")
    obj = importlib.import_module(module)
    for name in qualname.split("."):
        obj = getattr(obj, name, None)
    return obj


@st.cache_data(ttl=600, show_spinner=False, max_entries=256)
def _call(path: str, version: int, user: Utilisateur | None, key: str, args: tuple,
          kwargs: tuple):
    return _resolve(key)(_open(path).pour(user), *args, **dict(kwargs))


def load(path: str, func: Callable, *args, **kwargs):
    """`func(db, *args, **kwargs)`: a fluxcore function called with the database first, its
    result cached per database version and user (a réservataire's cached figures are its own).
    `func` is a module-level function (the cache finds it again by its name)."""
    key = _key(func)
    if _resolve(key) is not func:
        raise TypeError(f"load(): {key} is not a module-level function")
    db = get_db(path)
    return _call(path, db.version(), db.utilisateur, key, args, tuple(sorted(kwargs.items())))
