"""Every page on a base full of hostile names (issue 27), in a real Chromium: no request to
another host, no live link or image from the data (in the page, its iframes and plotly's
SVG), no English dialog of Streamlit. The names are those of tests/test_texte_hostile.py,
written by SQL before the server starts; the escapes themselves live in ui/texte.py.

    .venv/bin/python -m pytest tests/test_browser_hostile.py -m browser -n 0
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_texte_hostile import rendre_hostile
from tools import browser as b
from ui.texte import WJ

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(b.missing_requirements() is not None,
                       reason=f"test navigateur impossible : {b.missing_requirements()}"),
]

ARTIFACTS = Path(__file__).resolve().parent / "_artifacts" / "hostile"
PAGES = b.discover_pages()
HOTE = "hote-externe.invalid"
# Streamlit's English dialog over a page opened by its address (issue 27)
ANGLAIS = ("Page not found", "You have requested", "does not seem to exist")

# every address an element of a document carries: links and images of HTML and SVG (plotly
# draws <a> in its SVG), frames, sources, CSS backgrounds; looked up in each frame
ADRESSES = """() => {
    const out = [];
    for (const el of document.querySelectorAll('*')) {
        for (const name of ['href', 'src', 'srcset', 'xlink:href', 'data', 'poster',
                            'action', 'formaction']) {
            const v = el.getAttribute(name);
            if (v) out.push(`${el.tagName.toLowerCase()} ${name}=${v}`);
        }
        const bg = el.style && el.style.backgroundImage;
        if (bg && bg !== 'none') out.push(`${el.tagName.toLowerCase()} style=${bg}`);
    }
    return out;
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db = b.make_demo_db(tmp_path_factory.mktemp("hostile") / "hostile.duckdb")
    rendre_hostile(db)
    with b.running_server(db, ARTIFACTS / "streamlit.log") as srv:
        yield srv


@pytest.fixture(scope="module")
def chromium():
    with b.chromium() as browser:
        yield browser


SQUELETTES = """() => !document.querySelector('[data-testid^="stSkeleton"]')"""


def dessinee(page) -> None:
    """Wait until the page is drawn: the script has run, the charts are drawn, and no
    placeholder is left (on a projector, a table can still be a grey skeleton when the
    run ends)."""
    b.wait_ready(page)
    page.wait_for_function(SQUELETTES, timeout=b.LIMITE_MS)
    b.wait_ready(page)


def actives(page) -> list[str]:
    """Addresses of the page and its frames that lead outside or run script (a heading's
    own anchor, « #titre-de-la-section », stays in the page)."""
    found = []
    for frame in page.frames:
        for adresse in frame.evaluate(ADRESSES):
            if adresse.split("=", 1)[1].startswith("#"):
                continue
            if HOTE in adresse or "javascript:" in adresse.lower():
                found.append(f"{frame.url} : {adresse}")
    return found


def texte(page) -> str:
    """What the page reads (word joiners of ui.texte removed)."""
    return page.locator("body").inner_text().replace(WJ, "")


@pytest.mark.parametrize("projection", [False, True], ids=["normal", "projection"])
@pytest.mark.parametrize("app_page", PAGES, ids=[p.url_path or "racine" for p in PAGES])
def test_page_shows_hostile_names_as_text(server, chromium, app_page, projection):
    context = chromium.new_context(viewport={"width": b.WIDTH, "height": b.TALL},
                                   locale="fr-FR")
    refusees = b.refuser_ailleurs(context)
    try:
        page = context.new_page()
        url = server.url + app_page.route + ("?projection=1" if projection else "")
        page.goto(url, wait_until="domcontentloaded")
        dessinee(page)
        lu = texte(page)
        name = f"{app_page.url_path or 'racine'}-{'projection' if projection else 'normal'}"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
        assert not page.locator(b.EXCEPTION).count(), f"{url} : exception affichée"
        assert not refusees, f"{url} : requêtes vers un autre hôte : {refusees}"
        assert not (liens := actives(page)), f"{url} : adresses venues des données : {liens}"
        anglais = [t for t in ANGLAIS if t in lu]
        assert not anglais, f"{url} : dialogue anglais de Streamlit : {anglais}"
        assert app_page.title in page.locator('[data-testid="stMain"] h1').all_inner_texts()
    finally:
        context.close()


IMAGE = "<img src=http://hote-externe.invalid/i.png>"
ANCRE = '<a href="http://hote-externe.invalid">x</a>'
# what each page reads, whole: a résidence and a commune in the dashboard's table; a
# réservataire in the ranking table and in the ranking chart's axis (plotly's SVG)
LISIBLES = {"/tableau-de-bord": ("[Cliquez ici](http://hote-externe.invalid/x)", IMAGE),
            "/orientation": (ANCRE, IMAGE)}
LIT = """([textes, svg]) => {
    const propre = t => t.replaceAll('\u2060', '');
    const page = propre(document.body.innerText);
    const graphes = propre([...document.querySelectorAll('svg.main-svg')]
                           .map(s => s.textContent).join(' '));
    return textes.every(t => page.includes(t)) && (!svg || graphes.includes(svg));
}"""


# (the dashboard's table is a canvas outside projector mode: its text is not in the page)
@pytest.mark.parametrize(("route", "projection"), [("/tableau-de-bord", True),
                                                   ("/orientation", False),
                                                   ("/orientation", True)])
def test_hostile_names_are_read_as_text(server, chromium, route, projection):
    """The names reach the screen whole, as a reader would copy them (tables, cards,
    captions, headings, chart axes): the test waits until the page shows them."""
    context = chromium.new_context(viewport={"width": b.WIDTH, "height": b.TALL},
                                   locale="fr-FR")
    refusees = b.refuser_ailleurs(context)
    try:
        page = context.new_page()
        url = server.url + route + ("?projection=1" if projection else "")
        page.goto(url, wait_until="domcontentloaded")
        dessinee(page)
        svg = ANCRE if route == "/orientation" else None
        page.wait_for_function(LIT, arg=[list(LISIBLES[route]), svg], timeout=b.LIMITE_MS)
        assert not refusees, refusees
        assert not actives(page)
    finally:
        context.close()
