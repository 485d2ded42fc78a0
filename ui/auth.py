"""Sign-in, optional (fluxcore.acces holds the rules).

- `FLUX_UTILISATEURS=aucun`, or neither the variable nor the default `utilisateurs.toml`: the
  app runs open (demo), with a sidebar banner saying every visitor has the admin rights;
- a users file (`FLUX_UTILISATEURS`, default `utilisateurs.toml`): identifier + password.
  Under `streamlit run serveur.py` the server's sign-in page (web.connexion) opens a session
  kept in a signed cookie (fluxcore.sessions), checked here at every run, so a reload or a new
  tab stays signed in and signing out ends every tab; the bare app (`streamlit run app.py`,
  AppTest) shows a form in the app instead. Both go through the brake on password guessing;
- an `[auth]` section in `.streamlit/secrets.toml`: OIDC sign-in with `st.login()`, the role
  coming from the users-file account with the same e-mail.
The configuration (fluxcore.connexion) fails closed: a variable naming a missing, unreadable
or invalid file, or an unreadable secrets file, stops every run on a French message for the
operator (and one line on stderr), never open mode. Files reach the server's memory only from
a signed-in session (or the open app): `garder_televersements`.
The signed-in user is kept in `st.session_state["utilisateur"]`; `ui.data` binds the database
to it, so fluxcore enforces the role whatever the page shows.
"""

from __future__ import annotations

import getpass
import html
import sys
import threading
from urllib.parse import quote, urlsplit

import streamlit as st

from fluxcore import connexion, sessions
from fluxcore.acces import AccesRefuseError, Utilisateur, de, par_email
from fluxcore.connexion import Configuration, ConfigurationError  # noqa: F401 (re-exported)
from fluxcore.errors import FluxcoreError

BANDEAU_OUVERT = ("Mode ouvert : aucun compte, tout visiteur a les droits d'administration "
                  "(imports, restauration, choix du fichier de base).")


def _oidc() -> bool:
    """Whether `.streamlit/secrets.toml` has an `[auth]` section (fluxcore.connexion)."""
    return connexion.oidc_configure(st.secrets)


def configuration() -> Configuration:
    """How visitors sign in, from the environment (read at every call: cheap, no file read).
    Open mode only on purpose; any doubt about a setting gives an error, never open mode."""
    return connexion.configuration(_oidc)


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
    return connexion.comptes(configuration())


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
        magasin = sessions.magasin(conf.fichier) if conf.mode == "fichier" else None
    except FluxcoreError as exc:  # ConfigurationError, SessionsError: the app stays closed
        _pages_cachees(pages)
        _arret(str(exc))
    if conf.mode == "oidc":
        return _session_de(_oidc_user(accounts, pages))
    if sessions.en_serveur():
        return _par_cookie(accounts, magasin, pages)
    user = st.session_state.get("utilisateur")
    if user is not None:
        compte = accounts.get(user.login)
        if (compte is not None and getattr(compte, "actif", True)
                and compte.empreinte == st.session_state.get("auth_empreinte")):
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
            try:  # the brake of fluxcore.sessions: slower, then locked, after failures
                compte = magasin.tenter(accounts, login, password, _adresse())
            except AccesRefuseError as exc:
                st.error(str(exc))
            else:
                st.session_state.clear()  # nothing of a previous session survives
                st.session_state["utilisateur"] = compte.utilisateur
                st.session_state["auth_empreinte"] = compte.empreinte
                st.rerun()
    st.stop()


def _adresse() -> str | None:
    """The browser's address (None from this machine, or without a browser: AppTest)."""
    try:
        adresse = st.context.ip_address
    except Exception:
        return None
    return adresse if isinstance(adresse, str) else None


def _par_cookie(accounts, magasin: sessions.Magasin, pages: list | None) -> Utilisateur:
    """Under serveur.py: the user of the session cookie, checked at every run (signed out
    in another tab, expired, account disabled or given a new password: signed out here too).
    Signing in happens on the server's page (web.connexion), never in the app."""
    valeur = st.context.cookies.get(sessions.COOKIE)
    user = magasin.verifier(valeur, accounts) if valeur else None
    if user is not None:
        avant = st.session_state.get("utilisateur")
        if avant is not None and avant.login != user.login:
            st.session_state.clear()  # another account signed in from another tab
        st.session_state["utilisateur"] = user
        return _session_de(user)
    st.session_state.clear()
    _fin_de_session()
    _pages_cachees(pages)
    # a page load without a session goes to the sign-in page (web.connexion): a run gets
    # here when the session ended meanwhile (its cookie, or none after a reconnection)
    st.title("Session terminée")
    st.info("Session terminée : reconnectez-vous.", icon=":material/lock:")
    chemin = urlsplit(st.context.url or "/").path or "/"
    _lien(f"{sessions.PAGE_CONNEXION}?suite={quote(chemin, safe='')}", "Se reconnecter")
    st.stop()


def _lien(href: str, texte: str) -> None:
    """A link opened in this window (Streamlit opens Markdown links in a new tab): the
    server's sign-in and sign-out pages. `texte` is a constant, `href` is quoted."""
    st.markdown(
        f'<a href="{html.escape(href)}" target="_self" data-testid="fluxLien" '
        'style="display:inline-block;padding:.35rem .8rem;border:1px solid '
        'rgba(49,51,63,.3);border-radius:.5rem;text-decoration:none;color:inherit">'
        f"{html.escape(texte)}</a>", unsafe_allow_html=True)


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
    if sessions.en_serveur() and mode() == "fichier":
        # the server ends the session (every tab), clears the cookie, shows the sign-in page
        _lien(sessions.PAGE_DECONNEXION, "Se déconnecter")
        return
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
