"""Accounts managed by an administrator, from the app (Données › Comptes) or the command line:
create, deactivate or reactivate, reset a password, change a role (docs/comptes.md).

Every change:
- is refused unless the author may « gérer les comptes » (acces.exiger: administrators only;
  an unbound database — open mode, command line — is the server's operator);
- re-reads the users file and rewrites it under an exclusive lock (`<file>.lock`: fcntl.flock
  between processes, a threading.Lock between the sessions of one process), so two
  administrators at once never lose a change;
- is all or nothing with its audit row: the new file is written beside the old one (0600
  whatever the umask) and read back, then put in place by os.replace *inside* the database
  transaction that writes the audit row; if the audit row or the commit fails, the old file is
  put back (`_appliquer`). Audit details never hold a password or a hash.
Guard rails: at least one active administrator always; an administrator cannot deactivate
their own account.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb
import pandas as pd

from fluxcore import acces, etat
from fluxcore.acces import (
    ROLES,
    Compte,
    Utilisateur,
    UtilisateursError,
    exiger,
    lire_utilisateurs,
    texte_fichier,
    utilisateur_de,
    valider_login,
    verifier_reservataire,
)
from fluxcore.db import audit

try:
    import fcntl
except ImportError:  # pragma: no cover (Windows: the process lock only)
    fcntl = None

ACTION = "comptes"                 # acces.ACTIONS, held by administrators only
MOT_DE_PASSE_MIN = 12
MOT_DE_PASSE_MAX = 256
# generated passwords: no look-alike characters (0/O, 1/l/I); 4 × 5 of 55 signs ≈ 115 bits
ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
ATTENTE_VERROU_S = 10.0


@dataclass(frozen=True)
class Resultat:
    """The account as written, and the password generated for it (None if typed or none):
    to show once to the administrator, never stored nor logged."""

    utilisateur: Utilisateur
    mot_de_passe: str | None = None


# -- the users file: lock and atomic write -------------------------------------------------
_verrous: dict[str, threading.Lock] = {}
_verrous_garde = threading.Lock()


@contextmanager
def verrou_comptes(path: str | Path, attente: float = ATTENTE_VERROU_S) -> Iterator[None]:
    """Exclusive right to rewrite the users file `path`: re-read it inside."""
    path = Path(path)
    with _verrous_garde:
        lock = _verrous.setdefault(str(path.absolute()), threading.Lock())
    if not lock.acquire(timeout=attente):
        raise _occupe(path)
    try:
        handle = _flock(path, attente)
        try:
            yield
        finally:
            if handle is not None:
                os.close(handle)    # closing releases the flock
    finally:
        lock.release()


def _flock(path: Path, attente: float) -> int | None:
    if fcntl is None:
        return None
    side = path.with_name(path.name + ".lock")
    try:
        fd = os.open(side, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise UtilisateursError(f"Le fichier des comptes « {path} » ne peut pas être modifié : "
                                f"verrou « {side.name} » impossible à créer "
                                f"({exc.strerror}).") from exc
    fin = time.monotonic() + attente
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.monotonic() >= fin:
                os.close(fd)
                raise _occupe(path) from None
            time.sleep(0.05)


def _occupe(path: Path) -> UtilisateursError:
    return UtilisateursError(f"Le fichier des comptes « {path} » est en cours de modification "
                             "par un autre administrateur : réessayez dans un instant.")


def _temporaire(path: Path, text: str) -> Path:
    """`text` written beside `path` (mode 0600 whatever the umask, synced) and read back."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(name)
    try:
        os.fchmod(fd, 0o600)               # password hashes stay private
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        lire_utilisateurs(tmp)             # the new file must read back before it is used
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def ecrire_fichier(path: str | Path, comptes: dict[str, Compte]) -> None:
    """Write the users file atomically (call it under verrou_comptes)."""
    path = Path(path)
    os.replace(_temporaire(path, texte_fichier(comptes)), path)


