"""Password sign-in on the real server (`streamlit run serveur.py`) in Chromium: the session
survives a reload and a new tab, and signing out in one tab ends it in the others."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tools import browser as bw

pytestmark = pytest.mark.browser

MDP = "mdp-marc-2026"
CONNECTE = "Connecté : Marc Petit (gestionnaire)"


@pytest.fixture(scope="module")
def serveur(tmp_path_factory):
    if (why := bw.missing_requirements()) is not None:
        pytest.skip(why)
    tmp = tmp_path_factory.mktemp("sessions")
    db = bw.make_demo_db(tmp / "base.duckdb")
    comptes = tmp / "comptes.toml"
    subprocess.run([sys.executable, "-m", "fluxcore", "utilisateur", "--fichier", str(comptes),
                    "--login", "marc", "--role", "gestionnaire", "--nom", "Marc Petit"],
                   input=MDP + "\n", cwd=bw.ROOT, check=True, capture_output=True, text=True)
    env = {"FLUX_UTILISATEURS": str(comptes), "FLUX_SESSIONS": str(tmp / "sessions.sqlite3")}
    with bw.running_server(db, tmp / "serveur.log", env=env) as server:
        yield server


def _connecte(page) -> None:
    """The app shows its page, signed in (the sidebar says who)."""
    bw.wait_ready(page)
    page.get_by_text(CONNECTE).wait_for(timeout=bw.LIMITE_MS)
    assert not page.locator(bw.EXCEPTION).count()


def test_session_survives_reload_and_tabs_until_sign_out(serveur):
    with bw.chromium() as browser:
        context = browser.new_context(locale="fr-FR", viewport={"width": bw.WIDTH,
                                                                 "height": 900})
        onglet = context.new_page()
        onglet.goto(f"{serveur.url}/jauges", wait_until="domcontentloaded")
        # no session: the server's sign-in page, which will reopen /jauges
        onglet.locator("h1", has_text="Connexion").wait_for(timeout=bw.LIMITE_MS)
        assert onglet.url == f"{serveur.url}/_flux/connexion?suite=%2Fjauges"
        onglet.fill("#identifiant", "marc")
        onglet.fill("#mot_de_passe", "faux")
        onglet.click("button[type=submit]")
        onglet.get_by_text("Identifiant ou mot de passe incorrect.").wait_for(
            timeout=bw.LIMITE_MS)
        onglet.fill("#mot_de_passe", MDP)
        onglet.click("button[type=submit]")
        onglet.wait_for_url(f"{serveur.url}/jauges", timeout=bw.LIMITE_MS)
        _connecte(onglet)
        cookie = next(c for c in context.cookies() if c["name"] == "flux_session")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
        assert onglet.evaluate("document.cookie").find("flux_session") == -1

        onglet.reload(wait_until="domcontentloaded")       # a reload: still signed in
        _connecte(onglet)
        autre = context.new_page()                         # a new tab: signed in too
        autre.goto(f"{serveur.url}/", wait_until="domcontentloaded")
        _connecte(autre)

        # sign out in the new tab: the link leaves the app in this window
        autre.get_by_role("link", name="Se déconnecter").click()
        autre.wait_for_url(f"{serveur.url}/_flux/connexion?fin=1", timeout=bw.LIMITE_MS)
        autre.get_by_text("Vous êtes déconnecté.").wait_for(timeout=bw.LIMITE_MS)
        assert len(context.pages) == 2

        # the first tab's next action finds its session ended
        onglet.locator('[data-testid="stSidebarNav"] a', has_text="Tableau de bord").click()
        onglet.locator('[data-testid="stMain"] h1', has_text="Session terminée").wait_for(
            timeout=bw.LIMITE_MS)
        onglet.get_by_text("Session terminée : reconnectez-vous.").wait_for()
        bw.wait_ready(onglet)
        onglet.get_by_text(CONNECTE).wait_for(state="detached", timeout=bw.LIMITE_MS)
        assert not onglet.locator('[data-testid="stSidebarNav"]').count()
        # and its reload asks for the password
        onglet.reload(wait_until="domcontentloaded")
        onglet.locator("h1", has_text="Connexion").wait_for(timeout=bw.LIMITE_MS)
        assert onglet.url.startswith(f"{serveur.url}/_flux/connexion?suite=")
        context.close()
