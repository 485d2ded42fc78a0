"""Essai de charge : une session de navigateur, puis plusieurs sessions simultanées.

Usage (depuis la racine du dépôt) :

    .venv/bin/python tools/charge.py                      # copie de data/bench-grand.duckdb
    .venv/bin/python tools/charge.py --db data/demo.duckdb --sessions 10 --tours 3 \
        --pages tableau-de-bord,jauges --duree-max 15 --cible 2 --out charge.json

Démarre le serveur comme en production (`streamlit run serveur.py`, mode ouvert de la
démonstration, 127.0.0.1) sur une COPIE de la base (l'application migre la base qu'elle ouvre),
puis, dans le Chromium de Debian (headless, un seul navigateur, un contexte par session) :

0. ouverture : une première page, le temps que le serveur ouvre (et migre au besoin) la base ;
1. une session ouvre chaque page l'une après l'autre, `--tours` fois ;
2. `--sessions` sessions font de même en même temps (chacune commence sa tournée à une page
   différente, sauf avec `--meme-ordre`).

Navigation (`--navigation`) : `menu` (défaut), un clic sur le lien de la page dans le menu
latéral, comme un utilisateur (une session Streamlit par onglet ; la session arrive d'abord
par l'adresse d'une page, hors mesures) ; `adresse`, chaque page chargée par son adresse
(rechargement complet du navigateur, nouvelle session Streamlit à chaque page).

Chaque visite est chronométrée du clic ou de la navigation jusqu'à « application prête » :
script terminé, titre ou exception affiché, graphiques dessinés (les attentes de
tools/browser.py ; les tuiles d'une carte, dessinées ensuite, n'y sont pas).
Une visite en erreur : exception Streamlit affichée, titre de la page absent, erreur de la
console ou JavaScript, réponse HTTP ≥ 400, délai dépassé. Le rapport donne par page la
médiane et le 95ᵉ centile à une session et sous charge (à chaud : sans le premier tour
quand il y en a plusieurs ; la première visite à une session est montrée à part), le ratio
p95 sous charge / médiane à une session, les erreurs, la mémoire résidente du processus
serveur (relevée dans /proc/<pid>/status) et le temps processeur du serveur, du navigateur
et des autres programmes de la machine. Code de sortie 0 seulement si l'essai est complet,
sans erreur, et que chaque page tient la cible.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

# run as a script (tools/ first on the path): the repository's packages
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fluxcore.__main__ import _Parser as Parser  # argparse in French (usage, help, errors)
from fluxcore.formats import fmt_duree_ms as fmt_ms
from fluxcore.formats import fmt_num
from tools import browser as b

DEFAULT_DB = b.ROOT / "data" / "bench-grand.duckdb"
HEIGHT = 900                 # a laptop screen
DELAI_PAGE_S = 120           # one visit's upper bound (a guard against a hang, never a pause)
PAGE_H1 = '[data-testid="stMain"] h1'
SAMPLE_S = 0.2               # resident-memory sampling period
ERREURS_MONTREES = 20
PROBES = ("/_stcore/health", "/_stcore/host-config")


@dataclass
class Visite:
    """One page load of one session."""

    phase: str               # "ouverture", "seule" (one session) or "charge" (several)
    session: int
    tour: int
    page: str                # url_path
    debut_s: float           # seconds since the phase started
    ms: float | None = None  # navigation → app ready; None when it never got ready
    navigation: str = ""     # "menu" (a click in the sidebar) or "adresse" (a full load)
    rss_mo: float | None = None   # the server's resident memory once the page is shown
    hwm_mo: float | None = None   # and its peak so far (VmHWM): what this visit raised it to
    cpu_ms: float | None = None   # the server's processor time during the visit (every
    #                               session's work when several run at once)
    erreurs: list[str] = field(default_factory=list)


# -- figures ---------------------------------------------------------------------------------

def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0–100), linear interpolation between closest ranks (numpy's
    default): [10, 20, 30, 40] → p50 25, p95 38,5."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def fmt_mo(x: float | None) -> str:
    return "–" if x is None else f"{x:.0f} Mo"


# -- the server process: memory and processor ------------------------------------------------

def status_mo(pid: int, key: str) -> float | None:
    """A memory line of /proc/<pid>/status (VmRSS, VmHWM) in MB, None once the process is
    gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    m = re.search(rf"^{key}:\s+(\d+) kB", text, re.MULTILINE)
    return int(m.group(1)) / 1024 if m else None


