"""Real-browser smoke test: every page of app.py, normal and projector mode, in Chromium.

Run alone with `.venv/bin/python -m pytest tests/test_browser.py -q` (or `-m browser`).
Screenshots land in tests/_artifacts/screenshots/ (gitignored) for a visual check.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tools import browser as b

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(b.missing_requirements() is not None,
                       reason=f"test navigateur impossible : {b.missing_requirements()}"),
]

ARTIFACTS = Path(__file__).resolve().parent / "_artifacts"
SHOTS = ARTIFACTS / "screenshots"
PAGES = b.discover_pages()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser")
    db = b.make_demo_db(tmp / "demo.duckdb", scale="petit", seed=7, date="2026-11-23")
    with b.running_server(db, ARTIFACTS / "streamlit.log") as srv:
        yield srv


@pytest.fixture(scope="module")
def chromium():
    with b.chromium() as browser:
        yield browser


def test_pages_discovered():
    assert PAGES, "aucun st.Page trouvé dans app.py"
    assert sum(p.default for p in PAGES) == 1
    for p in PAGES:
        assert (b.ROOT / p.script).exists(), p.script


@pytest.mark.parametrize("projection", [False, True], ids=["normal", "projection"])
@pytest.mark.parametrize("page", PAGES, ids=[p.url_path for p in PAGES])
def test_page_renders(server, chromium, page, projection):
    seen = b.shoot(chromium, server.url, page, SHOTS, projection)
    assert not seen.exceptions, f"{seen.url} : exception affichée\n" + "\n".join(seen.exceptions)
    assert page.title in seen.h1, f"{seen.url} : titre {page.title!r} absent des h1 {seen.h1}"
    for shot in seen.screenshots:
        assert shot.stat().st_size > 0


def test_default_page_by_url_path(server, chromium, tmp_path):
    """The default page (served at /) also answers at its own url_path."""
    page = next(p for p in PAGES if p.default)
    seen = b.shoot(chromium, server.url, page, tmp_path, False, route=f"/{page.url_path}")
    assert not seen.exceptions, "\n".join(seen.exceptions)
    assert page.title in seen.h1
