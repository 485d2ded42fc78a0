"""The database file itself: who may replace it, and how to recover a base that will not open.

Protocol (issue 28). DuckDB's own lock sits on the file's inode: once a file is renamed over,
a process that still holds the old inode is no longer seen, and its next write lands in a dead
file while its WAL (found by *name*) goes next to the new one — the base then never opens again.
So every process that opens a base also takes an advisory lock on a stable side file
`<base>.lock` (`fcntl.flock`): shared for every `Database`, exclusive for whoever replaces the
file (restore, `demo --force`, recovery). The exclusive holder also opens the base read-write
with DuckDB (processes of older versions, which do not know the side file, are caught there),
checkpoints and closes it, then renames the new file over the base — the side file is never
renamed, so the whole window, close → rename → reopen, stays protected.

Inside one process (Streamlit sessions share one cached `Database`), the replacer first closes
every `Database` open on that file and marks it as replaced: a session that still holds one
gets `RESTAUREE` on its next read or write, never a write into a dead file.

A base whose WAL does not match (left by such an accident, or copied from elsewhere) raises
`WalInvalideError`; both files are first copied, untouched, into `recuperation/` beside the
base; `ouvrir_sans_wal` or a restore then repairs it.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import duckdb

from fluxcore.errors import DatabaseError, DatabaseLockedError, ReglageError
from fluxcore.formats import fmt_taille

try:                                   # POSIX only; elsewhere DuckDB's own lock is all there is
    import fcntl
except ImportError:                    # pragma: no cover
    fcntl = None

RESTAUREE = ("La base a été restaurée pendant votre session : rechargez la page (ou relancez la "
             "commande). Rien n'a été écrit.")

_LOCK_PID = re.compile(r"PID (\d+)")
_WAL_ERROR = re.compile(r"\bWAL\b", re.I)

_guard = threading.Lock()
_OUVERTES: dict[str, weakref.WeakSet] = {}     # resolved path → states of open Databases
_EXCLUSIFS: dict[str, int] = {}                # resolved path → thread replacing it


def cle(path: str | Path) -> str:
    return str(Path(path).resolve())


def wal_de(path: str | Path) -> Path:
    return Path(str(path) + ".wal")


def verrou_de(path: str | Path) -> Path:
    return Path(str(path) + ".lock")


def identite(path: str | Path) -> tuple[int, int] | None:
    """(device, inode) of the file, None if absent: changes when a file is renamed over it."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_dev, st.st_ino)


def message_verrou(path: str | Path, pid: str | None = None) -> str:
    who = f"le processus {pid}" if pid else "un autre processus"
    return (f"La base de données « {path} » est verrouillée : {who} l'a ouverte en écriture "
            "(DuckDB n'admet qu'un seul processus écrivain, et aucun lecteur pendant ce temps). "
            "Arrêtez l'application Streamlit ou la commande en cours sur ce fichier, "
            "puis relancez la commande.")


def message_remplacement(path: str | Path) -> str:
    return (f"La base de données « {path} » est en cours de remplacement (restauration ou "
            "régénération de la démonstration) : réessayez dans un instant.")



class WalInvalideError(DatabaseError):
    """The base's WAL cannot be replayed on it (it belongs to another state of the file)."""

    def __init__(self, message: str, path: str, taille_wal: int, dossier: Path | None):
        super().__init__(message)
        self.path, self.taille_wal, self.dossier = path, taille_wal, dossier


def est_erreur_wal(text: str) -> bool:
    low = text.lower()
    return bool(_WAL_ERROR.search(text)) and ("replay" in low or "checkpoint iteration" in low
                                              or "wal file" in low)


def dossier_recuperation(path: str | Path) -> Path:
    return Path(path).resolve().parent / "recuperation"


def mettre_de_cote(path: str | Path) -> Path | None:
    """Copy the base and its WAL, untouched, into `recuperation/<nom>.<horodatage>.duckdb[.wal]`
    (once per state of the files: same sizes and dates → no new copy). Returns the folder, or
    None if the copy failed (read-only folder, disk full): the originals are never touched."""
    path = Path(path)
    wal = wal_de(path)
    dossier = dossier_recuperation(path)
    try:
        sources = [p for p in (path, wal) if p.exists()]
        stats = [p.stat() for p in sources]
        for copie in dossier.glob(f"{path.stem}.*{path.suffix}") if dossier.exists() else []:
            twins = [copie, wal_de(copie)][:len(sources)]
            if all(t.exists() and t.stat().st_size == s.st_size
                   and t.stat().st_mtime_ns == s.st_mtime_ns for t, s in zip(twins, stats)):
                return dossier
        dossier.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        copie = dossier / f"{path.stem}.{stamp}{path.suffix}"
        for src, dst in zip(sources, (copie, wal_de(copie))):
            shutil.copy2(src, dst)
        return dossier
    except OSError:
        return None