def cpu_process_s(pid: int) -> float | None:
    """User + system processor seconds of a process (its threads included)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_machine_s() -> float:
    """Busy processor seconds of the whole machine (every core), from /proc/stat."""
    values = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


class Memoire:
    """Samples the server's resident memory (VmRSS) in a thread: the peak of each phase."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.phase = "demarrage"
        self.pics: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(SAMPLE_S)

    def sample(self) -> None:
        rss = status_mo(self.pid, "VmRSS")
        if rss is not None:
            self.pics[self.phase] = max(self.pics.get(self.phase, 0.0), rss)

    def start(self) -> Memoire:
        self._thread.start()
        return self

    def switch(self, phase: str) -> None:
        self.sample()
        self.phase = phase
        self.sample()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()


# -- the browser sessions --------------------------------------------------------------------

def sonde(url: str) -> bool:
    """Streamlit's frontend, opened at /<page>, first probes /<page>/_stcore/health and
    /<page>/_stcore/host-config (in case the app is served under that path), then the root
    ones: those two 404 are its normal start, not an error."""
    path = urlsplit(url).path
    return path.endswith(PROBES) and path not in PROBES


# the script-state changes of the app after a click in the menu (a MutationObserver misses
# none, where polling could miss a short run)
OBSERVE = """() => { window.__etats = [];
    const app = document.querySelector('[data-testid="stApp"]');
    new MutationObserver(() => window.__etats.push(app.getAttribute('data-test-script-state')))
        .observe(app, {attributes: true, attributeFilter: ['data-test-script-state']}); }"""
RESET = "() => { window.__etats = []; }"
# the page asked for has run: at its address, the script idle, and either a run seen by the
# observer or the page's own title (or an exception) on screen (a Streamlit that rebuilt its
# app element would leave the observer on a node no longer shown)
RAN = """([path, title]) => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app || app.getAttribute('data-test-script-state') !== 'notRunning'
        || location.pathname !== path) return false;
    const titles = [...document.querySelectorAll('[data-testid="stMain"] h1')]
        .map(h => h.innerText.replace(/\\s+/g, ' ').trim());
    return (window.__etats || []).includes('running') || titles.includes(title)
        || document.querySelector('[data-testid="stException"]') !== null; }"""


