"""Architecture rules: layers, page length, identifiers, SQL headers."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _py(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def test_fluxcore_never_imports_streamlit_or_ui():
    for path in _py("fluxcore"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            for name in names:
                assert not name.startswith(("streamlit", "ui")), f"{path}: import {name}"


def test_pages_are_short_and_write_no_sql():
    for path in _py("pages"):
        text = path.read_text(encoding="utf-8")
        assert len(text.splitlines()) <= 150, f"{path.name} dépasse 150 lignes"
        assert not re.search(r"\b(select|insert|update|delete)\b.+\bfrom\b", text, re.I), path


def test_identifiers_are_ascii():
    for folder in ("fluxcore", "ui", "pages", "tests"):
        for path in _py(folder):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                name = getattr(node, "name", None) or getattr(node, "id", None)
                if isinstance(name, str):
                    assert name.isascii(), f"{path}: identifiant non ASCII {name!r}"


def test_sql_files_have_a_header_comment():
    for path in sorted((ROOT / "fluxcore" / "sql").rglob("*.sql")):
        first = path.read_text(encoding="utf-8").lstrip().splitlines()[0]
        assert first.startswith("--"), f"{path} sans en-tête"


def test_requirements_cover_imports():
    reqs = (ROOT / "requirements.txt").read_text().lower()
    for module, package in (("duckdb", "duckdb"), ("pandas", "pandas"), ("plotly", "plotly"),
                            ("sklearn", "scikit-learn"), ("shapely", "shapely"),
                            ("streamlit", "streamlit")):
        assert package in reqs, f"{package} absent de requirements.txt ({module})"
