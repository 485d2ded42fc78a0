"""Shared real-browser helpers: page discovery, Streamlit server, headless Chromium, screenshots.

Used by `tests/test_browser.py` (smoke test) and `tools/screenshots.py` (documentation
screenshots). No pytest import here. Needs Debian's `/usr/bin/chromium` and the `playwright`
Python package; `playwright install` is never needed (the system browser is used).
"""

from __future__ import annotations

import ast
import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
WIDTH = 1280
TALL = 2400          # full_page=True misses content in Streamlit's scroll container
PROJECTOR = 720      # what a 720p projector shows without scrolling
MAX_HEIGHT = 8000    # cap for the content-sized projector screenshot
# Upper bound of every wait: a guard against a hang on a loaded machine, never a pause; each
# wait returns as soon as the page shows what it waits for.
LIMITE_MS = 300_000
APP_READY = '[data-testid="stApp"][data-test-script-state="notRunning"]'
EXCEPTION = '[data-testid="stException"]'
MAP = ".maplibregl-canvas, .mapboxgl-canvas"
# README screenshots (docs/captures/<url_path>-normal.png, -projection.png), 1280×720
CAPTURES = ROOT / "docs" / "captures"
CAPTURE_PAGES = ("tableau-de-bord", "jauges", "orientation", "residences", "simulateur",
                 "cotation", "sne")


@dataclass(frozen=True)
class AppPage:
    """One `st.Page(...)` declared in app.py."""

    script: str
    title: str
    url_path: str
    default: bool = False

    @property
    def route(self) -> str:
        """Path to open the page; the default page is also reachable at its url_path."""
        return "/" if self.default else f"/{self.url_path}"


def discover_pages(app: Path = ROOT / "app.py") -> list[AppPage]:
    """Every `st.Page("pages/x.py", title=..., url_path=..., default=...)` call in app.py."""
    pages = []
    for node in ast.walk(ast.parse(app.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "Page" and node.args):
            continue
        kw = {k.arg: ast.literal_eval(k.value) for k in node.keywords
              if k.arg in ("title", "url_path", "default", "visibility")}
        script = ast.literal_eval(node.args[0])
        stem = Path(script).stem
        pages.append((AppPage(script=script, title=kw.get("title", stem),
                              url_path=kw.get("url_path", stem),
                              default=bool(kw.get("default", False))),
                      kw.get("visibility") == "hidden"))
    # a hidden page running the script of a shown one is its other address (app.py: the
    # default page at / and at /tableau-de-bord): one page, named by that address
    shown = [page for page, hidden in pages if not hidden]
    for alias, hidden in pages:
        for i, page in enumerate(shown):
            if hidden and page.script == alias.script and not page.url_path:
                shown[i] = AppPage(page.script, page.title, alias.url_path, page.default)
    if shown and not any(p.default for p in shown):   # Streamlit's rule: first page is default
        first = shown[0]
        shown[0] = AppPage(first.script, first.title, first.url_path, True)
    return shown


def missing_requirements() -> str | None:
    """Why a browser run is impossible here, or None."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} absent (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "paquet Python playwright absent"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_demo_db(path: Path, scale: str = "petit", seed: int = 7,
                 date: str = "2026-11-23") -> Path:
    """Generate a deterministic demo database with `python -m fluxcore demo`."""
    subprocess.run([sys.executable, "-m", "fluxcore", "demo", "--db", str(path), "--scale",
                    scale, "--seed", str(seed), "--date", date, "--force"],
                   cwd=ROOT, check=True, capture_output=True, text=True)
    return path


@dataclass
class Server:
    proc: subprocess.Popen
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_server(db: Path, log: Path, timeout: float = 300, env: dict | None = None,
                 port: int | None = None, address: str | None = None) -> Server:
    """Start the server as deployed (`streamlit run serveur.py`) on a free port with
    FLUX_DB=db; wait for /_stcore/health. `env`: more variables (they win), e.g. a users file
    instead of the open app; `address`: --server.address (127.0.0.1 behind a proxy)."""
    port = port or free_port()
    # open mode asked explicitly (whatever users file the developer keeps), no mail server
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("FLUX_SMTP_")},
           "FLUX_DB": str(db), "FLUX_UTILISATEURS": "aucun", **(env or {})}
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "serveur.py", "--server.port", str(port),
             "--server.headless", "true", "--browser.gatherUsageStats", "false",
             *(["--server.address", address] if address else [])],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = Server(proc, port, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit s'est arrêté (code {proc.returncode}), voir {log}:\n"
                               + log.read_text()[-2000:])
        with (contextlib.suppress(OSError),
              urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=2) as r):
            if r.read().decode().strip() == "ok":
                return server
        time.sleep(0.3)
    server.stop()
    raise TimeoutError(f"streamlit ne répond pas après {timeout} s, voir {log}")


@contextlib.contextmanager
def running_server(db: Path, log: Path, **options) -> Iterator[Server]:
    server = start_server(db, log, **options)
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def chromium() -> Iterator[object]:
    """A headless system Chromium (playwright Browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


CHARTS_DRAWN = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
    .every(c => c.querySelector('svg.main-svg'))"""


def drawn(page, timeout_ms: int = LIMITE_MS) -> None:
    """Wait until every plotly chart has drawn its SVG and no request is in flight (map
    layers and tiles included)."""
    page.wait_for_function(CHARTS_DRAWN, timeout=timeout_ms)
    page.wait_for_load_state("networkidle", timeout=timeout_ms)


def wait_ready(page, timeout_ms: int = LIMITE_MS) -> None:
    """Wait until the script has run and what it drew is on screen (a title or an exception,
    the charts)."""
    page.wait_for_selector(APP_READY, state="attached", timeout=timeout_ms)
    page.wait_for_selector(f'[data-testid="stMain"] h1, {EXCEPTION}', state="attached",
                           timeout=timeout_ms)
    page.wait_for_selector(APP_READY, state="attached", timeout=timeout_ms)
    drawn(page, timeout_ms)
    page.wait_for_selector(APP_READY, state="attached", timeout=timeout_ms)


def content_height(page, limit: int = MAX_HEIGHT) -> int:
    """Height of the main area's content (it scrolls inside its own container)."""
    height = page.evaluate("""() => {
        const main = document.querySelector('[data-testid="stMain"]');
        return main ? Math.max(main.scrollHeight, main.firstElementChild?.scrollHeight || 0)
                    : document.documentElement.scrollHeight;
    }""")
    return min(int(height) + 40, limit)


@dataclass
class PageCheck:
    """What was seen on one page load."""

    url: str
    h1: list[str]
    exceptions: list[str]
    screenshots: list[Path]


def shoot(browser, base_url: str, app_page: AppPage, out_dir: Path, projection: bool,
          route: str | None = None) -> PageCheck:
    """Open a page in a fresh context (fresh session), wait, and save screenshots.

    Normal mode: `<url_path>.png` at 1280×2400. Projector mode (`?projection=1`):
    `<url_path>-projection.png` at 1280×720 (what the room sees first) and
    `<url_path>-projection-full.png` at 1280 wide, at least 2400 high (taller when the enlarged
    projector content needs it).
    """
    route = route or app_page.route
    url = base_url + route + ("?projection=1" if projection else "")
    out_dir.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": WIDTH,
                                            "height": PROJECTOR if projection else TALL},
                                  locale="fr-FR")
    try:
        page = context.new_page()
        page.goto(url, wait_until="domcontentloaded")
        wait_ready(page)
        shots = []
        name = app_page.url_path + ("-projection" if projection else "")
        shots.append(out_dir / f"{name}.png")
        page.screenshot(path=str(shots[-1]))
        if projection:
            page.set_viewport_size({"width": WIDTH, "height": max(TALL, content_height(page))})
            wait_ready(page)                            # plotly relayouts to the new size
            shots.append(out_dir / f"{name}-full.png")
            page.screenshot(path=str(shots[-1]))
        return PageCheck(
            url=url,
            h1=[t.strip() for t in page.locator('[data-testid="stMain"] h1').all_inner_texts()],
            exceptions=page.locator(EXCEPTION).all_inner_texts(),
            screenshots=shots)
    finally:
        context.close()