class Onglet:
    """The tab of one session. `menu`: a page opens by a click on its link in the sidebar
    menu, as a user does (one Streamlit session for the tab's life); `adresse`: by its
    address (a full load: a new Streamlit session each time, the browser's cache kept). What
    goes wrong lands in the list of the visit in progress."""

    def __init__(self, page, base_url: str, navigation: str, pid: int) -> None:
        self.page, self.base_url, self.navigation, self.pid = page, base_url, navigation, pid
        self.errors: list[str] = []
        self.current: str | None = None        # url_path on screen
        self.etape = ""                         # what the visit waits for
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.errors.append(f"erreur JavaScript : {str(e)[:300]}"))
        page.on("response", self._response)

    def _console(self, message) -> None:
        if message.type == "error" and not sonde(message.location.get("url", "")):
            self.errors.append(f"console : {message.text[:300]}")

    def _response(self, response) -> None:
        if response.status >= 400 and not (response.status == 404 and sonde(response.url)):
            self.errors.append(f"HTTP {response.status} : {response.url}")

    async def _etape(self, etape: str, wait) -> None:
        """Await one wait, naming it for the message of a timeout."""
        self.etape = etape
        await wait

    async def _pret(self, timeout) -> None:
        """tools/browser.wait_ready without its network wait (done apart, untimed): the
        script has run, its title or an exception is on screen, every chart has drawn, the
        script is idle."""
        page = self.page
        await self._etape("script au repos", page.wait_for_selector(
            b.APP_READY, state="attached", timeout=timeout()))
        await self._etape("titre ou exception affichés", page.wait_for_selector(
            f"{PAGE_H1}, {b.EXCEPTION}", state="attached", timeout=timeout()))
        await self._etape("script au repos", page.wait_for_selector(
            b.APP_READY, state="attached", timeout=timeout()))
        await self._etape("graphiques dessinés", page.wait_for_function(
            b.CHARTS_DRAWN, timeout=timeout()))
        await self._etape("script au repos", page.wait_for_selector(
            b.APP_READY, state="attached", timeout=timeout()))

    async def _par_adresse(self, app_page: b.AppPage, timeout) -> None:
        await self._etape("chargement de la page", self.page.goto(
            self.base_url + app_page.route, wait_until="domcontentloaded", timeout=timeout()))
        await self._pret(timeout)

    async def _par_menu(self, app_page: b.AppPage, timeout) -> None:
        page = self.page
        await page.evaluate(RESET)
        link = page.locator(f'[data-testid="stSidebarNavLink"]'
                            f'[href="{self.base_url}{app_page.route}"]')
        await self._etape("clic dans le menu", link.click(timeout=timeout()))
        await self._etape("exécution de la page demandée", page.wait_for_function(
            RAN, arg=[urlsplit(self.base_url + app_page.route).path, app_page.title],
            timeout=timeout()))
        await self._pret(timeout)

    async def visiter(self, app_page: b.AppPage, visite: Visite, deadline: float,
                      delai_s: float) -> bool:
        """Open one page, time it, note what went wrong. False when the global deadline cut
        the visit short (then it counts neither as a time nor as an error)."""
        from playwright.async_api import Error as PlaywrightError

        page = self.page
        self.errors = visite.erreurs
        timeout_s = min(delai_s, deadline - time.monotonic())
        menu = (self.navigation == "menu" and self.current is not None
                and self.current != app_page.url_path)
        visite.navigation = "menu" if menu else "adresse"
        cpu0 = cpu_process_s(self.pid)
        t0 = time.monotonic()

        def timeout() -> float:
            """What is left of the visit's time, in ms."""
            return max(1.0, (t0 + timeout_s - time.monotonic()) * 1000)

        try:
            if menu:
                await self._par_menu(app_page, timeout)
            else:
                await self._par_adresse(app_page, timeout)
            elapsed = (time.monotonic() - t0) * 1000
            cpu1 = cpu_process_s(self.pid)
            if cpu0 is not None and cpu1 is not None:
                visite.cpu_ms = round((cpu1 - cpu0) * 1000)
            self.current = app_page.url_path
            # settle (untimed): requests still in flight, then the script still idle
            await self._etape("requêtes terminées", page.wait_for_load_state(
                "networkidle", timeout=timeout()))
            await self._etape("script au repos", page.wait_for_selector(
                b.APP_READY, state="attached", timeout=timeout()))
            if not menu and self.navigation == "menu":
                await page.evaluate(OBSERVE)
            for text in await page.locator(b.EXCEPTION).all_inner_texts():
                self.errors.append("exception affichée : " + " ".join(text.split())[:300])
            titles = [" ".join(t.split()) for t in await page.locator(PAGE_H1).all_inner_texts()]
            if app_page.title not in titles:
                self.errors.append(f"titre « {app_page.title} » absent (h1 : {titles})")
            visite.ms = elapsed
        except PlaywrightError as e:       # TimeoutError included
            self.current = None             # unknown state: the next visit loads its address
            if time.monotonic() >= deadline - 0.5:
                return False
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            if "Timeout" in type(e).__name__ or "Timeout" in first:
                self.errors.append(f"délai dépassé ({fmt_num(timeout_s, 0)} s) en attendant : "
                                   f"{self.etape}")
            else:
                self.errors.append(f"navigateur : {first[:300]}")
        finally:
            self.errors = []                # late events of this page: not the next visit's
            visite.rss_mo = _r(status_mo(self.pid, "VmRSS"))
            visite.hwm_mo = _r(status_mo(self.pid, "VmHWM"))
        return True


