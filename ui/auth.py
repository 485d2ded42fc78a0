"""Sign-in, optional (fluxcore.acces holds the rules).

- `FLUX_UTILISATEURS=aucun`, or neither the variable nor the default `utilisateurs.toml`: the
  app runs open (demo), with a sidebar banner saying every visitor has the admin rights;
- a users file (`FLUX_UTILISATEURS`, default `utilisateurs.toml`): identifier + password form;
- an `[auth]` section in `.streamlit/secrets.toml`: OIDC sign-in with `st.login()`, the role
  coming from the users-file account with the same e-mail.
The configuration fails closed: a variable naming a missing, unreadable or invalid file, or
an unreadable secrets file, stops every run on a French message for the operator (and one
line on stderr), never open mode. Files reach the server's memory only from a signed-in
session (or the open app): `garder_televersements`.
The signed-in user is kept in `st.session_state["utilisateur"]`; `ui.data` binds the database
to it, so fluxcore enforces the role whatever the page shows.
"""

from __future__ import annotations

import getpass
import os
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from fluxcore import acces
from fluxcore.acces import (
    AccesRefuseError,
    Utilisateur,
    authentifier,
    de,
    lire_utilisateurs,
    par_email,
)
from fluxcore.errors import FluxcoreError

BANDEAU_OUVERT = ("Mode ouvert : aucun compte, tout visiteur a les droits d'administration "
                  "(imports, restauration, choix du fichier de base).")


class ConfigurationError(FluxcoreError):
    """An authentication setting the app cannot use: it stays closed."""


@dataclass(frozen=True)
class Configuration:
    mode: str | None  # 'oidc', 'fichier', or None: open app, on purpose
    fichier: Path | None = None
    erreur: str | None = None  # the operator's message: the app stays closed


