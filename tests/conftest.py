"""Shared fixtures: a petit demo database (built once) and small hand-built databases."""

from __future__ import annotations

from datetime import date

import pytest

from fluxcore.db import Database
from fluxcore.demo import generate_demo
from tests import factory

DEMO_DATE = date(2026, 11, 23)
DEMO_SEED = 7


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


@pytest.fixture
def empty_db(tmp_path):
    db = Database(tmp_path / "vide.duckdb")
    yield db
    db.close()


@pytest.fixture
def small_db(empty_db):
    return factory.small_year(empty_db)