def _remettre(path: Path, ancien: str | None) -> None:
    """Put the users file back as it was (`ancien`: its text, None: there was none)."""
    if ancien is None:
        path.unlink(missing_ok=True)
    else:
        os.replace(_temporaire(path, ancien), path)


def _appliquer(db, path: Path, comptes: dict[str, Compte], action: str, login: str,
               details: dict) -> None:
    """Write `comptes` to `path` and the audit row to `db`, both or neither."""
    ancien = path.read_text(encoding="utf-8") if path.exists() else None
    tmp = _temporaire(path, texte_fichier(comptes))
    en_place = False
    try:
        if db is None:
            os.replace(tmp, path)
            return
        with db.transaction(ACTION) as cur:
            etat.sans_effet(cur)   # none of etat.SOURCES written
            audit(cur, None, action, None, login, details)
            os.replace(tmp, path)        # last step before the commit
            en_place = True
    except BaseException as exc:
        if en_place:
            _remettre(path, ancien)      # the commit failed: the old file again
        else:
            tmp.unlink(missing_ok=True)
        if isinstance(exc, duckdb.Error):
            raise UtilisateursError(
                "Le journal d'audit de la base n'a pas pu être écrit : le fichier des comptes "
                f"n'a pas été modifié ({exc}).") from exc
        if isinstance(exc, OSError):
            raise UtilisateursError(
                f"Le fichier des comptes « {path} » n'a pas pu être écrit : "
                f"{exc.strerror or exc} ; rien n'a été modifié.") from exc
        raise


def _modifier(db, path: str | Path, action: str, login: str,
              change: Callable[[dict[str, Compte]], tuple[Compte, dict]]) -> Compte:
    """Check the author, then under the lock: read, `change` (returns the new account and the
    audit details), write and audit."""
    exiger(db, ACTION)
    path = Path(path)
    with verrou_comptes(path):
        comptes = lire_utilisateurs(path) if path.exists() else {}
        compte, details = change(comptes)
        comptes[compte.utilisateur.login] = compte
        _appliquer(db, path, comptes, action, login, details)
    return compte


# -- rules -------------------------------------------------------------------------------------
def generer_mot_de_passe() -> str:
    """A strong password, e.g. « k7Qm2-xPz9a-… » (4 groups of 5)."""
    return "-".join("".join(secrets.choice(ALPHABET) for _ in range(5)) for _ in range(4))


def verifier_nouveau_mot_de_passe(mot_de_passe: str, login: str) -> None:
    if len(mot_de_passe) < MOT_DE_PASSE_MIN:
        raise UtilisateursError(f"Mot de passe trop court : {MOT_DE_PASSE_MIN} caractères au "
                                "moins.")
    if len(mot_de_passe) > MOT_DE_PASSE_MAX:
        raise UtilisateursError(f"Mot de passe trop long : {MOT_DE_PASSE_MAX} caractères au "
                                "plus.")
    if mot_de_passe.strip().lower() == login.lower():
        raise UtilisateursError("Le mot de passe ne peut pas être l'identifiant.")


def _mot_de_passe(mot_de_passe: str | None, login: str) -> tuple[str, str | None]:
    """(hash, generated password or None)."""
    genere = None
    if not mot_de_passe:
        mot_de_passe = genere = generer_mot_de_passe()
    verifier_nouveau_mot_de_passe(mot_de_passe, login)
    return acces.hacher(mot_de_passe), genere


def reservataires(db) -> dict[str, str]:
    """{id: name} of the base's réservataires, in id order."""
    df = db.df("select reservataire_id, nom from reservataire order by reservataire_id")
    return dict(zip(df["reservataire_id"], df["nom"]))