async def session(browser, base_url: str, plan: list[tuple[int, b.AppPage]], phase: str,
                  index: int, visites: list[Visite], t_phase: float, deadline: float,
                  delai_s: float, navigation: str, pid: int) -> bool:
    """One browser context (one user) and its tab: its pages in order. In `menu` mode, the
    session first arrives by the address of the page before its first one (tour 0, not in
    the figures). False when cut by the deadline."""
    context = await browser.new_context(viewport={"width": b.WIDTH, "height": HEIGHT},
                                        locale="fr-FR")
    try:
        onglet = Onglet(await context.new_page(), base_url, navigation, pid)
        if navigation == "menu" and len({p.url_path for _, p in plan}) > 1:
            plan = [(0, plan[-1][1]), *plan]
        for tour, app_page in plan:
            if time.monotonic() >= deadline:
                return False
            visite = Visite(phase, index, tour, app_page.url_path,
                            round(time.monotonic() - t_phase, 3))
            if not await onglet.visiter(app_page, visite, deadline, delai_s):
                return False
            visites.append(visite)
        return True
    finally:
        await context.close()


def plan_de(pages: list[b.AppPage], tours: int, decalage: int) -> list[tuple[int, b.AppPage]]:
    """`tours` rounds of every page, the round starting at page `decalage`."""
    n = len(pages)
    return [(tour, pages[(decalage + i) % n]) for tour in range(1, tours + 1) for i in range(n)]


def cpu_client_s(server_pid: int) -> float:
    """Processor seconds of this script's process tree (this Python, Playwright's driver,
    Chromium and its renderers, the reaped ones included), the server's tree left out."""
    parents: dict[int, int] = {}
    own: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(stat.parent.name)
        parents[pid] = int(fields[1])
        own[pid] = sum(int(x) for x in fields[11:15]) / tick   # utime stime cutime cstime

    def mine(pid: int) -> bool:
        while pid > 1:
            if pid == server_pid:
                return False
            if pid == os.getpid():
                return True
            pid = parents.get(pid, 0)
        return False

    return sum(t for pid, t in own.items() if mine(pid))


def charge_moyenne() -> float:
    """The machine's load average over the last minute."""
    return float(Path("/proc/loadavg").read_text().split()[0])


async def phases(base_url: str, pages: list[b.AppPage], args, memoire: Memoire, pid: int,
                 deadline: float) -> tuple[list[Visite], dict, bool]:
    """Opening (the first page of the first session: the server opens, and migrates if need
    be, the base), phase « seule » (one session) then « charge » (`--sessions` at once)."""
    from playwright.async_api import async_playwright

    visites: list[Visite] = []
    info: dict[str, dict] = {}
    complete = True
    accueil = next(p for p in b.discover_pages() if p.default)
    steps = [("ouverture", 1, lambda i: [(0, accueil)], None),
             ("seule", 1, lambda i: plan_de(pages, args.tours, 0), args.delai_page),
             ("charge", args.sessions,
              lambda i: plan_de(pages, args.tours, 0 if args.meme_ordre else i), args.delai_page)]
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(b.CHROMIUM),
                                          args=b.CHROMIUM_ARGS)
        try:
            for phase, n, plan, delai in steps:
                if n == 0:
                    continue
                if time.monotonic() >= deadline:
                    complete = False
                    break
                print(f"… {LIBELLES[phase](n, args.tours, len(pages))}", file=sys.stderr,
                      flush=True)
                memoire.switch(phase)
                t0, load0 = time.monotonic(), charge_moyenne()
                cpu0, client0, machine0 = cpu_process_s(pid), cpu_client_s(pid), cpu_machine_s()
                runs = [session(browser, base_url, plan(i), phase, i + 1, visites, t0, deadline,
                                delai or deadline - t0,
                                "adresse" if phase == "ouverture" else args.navigation, pid)
                        for i in range(n)]
                done = await asyncio.gather(*runs)
                cpu1, client1, machine1 = cpu_process_s(pid), cpu_client_s(pid), cpu_machine_s()
                info[phase] = {
                    "sessions": n,
                    "duree_s": round(time.monotonic() - t0, 2),
                    "cpu_serveur_s": None if None in (cpu0, cpu1) else round(cpu1 - cpu0, 2),
                    "cpu_navigateur_s": round(client1 - client0, 2),
                    "cpu_machine_s": round(machine1 - machine0, 2),
                    "coeurs": os.cpu_count(),
                    "charge_moyenne": [load0, charge_moyenne()],
                    "complete": all(done),
                }
                complete = complete and all(done)
                if not all(done):
                    break
        finally:
            await browser.close()
    memoire.switch("fin")
    return visites, info, complete


