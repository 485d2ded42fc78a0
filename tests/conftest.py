"""Shared fixtures: a petit demo database (built once) and small hand-built databases."""

from __future__ import annotations

import os
from datetime import date

import pytest
from streamlit import config as _st_config

from fluxcore.db import Database
from fluxcore.demo import generate_demo
from tests import factory

DEMO_DATE = date(2026, 11, 23)
DEMO_SEED = 7

# Tests do not depend on the developer's environment or on files left at the project root:
# no FLUX_* variable leaks in (SMTP, database, debug…), and the app runs in open mode on
# purpose unless a test names a users file (a `utilisateurs.toml` at the root is ignored).
for _name in [n for n in os.environ if n.startswith("FLUX_")]:
    del os.environ[_name]
os.environ["FLUX_UTILISATEURS"] = "aucun"
# Streamlit's secrets (an `[auth]` section switches OIDC sign-in on) come only from what a test
# gives AppTest (`at.secrets`), never from a `.streamlit/secrets.toml` of the machine.
_st_config.get_config_options()
_st_config._set_option("secrets.files", [], "tests/conftest.py")


@pytest.fixture(scope="session")
def demo_path(tmp_path_factory):
    """Path of a petit demo database (seed 7, reference date 23/11/2026)."""
    path = tmp_path_factory.mktemp("demo") / "petit.duckdb"
    generate_demo(path, "petit", DEMO_SEED, DEMO_DATE)
    return path


@pytest.fixture(scope="session")
def demo_db(demo_path):
    db = Database(demo_path)
    yield db
    db.close()


@pytest.fixture(scope="session")
def empty_template(tmp_path_factory):
    """A freshly migrated empty database file, made once: each test gets a copy of it (a copy
    is ten times faster than migrating again)."""
    path = tmp_path_factory.mktemp("modele") / "vide.duckdb"
    Database(path).close()
    return path


@pytest.fixture
def empty_db(tmp_path, empty_template):
    yield from factory.copie(empty_template, tmp_path / "vide.duckdb")


@pytest.fixture
def small_db(empty_db):
    return factory.small_year(empty_db)
