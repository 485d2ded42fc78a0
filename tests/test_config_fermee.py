"""Authentication settings fail closed: a users file named but missing, unreadable or invalid
stops the app on a French message for the operator (never open mode, never a traceback);
open mode only on purpose, with a banner; no upload before sign-in; one upload limit."""

from __future__ import annotations

import os
import re
import tempfile
import tomllib
from pathlib import Path

import pytest
from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
from streamlit.runtime.uploaded_file_manager import UploadedFileRec
from streamlit.testing.v1 import AppTest

from fluxcore import acces
from fluxcore.acces import UtilisateursError
from tests.apptest import app_sur
from tests.test_pages import _accounts, _login
from ui import auth

ROOT = Path(__file__).resolve().parent.parent
FERMEE = "Application fermée"


def _app(demo_path, monkeypatch, valeur: str | None) -> AppTest:
    return app_sur(demo_path, monkeypatch, Path(tempfile.mkdtemp(prefix="flux-")), valeur)


def _fermee(at: AppTest, *attendus: str, page: str | None = None) -> str:
    """The app shows only the operator's message: no traceback, no data, no uploader (after
    the title of `page` when a page file ran alone: see test_page_run_alone_...)."""
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ([page] if page else []) + [FERMEE]
    assert len(at.error) == 1
    message = at.error[0].value
    for attendu in ("FLUX_UTILISATEURS", *attendus):
        assert attendu in message, message
    assert not at.get("file_uploader")
    assert not at.dataframe and not at.sidebar.text_input and not at.sidebar.selectbox
    assert "utilisateur" not in at.session_state
    return message


def test_missing_file_named_by_the_variable_keeps_the_app_closed(demo_path, monkeypatch,
                                                                    tmp_path, capfd):
    path = tmp_path / "utilisateur.toml"  # a typo: the real file is utilisateurs.toml
    at = _app(demo_path, monkeypatch, str(path))
    at.run()
    message = _fermee(at, str(path), "introuvable", "FLUX_UTILISATEURS=aucun")
    assert "Traceback" not in message
    err = capfd.readouterr().err
    assert "application fermée" in err and str(path) in err
    # another page asked for directly: still closed
    at.switch_page("pages/donnees.py").run()
    _fermee(at, str(path), page="Données")


def test_directory_instead_of_file_keeps_the_app_closed(demo_path, monkeypatch, tmp_path):
    at = _app(demo_path, monkeypatch, str(tmp_path))
    at.run()
    _fermee(at, str(tmp_path), "illisible", "dossier")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="root lit un fichier chmod 000")
def test_unreadable_file_keeps_the_app_closed(demo_path, monkeypatch, tmp_path):
    path = _accounts(tmp_path / "comptes.toml")
    path.chmod(0)
    try:
        at = _app(demo_path, monkeypatch, str(path))
        at.run()
        _fermee(at, str(path), "illisible", "lecture refusée")
    finally:
        path.chmod(0o600)


@pytest.mark.parametrize("contenu, attendu", [
    ('[utilisateurs.e\nrole = "lecteur"\n', "syntaxe TOML invalide"),
    (b"\xff\xfe[utilisateurs]", "UTF-8"),
    ('[utilisateurs.b]\nrole = "chef"\nmot_de_passe = "x"\n', "rôle « chef » inconnu"),
    ("# vide\n", "aucune table [utilisateurs.<identifiant>]"),
])
def test_invalid_file_keeps_the_app_closed(demo_path, monkeypatch, tmp_path, contenu, attendu):
    path = tmp_path / "comptes.toml"
    if isinstance(contenu, bytes):
        path.write_bytes(contenu)
    else:
        path.write_text(contenu, encoding="utf-8")
    at = _app(demo_path, monkeypatch, str(path))
    at.run()
    _fermee(at, str(path), attendu)


def test_blank_variable_keeps_the_app_closed(demo_path, monkeypatch):
    at = _app(demo_path, monkeypatch, "  ")
    at.run()
    _fermee(at, "définie mais vide")


def test_file_broken_while_signed_in_closes_the_app(demo_path, monkeypatch, tmp_path):
    path = _accounts(tmp_path / "comptes.toml")
    at = _app(demo_path, monkeypatch, str(path))
    at.run()
    _login(at, "lea", "mdp-lea")
    assert at.session_state["utilisateur"].login == "lea"
    path.write_text("[utilisateurs.\n", encoding="utf-8")
    at.run()
    _fermee(at, str(path), "syntaxe TOML invalide")


def test_explicit_open_mode_shows_the_banner(demo_path, monkeypatch):
    at = _app(demo_path, monkeypatch, "aucun")
    at.run()
    assert not at.exception, at.exception
    assert auth.BANDEAU_OUVERT in [w.value for w in at.sidebar.warning]
    assert "Mode ouvert : aucun compte, tout visiteur a les droits d'administration" \
        in auth.BANDEAU_OUVERT
    at.switch_page("pages/donnees.py").run()
    assert not at.exception, at.exception
    assert at.get("file_uploader")  # the open app imports, as before


def test_no_variable_and_no_default_file_is_the_open_demo(demo_path, monkeypatch, tmp_path):
    monkeypatch.setattr(acces, "DEFAULT_FILE", tmp_path / "utilisateurs.toml")
    at = _app(demo_path, monkeypatch, None)
    at.run()
    assert not at.exception, at.exception
    assert auth.BANDEAU_OUVERT in [w.value for w in at.sidebar.warning]


def test_default_file_dangling_link_keeps_the_app_closed(demo_path, monkeypatch, tmp_path):
    lien = tmp_path / "utilisateurs.toml"
    lien.symlink_to(tmp_path / "ailleurs.toml")
    monkeypatch.setattr(acces, "DEFAULT_FILE", lien)
    at = _app(demo_path, monkeypatch, None)
    at.run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == [FERMEE]
    assert "fichier des comptes par défaut" in at.error[0].value
    assert str(lien) in at.error[0].value