def erreur_wal(path: str | Path, detail: str) -> WalInvalideError:
    """The French explanation of an unreplayable WAL, after copying both files aside."""
    wal = wal_de(path)
    taille = wal.stat().st_size if wal.exists() else 0
    dossier = mettre_de_cote(path)
    copie = (f"une copie intacte des deux fichiers est rangée dans « {dossier} »" if dossier
             else "la copie de côté a échoué : copiez vous-même les deux fichiers avant tout")
    return WalInvalideError(
        f"La base « {path} » ne s'ouvre pas : son journal d'écritures « {wal.name} » "
        f"({fmt_taille(taille)}) ne correspond pas au fichier (il vient d'un autre état de la "
        "base, par exemple après un remplacement du fichier pendant que l'application "
        f"tournait). Rien n'a été modifié ; {copie}. Deux choix : ouvrir la base sans ce "
        f"journal (« python -m fluxcore recuperer --db {path} --sans-wal » : les écritures "
        f"faites depuis le dernier point de contrôle, {fmt_taille(taille)} de journal, sont "
        f"perdues) ou restaurer la dernière sauvegarde vérifiée (« python -m fluxcore "
        f"recuperer --db {path} --depuis SAUVEGARDE.duckdb »), ce que propose aussi la page "
        f"Données. Détail DuckDB : {detail}", str(path), taille, dossier)


# -- bounds of heavy work: memory, spill folder, threads (issue 27) -------------------------
# DuckDB works within `memory_limit` and spills what does not fit (sorts, joins, aggregates of
# a big import or recalculation) into `temp_directory`, up to `max_temp_directory_size`. These
# come from the server's environment and are applied to every connection (`connect`):
#   FLUX_MEMOIRE   memory DuckDB may use: « 2GB », « 512 Mo », « 60% » (of the memory DuckDB
#                  sees: the machine's, or the container's limit). Default 60 %: DuckDB's own
#                  default (80 %) leaves too little to the rest of the same process — Streamlit,
#                  the pages' pandas frames and caches live outside DuckDB's bound — and the
#                  system then kills the whole server rather than DuckDB spilling.
#   FLUX_TEMP      folder of the spill files. Default: `<base>.tmp` beside the base (DuckDB's
#                  own default place: the disk sized for the data, not /tmp, often a tmpfs in
#                  memory, which would defeat the spilling); with FLUX_TEMP, `<FLUX_TEMP>/<file
#                  name of the base>.tmp`. Created 0700: the spilled rows are personal data.
#   FLUX_TEMP_MAX  room the spill files may take (default DuckDB's: 90 % of the free disk).
#   FLUX_THREADS   DuckDB's threads (default: one per core); fewer threads use less memory.
# preserve_insertion_order is left on: imports number their rows (error reports give the
# line of the file) and pages show some results in insertion order.
MEMOIRE_PART_DEFAUT = 60
MEMOIRE_MIN = 8 * 10**6           # below, DuckDB cannot even open and migrate a base
_UNITES = {"": 1, "b": 1, "o": 1, "kb": 10**3, "ko": 10**3, "mb": 10**6, "mo": 10**6,
           "gb": 10**9, "go": 10**9, "tb": 10**12, "to": 10**12, "kib": 2**10, "mib": 2**20,
           "gib": 2**30, "tib": 2**40}
_TAILLE = re.compile(r"\s*([0-9]+(?:[.,][0-9]+)?)\s*([a-zA-Z]*)\s*")
_POURCENT = re.compile(r"\s*([0-9]+(?:[.,][0-9]+)?)\s*%\s*")


def octets(texte: str) -> int | None:
    """« 2GB », « 512 Mo », « 1.5GiB », « 300000000 » in bytes; None if unreadable."""
    m = _TAILLE.fullmatch(texte)
    if not m or m.group(2).lower() not in _UNITES:
        return None
    return int(float(m.group(1).replace(",", ".")) * _UNITES[m.group(2).lower()])


@cache
def memoire_visible() -> int:
    """The memory DuckDB sees (the machine's, or the container's limit): its default
    memory_limit is 80 % of it."""
    con = duckdb.connect(":memory:")
    try:
        defaut = con.execute("select current_setting('memory_limit')").fetchone()[0]
    finally:
        con.close()
    return int((octets(defaut) or 2**30) / 0.8)


