"""Cached adapters between pages and fluxcore.

One Database per file and process (`st.cache_resource`, closed on release); page data is
cached with `st.cache_data`, keyed on the database version (max audit id), so any audited
write or import refreshes it.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import streamlit as st

from fluxcore.acces import Utilisateur
from fluxcore.db import Database
from fluxcore.errors import FluxcoreError

DEFAULT_DB = os.environ.get("FLUX_DB", str(Path(__file__).resolve().parent.parent / "data"
                                           / "demo.duckdb"))


@st.cache_resource(on_release=lambda db: db.close())
def _open(path: str) -> Database:
    return Database(path)


def release_db(path: str) -> None:
    """Close the cached connection shared by every session (before a restore replaces the
    file: `st.cache_resource` is process-wide, and `on_release` closes it). A session still
    holding that Database gets « la base a été restaurée… » on its next use (fluxcore.fichier:
    the restore also closes every connection of this process to the file)."""
    _open.clear()


def get_db(path: str) -> Database:
    """The process's connection to `path`, bound to the signed-in user (fluxcore enforces the
    user's role); raises FluxcoreError with a French message."""
    if not Path(path).exists():
        raise FluxcoreError(
            f"Le fichier de base « {path} » n'existe pas. Générez la démonstration avec "
            f"« make run » ou « python -m fluxcore demo --db {path} ».")
    return _open(path).pour(st.session_state.get("utilisateur"))


@st.cache_data(ttl=600, show_spinner=False, max_entries=256)
def _call(path: str, version: int, user: Utilisateur | None, target: str, args: tuple,
          kwargs: tuple):
    module, name = target.rsplit(".", 1)
    func = getattr(importlib.import_module(module), name)
    return func(_open(path).pour(user), *args, **dict(kwargs))


def load(path: str, target: str, *args, **kwargs):
    """Call fluxcore function `target` (dotted path) with the database first, cached per
    database version and user (a réservataire's cached figures are its own)."""
    db = get_db(path)
    return _call(path, db.version(), db.utilisateur, target, args,
                 tuple(sorted(kwargs.items())))