def _oidc() -> bool:
    """Whether `.streamlit/secrets.toml` has an `[auth]` section; ConfigurationError when a
    secrets file exists but cannot be read (its `[auth]` would be silently ignored)."""
    try:
        return "auth" in st.secrets
    except FileNotFoundError as exc:  # StreamlitSecretNotFoundError is one too
        if getattr(exc, "error_id", None) in (None, "no-secrets-found"):
            return False  # no secrets file at all
        raise ConfigurationError(f"le fichier des secrets de Streamlit (section [auth], "
                                 f"connexion OIDC) ne se lit pas : {exc}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"le fichier des secrets de Streamlit (section [auth], "
                                 f"connexion OIDC) ne se lit pas : {exc}") from exc


def configuration() -> Configuration:
    """How visitors sign in, from the environment (read at every call: cheap, no file read).
    Open mode only on purpose; any doubt about a setting gives an error, never open mode."""
    try:
        oidc = _oidc()
    except ConfigurationError as exc:
        return Configuration("oidc", None, _message(str(exc)))
    value = os.environ.get(acces.VARIABLE)
    if value is not None and not value.strip():
        return Configuration("fichier", None, _message(
            f"la variable {acces.VARIABLE} est définie mais vide."))
    value = (value or "").strip()
    if value.lower() == acces.OUVERT:
        if oidc:
            return Configuration("oidc", None, _message(
                f"{acces.VARIABLE}={acces.OUVERT} (application sans comptes) alors qu'une "
                "section [auth] (connexion OIDC) est configurée : les rôles OIDC viennent du "
                f"fichier des comptes. Donnez son chemin à {acces.VARIABLE}, ou retirez la "
                "section [auth]."))
        return Configuration(None)
    path = Path(value) if value else acces.DEFAULT_FILE
    # lexists: a dangling link to the default file was meant to hold accounts
    if not value and not oidc and not os.path.lexists(path):
        return Configuration(None)  # neither variable nor default file: the demo
    return Configuration("oidc" if oidc else "fichier", path)


def _message(raison: str, path: Path | None = None) -> str:
    named = f"« {path} »" in raison  # the reason already says which file
    if path is None:
        where = ""
    elif os.environ.get(acces.VARIABLE, "").strip():
        where = f"variable {acces.VARIABLE} : " if named else \
            f"la variable {acces.VARIABLE} désigne « {path} » : "
    else:
        where = "fichier des comptes par défaut : " if named else \
            f"le fichier des comptes par défaut « {path} » : "
    if path is not None and not os.path.lexists(path):
        raison += (" Créez-le (python -m fluxcore utilisateur --login … --role admin) ou "
                   "corrigez le chemin.")
    return (f"{where}{raison} Corrigez le fichier puis rechargez la page, ou la variable "
            f"puis relancez l'application ; pour une application ouverte sans comptes "
            f"(démonstration), indiquez {acces.VARIABLE}={acces.OUVERT}.")


_journalises: set[str] = set()


def _arret(message: str) -> None:
    """The app stays closed: the operator's message on the page and once on stderr."""
    if message not in _journalises:
        _journalises.add(message)
        print(f"flux : application fermée, configuration de la connexion à corriger — "
              f"{message}", file=sys.stderr, flush=True)
    st.session_state.pop("utilisateur", None)
    _fin_de_session()
    st.title("Application fermée")
    st.error(f"**Configuration de la connexion à corriger** : {message}",
             icon=":material/lock:")
    st.caption("Message destiné à l'administrateur du serveur : aucune page n'est accessible "
               "tant que la configuration n'est pas corrigée.")
    st.stop()


def _pages_cachees(pages: list | None) -> None:
    """Register the app's pages, hidden and not run, before a screen that stops the run.
    Without any st.navigation call, Streamlit keeps its old multipage mode, in which an
    address such as /donnees runs pages/donnees.py alone, without app.py's sign-in check
    (`utilisateur()` stops those runs too). The address asked for is kept: the page opens
    once signed in."""
    if pages:
        st.navigation(pages, position="hidden")


def mode() -> str | None:
    """'oidc', 'fichier' or None (open app)."""
    return configuration().mode


def comptes():
    """The users file, read at every run (a few lines: a changed role or password applies
    at once); ConfigurationError with the operator's message when it cannot be used."""
    conf = configuration()
    if conf.erreur:
        raise ConfigurationError(conf.erreur)
    try:
        return lire_utilisateurs(conf.fichier)
    except FluxcoreError as exc:
        raise ConfigurationError(_message(str(exc), conf.fichier)) from exc


def utilisateur() -> Utilisateur | None:
    """The signed-in user (None when the app runs open). Every page asks (through
    `state.db_path()`) before reading anything: a page run without app.py's check (Streamlit's
    old multipage mode serves pages/*.py by itself until a run calls st.navigation) gets the
    sign-in screen, or the closed-app message, instead of the data."""
    user = st.session_state.get("utilisateur")
    if user is None:
        conf = configuration()
        if conf.mode is not None or conf.erreur:
            exiger_connexion()  # stops the run unless a user is signed in
            user = st.session_state.get("utilisateur")
    return user


def peut(action: str) -> bool:
    """Whether to show a write control (fluxcore refuses anyway when not allowed)."""
    user = utilisateur()
    return user is None or user.peut(action)


def refus(action: str) -> None:
    user = utilisateur()
    st.info(f"Votre rôle ({user.libelle if user else ''}) ne permet pas {de(action)}.",
            icon=":material/lock:")


def exiger_connexion(pages: list | None = None) -> Utilisateur | None:
    """Show the sign-in screen and stop the script until someone is signed in (or return
    None at once when authentication is off). `pages`: app.py's st.Page list, registered
    hidden before a screen that stops the run (see `_pages_cachees`)."""
    garder_televersements()
    conf = configuration()
    if conf.mode is None and not conf.erreur:
        st.session_state.pop("utilisateur", None)
        return None
    try:
        accounts = comptes()
    except ConfigurationError as exc:
        _pages_cachees(pages)
        _arret(str(exc))
    if conf.mode == "oidc":
        return _session_de(_oidc_user(accounts, pages))
    user = st.session_state.get("utilisateur")
    if user is not None:
        compte = accounts.get(user.login)
        if compte is not None and compte.empreinte == st.session_state.get("auth_empreinte"):
            # the account as the file says now: a changed role applies at once
            st.session_state["utilisateur"] = compte.utilisateur
            return _session_de(compte.utilisateur)
        st.session_state.clear()  # account removed or password changed: signed out
        st.warning("Votre compte a changé : reconnectez-vous.")
    _fin_de_session()
    _pages_cachees(pages)
    st.title("Connexion")
    st.caption("Gestion en flux des réservations — accès réservé aux comptes de l'équipe.")
    with st.form("connexion"):
        login = st.text_input("Identifiant", key="auth_login")
        password = st.text_input("Mot de passe", type="password", key="auth_mdp")
        if st.form_submit_button("Se connecter", type="primary"):
            try:
                user = authentifier(accounts, login, password)
            except AccesRefuseError as exc:
                time.sleep(1)  # slows password guessing down
                st.error(str(exc))
            else:
                st.session_state.clear()  # nothing of a previous session survives
                st.session_state["utilisateur"] = user
                st.session_state["auth_empreinte"] = accounts[user.login].empreinte
                st.rerun()
    st.stop()


def _oidc_user(accounts, pages: list | None = None) -> Utilisateur:
    if not st.user.is_logged_in:
        _fin_de_session()
        _pages_cachees(pages)
        st.title("Connexion")
        st.button("Se connecter avec le compte de l'organisme", type="primary",
                  on_click=st.login)
        st.stop()
    try:
        if st.user.get("email_verified") is False:
            raise AccesRefuseError("Le fournisseur d'identité n'a pas vérifié cette adresse "
                                   "e-mail : connexion refusée.")
        user = par_email(accounts, st.user.get("email"))
    except AccesRefuseError as exc:
        _fin_de_session()
        _pages_cachees(pages)
        st.error(str(exc))
        st.button("Se déconnecter", on_click=st.logout)
        st.stop()
    st.session_state["utilisateur"] = user
    return user


def auteur() -> str:
    """Name shown in « Décidé par »-like fields: the signed-in login (not editable, fluxcore
    records it anyway), else the last name typed, else the system user."""
    user = utilisateur()
    if user is not None:
        return user.login
    return st.session_state.get("auteur") or getpass.getuser()


def bandeau() -> None:
    """Sidebar block: who is signed in and the sign-out button, or the open-mode banner."""
    user = utilisateur()
    if user is None:
        if mode() is None:
            st.warning(BANDEAU_OUVERT, icon=":material/lock_open:")
        return
    st.caption(f"Connecté : **{user.libelle}**")
    if st.button("Se déconnecter", key="auth_logout"):
        st.session_state.clear()  # downloads prepared, choices: nothing stays behind
        if mode() == "oidc":
            st.logout()
        st.rerun()


def choisit_la_base() -> bool:
    """Only an administrator (or the open app) may point the app at another database file."""
    user = utilisateur()
    return user is None or user.role == "admin"


def chemin_autorise(path: str, default: str) -> str:
    """The database file typed in the sidebar, or the server's one for other roles."""
    return path if choisit_la_base() else default


# -- uploads: only from a signed-in session -------------------------------------------------
# Streamlit's upload endpoint (/_stcore/upload_file/<session>/<file>) takes a file from any
# open session, widget or not, and keeps it in memory until the session ends: an anonymous
# visitor could fill the server's memory before signing in. The sessions signed in are noted
# here; the runtime refuses the others' uploads (HTTP 400 before the body is read) unless the
# app runs open on purpose. server.maxUploadSize (.streamlit/config.toml) caps each file.
_sessions: set[str] = set()
_verrou = threading.Lock()


def _session_id() -> str | None:
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else None


def _session_de(user: Utilisateur) -> Utilisateur:
    """Note this session as signed in (its uploads are taken); returns the user."""
    sid = _session_id()
    if sid is not None:
        with _verrou:
            _sessions.add(sid)
    return user


def _fin_de_session() -> None:
    """This session is not (or no longer) signed in: its uploads are refused and dropped."""
    sid = _session_id()
    if sid is None:
        return
    with _verrou:
        _sessions.discard(sid)
    try:
        from streamlit.runtime import Runtime

        Runtime.instance().uploaded_file_mgr.remove_session_files(sid)
    except Exception:  # no runtime, e.g. under AppTest
        pass


def televersement_permis(session_id: str) -> bool:
    """Whether a file sent by this session may enter the server's memory."""
    conf = configuration()
    if conf.erreur:
        return False
    if conf.mode is None:
        return True  # open on purpose: every visitor is admin anyway
    with _verrou:
        return session_id in _sessions


def garder_televersements(runtime=None) -> bool:
    """Install (once) the upload guard on the Streamlit runtime: its session check answers
    « inactive » for a session not signed in, so the upload is refused before its body is
    read, and its file manager drops a file from such a session anyway. False when there is
    no runtime to guard (AppTest, bare mode)."""
    if runtime is None:
        try:
            from streamlit.runtime import Runtime

            if not Runtime.exists():
                return False
            runtime = Runtime.instance()
        except Exception:
            return False
    if getattr(runtime, "_flux_garde", False):
        return True
    from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager

    mgr = getattr(runtime, "uploaded_file_mgr", None)
    if not isinstance(mgr, MemoryUploadedFileManager):
        return False
    session_active, ajouter = runtime.is_active_session, mgr.add_file

    def is_active_session(session_id: str) -> bool:
        return session_active(session_id) and televersement_permis(session_id)

    def add_file(session_id: str, file) -> None:
        if televersement_permis(session_id):
            ajouter(session_id, file)

    runtime.is_active_session = is_active_session
    mgr.add_file = add_file
    runtime._flux_garde = True
    return True
