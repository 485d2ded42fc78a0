"""Who may do what: users, roles, and their enforcement inside fluxcore.

Authentication is optional. The demo runs open (a `Database` without user: every function
works, writes are audited with the system user) — only on purpose: `FLUX_UTILISATEURS=aucun`,
or neither the variable nor the default file `utilisateurs.toml` at the project root. It
switches on when a users file exists or is named by `FLUX_UTILISATEURS` (a named file that
cannot be read keeps the app closed, never open) or when an OIDC provider is configured for
Streamlit. The app then binds the database to the signed-in user
(`db.pour(utilisateur)`) and fluxcore enforces the role itself, not only the pages:

- admin: everything (imports, settings, backups, and what the others may do);
- gestionnaire: orientations, scenarios, cotation grids, and every reading;
- lecteur: every reading, no write;
- reservataire: only its own figures, through the functions marked `@pour_reservataire`
  (its gauges, its flux quality, its attributions, its bilan); any other read on a database
  bound to a réservataire is refused (default deny), every write too — except proposing
  candidates for a dwelling oriented to it when the setting reservataire_propose_candidats
  allows it (`@ecriture_reservataire("proposer")`, fluxcore.suivi).

Every write made on a bound database is audited with the user's login (`acteur`), whatever
name the caller passes.

Users file (TOML), one table per login:

    [utilisateurs.marie]
    nom = "Marie Durand"
    role = "gestionnaire"
    mot_de_passe = "pbkdf2_sha256$600000$<sel>$<empreinte>"   # python -m fluxcore utilisateur
    email = "marie.durand@bailleur.fr"                       # to match an OIDC sign-in

    [utilisateurs.al-grand-est]
    role = "reservataire"
    reservataire_id = "AL"
    mot_de_passe = "…"
    actif = false                                            # deactivated (absent: active)

Administrators manage the accounts from the app or the command line: fluxcore.comptes
(docs/comptes.md).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import inspect
import os
import secrets
import tomllib
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from fluxcore.errors import FluxcoreError

ROLES = {"admin": "Administrateur", "gestionnaire": "Gestionnaire", "lecteur": "Lecteur",
         "reservataire": "Réservataire"}
PERMISSIONS = {
    "admin": {"lire", "importer", "parametrer", "sauvegarder", "orienter", "simuler", "coter",
              "comptes", "purger"},
    "gestionnaire": {"lire", "orienter", "simuler", "coter"},
    "lecteur": {"lire"},
    "reservataire": set(),
}
ACTIONS = {"lire": "consulter les données de tous les réservataires",
           "importer": "importer des données", "parametrer": "modifier les paramètres",
           "sauvegarder": "sauvegarder ou restaurer la base",
           "orienter": "enregistrer ou corriger une orientation",
           "simuler": "enregistrer ou supprimer un scénario",
           "coter": "modifier une grille de cotation",
           "comptes": "gérer les comptes",
           "purger": "purger les données personnelles au-delà de leur durée de conservation",
           # no role holds it: a réservataire account gets it inside the functions marked
           # @ecriture_reservataire("proposer"), which check the setting and the orientation
           "proposer": "proposer des candidats pour un logement mis à sa disposition"}
ITERATIONS = 600_000
DEFAULT_FILE = Path(__file__).resolve().parent.parent / "utilisateurs.toml"
VARIABLE = "FLUX_UTILISATEURS"
# FLUX_UTILISATEURS=aucun: no accounts, on purpose (demo, tests): every visitor is admin
OUVERT = "aucun"


class AccesRefuseError(FluxcoreError):
    """The signed-in user's role does not allow this read or write."""


class UtilisateursError(FluxcoreError):
    """The users file cannot be read or holds an invalid account."""


@dataclass(frozen=True)
class Utilisateur:
    login: str
    nom: str
    role: str
    reservataire_id: str | None = None
    email: str | None = None

    @property
    def libelle(self) -> str:
        role = ROLES[self.role]
        suffix = f" {self.reservataire_id}" if self.role == "reservataire" else ""
        return f"{self.nom} ({role.lower()}{suffix})"

    def peut(self, action: str) -> bool:
        return action in PERMISSIONS[self.role]