def _reservataire(db, role: str, reservataire_id: str | None) -> str | None:
    if role not in ROLES:
        raise UtilisateursError(f"Rôle « {role} » inconnu (attendu : {', '.join(ROLES)}).")
    if role != "reservataire":
        if reservataire_id:
            raise UtilisateursError(
                f"Seul un compte réservataire nomme un réservataire : retirez « "
                f"{reservataire_id} » ou choisissez le rôle réservataire.")
        return None
    verifier_reservataire(reservataire_id, reservataires(db) if db is not None else None)
    return reservataire_id


def _compte(comptes: dict[str, Compte], login: str) -> Compte:
    if login not in comptes:
        raise UtilisateursError(f"Compte « {login} » inconnu.")
    return comptes[login]


def _admins_actifs(comptes: dict[str, Compte]) -> set[str]:
    return {k for k, c in comptes.items() if c.actif and c.utilisateur.role == "admin"}


def _garder_un_admin(comptes: dict[str, Compte], login: str, quoi: str) -> None:
    if _admins_actifs(comptes) == {login}:
        raise UtilisateursError(
            f"Impossible {quoi} « {login} » : c'est le dernier administrateur actif. Donnez "
            "d'abord le rôle administrateur à un autre compte.")


def _nom(nom: str | None, login: str) -> str:
    nom = (nom or "").strip() or login
    if len(nom) > 120 or any(ord(c) < 0x20 or ord(c) == 0x7F for c in nom):
        raise UtilisateursError("Nom invalide : 120 caractères au plus, sur une ligne.")
    return nom


def _email(email: str | None, comptes: dict[str, Compte], login: str) -> str | None:
    email = (email or "").strip().lower() or None
    if email is None:
        return None
    local, _, domaine = email.partition("@")
    if not local or "." not in domaine or any(c.isspace() or c in "@<>\"" for c in domaine):
        raise UtilisateursError(f"E-mail « {email} » invalide.")
    autres = [k for k, c in comptes.items() if k != login and c.utilisateur.email == email]
    if autres:
        raise UtilisateursError(f"L'e-mail « {email} » est déjà celui du compte « {autres[0]} » "
                                "(une connexion OIDC doit désigner un seul compte).")
    return email


def _resume(texte: str, **details) -> dict:
    return {**{k: v for k, v in details.items() if v is not None}, "resume": texte}


# -- the operations ----------------------------------------------------------------------------
def creer_compte(db, path: str | Path, login: str, role: str, nom: str | None = None,
                 email: str | None = None, reservataire_id: str | None = None,
                 mot_de_passe: str | None = None, oidc: bool = False) -> Resultat:
    """A new account. Password: typed (12 characters at least) or, left empty, generated and
    returned once in Resultat.mot_de_passe; `oidc`: no password, sign-in by e-mail only."""
    exiger(db, ACTION)
    login = (login or "").strip()
    valider_login(login)
    rid = _reservataire(db, role, (reservataire_id or "").strip() or None)
    empreinte, genere = (None, None) if oidc else _mot_de_passe(mot_de_passe, login)
    if oidc and not (email or "").strip():
        raise UtilisateursError("Un compte sans mot de passe (connexion OIDC) doit avoir son "
                                "e-mail.")

    def change(comptes):
        if login in comptes:
            raise UtilisateursError(f"Le compte « {login} » existe déjà.")
        user = Utilisateur(login, _nom(nom, login), role, rid, _email(email, comptes, login))
        texte = (f"Compte « {login} » créé : {ROLES[role].lower()}"
                 + (f" {rid}" if rid else "") + f", {user.nom}.")
        return Compte(user, empreinte), _resume(
            texte, login=login, nom=user.nom, role=role, reservataire_id=rid, email=user.email,
            connexion="OIDC" if oidc else "mot de passe")

    compte = _modifier(db, path, "compte_cree", login, change)
    return Resultat(compte.utilisateur, genere)