def _pl(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n > 1 else ''}"


LIBELLES = {
    "ouverture": lambda n, tours, pages: "ouverture de la base par le serveur, première page",
    "seule": lambda n, tours, pages: f"une session, {_pl(tours, 'tour')} de {_pl(pages, 'page')}",
    "charge": lambda n, tours, pages: (f"{n} sessions simultanées, {_pl(tours, 'tour')} de "
                                       f"{_pl(pages, 'page')}"),
}


# -- the report ------------------------------------------------------------------------------

def hausses_du_pic(visites: list[Visite]) -> dict[str, float]:
    """Per page, by how much its visits raised the server's peak resident memory (VmHWM),
    in the one-session visits (one after the other: each rise is that page's)."""
    rises: dict[str, float] = {}
    previous = None
    for v in visites:
        if v.phase not in ("ouverture", "seule") or v.hwm_mo is None:
            continue
        if previous is not None:
            rises[v.page] = rises.get(v.page, 0.0) + max(0.0, v.hwm_mo - previous)
        previous = v.hwm_mo
    return rises


def par_page(pages: list[b.AppPage], visites: list[Visite], cible: float) -> list[dict]:
    rows = []
    rises = hausses_du_pic(visites)
    for app_page in pages:
        mine = [v for v in visites if v.page == app_page.url_path]
        seule = [v for v in mine if v.phase == "seule" and v.tour >= 1 and v.ms is not None]
        froid = [v.ms for v in seule if v.tour == 1]
        cpu = [v.cpu_ms for v in seule if v.tour > 1 and v.cpu_ms is not None] \
            or [v.cpu_ms for v in seule if v.cpu_ms is not None]
        chaud = [v.ms for v in seule if v.tour > 1] or froid   # one round: all there is
        charge = [v for v in mine if v.phase == "charge" and v.tour >= 1 and v.ms is not None]
        charge = [v.ms for v in charge if v.tour > 1] or [v.ms for v in charge]
        median_1, p95_n = percentile(chaud, 50), percentile(charge, 95)
        ratio = p95_n / median_1 if median_1 and p95_n is not None else None
        rows.append({
            "page": app_page.url_path or "/",
            "titre": app_page.title,
            "seule": {"visites": len(chaud), "froid_ms": _r(froid[0] if froid else None),
                      "mediane_ms": _r(median_1), "p95_ms": _r(percentile(chaud, 95)),
                      "cpu_serveur_ms": _r(percentile(cpu, 50))},
            "charge": {"visites": len(charge), "mediane_ms": _r(percentile(charge, 50)),
                       "p95_ms": _r(p95_n), "max_ms": _r(max(charge, default=None))},
            "ratio": None if ratio is None else round(ratio, 2),
            "cible_atteinte": None if not cible else (ratio is not None and ratio <= cible),
            "erreurs": sum(bool(v.erreurs) for v in mine),
            "hausse_pic_mo": _r(rises.get(app_page.url_path)),
            "rss_max_mo": _r(max((v.rss_mo for v in mine if v.rss_mo is not None),
                                 default=None)),
        })
    return rows


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 1)