def shrink_png(path: Path) -> Path:
    """Rewrite a screenshot as a 256-colour PNG without dithering (text stays sharp): a
    1280×720 page goes from ~250 kB to well under 100 kB."""
    from PIL import Image

    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.FASTOCTREE,
                                              dither=Image.Dither.NONE)
    small.save(path, optimize=True)
    return path


def capture(browser, base_url: str, app_page: AppPage, out_dir: Path = CAPTURES,
            projection: bool = False) -> Path:
    """README screenshot: what a 1280×720 screen shows first, in normal or projector mode,
    saved as `<url_path>-normal.png` or `<url_path>-projection.png` (small palette PNG)."""
    url = base_url + app_page.route + ("?projection=1" if projection else "")
    out_dir.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": WIDTH, "height": PROJECTOR},
                                  locale="fr-FR")
    try:
        page = context.new_page()
        page.goto(url, wait_until="domcontentloaded")
        wait_ready(page)
        if page.locator(MAP).count():          # the map draws its layers after the script
            page.locator(MAP).first.wait_for(timeout=LIMITE_MS)
            drawn(page)
        # the sidebar shows the server's temporary database file: show the usual one instead
        page.evaluate("""() => document.querySelectorAll('[data-testid="stSidebar"] input')
            .forEach(i => { if (i.value.endsWith('.duckdb')) i.value = 'data/demo.duckdb'; })""")
        path = out_dir / f"{app_page.url_path}-{'projection' if projection else 'normal'}.png"
        page.screenshot(path=str(path))
        return shrink_png(path)
    finally:
        context.close()


LOCAL = ("http://127.0.0.1", "http://localhost", "ws://127.0.0.1", "ws://localhost", "data:",
         "blob:", "https://127.0.0.1", "wss://127.0.0.1")   # https: behind the test proxy


def refuser_ailleurs(context) -> list[str]:
    """Refuse every request of a browser context that leaves this machine; the returned list
    fills with the refused URLs."""
    refusees: list[str] = []

    def route(r):
        if r.request.url.startswith(LOCAL):
            r.continue_()
        else:
            refusees.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    return refusees