# -- enforcement ----------------------------------------------------------------------------
# the réservataire-scoped function running now (reads of a réservataire-bound database are
# only allowed inside one), and the login of the bound writer (used by db.audit)
_scope: ContextVar[str | None] = ContextVar("flux_scope", default=None)
_acteur: ContextVar[str | None] = ContextVar("flux_acteur", default=None)
# the write a réservataire-callable write function allows while it runs (ecriture_reservataire)
_delegation: ContextVar[str | None] = ContextVar("flux_delegation", default=None)


def utilisateur_de(db) -> Utilisateur | None:
    return getattr(db, "utilisateur", None)


def verifier_lecture(user: Utilisateur | None) -> None:
    """Called by Database before every query: a réservataire reads only inside
    `@pour_reservataire` functions."""
    if user is not None and user.role == "reservataire" and _scope.get() is None:
        raise AccesRefuseError(
            f"Accès refusé : le compte « {user.login} » (réservataire {user.reservataire_id}) "
            "ne voit que ses propres jauges, attributions et bilans.")


def verifier_ecriture(user: Utilisateur | None) -> None:
    """Called by Database.transaction(): readers and réservataires never write."""
    if user is not None and not (PERMISSIONS[user.role] - {"lire"}) \
            and _delegue(user) is None:
        raise AccesRefuseError(
            f"Accès refusé : le compte « {user.login} » ({ROLES[user.role].lower()}) est en "
            "lecture seule.")


def exiger(db_or_user, action: str) -> None:
    """Refuse (AccesRefuseError) unless the bound user may `action`; open mode allows all."""
    user = db_or_user if isinstance(db_or_user, Utilisateur) or db_or_user is None \
        else utilisateur_de(db_or_user)
    if user is not None and not user.peut(action) and _delegue(user) != action:
        raise AccesRefuseError(
            f"Accès refusé : le rôle {ROLES[user.role].lower()} du compte « {user.login} » ne "
            f"permet pas {de(ACTIONS[action])}.")


def _delegue(user: Utilisateur) -> str | None:
    """The write a réservataire account may make now (inside an @ecriture_reservataire
    function), else None; other roles never get one."""
    return _delegation.get() if user.role == "reservataire" else None


def de(text: str) -> str:
    """« de » with elision: de(« importer … ») = « d'importer … »."""
    return ("d'" if text[:1].lower() in "aeéèêiouyh" else "de ") + text


def acteur(db, given: str | None = None) -> str | None:
    """Who a write is recorded under: the bound user's login, else the name given."""
    user = utilisateur_de(db)
    return user.login if user is not None else given


@contextmanager
def ecriture_de(user: Utilisateur | None):
    """Inside a bound transaction: audit rows take the user's login."""
    token = _acteur.set(user.login if user is not None else None)
    try:
        yield
    finally:
        _acteur.reset(token)


def acteur_courant() -> str | None:
    return _acteur.get()


def pour_reservataire(argument: str | None = None, colonne: str | None = None,
                      masquer: tuple[str, ...] = ()) -> Callable:
    """Mark a read function a réservataire may call. With `argument`: the réservataire id
    argument must be its own (filled in when omitted). With `colonne`: the returned
    DataFrame is cut to its own rows, and the `masquer` columns (totals over every
    réservataire, from which others' figures could be deduced) are dropped. Without either:
    data that names no réservataire (years, territories, settings)."""

    def decorate(func: Callable) -> Callable:
        signature = inspect.signature(func)

        @functools.wraps(func)
        def wrapper(db, *args, **kwargs):
            user = utilisateur_de(db)
            if user is None or user.role != "reservataire" or _scope.get() is not None:
                # open mode, other roles, or a call made by fluxcore inside an allowed
                # function (the outermost call is the boundary that checks and filters)
                return func(db, *args, **kwargs)
            if argument is not None:
                bound = signature.bind_partial(db, *args, **kwargs)
                asked = bound.arguments.get(argument)
                if asked is not None and asked != user.reservataire_id:
                    raise AccesRefuseError(
                        f"Accès refusé : le compte « {user.login} » ne voit que les chiffres du "
                        f"réservataire {user.reservataire_id}, pas ceux de « {asked} ».")
                bound.arguments[argument] = user.reservataire_id
                args, kwargs = bound.args[1:], bound.kwargs
            token = _scope.set(func.__qualname__)
            try:
                out = func(db, *args, **kwargs)
            finally:
                _scope.reset(token)
            if colonne is not None and isinstance(out, pd.DataFrame):
                out = out[out[colonne] == user.reservataire_id].reset_index(drop=True)
                out = out.drop(columns=[c for c in masquer if c in out.columns])
            return out

        return wrapper

    return decorate