def table(rows: list[dict], sessions: int, cible: float) -> str:
    head = ["page", "1re visite", "médiane", "p95", "CPU serveur", f"médiane ×{sessions}",
            f"p95 ×{sessions}", "ratio", "erreurs", "pic mémoire"]
    keep = list(range(len(head))) if sessions else [0, 1, 2, 3, 4, 8, 9]
    lines = [[head[i] for i in keep]]
    for r in rows:
        ratio = "–" if r["ratio"] is None else f"×{fmt_num(r['ratio'], 2)}"
        if r["cible_atteinte"] is False:
            ratio += " !"
        line = [r["page"], fmt_ms(r["seule"]["froid_ms"]), fmt_ms(r["seule"]["mediane_ms"]),
                fmt_ms(r["seule"]["p95_ms"]), fmt_ms(r["seule"]["cpu_serveur_ms"]),
                fmt_ms(r["charge"]["mediane_ms"]),
                fmt_ms(r["charge"]["p95_ms"]), ratio, str(r["erreurs"]),
                "–" if r["hausse_pic_mo"] is None else f"+{fmt_mo(r['hausse_pic_mo'])}"]
        lines.append([line[i] for i in keep])
    widths = [max(len(line[i]) for line in lines) for i in range(len(keep))]
    out = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                     for i, (c, w) in enumerate(zip(line, widths, strict=True)))
           for line in lines]
    out.insert(1, "  ".join("-" * w for w in widths))
    legend = (f"1re visite (1er tour), médiane, p95 : une session seule ; ×{sessions} : "
              f"{sessions} sessions simultanées ; médianes et p95 à chaud (sans le 1er tour, "
              f"quand il y en a plusieurs, où le navigateur de chaque session charge aussi son "
              f"code) ; ratio : p95 ×{sessions} / médiane à une session")
    if not sessions:
        legend = "1re visite (1er tour), médiane, p95 (à chaud, sans le 1er tour quand il y en " \
                 "a plusieurs) : une session seule"
    elif cible:
        legend += f" (cible ≤ {fmt_num(cible, 1)}, « ! » : non atteinte)"
    legend += ("\nCPU serveur : temps processeur du serveur pendant une visite, à une session "
               "(médiane ; le reste du temps de la page est celui du navigateur et de l'attente)"
               "\npic mémoire : de combien les visites de la page, à une session, ont élevé le "
               "pic de mémoire résidente du serveur (VmHWM)")
    return "\n".join(out) + "\n" + legend


def journal_serveur(log: Path) -> list[str]:
    """Python tracebacks and error lines of the server's output."""
    try:
        text = log.read_text(errors="replace")
    except OSError:
        return []
    found, lines = [], text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("Traceback"):
            last = next((x for x in lines[i + 1:] if x and not x.startswith((" ", "\t"))), "")
            found.append(f"trace Python : {last.strip()[:300]}")
        elif re.search(r"\b(ERROR|CRITICAL)\b", line):
            found.append(line.strip()[:300])
    return found


