"""Password sign-in sessions kept by the server, and the brake on password guessing.

A session is a random 32-byte token given to the browser in a signed cookie (HMAC-SHA256,
secret `FLUX_SECRET`, else a random secret made once and kept in the store); the store keeps
only the token's SHA-256, so a copy of the store opens no session. A session ends at its
expiry (`FLUX_SESSION_HEURES`, default 12 h), at sign-out (every tab sharing the cookie), and
as soon as its account is removed, disabled or given a new password.

The brake counts failed sign-ins per identifier and per address: from the 3rd failure in a
row each attempt waits 1, 2, 4 then 8 s before the answer; the 10th failure within 15 min
locks sign-in for 15 min (no password is even checked meanwhile), written to the base's
audit_log (action « connexion_verrouillee »). A success clears the count. Each attempt is
booked as a failure before its password is checked (one SQLite transaction), so attempts
made at the same time count each other. docs/connexion.md describes the settings.

The store is a small SQLite file (`FLUX_SESSIONS`, else `<users file>.sessions.sqlite3`),
created 0600: sessions live outside DuckDB, so they survive a restore and never wait for the
base's write lock.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import os
import secrets
import sqlite3
import sys
import threading
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from fluxcore import acces, etat
from fluxcore.acces import AccesRefuseError, Compte, Utilisateur
from fluxcore.errors import FluxcoreError

COOKIE = "flux_session"
PAGE_CONNEXION, PAGE_DECONNEXION = "/_flux/connexion", "/_flux/deconnexion"  # web.connexion
VAR_SECRET, VAR_MAGASIN, VAR_DUREE = "FLUX_SECRET", "FLUX_SESSIONS", "FLUX_SESSION_HEURES"
VAR_ECHECS, VAR_MINUTES = "FLUX_VERROU_ECHECS", "FLUX_VERROU_MINUTES"
SECRET_MIN = 32          # characters
DUREE_DEFAUT, DUREE_MIN, DUREE_MAX = 12.0, 0.25, 24.0 * 30   # hours
ECHECS_AVANT_DELAI = 3   # failures in a row answered at once; then 1, 2, 4, 8 s
DELAI_MAX = 8            # seconds
ECHECS_VERROU = 10       # failures within the window that lock sign-in
MINUTES_VERROU = 15      # the window, and how long the lock lasts
ACTIVITE = 60            # seconds between two updates of a session's last activity
SCHEMA = """
create table if not exists sessions (
    empreinte text primary key,   -- SHA-256 of the token (the token itself is never kept)
    login text not null,
    creee real not null,
    expire real not null,
    revoquee real,
    activite real not null,
    adresse text,
    mot_de_passe text not null    -- SHA-256 of the account's password hash at sign-in
);
create index if not exists sessions_login on sessions (login);
create table if not exists echecs (   -- failed sign-ins since the last success or lock
    cle text not null,            -- 'identifiant:<login>' or 'adresse:<ip>'
    moment real not null
);
create index if not exists echecs_cle on echecs (cle, moment);
create table if not exists verrous (
    cle text primary key,
    debut real not null,
    fin real not null
);
create table if not exists reglages (nom text primary key, valeur text not null);
"""

_serveur = False  # set by web.application under `streamlit run serveur.py`


class SessionsError(FluxcoreError):
    """A session setting or store the server cannot use: the app stays closed."""


class ConnexionVerrouilleeError(AccesRefuseError):
    """Too many failed sign-ins: refused without checking the password until `fin`."""

    def __init__(self, fin: float):
        self.fin = fin
        super().__init__(
            f"Trop de tentatives de connexion échouées : la connexion est bloquée jusqu'à "
            f"{heure(fin)}. Réessayez ensuite, ou demandez à un administrateur de vérifier "
            "le compte.")


def heure(moment: float) -> str:
    """« 14 h 05 », local time (the day too when it is not today)."""
    when, now = datetime.fromtimestamp(moment), datetime.now()
    text = f"{when.hour} h {when.minute:02d}"
    return text if when.date() == now.date() else f"{text} le {when:%d/%m/%Y}"


def activer_serveur(actif: bool = True) -> None:
    """Sessions by cookie are on: the server (web/) serves the sign-in page."""
    global _serveur
    _serveur = actif


def en_serveur() -> bool:
    return _serveur


@dataclass(frozen=True)
class Reglages:
    duree: float            # seconds
    echecs_verrou: int
    minutes_verrou: float


def _nombre(variable: str, defaut: float, bas: float, haut: float, unite: str) -> float:
    raw = (os.environ.get(variable) or "").strip()
    if not raw:
        return defaut
    try:
        value = float(raw.replace(",", "."))
    except ValueError:
        value = math.nan
    if not bas <= value <= haut:   # also refuses nan
        raise SessionsError(f"{variable}={raw!r} : indiquez un nombre de {unite} entre "
                            f"{_fr(bas)} et {_fr(haut)} (sans la variable : {_fr(defaut)}).")
    return value


def _fr(x: float) -> str:
    return f"{x:g}".replace(".", ",")


def reglages() -> Reglages:
    """The session and lock settings from the environment; SessionsError when invalid."""
    return Reglages(
        _nombre(VAR_DUREE, DUREE_DEFAUT, DUREE_MIN, DUREE_MAX, "heures") * 3600,
        int(_nombre(VAR_ECHECS, ECHECS_VERROU, ECHECS_AVANT_DELAI + 1, 1000, "échecs")),
        _nombre(VAR_MINUTES, MINUTES_VERROU, 1, 24 * 60, "minutes"))


def chemin_magasin(fichier_comptes: Path | None) -> Path:
    value = (os.environ.get(VAR_MAGASIN) or "").strip()
    if value:
        return Path(value)
    if fichier_comptes is None:
        raise SessionsError(f"Indiquez le fichier des sessions avec {VAR_MAGASIN}.")
    return Path(fichier_comptes).with_name(Path(fichier_comptes).name + ".sessions.sqlite3")


def _empreinte(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _attente(echecs: int) -> float:
    """Seconds to wait before checking an attempt that follows `echecs` failures."""
    if echecs < ECHECS_AVANT_DELAI:
        return 0.0
    return float(min(DELAI_MAX, 2 ** (echecs - ECHECS_AVANT_DELAI)))


@dataclass(frozen=True)
class Essai:
    """A booked sign-in attempt (Magasin.reserver): wait `delai` s, then Magasin.conclure."""
    login: str
    adresse: str | None
    delai: float


def _cles(login: str, adresse: str | None) -> list[str]:
    return [f"identifiant:{(login or '').strip().lower()[:200]}",
            f"adresse:{adresse or 'locale'}"]


class Magasin:
    """The session store and the sign-in brake on one SQLite file. `horloge` (seconds since
    the epoch) and `base` (DuckDB file of the audit_log) are injectable for tests."""

    def __init__(self, path: str | Path, secret: str | None = None,
                 reglages_: Reglages | None = None, horloge: Callable[[], float] = time.time,
                 base: str | Path | None = None):
        self.path = Path(path)
        self.reglages = reglages_ or reglages()
        self.horloge = horloge
        self.base = base
        self._creer()
        self.secret = (secret or self._secret_garde()).encode()

    # -- the file ----------------------------------------------------------------------------
    def _creer(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
            os.chmod(self.path, 0o600)        # whatever the umask or an older file said
            with closing(self._connexion()) as con, con:
                con.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise SessionsError(
                f"Le fichier des sessions « {self.path} » ne peut pas être créé ou ouvert "
                f"({exc}). Donnez avec {VAR_MAGASIN} le chemin d'un fichier que le serveur "
                "peut écrire.") from exc

    def _connexion(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10, isolation_level="IMMEDIATE")

    def _ecrire(self, sql: str, params: tuple = ()) -> int:
        with closing(self._connexion()) as con, con:
            return con.execute(sql, params).rowcount

    def _lire(self, sql: str, params: tuple = ()) -> list[tuple]:
        with closing(self._connexion()) as con:
            return con.execute(sql, params).fetchall()

    def _secret_garde(self) -> str:
        with closing(self._connexion()) as con, con:
            con.execute("insert or ignore into reglages values ('secret', ?)",
                        (secrets.token_urlsafe(48),))
            return con.execute("select valeur from reglages where nom = 'secret'").fetchone()[0]

    # -- sessions ----------------------------------------------------------------------------
    def signer(self, token: str, usage: str = "session") -> str:
        return _b64(hmac.new(self.secret, f"{usage}:{token}".encode(), "sha256").digest())

    def signe(self, valeur: str | None, usage: str = "session") -> str | None:
        """The token of a signed value « token.signature », or None if it does not verify."""
        token, _, signature = (valeur or "").partition(".")
        if not token or not hmac.compare_digest(signature.encode(),
                                                self.signer(token, usage).encode()):
            return None
        return token

    def ouvrir(self, compte: Compte, adresse: str | None = None) -> str:
        """Open a session for a signed-in account; returns the cookie's value."""
        token = _b64(secrets.token_bytes(32))
        now = self.horloge()
        self._ecrire("insert into sessions values (?, ?, ?, ?, null, ?, ?, ?)",
                     (_empreinte(token), compte.utilisateur.login, now,
                      now + self.reglages.duree, now, adresse,
                      _empreinte(compte.empreinte or "")))
        self._purger(now)
        return f"{token}.{self.signer(token)}"

    def verifier(self, valeur: str | None, comptes: dict[str, Compte]) -> Utilisateur | None:
        """The user of a live session (the account as the users file says now), or None:
        bad signature, unknown, signed out, expired, account removed or disabled, password
        changed since sign-in."""
        token = self.signe(valeur)
        if token is None:
            return None
        rows = self._lire("select login, expire, revoquee, activite, mot_de_passe "
                          "from sessions where empreinte = ?", (_empreinte(token),))
        if not rows:
            return None
        login, expire, revoquee, activite, mot_de_passe = rows[0]
        now = self.horloge()
        compte = comptes.get(login)
        if (revoquee is not None or now >= expire or compte is None
                or not getattr(compte, "actif", True)
                or not hmac.compare_digest(mot_de_passe, _empreinte(compte.empreinte or ""))):
            return None
        if now - activite >= ACTIVITE:
            self._ecrire("update sessions set activite = ? where empreinte = ?",
                         (now, _empreinte(token)))
        return compte.utilisateur

    def restant(self, valeur: str | None) -> int:
        """Seconds left before the session of this cookie expires (0 if none)."""
        token = self.signe(valeur)
        rows = self._lire("select expire from sessions where empreinte = ?",
                          (_empreinte(token),)) if token else []
        return max(0, int(rows[0][0] - self.horloge())) if rows else 0

    def fermer(self, valeur: str | None) -> bool:
        """Sign out: the session ends for every tab that shares the cookie."""
        token = self.signe(valeur)
        return token is not None and self._ecrire(
            "update sessions set revoquee = ? where empreinte = ? and revoquee is null",
            (self.horloge(), _empreinte(token))) > 0

    def fermer_compte(self, login: str) -> int:
        """End every session of an account (disabled, password reset); how many."""
        return self._ecrire("update sessions set revoquee = ? where login = ? "
                            "and revoquee is null", (self.horloge(), login))

    def _purger(self, now: float) -> None:
        """Forget sessions ended over a day ago and attempts older than a day."""
        with closing(self._connexion()) as con, con:
            con.execute("delete from sessions where expire < ? or revoquee < ?",
                        (now - 86400, now - 86400))
            con.execute("delete from echecs where moment < ?", (now - 86400,))
            con.execute("delete from verrous where fin < ?", (now - 86400,))

    # -- the brake ---------------------------------------------------------------------------
    def _echecs(self, con: sqlite3.Connection, cle: str, now: float) -> int:
        """Failures of `cle` in the window (a success or a lock clears them)."""
        return con.execute("select count(*) from echecs where cle = ? and moment > ?",
                           (cle, now - self.reglages.minutes_verrou * 60)).fetchone()[0]

    def _fin_verrou(self, con: sqlite3.Connection, cles: list[str], now: float) -> float | None:
        fins = [r[0] for cle in cles for r in con.execute(
            "select fin from verrous where cle = ? and fin > ?", (cle, now))]
        return max(fins) if fins else None

    def _verrouiller(self, con: sqlite3.Connection, cle: str, now: float) -> float:
        """Lock `cle` (inside the caller's transaction); the count starts again after."""
        fin = now + self.reglages.minutes_verrou * 60
        con.execute("insert or replace into verrous values (?, ?, ?)", (cle, now, fin))
        con.execute("delete from echecs where cle = ?", (cle,))
        return fin

    def delai(self, login: str, adresse: str | None) -> float:
        """Seconds the next attempt would wait (read only); ConnexionVerrouillee while the
        identifier or the address is locked."""
        now = self.horloge()
        with closing(self._connexion()) as con:
            fin = self._fin_verrou(con, _cles(login, adresse), now)
            if fin is not None:
                raise ConnexionVerrouilleeError(fin)
            echecs = max(self._echecs(con, cle, now) for cle in _cles(login, adresse))
        return _attente(echecs)

    def reserver(self, login: str, adresse: str | None) -> Essai:
        """Book an attempt before its password is checked, in one BEGIN IMMEDIATE
        transaction: refused while locked (ConnexionVerrouilleeError), else written as a
        failure (a success removes it), so parallel attempts count each other and at most
        `echecs_verrou` passwords are checked. The Essai says how long to wait first."""
        now, cles = self.horloge(), _cles(login, adresse)
        verrouille, fin = [], None
        with closing(self._connexion()) as con, con:
            con.execute("begin immediate")
            deja = self._fin_verrou(con, cles, now)
            if deja is not None:
                raise ConnexionVerrouilleeError(deja)
            echecs = [self._echecs(con, cle, now) for cle in cles]
            for cle, n in zip(cles, echecs):
                if n >= self.reglages.echecs_verrou:  # attempts still being checked
                    fin = self._verrouiller(con, cle, now)
                    verrouille.append(cle.partition(":")[0])
            if not verrouille:
                con.executemany("insert into echecs values (?, ?)", [(c, now) for c in cles])
        if verrouille:
            self._journaliser(login, adresse, verrouille, fin)
            raise ConnexionVerrouilleeError(fin)
        return Essai(login, adresse, _attente(max(echecs)))

    def conclure(self, essai: Essai, comptes: dict[str, Compte],
                 mot_de_passe: str) -> Compte:
        """Check the password of a booked attempt (after its wait): refused unchecked if a
        parallel attempt locked sign-in meanwhile; a failure may lock (audited); a success
        clears the count, unless sign-in was locked while the password was checked."""
        login, adresse = essai.login, essai.adresse
        cles = _cles(login, adresse)
        with closing(self._connexion()) as con:
            fin = self._fin_verrou(con, cles, self.horloge())
        if fin is not None:
            raise ConnexionVerrouilleeError(fin)
        try:
            user = acces.authentifier(comptes, login, mot_de_passe)
            compte = comptes[user.login]
            if not getattr(compte, "actif", True):
                raise AccesRefuseError("Ce compte est désactivé : demandez à un "
                                       "administrateur de le réactiver.")
        except AccesRefuseError:
            fin = self._apres_echec(login, adresse)
            if fin is not None:
                raise ConnexionVerrouilleeError(fin) from None
            raise
        now = self.horloge()
        with closing(self._connexion()) as con, con:
            con.execute("begin immediate")
            fin = self._fin_verrou(con, cles, now)
            if fin is None:  # the count starts again (this attempt's booking too)
                con.executemany("delete from echecs where cle = ?", [(c,) for c in cles])
        if fin is not None:
            raise ConnexionVerrouilleeError(fin)
        return compte

    def _apres_echec(self, login: str, adresse: str | None) -> float | None:
        """After a wrong password (already counted by its booking): lock what reached the
        limit. The lock's end if sign-in is now locked."""
        now, cles, verrouille, fin = self.horloge(), _cles(login, adresse), [], None
        with closing(self._connexion()) as con, con:
            con.execute("begin immediate")
            deja = self._fin_verrou(con, cles, now)
            for cle in cles:
                if (self._fin_verrou(con, [cle], now) is None
                        and self._echecs(con, cle, now) >= self.reglages.echecs_verrou):
                    fin = self._verrouiller(con, cle, now)
                    verrouille.append(cle.partition(":")[0])
        if verrouille:
            self._journaliser(login, adresse, verrouille, fin)
        fins = [f for f in (fin, deja) if f is not None]
        return max(fins) if fins else None

    def noter(self, login: str, adresse: str | None, succes: bool) -> float | None:
        """Record a finished attempt outside `tenter` (a success clears the count). Returns
        the lock's end when this failure locks sign-in (audited)."""
        if succes:
            with closing(self._connexion()) as con, con:
                con.executemany("delete from echecs where cle = ?",
                                [(c,) for c in _cles(login, adresse)])
            return None
        now = self.horloge()
        with closing(self._connexion()) as con, con:
            con.executemany("insert into echecs values (?, ?)",
                            [(c, now) for c in _cles(login, adresse)])
        return self._apres_echec(login, adresse)

    def tenter(self, comptes: dict[str, Compte], login: str, mot_de_passe: str,
               adresse: str | None = None,
               attendre: Callable[[float], None] = time.sleep) -> Compte:
        """Check a password through the brake, synchronously (the bare app's form): book
        the attempt, wait if needed, then check. Refused while locked
        (ConnexionVerrouilleeError, the password unchecked), AccesRefuseError when wrong.
        The server does the same with `reserver`, an async wait and `conclure`."""
        essai = self.reserver(login, adresse)
        if essai.delai:
            attendre(essai.delai)
        return self.conclure(essai, comptes, mot_de_passe)

    def _journaliser(self, login: str, adresse: str | None, motifs: list[str],
                     fin: float) -> None:
        """One audit_log row in the base; on stderr when the base cannot take it."""
        details = {"identifiant": (login or "").strip()[:200], "adresse": adresse or "locale",
                   "motif": motifs, "echecs": self.reglages.echecs_verrou,
                   "jusqu_a": datetime.fromtimestamp(fin).isoformat(timespec="seconds")}
        try:
            from fluxcore import connexion, db

            base = db.partagee(self.base or connexion.base_audit())
            with base.transaction() as cur:
                etat.sans_effet(cur)   # none of etat.SOURCES written
                db.audit(cur, "connexion", "connexion_verrouillee", None,
                         details["identifiant"], details)
        except Exception as exc:  # the lock holds whatever the base says
            print(f"flux : connexion verrouillée (journal de la base indisponible : {exc}) "
                  f"{json.dumps(details, ensure_ascii=False)}", file=sys.stderr, flush=True)


_magasins: dict[tuple, Magasin] = {}
_verrou = threading.Lock()


def magasin(fichier_comptes: Path | None) -> Magasin:
    """The process's store for this configuration (made on first use); SessionsError with
    a French message when a setting or the file cannot be used."""
    secret = os.environ.get(VAR_SECRET)
    if secret is not None and len(secret.strip()) < SECRET_MIN:
        raise SessionsError(
            f"{VAR_SECRET} est trop court ({len(secret.strip())} caractères) : il en faut au "
            f"moins {SECRET_MIN}. Générez-en un, par exemple avec « python -c 'import secrets; "
            f"print(secrets.token_urlsafe(48))' », ou retirez la variable (un secret aléatoire "
            "est alors gardé dans le fichier des sessions).")
    path = chemin_magasin(fichier_comptes)
    key = (str(path), secret, reglages())
    with _verrou:
        if key not in _magasins or not path.exists():
            _magasins[key] = Magasin(path, secret.strip() if secret else None, key[2])
        return _magasins[key]
