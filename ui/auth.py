"""Sign-in, optional (fluxcore.acces holds the rules).

- no users file and no OIDC configuration: the app runs open (demo);
- a users file (`FLUX_UTILISATEURS`, default `utilisateurs.toml`): identifier + password form;
- an `[auth]` section in `.streamlit/secrets.toml`: OIDC sign-in with `st.login()`, the role
  coming from the users-file account with the same e-mail.
The signed-in user is kept in `st.session_state["utilisateur"]`; `ui.data` binds the database
to it, so fluxcore enforces the role whatever the page shows.
"""

from __future__ import annotations

import getpass
import time

import streamlit as st

from fluxcore.acces import (
    AccesRefuseError,
    Utilisateur,
    authentifier,
    de,
    fichier_utilisateurs,
    lire_utilisateurs,
    par_email,
)
from fluxcore.errors import FluxcoreError


def _oidc() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def mode() -> str | None:
    """'oidc', 'fichier' or None (open app)."""
    if _oidc():
        return "oidc"
    return "fichier" if fichier_utilisateurs().exists() else None


def comptes():
    """The users file, read at every run (a few lines: a changed role or password applies
    at once)."""
    return lire_utilisateurs(fichier_utilisateurs())


def utilisateur() -> Utilisateur | None:
    """The signed-in user (None when the app runs open)."""
    return st.session_state.get("utilisateur")


def peut(action: str) -> bool:
    """Whether to show a write control (fluxcore refuses anyway when not allowed)."""
    user = utilisateur()
    return user is None or user.peut(action)


def refus(action: str) -> None:
    user = utilisateur()
    st.info(f"Votre rôle ({user.libelle if user else ''}) ne permet pas {de(action)}.",
            icon=":material/lock:")


def exiger_connexion() -> Utilisateur | None:
    """Show the sign-in screen and stop the script until someone is signed in (or return
    None at once when authentication is off)."""
    m = mode()
    if m is None:
        st.session_state.pop("utilisateur", None)
        return None
    try:
        accounts = comptes()
    except FluxcoreError as exc:
        st.error(f"Connexion impossible : {exc}")
        st.stop()
    if m == "oidc":
        return _oidc_user(accounts)
    user = st.session_state.get("utilisateur")
    if user is not None:
        compte = accounts.get(user.login)
        if compte is not None and compte.empreinte == st.session_state.get("auth_empreinte"):
            # the account as the file says now: a changed role applies at once
            st.session_state["utilisateur"] = compte.utilisateur
            return compte.utilisateur
        st.session_state.clear()  # account removed or password changed: signed out
        st.warning("Votre compte a changé : reconnectez-vous.")
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


def _oidc_user(accounts) -> Utilisateur:
    if not st.user.is_logged_in:
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
    """Sidebar block: who is signed in, and the sign-out button."""
    user = utilisateur()
    if user is None:
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