def rapport(args, source: Path, taille_mo: float, pages, visites, info, complete,
            memoire: Memoire, hwm, log_errors, duree_s) -> tuple[dict, str]:
    rows = par_page(pages, visites, args.cible if args.sessions else 0)
    erreurs = [{"phase": v.phase, "session": v.session, "tour": v.tour, "page": v.page or "/",
                "message": m} for v in visites for m in v.erreurs]
    manquees = [r["page"] for r in rows if r["cible_atteinte"] is False]
    ok = complete and not erreurs and not log_errors and not manquees
    data = {
        "base": str(source), "copie": not args.sans_copie, "taille_mo": round(taille_mo),
        "sessions": args.sessions, "tours": args.tours,
        "cible": args.cible, "navigation": args.navigation,
        "pages": [p.url_path or "/" for p in pages],
        "complet": complete, "duree_s": round(duree_s, 1),
        "memoire_mo": {
            "demarrage": _r(memoire.pics.get("demarrage")),
            "pic_ouverture": _r(memoire.pics.get("ouverture")),
            "pic_seule": _r(memoire.pics.get("seule")),
            "pic_charge": _r(memoire.pics.get("charge")),
            "fin": _r(memoire.pics.get("fin")),
            "pic_processus": _r(hwm),
        },
        "phases": info,
        "par_page": rows,
        "erreurs": erreurs,
        "journal_serveur": log_errors,
        "visites": [asdict(v) for v in visites],
        "cible_atteinte": not manquees if args.cible and args.sessions else None,
        "ok": ok,
    }
    n = args.sessions
    mem = data["memoire_mo"]
    out = [f"Essai de charge — base {source}{'' if args.sans_copie else ' (copie)'}, "
           f"{fmt_num(taille_mo, 0)} Mo, {len(pages)} page{'s' if len(pages) > 1 else ''}, "
           f"{args.tours} tour{'s' if args.tours > 1 else ''}, "
           f"{f'1 puis {n} sessions simultanées' if n else 'une session'}, "
           f"navigation par {args.navigation}, {fmt_num(duree_s, 0)} s", "",
           table(rows, n, args.cible), ""]
    charge_mo = f", {fmt_mo(mem['pic_charge'])} avec {n} sessions" if n else ""
    out.append(f"Mémoire résidente du serveur : {fmt_mo(mem['demarrage'])} au démarrage, pic "
               f"{fmt_mo(mem['pic_ouverture'])} à l'ouverture, {fmt_mo(mem['pic_seule'])} avec "
               f"une session{charge_mo} ; pic du processus (VmHWM) "
               f"{fmt_mo(mem['pic_processus'])}.")
    ouverture = next((v for v in visites if v.phase == "ouverture"), None)
    if ouverture is not None and ouverture.ms is not None:
        out.append(f"Ouverture (le serveur ouvre la base, la migre au besoin, première page) : "
                   f"{fmt_ms(ouverture.ms)}.")
    for phase, label in (("seule", "une session"), ("charge", f"{n} sessions")):
        if phase in info and info[phase]["cpu_serveur_s"] is not None:
            i = info[phase]
            autres = i["cpu_machine_s"] - i["cpu_serveur_s"] - i["cpu_navigateur_s"]
            out.append(f"Processeur avec {label} ({fmt_num(i['duree_s'], 0)} s, "
                       f"{i['coeurs']} cœurs) : serveur {fmt_num(i['cpu_serveur_s'], 0)} s, "
                       f"navigateur {fmt_num(i['cpu_navigateur_s'], 0)} s, autres programmes "
                       f"{fmt_num(max(0.0, autres), 0)} s ; charge moyenne de la machine "
                       f"{fmt_num(i['charge_moyenne'][0], 1)} puis "
                       f"{fmt_num(i['charge_moyenne'][1], 1)}.")
    out.append("")
    if not complete:
        out.append(f"Interrompu : durée maximale ({fmt_num(args.duree_max, 1)} min) atteinte ; "
                   f"le rapport ne porte que sur les {len(visites)} visites terminées.")
    if erreurs or log_errors:
        out.append(f"{len(erreurs)} erreur{'s' if len(erreurs) > 1 else ''} dans les pages, "
                   f"{len(log_errors)} dans le journal du serveur :")
        for e in erreurs[:ERREURS_MONTREES]:
            out.append(f"  - {e['page']} (phase {e['phase']}, session {e['session']}, tour "
                       f"{e['tour']}) : {e['message']}")
        for line in log_errors[:ERREURS_MONTREES]:
            out.append(f"  - journal du serveur : {line}")
        if len(erreurs) > ERREURS_MONTREES or len(log_errors) > ERREURS_MONTREES:
            out.append("  - … (toutes dans --out)")
    else:
        out.append("Aucune erreur.")
    if args.cible and n:
        if manquees:
            out.append(f"Cible non atteinte (p95 ×{n} > {fmt_num(args.cible, 1)} × médiane à "
                       f"une session) : {', '.join(manquees)}.")
        elif complete:
            out.append(f"Cible atteinte sur chaque page (p95 ×{n} ≤ {fmt_num(args.cible, 1)} × "
                       f"médiane à une session).")
    return data, "\n".join(out)


# -- command line ----------------------------------------------------------------------------