@dataclass(frozen=True)
class Reglages:
    memoire: int                 # bytes
    temp: Path | None            # None: DuckDB's default (an in-memory base)
    temp_max: int | None         # None: DuckDB's default
    threads: int | None          # None: DuckDB's default


def _erreur(variable: str, valeur: str, attendu: str) -> ReglageError:
    return ReglageError(f"Réglage {variable} illisible : « {valeur} » (attendu {attendu}). "
                        f"Corrigez la variable d'environnement {variable} du serveur, ou "
                        "retirez-la pour la valeur par défaut.")


def reglages(path: str) -> Reglages:
    """The bounds for a base at `path`, read from the environment (ReglageError, French, if
    a value cannot be read)."""
    env = os.environ
    brut = env.get("FLUX_MEMOIRE", "").strip()
    if not brut:
        memoire = memoire_visible() * MEMOIRE_PART_DEFAUT // 100
    elif m := _POURCENT.fullmatch(brut):
        part = float(m.group(1).replace(",", "."))
        if not 1 <= part <= 100:
            raise _erreur("FLUX_MEMOIRE", brut, "un pourcentage entre 1 % et 100 %")
        memoire = int(memoire_visible() * part / 100)
    else:
        memoire = octets(brut)
        if memoire is None:
            raise _erreur("FLUX_MEMOIRE", brut, "une taille comme 2GB, 512MB, 4 Go ou 60%")
    if memoire < MEMOIRE_MIN:
        raise _erreur("FLUX_MEMOIRE", brut, "au moins 8MB ; 1GB ou plus pour un import")
    temp_max = None
    brut_max = env.get("FLUX_TEMP_MAX", "").strip()
    if brut_max:
        temp_max = octets(brut_max)
        if not temp_max:
            raise _erreur("FLUX_TEMP_MAX", brut_max, "une taille comme 20GB ou 500 Go")
    threads = None
    brut_threads = env.get("FLUX_THREADS", "").strip()
    if brut_threads:
        if not brut_threads.isdigit() or not 1 <= int(brut_threads) <= 1024:
            raise _erreur("FLUX_THREADS", brut_threads, "un nombre entier de 1 à 1024")
        threads = int(brut_threads)
    dossier = env.get("FLUX_TEMP", "").strip()
    if dossier:
        racine = Path(dossier).expanduser()
        if racine.exists() and not racine.is_dir():
            raise _erreur("FLUX_TEMP", dossier, "un dossier")
    if path == ":memory:":      # a scratch base (tests, checks): DuckDB's default place
        temp = None
    elif dossier:
        temp = racine.absolute() / f"{Path(path).name}.tmp"
    else:
        temp = Path(path).absolute().parent / f"{Path(path).name}.tmp"
    return Reglages(memoire, temp, temp_max, threads)


def appliquer_reglages(con: duckdb.DuckDBPyConnection, path: str) -> Reglages:
    """Apply `reglages(path)` to the connection's database (settings of the instance)."""
    r = reglages(path)
    con.execute(f"set memory_limit = '{r.memoire}B'")             # integers: no user text
    if r.threads:
        con.execute(f"set threads = {r.threads}")
    if r.temp_max:
        con.execute(f"set max_temp_directory_size = '{r.temp_max}B'")
    if r.temp is not None:
        # 0700: spilled rows are personal data. A read-only folder: DuckDB says so only if
        # it ever has to spill.
        with contextlib.suppress(OSError):
            r.temp.mkdir(mode=0o700, parents=True, exist_ok=True)
        chemin = str(r.temp).replace("'", "''")
        con.execute(f"set temp_directory = '{chemin}'")
    return r


def connect(path: str, read_only: bool) -> duckdb.DuckDBPyConnection:
    """duckdb.connect with French errors (lock held by another process, unreplayable WAL),
    and the bounds of `reglages` applied (ReglageError, French, if one cannot be read)."""
    reglages(path)                      # refused before anything is opened
    try:
        con = duckdb.connect(path, read_only=read_only)
    except duckdb.IOException as exc:
        text = str(exc)
        if "lock" in text.lower():
            pid = _LOCK_PID.search(text)
            raise DatabaseLockedError(message_verrou(path, pid.group(1) if pid else None)) \
                from exc
        if est_erreur_wal(text):
            raise erreur_wal(path, text) from exc
        raise DatabaseError(f"Impossible d'ouvrir la base « {path} » : {text}") from exc
    except duckdb.Error as exc:
        if est_erreur_wal(str(exc)):
            raise erreur_wal(path, str(exc)) from exc
        raise DatabaseError(f"Impossible d'ouvrir la base « {path} » : {exc}") from exc
    try:
        appliquer_reglages(con, path)
    except BaseException:
        con.close()
        raise
    return con