def ecriture_reservataire(action: str) -> Callable:
    """Mark a write function a réservataire account may call for `action` (ACTIONS, held by
    no role). Inside it, the account reads as in a @pour_reservataire function and may open
    a transaction for that action only; the function itself must check what the account may
    touch (its own rows, the setting that allows it). Other users: no change."""

    def decorate(func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(db, *args, **kwargs):
            user = utilisateur_de(db)
            if user is None or user.role != "reservataire":
                return func(db, *args, **kwargs)
            scope, delegation = _scope.set(func.__qualname__), _delegation.set(action)
            try:
                return func(db, *args, **kwargs)
            finally:
                _delegation.reset(delegation)
                _scope.reset(scope)

        return wrapper

    return decorate


def sauf_reservataire(func: Callable) -> Callable:
    """For a function that reads only through `@pour_reservataire` functions but combines
    several réservataires (it would otherwise see a réservataire's rows only): refused to a
    réservataire account outright."""

    @functools.wraps(func)
    def wrapper(db, *args, **kwargs):
        if _scope.get() is None:
            verifier_lecture(utilisateur_de(db))
        return func(db, *args, **kwargs)

    return wrapper


# -- accounts -------------------------------------------------------------------------------
def fichier_utilisateurs() -> Path:
    """The users file the command line writes and lists (`FLUX_UTILISATEURS`, else the
    default file)."""
    value = (os.environ.get(VARIABLE) or "").strip()
    if value.lower() == OUVERT:
        raise UtilisateursError(
            f"{VARIABLE}={OUVERT} : l'application tourne sans comptes. Indiquez le fichier des "
            f"comptes avec --fichier, ou donnez son chemin à {VARIABLE}.")
    return Path(value) if value else DEFAULT_FILE


def hacher(mot_de_passe: str, sel: bytes | None = None, iterations: int = ITERATIONS) -> str:
    """PBKDF2-SHA256 hash in the form pbkdf2_sha256$<iterations>$<salt>$<hash>."""
    sel = sel or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", mot_de_passe.encode(), sel, iterations)
    return "$".join(["pbkdf2_sha256", str(iterations), base64.b64encode(sel).decode(),
                     base64.b64encode(digest).decode()])


def verifier_mot_de_passe(empreinte: str | None, mot_de_passe: str) -> bool:
    try:
        algo, iterations, sel, digest = (empreinte or "").split("$")
        expected = base64.b64decode(digest)
        got = hashlib.pbkdf2_hmac("sha256", mot_de_passe.encode(), base64.b64decode(sel),
                                  int(iterations))
    except (ValueError, TypeError):
        return False
    return algo == "pbkdf2_sha256" and hmac.compare_digest(expected, got)


@dataclass(frozen=True)
class Compte:
    utilisateur: Utilisateur
    empreinte: str | None
    actif: bool = True      # a deactivated account cannot sign in (file: actif = false)


def lire_utilisateurs(path: str | Path) -> dict[str, Compte]:
    """Accounts of the users file, by login; UtilisateursError names the file and line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except FileNotFoundError as exc:
        raise UtilisateursError(f"Fichier des utilisateurs introuvable : « {path} ».") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise UtilisateursError(
            f"Fichier des utilisateurs illisible : « {path} » ({_raison(exc)}).") from exc
    except tomllib.TOMLDecodeError as exc:
        raise UtilisateursError(f"{path.name} : syntaxe TOML invalide ({exc}).") from exc
    table = data.get("utilisateurs")
    if not isinstance(table, dict):
        raise UtilisateursError(f"{path.name} : aucune table [utilisateurs.<identifiant>].")
    lines = text.splitlines()
    comptes = {}
    for login, entry in table.items():
        where = _ligne(lines, login)
        if not isinstance(entry, dict):
            raise UtilisateursError(f"{path.name}, ligne {where} : « {login} » doit être une "
                                    "table [utilisateurs.{login}].")
        role = entry.get("role")
        if role not in ROLES:
            raise UtilisateursError(
                f"{path.name}, ligne {where}, utilisateur « {login} » : rôle « {role} » "
                f"inconnu (attendu : {', '.join(ROLES)}).")
        rid = entry.get("reservataire_id")
        if role == "reservataire" and not rid:
            raise UtilisateursError(
                f"{path.name}, ligne {where}, utilisateur « {login} » : un compte réservataire "
                "doit indiquer « reservataire_id ».")
        if not entry.get("mot_de_passe") and not entry.get("email"):
            raise UtilisateursError(
                f"{path.name}, ligne {where}, utilisateur « {login} » : ni « mot_de_passe » "
                "ni « email » (connexion OIDC) : ce compte ne pourrait pas se connecter.")
        actif = entry.get("actif", True)
        if not isinstance(actif, bool):
            raise UtilisateursError(
                f"{path.name}, ligne {where}, utilisateur « {login} » : « actif » doit valoir "
                "true ou false (absent : compte actif).")
        user = Utilisateur(login, str(entry.get("nom") or login), role,
                           str(rid) if role == "reservataire" else None,
                           str(entry["email"]).lower() if entry.get("email") else None)
        comptes[login] = Compte(user, entry.get("mot_de_passe"), actif)
    return comptes


def _raison(exc: Exception) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return "il n'est pas encodé en UTF-8"
    if isinstance(exc, IsADirectoryError):
        return "c'est un dossier, pas un fichier"
    if isinstance(exc, PermissionError):
        return "lecture refusée à l'utilisateur qui fait tourner l'application"
    return exc.strerror or exc.__class__.__name__


def _ligne(lines: list[str], login: str) -> int | str:
    for i, line in enumerate(lines, 1):
        text = line.replace(" ", "").replace('"', "").replace("'", "")
        if text == f"[utilisateurs.{login}]":
            return i
    return "?"


@functools.cache
def _leurre() -> str:
    return hacher("leurre", sel=b"fluxcore-leurre!")


def authentifier(comptes: dict[str, Compte], login: str, mot_de_passe: str) -> Utilisateur:
    """The user if the password matches and the account is active; one message for unknown
    login, wrong password or deactivated account (it does not tell which logins exist)."""
    compte = comptes.get((login or "").strip())
    # an unknown login costs one hash too: the answer time does not tell which logins exist
    empreinte = compte.empreinte if compte is not None else _leurre()
    ok = verifier_mot_de_passe(empreinte, mot_de_passe or "")
    if compte is None or not ok or not compte.actif:
        raise AccesRefuseError("Identifiant ou mot de passe incorrect.")
    return compte.utilisateur


def par_email(comptes: dict[str, Compte], email: str | None) -> Utilisateur:
    """The active account of an OIDC identity (its e-mail), or AccesRefuseError (a deactivated
    account gets the message of an unknown one)."""
    email = (email or "").strip().lower()
    found = [c.utilisateur for c in comptes.values()
             if email and c.actif and c.utilisateur.email == email]
    if len(found) > 1:
        raise AccesRefuseError(
            f"L'e-mail « {email} » est porté par plusieurs comptes "
            f"({', '.join(u.login for u in found)}) : un administrateur doit en garder un.")
    if found:
        return found[0]
    raise AccesRefuseError(
        f"Le compte « {email or '?'} » est bien authentifié mais n'a aucun rôle dans le "
        "fichier des utilisateurs : demandez à un administrateur de l'ajouter.")


def ecrire_utilisateur(path: str | Path, login: str, role: str, mot_de_passe: str | None = None,
                       nom: str | None = None, reservataire_id: str | None = None,
                       email: str | None = None,
                       reservataires: dict[str, str] | None = None) -> None:
    """Add or replace one account in the users file (written atomically, readable by its
    owner only: mode 0600, since it holds password hashes; other accounts kept).
    `reservataires` ({id: name} of the base): a réservataire account must name one of them."""
    from fluxcore.comptes import ecrire_fichier, verrou_comptes  # it imports this module

    path = Path(path)
    valider_login(login)
    if role not in ROLES:
        raise UtilisateursError(f"Rôle « {role} » inconnu (attendu : {', '.join(ROLES)}).")
    if role == "reservataire":
        verifier_reservataire(reservataire_id, reservataires, "le compte n'a pas été créé")
    nouvelle = hacher(mot_de_passe) if mot_de_passe else None    # slow: outside the lock
    with verrou_comptes(path):   # re-read under the lock: a concurrent change is kept
        comptes = lire_utilisateurs(path) if path.exists() else {}
        old = comptes.get(login)
        # an update keeps what it does not change (name, e-mail, password, active or not)
        nom = nom or (old.utilisateur.nom if old else login)
        email = email.lower() if email else (old.utilisateur.email if old else None)
        empreinte = nouvelle or (old.empreinte if old else None)
        if not empreinte and not email:
            raise UtilisateursError("Indiquez un mot de passe ou un e-mail (connexion OIDC).")
        rid = reservataire_id if role == "reservataire" else None
        comptes[login] = Compte(Utilisateur(login, nom, role, rid, email),
                                empreinte, old.actif if old else True)
        ecrire_fichier(path, comptes)


def valider_login(login: str | None) -> None:
    """UtilisateursError unless `login` is ASCII letters, digits, - and _ (at most 64)."""
    if not login or len(login) > 64 or not all(c.isascii() and (c.isalnum() or c in "-_")
                                               for c in login):
        raise UtilisateursError(f"Identifiant « {login} » invalide (lettres sans accent, "
                                "chiffres, - et _).")


def verifier_reservataire(reservataire_id: str | None, reservataires: dict[str, str] | None,
                          suite: str = "rien n'a été enregistré") -> None:
    """A réservataire account names a réservataire of the base (`reservataires`: {id: name},
    None when no base is at hand: only the presence is checked)."""
    if not reservataire_id:
        raise UtilisateursError("Un compte réservataire doit indiquer son réservataire.")
    if reservataires is not None and reservataire_id not in reservataires:
        connus = ", ".join(f"{k} ({v})" for k, v in list(reservataires.items())[:8])
        raise UtilisateursError(
            f"Réservataire « {reservataire_id} » inconnu de la base : {suite}. "
            f"Identifiants possibles : {connus or 'aucun (base sans réservataire)'}"
            + (" …" if len(reservataires) > 8 else "") + ".")


def _entry(compte: Compte) -> dict:
    user = compte.utilisateur
    return {"nom": user.nom, "role": user.role, "reservataire_id": user.reservataire_id,
            "email": user.email, "mot_de_passe": compte.empreinte,
            "actif": None if compte.actif else False}      # absent: active


def texte_fichier(comptes: dict[str, Compte]) -> str:
    """The users file's text for these accounts (the reverse of lire_utilisateurs)."""
    text = "# Comptes du tableau de bord (python -m fluxcore utilisateur --help)\n"
    for key, compte in comptes.items():
        text += f"\n[utilisateurs.{key}]\n" + "".join(
            f"{k} = {_toml(v)}\n" for k, v in _entry(compte).items() if v is not None)
    return text


def _toml(value: str | bool) -> str:
    """A TOML boolean, or basic string (backslash, quote and control characters escaped)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    out = []
    for ch in str(value):
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'