def parse(argv: list[str] | None) -> tuple[argparse.Namespace, list[b.AppPage]]:
    parser = Parser(
        prog="tools/charge.py", description=__doc__.split("\n\n")[0].strip(),
        epilog="Code de sortie : 0 essai complet, sans erreur, cible tenue ; 1 sinon ; "
               "2 arguments invalides.")
    parser.add_argument("--db", type=Path, default=DEFAULT_DB,
                        help="base DuckDB (défaut : data/bench-grand.duckdb) ; l'essai tourne "
                             "sur une copie dans un dossier temporaire")
    parser.add_argument("--sans-copie", action="store_true",
                        help="ouvrir --db elle-même, sans copie (l'application la migre)")
    parser.add_argument("--sessions", type=int, default=10,
                        help="sessions simultanées de la 2e phase (défaut : 10 ; 0 : une "
                             "session seulement, sans ratio)")
    parser.add_argument("--tours", type=int, default=3,
                        help="tours de toutes les pages par session (défaut : 3)")
    parser.add_argument("--pages", default="",
                        help="url_path séparés par des virgules, « / » pour la page d'accueil "
                             "(défaut : toutes les pages)")
    parser.add_argument("--navigation", choices=("menu", "adresse"), default="menu",
                        help="menu (défaut) : chaque page s'ouvre d'un clic dans le menu latéral, "
                             "comme un utilisateur, dans la même session Streamlit ; adresse : "
                             "chaque page s'ouvre par son adresse (rechargement complet, nouvelle "
                             "session Streamlit à chaque page)")
    parser.add_argument("--meme-ordre", action="store_true",
                        help="toutes les sessions ouvrent les pages dans le même ordre (défaut : "
                             "chacune commence à une page différente)")
    parser.add_argument("--cible", type=float, default=2.0,
                        help="ratio maximal p95 sous charge / médiane à une session (défaut : 2 ; "
                             "0 : pas de cible)")
    parser.add_argument("--duree-max", type=float, default=15.0,
                        help="durée maximale de l'essai en minutes, démarrage compris (défaut : "
                             "15) : passé ce délai, l'essai s'arrête et rend ce qu'il a mesuré")
    parser.add_argument("--delai-page", type=float, default=DELAI_PAGE_S,
                        help=f"délai maximal d'une visite en secondes (défaut : {DELAI_PAGE_S})")
    parser.add_argument("--out", type=Path, help="écrire aussi le rapport en JSON")
    parser.add_argument("--journal", type=Path,
                        help="garder la sortie du serveur dans ce fichier")
    args = parser.parse_args(argv)

    if (why := b.missing_requirements()) is not None:
        parser.error(why)
    if not args.db.is_file():
        parser.error(f"base introuvable : {args.db}")
    if args.sessions < 0:
        parser.error("--sessions : 0 ou plus")
    if args.tours < 1:
        parser.error("--tours : au moins 1")
    if args.duree_max <= 0 or args.delai_page <= 0:
        parser.error("--duree-max et --delai-page : une durée positive")
    if args.cible < 0:
        parser.error("--cible : un ratio positif, ou 0 pour ne pas vérifier")
    pages = b.discover_pages()
    if args.pages:
        wanted = [w.strip() for w in args.pages.split(",") if w.strip()]
        known = {p.url_path: p for p in pages}
        known["/"] = next(p for p in pages if p.default)
        if unknown := [w for w in wanted if w not in known]:
            parser.error(f"pages inconnues : {', '.join(unknown)} "
                         f"(connues : {', '.join(p.url_path for p in pages)})")
        pages = [known[w] for w in wanted]
    return args, pages


def essai(args, pages: list[b.AppPage], tmp: Path) -> int:
    start = time.monotonic()
    deadline = start + args.duree_max * 60
    base = args.db.resolve()
    taille_mo = base.stat().st_size / 2**20
    if not args.sans_copie:
        print(f"… copie de {base}", file=sys.stderr, flush=True)
        copy = tmp / base.name
        shutil.copyfile(base, copy)
        if (wal := base.with_name(base.name + ".wal")).exists():
            shutil.copyfile(wal, copy.with_name(copy.name + ".wal"))
        base = copy
    log = args.journal.resolve() if args.journal else tmp / "serveur.log"
    print("… démarrage du serveur", file=sys.stderr, flush=True)
    try:
        server = b.start_server(base, log, timeout=max(1.0, deadline - time.monotonic()),
                                address="127.0.0.1")
    except (RuntimeError, TimeoutError) as e:
        print(f"charge : le serveur n'a pas démarré : {str(e).splitlines()[0]}",
              file=sys.stderr)
        return 1
    memoire = Memoire(server.proc.pid).start()
    hwm = None
    try:
        visites, info, complete = asyncio.run(
            phases(server.url, pages, args, memoire, server.proc.pid, deadline))
        hwm = status_mo(server.proc.pid, "VmHWM")
    finally:
        memoire.stop()
        server.stop()
    data, text = rapport(args, args.db, taille_mo, pages, visites, info, complete, memoire, hwm,
                         journal_serveur(log), time.monotonic() - start)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n",
                            encoding="utf-8")
    return 0 if data["ok"] else 1


def main(argv: list[str] | None = None) -> int:
    args, pages = parse(argv)
    try:
        with tempfile.TemporaryDirectory(prefix="charge-") as tmp:
            return essai(args, pages, Path(tmp))
    except KeyboardInterrupt:
        print("charge : interrompu.", file=sys.stderr)
        return 130
    except Exception as e:             # a message, never a traceback
        print(f"charge : erreur inattendue ({type(e).__name__}) : {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