def test_open_mode_refused_with_oidc(demo_path, monkeypatch):
    at = _app(demo_path, monkeypatch, "aucun")
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback",
                          "cookie_secret": "x", "client_id": "x", "client_secret": "x",
                          "server_metadata_url": "https://idp.example/.well-known/x"}
    at.run()
    _fermee(at, "section [auth]")


def test_no_uploader_before_sign_in(demo_path, monkeypatch, tmp_path):
    path = _accounts(tmp_path / "comptes.toml")
    at = _app(demo_path, monkeypatch, str(path))
    at.run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Connexion"]
    assert not at.get("file_uploader")
    assert not [w for w in at.warning if w.value == auth.BANDEAU_OUVERT]


@pytest.mark.parametrize("page", ["pages/donnees.py", "pages/tableau_de_bord.py",
                                  "pages/reservataire.py"])
def test_page_run_alone_asks_for_sign_in(demo_path, monkeypatch, tmp_path, page):
    """Until a run calls st.navigation, Streamlit serves pages/*.py by itself, without
    app.py (AppTest does so at every run): the page stops at its first question to ui.auth
    (state.db_path()), before any data or uploader; signed in, it opens."""
    path = _accounts(tmp_path / "comptes.toml")
    at = _app(demo_path, monkeypatch, str(path))
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title][-1] == "Connexion"
    assert not at.get("file_uploader") and not at.dataframe
    assert "utilisateur" not in at.session_state
    _login(at, "lea" if page != "pages/reservataire.py" else "al",
           "mdp-lea" if page != "pages/reservataire.py" else "mdp-al")
    assert not at.exception, at.exception
    assert "Connexion" not in [t.value for t in at.title]


# -- the upload endpoint itself --------------------------------------------------------------
class _Runtime:
    """What garder_televersements touches of streamlit.runtime.Runtime."""

    def __init__(self):
        self.uploaded_file_mgr = MemoryUploadedFileManager("/_stcore/upload_file")

    def is_active_session(self, session_id: str) -> bool:
        return session_id.startswith("session")


def _fichier(n: int = 1) -> UploadedFileRec:
    return UploadedFileRec(f"f{n}", "x.csv", "text/csv", b"a;b\n" * 10)


def test_upload_endpoint_refuses_a_session_not_signed_in(monkeypatch, tmp_path):
    runtime = _Runtime()
    mgr = runtime.uploaded_file_mgr
    assert auth.garder_televersements(runtime)
    assert auth.garder_televersements(runtime)  # installed once
    monkeypatch.setenv("FLUX_UTILISATEURS", str(_accounts(tmp_path / "comptes.toml")))
    # accounts: an anonymous session is « inactive » for the endpoint (HTTP 400 before the
    # body is read), and a file reaching the manager anyway is dropped
    assert not runtime.is_active_session("session-anonyme")
    mgr.add_file("session-anonyme", _fichier())
    assert not mgr.file_storage.get("session-anonyme")
    monkeypatch.setattr(auth, "_sessions", {"session-connectee"})
    assert runtime.is_active_session("session-connectee")
    mgr.add_file("session-connectee", _fichier())
    assert mgr.get_files("session-connectee", ["f1"])
    assert not runtime.is_active_session("autre")  # still Streamlit's own check first
    # a configuration to correct: nobody uploads
    monkeypatch.setenv("FLUX_UTILISATEURS", str(tmp_path / "absent.toml"))
    assert not runtime.is_active_session("session-anonyme")
    # open on purpose: everyone may (every visitor is admin anyway)
    monkeypatch.setenv("FLUX_UTILISATEURS", "aucun")
    assert runtime.is_active_session("session-anonyme")
    mgr.add_file("session-anonyme", _fichier(2))
    assert mgr.get_files("session-anonyme", ["f2"])


def test_open_mode_value_is_not_a_file_for_the_command_line(monkeypatch):
    monkeypatch.setenv("FLUX_UTILISATEURS", "aucun")
    with pytest.raises(UtilisateursError, match="--fichier"):
        acces.fichier_utilisateurs()
    monkeypatch.setenv("FLUX_UTILISATEURS", "/srv/flux/utilisateurs.toml")
    assert acces.fichier_utilisateurs() == Path("/srv/flux/utilisateurs.toml")


def test_unreadable_users_file_is_a_users_error(tmp_path):
    with pytest.raises(UtilisateursError, match=r"illisible : « .* » \(c'est un dossier"):
        acces.lire_utilisateurs(tmp_path)


# -- one upload limit for Streamlit, the service and the proxy -------------------------------
def test_upload_limit_is_the_same_everywhere():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    limite = config["server"]["maxUploadSize"]
    assert 0 < limite <= 200
    env = dict(line.split("=", 1) for line in
               (ROOT / "deploy" / "flux.env").read_text(encoding="utf-8").splitlines()
               if line.strip() and not line.startswith("#"))
    assert int(env["STREAMLIT_SERVER_MAX_UPLOAD_SIZE"]) == limite
    assert env["FLUX_UTILISATEURS"] not in ("", "aucun")
    nginx = (ROOT / "deploy" / "nginx-flux.conf").read_text(encoding="utf-8")
    assert re.findall(r"^\s*client_max_body_size (\d+)m;", nginx, re.M) == [str(limite + 1)]
    service = (ROOT / "deploy" / "flux.service").read_text(encoding="utf-8")
    assert "EnvironmentFile=/etc/flux/flux.env" in service
    assert "--server.address 127.0.0.1" in service
