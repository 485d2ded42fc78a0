"""The server's scheduled work (fluxcore.planification) in one daemon thread per process,
started and stopped by web.application.lifespan: it runs a round at start, then one every
minute, on the process's shared connection to FLUX_DB (fluxcore.db.partagee, the one the
app's sessions use). A round that meets a restore in progress waits for the next one."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from fluxcore.db import Database, partagee
from fluxcore.planification import Planificateur, avertissements, ecrire_journal, lire_reglages

ROOT = Path(__file__).resolve().parent.parent
INTERVALLE_S = 60.0


def base_du_serveur(env=None) -> str:
    """FLUX_DB, else data/demo.duckdb: the same string as ui.data.DEFAULT_DB, so that the
    server and the app share one connection (partagee is keyed by that string)."""
    env = os.environ if env is None else env
    return env.get("FLUX_DB", str(ROOT / "data" / "demo.duckdb"))


class Fil:
    """A daemon thread calling `tour()` now, then every `intervalle` seconds (or at once when
    woken), until stopped. A round that raises is written on stderr; the thread goes on."""

    def __init__(self, tour: Callable[[], object], intervalle: float = INTERVALLE_S,
                 ecrire: Callable[[str], None] = ecrire_journal):
        self.tour, self.intervalle, self.ecrire = tour, intervalle, ecrire
        self.tours = 0
        self._arret = threading.Event()
        self._reveil = threading.Event()
        self._fait = threading.Condition()
        self._thread = threading.Thread(target=self._boucle, name="flux-taches", daemon=True)

    def _boucle(self) -> None:
        while not self._arret.is_set():
            try:
                self.tour()
            except Exception as exc:       # never let the scheduled work die silently
                self.ecrire(f"Tâches planifiées : tour interrompu ({type(exc).__name__} : "
                            f"{exc}) ; nouvel essai au tour suivant.")
            with self._fait:
                self.tours += 1
                self._fait.notify_all()
            self._reveil.wait(self.intervalle)
            self._reveil.clear()

    def demarrer(self) -> Fil:
        self._thread.start()
        return self

    def reveiller(self) -> None:
        """Run the next round now rather than at the end of the interval."""
        self._reveil.set()

    def attendre_tours(self, n: int, limite: float) -> bool:
        """Wait until `n` rounds are done (False if `limite` seconds pass first)."""
        with self._fait:
            return self._fait.wait_for(lambda: self.tours >= n, timeout=limite)

    def arreter(self, limite: float = 60.0) -> None:
        """Stop after the round in progress (a backup is never cut short)."""
        self._arret.set()
        self._reveil.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(limite)

    @property
    def vivant(self) -> bool:
        return self._thread.is_alive()


_FIL: Fil | None = None
_PLAN: Planificateur | None = None
_VERROU = threading.Lock()


def demarrer(env=None, ouvrir: Callable[[str], Database] = partagee,
             horloge: Callable[[], datetime] = datetime.now, intervalle: float = INTERVALLE_S,
             ecrire: Callable[[str], None] = ecrire_journal, purger: Callable | None = None,
             modeles: Callable[[Database], list] | None = None) -> Fil:
    """Start this process's scheduled work (one thread per process: a second call returns
    the running one). Says on stderr what is scheduled, or why backups are off."""
    global _FIL, _PLAN
    with _VERROU:
        if _FIL is not None and _FIL.vivant:
            return _FIL
        reglages = lire_reglages(env)
        for message in avertissements(reglages):
            ecrire(message)
        _PLAN = Planificateur(base_du_serveur(env), reglages, ouvrir=ouvrir, horloge=horloge,
                              purger=purger, ecrire=ecrire, modeles=modeles)
        _FIL = Fil(_PLAN.tour, intervalle, ecrire).demarrer()
        return _FIL


def en_service(base: str) -> bool:
    """The scheduled work runs in this process on `base` (the server, not a bare
    `streamlit run app.py` nor another base chosen in the open demo)."""
    with _VERROU:
        fil, plan = _FIL, _PLAN
    return (fil is not None and fil.vivant and plan is not None
            and Path(plan.base).resolve() == Path(base).resolve())


def reestimer_modeles(base: str) -> bool:
    """Have the scheduled work refit the simulator's models of `base` now, in its own thread
    (after an import made in the app: the user does not wait for the fit); False when it
    does not run on that base (the caller then refits itself)."""
    with _VERROU:
        fil, plan = _FIL, _PLAN
    if fil is None or plan is None or not en_service(base):
        return False
    plan.demander_modeles()
    fil.reveiller()
    return True


def arreter(limite: float = 60.0) -> None:
    """Stop this process's scheduled work (at server shutdown)."""
    global _FIL
    with _VERROU:
        fil, _FIL = _FIL, None
    if fil is not None:
        fil.arreter(limite)
