"""Real-browser smoke test: every page of app.py, normal and projector mode, in Chromium.

Run alone with `.venv/bin/python -m pytest tests/test_browser.py -q` (or `-m browser`).
Screenshots land in tests/_artifacts/screenshots/ (gitignored) for a visual check. With
FLUX_CAPTURES=1, the README screenshots of docs/captures/ are refreshed too (main pages, 1280×720,
normal and projector mode; same as tools/captures.py).
"""

from __future__ import annotations

import os
import re
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
CAPTURES = os.environ.get("FLUX_CAPTURES") == "1"


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
    if CAPTURES and page.url_path in b.CAPTURE_PAGES:
        assert b.capture(chromium, server.url, page, b.CAPTURES, projection).stat().st_size > 0


def test_default_page_by_url_path(server, chromium, tmp_path):
    """The default page (served at /) also answers at its own url_path."""
    page = next(p for p in PAGES if p.default)
    seen = b.shoot(chromium, server.url, page, tmp_path, False, route=f"/{page.url_path}")
    assert not seen.exceptions, "\n".join(seen.exceptions)
    assert page.title in seen.h1


def test_import_from_the_data_page(chromium, tmp_path):
    """Upload a bad file (report shown, nothing written), then a good one and confirm."""
    import shutil

    from fluxcore.db import Database

    db_path = b.make_demo_db(tmp_path / "import.duckdb", scale="petit", seed=7,
                             date="2026-11-23")
    bad = tmp_path / "reservataire.csv"
    bad.write_text("reservataire_id;nom;type\nCOM-X;Commune X;MAIRE\n", encoding="utf-8")
    good = tmp_path / "reservataires.csv"
    good.write_text("reservataire_id;nom;type\nCOM-X;Commune X;COMMUNE\n", encoding="utf-8")
    page_info = next(p for p in PAGES if p.url_path == "donnees")
    with b.running_server(db_path, ARTIFACTS / "streamlit-import.log") as srv:
        context = chromium.new_context(viewport={"width": b.WIDTH, "height": 1400})
        page = context.new_page()
        page.goto(srv.url + page_info.route)
        b.wait_ready(page)
        upload = page.locator('[data-testid="stFileUploaderDropzoneInput"]').first
        upload.set_input_files(str(bad))
        page.get_by_text(re.compile(r"erreurs? : corrigez les fichiers")).wait_for(
            timeout=b.LIMITE_MS)
        b.wait_ready(page)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "donnees-import-erreur.png"))
        # the report's row names the refused value (waited for: the table may draw after
        # the verdict above it)
        page.get_by_text("MAIRE").first.wait_for(state="attached", timeout=b.LIMITE_MS)
        page.get_by_role("button", name="Remove reservataire.csv").click()
        upload.set_input_files(str(good))
        page.get_by_role("button", name="Confirmer l'import").click(timeout=b.LIMITE_MS)
        page.get_by_text("Import effectué : 1 ligne ajoutée").first.wait_for(
            timeout=b.LIMITE_MS)
        b.wait_ready(page)
        page.screenshot(path=str(SHOTS / "donnees-import-ok.png"))
        context.close()
    shutil.copy(db_path, tmp_path / "after.duckdb")
    db = Database(tmp_path / "after.duckdb", read_only=True)
    assert db.scalar("select type from reservataire where reservataire_id = 'COM-X'") == \
        "COMMUNE"
    db.close()


def test_residence_map_draws_with_the_network_cut(server, chromium):
    """Every request leaving the machine is refused: the map still draws (local layers)."""
    page_info = next(p for p in PAGES if p.url_path == "residences")
    context = chromium.new_context(viewport={"width": b.WIDTH, "height": 1400})
    b.refuser_ailleurs(context)
    page = context.new_page()
    page.goto(server.url + page_info.route)
    b.wait_ready(page)
    page.locator(".maplibregl-canvas, .mapboxgl-canvas").first.wait_for(timeout=b.LIMITE_MS)
    b.drawn(page)
    assert page.locator(b.EXCEPTION).count() == 0
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "residences-hors-ligne.png"))
    context.close()


@pytest.mark.parametrize("projection", [False, True], ids=["normal", "projection"])
def test_no_request_leaves_the_server(server, chromium, projection):
    """Issue 27: every asset (favicon, fonts, icons, map layers) comes from this server: a
    request to any other host, on any page, fails the test."""
    context = chromium.new_context(viewport={"width": b.WIDTH, "height": 1400})
    ailleurs = b.refuser_ailleurs(context)
    try:
        page = context.new_page()
        for app_page in PAGES:
            page.goto(server.url + app_page.route + ("?projection=1" if projection else ""))
            b.wait_ready(page)
    finally:
        context.close()
    assert ailleurs == [], sorted(set(ailleurs))