# -- the side lock file ---------------------------------------------------------------------
def _flock(path: str | Path, exclusif: bool) -> Any | None:
    """The open side file holding the lock, or None where locks are unavailable (no fcntl,
    read-only folder). Raises DatabaseLockedError if it is held the other way."""
    if fcntl is None:
        return None
    try:
        handle = open(verrou_de(path), "a+b")           # noqa: SIM115 — kept open while held
    except OSError:
        return None
    try:
        fcntl.flock(handle, (fcntl.LOCK_EX if exclusif else fcntl.LOCK_SH) | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise DatabaseLockedError(message_verrou(path) if exclusif
                                  else message_remplacement(path)) from None
    except OSError:
        handle.close()
        return None
    return handle


def prendre_partage(path: str | Path, etat: Any) -> Any | None:
    """Shared lock of a Database opening `path`, and its registration in this process. None
    when this very thread is replacing the file (it already holds the exclusive lock)."""
    key = cle(path)
    with _guard:
        owner = _EXCLUSIFS.get(key)
        if owner is not None and owner != threading.get_ident():
            raise DatabaseLockedError(message_remplacement(path))
        handle = None if owner is not None else _flock(path, exclusif=False)
        _OUVERTES.setdefault(key, weakref.WeakSet()).add(etat)
    return handle


def oublier(path: str | Path, etat: Any) -> None:
    with _guard:
        opened = _OUVERTES.get(cle(path))
        if opened is not None:
            opened.discard(etat)


def _invalider(key: str) -> None:
    """Close every Database of this process open on the file and mark it replaced."""
    with _guard:
        opened = list(_OUVERTES.pop(key, ()))
    for etat in opened:
        etat.marquer_remplacee()


class Remplacement:
    """Exclusive hold of a base being replaced (see the module docstring)."""

    def __init__(self, path: Path):
        self.path = path
        self._con: duckdb.DuckDBPyConnection | None = None
        self.remplace = False

    def remplacer(self, nouveau: Path) -> None:
        """Checkpoint and close our handle, set a leftover WAL aside, rename `nouveau` over."""
        with open(nouveau, "rb+") as f:
            os.fsync(f.fileno())
        if self._con is not None:
            self._con.execute("checkpoint")
            self._con.close()
            self._con = None
        wal = wal_de(self.path)
        if wal.exists():       # belongs to the old file: kept aside (already copied if broken)
            dossier = dossier_recuperation(self.path)
            dossier.mkdir(parents=True, exist_ok=True)
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
            os.replace(wal, dossier / f"{self.path.name}.{stamp}.ancien.wal")
        os.replace(nouveau, self.path)
        self.remplace = True


@contextmanager
def remplacement(path: str | Path) -> Iterator[Remplacement]:
    """Hold `path` exclusively to replace it: refused (DatabaseLockedError, French) if another
    process has it open; this process's own Databases on it are closed and marked replaced.
    A base whose WAL is broken may be replaced (both files are first copied aside)."""
    path = Path(path)
    key = cle(path)
    with _guard:
        if key in _EXCLUSIFS:
            raise DatabaseLockedError(message_remplacement(path))
        _EXCLUSIFS[key] = threading.get_ident()
    handle = None
    hold = Remplacement(path)
    try:
        _invalider(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = _flock(path, exclusif=True)
        if path.exists():
            try:
                hold._con = connect(str(path), read_only=False)
            except WalInvalideError:
                hold._con = None         # nobody can open it; its files are set aside
        yield hold
    finally:
        if hold._con is not None:
            hold._con.close()
        if handle is not None:
            handle.close()
        with _guard:
            _EXCLUSIFS.pop(key, None)


def ouvrir_sans_wal(path: str | Path) -> int:
    """Open a base whose WAL is broken without it (the WAL is set aside in recuperation/, the
    writes it held are lost); returns the WAL's size in bytes (0: nothing to do)."""
    path = Path(path)
    wal = wal_de(path)
    if not path.exists():
        raise DatabaseError(f"La base de données « {path} » n'existe pas.")
    with remplacement(path) as hold:
        if hold._con is not None:
            return 0                     # it opens: nothing to recover
        taille = wal.stat().st_size if wal.exists() else 0
        if mettre_de_cote(path) is None:
            raise DatabaseError(f"Impossible de copier « {path} » et son journal dans "
                                f"« {dossier_recuperation(path)} » : rien n'a été modifié.")
        if wal.exists():
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
            os.replace(wal, dossier_recuperation(path) / f"{path.name}.{stamp}.ecarte.wal")
        con = connect(str(path), read_only=False)
        con.close()
    return taille