def _activer(db, path, login: str, actif: bool) -> Utilisateur:
    exiger(db, ACTION)
    auteur = utilisateur_de(db)
    if not actif and auteur is not None and auteur.login == login:
        raise UtilisateursError("Vous ne pouvez pas désactiver votre propre compte : demandez-le "
                                "à un autre administrateur.")

    def change(comptes):
        compte = _compte(comptes, login)
        if compte.actif == actif:
            raise UtilisateursError(f"Le compte « {login} » est déjà "
                                    f"{'actif' if actif else 'désactivé'}.")
        if not actif:
            _garder_un_admin(comptes, login, "de désactiver")
        texte = f"Compte « {login} » {'réactivé' if actif else 'désactivé'}."
        return replace(compte, actif=actif), _resume(texte, login=login)

    action = "compte_reactive" if actif else "compte_desactive"
    return _modifier(db, path, action, login, change).utilisateur


def desactiver_compte(db, path: str | Path, login: str) -> Utilisateur:
    """The account can no longer sign in; its open sessions end at their next page."""
    return _activer(db, path, login, False)


def reactiver_compte(db, path: str | Path, login: str) -> Utilisateur:
    return _activer(db, path, login, True)


def reinitialiser_mot_de_passe(db, path: str | Path, login: str,
                               mot_de_passe: str | None = None) -> Resultat:
    """A new password (typed, or generated and returned once): the account's open sessions,
    which check the hash at each page, end."""
    exiger(db, ACTION)
    empreinte, genere = _mot_de_passe(mot_de_passe, login)

    def change(comptes):
        compte = _compte(comptes, login)
        texte = (f"Mot de passe du compte « {login} » réinitialisé "
                 f"({'généré' if genere else 'saisi par un administrateur'}).")
        return replace(compte, empreinte=empreinte), _resume(texte, login=login)

    compte = _modifier(db, path, "compte_mot_de_passe_reinitialise", login, change)
    return Resultat(compte.utilisateur, genere)


def changer_role(db, path: str | Path, login: str, role: str,
                 reservataire_id: str | None = None) -> Utilisateur:
    """A new role (a réservataire account names a réservataire of the base)."""
    exiger(db, ACTION)
    rid = _reservataire(db, role, (reservataire_id or "").strip() or None)

    def change(comptes):
        compte = _compte(comptes, login)
        user = compte.utilisateur
        if (user.role, user.reservataire_id) == (role, rid):
            raise UtilisateursError(f"Le compte « {login} » a déjà ce rôle.")
        if role != "admin":
            _garder_un_admin(comptes, login, "de changer le rôle de")
        avant = ROLES[user.role].lower() + (f" {user.reservataire_id}" if
                                            user.reservataire_id else "")
        apres = ROLES[role].lower() + (f" {rid}" if rid else "")
        texte = f"Rôle du compte « {login} » : {avant} → {apres}."
        return replace(compte, utilisateur=replace(user, role=role, reservataire_id=rid)), \
            _resume(texte, login=login, avant=user.role, apres=role, reservataire_id=rid)

    return _modifier(db, path, "compte_role_modifie", login, change).utilisateur


def liste_comptes(db, path: str | Path) -> pd.DataFrame:
    """The accounts (administrators only): login, nom, role (code), role_libelle,
    reservataire_id, reservataire (its name in the base), email, actif, mot_de_passe (bool)."""
    exiger(db, ACTION)
    path = Path(path)
    comptes = lire_utilisateurs(path) if path.exists() else {}
    noms = reservataires(db) if db is not None else {}
    rows = [{"login": u.login, "nom": u.nom, "role": u.role, "role_libelle": ROLES[u.role],
             "reservataire_id": u.reservataire_id,
             "reservataire": noms.get(u.reservataire_id, u.reservataire_id)
             if u.reservataire_id else None,
             "email": u.email, "actif": c.actif, "mot_de_passe": c.empreinte is not None}
            for c in comptes.values() for u in [c.utilisateur]]
    return pd.DataFrame(rows, columns=["login", "nom", "role", "role_libelle",
                                       "reservataire_id", "reservataire", "email", "actif",
                                       "mot_de_passe"])
