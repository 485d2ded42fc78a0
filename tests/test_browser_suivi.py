"""Real-browser walk of one vacated dwelling, from vacancy to lease, inside the product.

Orientation page (deep link ?liberation=<id>): the first ranked réservataire is chosen and the
orientation recorded. Suivi des logements page (deep link): one candidate proposed, sent to the
CALEOL, retained, the lease signed. Each step waits for what the page then shows (toast, statut
of the dossier, next form); the database is checked at the end, once the server has stopped
(DuckDB admits no reader while the app holds the file).

Run alone with `.venv/bin/python -m pytest tests/test_browser_suivi.py -q` (or `-m browser`).
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import date
from pathlib import Path

import pytest

from tools import browser as b

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(b.missing_requirements() is not None,
                       reason=f"test navigateur impossible : {b.missing_requirements()}"),
]

ARTIFACTS = Path(__file__).resolve().parent / "_artifacts"
SHOTS = ARTIFACTS / "screenshots"
TIMEOUT = b.LIMITE_MS  # a guard against a hang, never a pause


def _choisir(db_path: Path, today: date) -> dict:
    """A libération awaiting orientation, its first ranked réservataire, and the demande the
    cotation ranks first in that réservataire's contingent."""
    from fluxcore.cotation import candidats_contingent, par_destination
    from fluxcore.db import Database
    from fluxcore.orientation import classer_destinations
    from fluxcore.perimetre import Perimetre
    from fluxcore.tableau_de_bord import vacants_en_attente

    db = Database(db_path)
    try:
        # the app's reference date is today (ui.state.perimetre), not the demo's date
        vacants = vacants_en_attente(db, Perimetre(annee=today.year, aujourdhui=today))
        reservataires = set(db.df("select reservataire_id from reservataire")["reservataire_id"])
        for lib in vacants.loc[~vacants["hors_flux"], "liberation_id"]:
            dest = classer_destinations(db, lib, today).destinations
            dest = dest[dest["destinataire"].isin(reservataires)]
            if dest.empty:
                continue
            row = dest.iloc[0]
            cand, contingents = par_destination(db, lib, today)
            ligne = contingents[contingents["destinataire"] == row["destinataire"]]
            contingent = ligne["contingent"].iloc[0] if len(ligne) else "tous"
            if contingent == "hors_cotation":
                continue
            top = candidats_contingent(cand, contingent)
            actives = set(db.df("select demande_id from demande where statut = 'ACTIVE'")
                          ["demande_id"])
            top = top[top["demande_id"].isin(actives)]
            if top.empty:
                continue
            logement = vacants.loc[vacants["liberation_id"] == lib, "logement_id"].iloc[0]
            return {"liberation": lib, "logement": str(logement),
                    "destinataire": row["destinataire"],
                    "nom": row["nom"], "demande": str(top["demande_id"].iloc[0])}
    finally:
        db.close()
    pytest.fail("aucune libération en attente orientable vers un réservataire avec candidat")


def _fr(d: date) -> str:
    return d.strftime("%d/%m/%Y")


def _statut(page, texte: str) -> None:
    """Wait for the dossier's header to show this statut (bold, alone in its element)."""
    page.locator('[data-testid="stMain"] strong').filter(
        has_text=re.compile(rf"^{re.escape(texte)}$")).first.wait_for(timeout=TIMEOUT)


def _date(page, label: str, jour: date) -> None:
    """Type a date in a Streamlit 1.67 date_input: a react-aria date field of three segments
    (day, month, year) that move to the next one as digits are typed."""
    from playwright.sync_api import expect

    page.get_by_role("spinbutton", name=f"day, {label}", exact=True).click()
    page.keyboard.type(jour.strftime("%d%m%Y"))
    for segment, value in (("day", jour.day), ("month", jour.month), ("year", jour.year)):
        expect(page.get_by_role("spinbutton", name=f"{segment}, {label}", exact=True)
               ).to_have_attribute("aria-valuenow", str(value), timeout=TIMEOUT)


def _action(page, titre: str) -> None:
    """Open the expander of an action of the dossier (only the first one is open)."""
    resume = page.locator("summary").filter(has_text=titre)   # the text follows an icon
    resume.wait_for(timeout=TIMEOUT)
    if page.locator("details").filter(has=resume).get_attribute("open") is None:
        resume.click()


def _dossier(page, url: str, statut: str) -> None:
    """Open the dossier by its deep link (a fresh session) and wait for its statut.

    Reopened after each step: in the same session, the dossier selectbox sends back its stale
    label (it names the old statut) on the next submit, and the page answers « Libération
    inconnue » (see the report of this test's introduction)."""
    page.goto(url)
    b.wait_ready(page, TIMEOUT)
    _statut(page, statut)
    _sans_exception(page)


def _sans_exception(page) -> None:
    assert page.locator(b.EXCEPTION).count() == 0, page.locator(b.EXCEPTION).all_inner_texts()


def test_vacance_jusqu_au_bail(demo_path, tmp_path):
    from playwright.sync_api import expect

    from fluxcore.db import Database

    db_path = tmp_path / "suivi.duckdb"
    shutil.copy(demo_path, db_path)
    if Path(str(demo_path) + ".wal").exists():
        shutil.copy(str(demo_path) + ".wal", str(db_path) + ".wal")
    today = date.today()
    cas = _choisir(db_path, today)
    lib, demande = cas["liberation"], cas["demande"]
    oid = f"OR-{lib}"
    SHOTS.mkdir(parents=True, exist_ok=True)

    with b.running_server(db_path, ARTIFACTS / "streamlit-suivi.log") as srv, \
            b.chromium() as browser:
        context = browser.new_context(viewport={"width": b.WIDTH, "height": 1400},
                                      locale="fr-FR")
        context.set_default_timeout(TIMEOUT)
        page = context.new_page()
        try:
            # 1. orientation: the deep link preselects the dwelling
            page.goto(f"{srv.url}/orientation?liberation={lib}")
            b.wait_ready(page, TIMEOUT)
            _sans_exception(page)
            logement = page.get_by_role("combobox", name="Logement à orienter")
            expect(logement).to_have_value(re.compile(rf"^{re.escape(cas['logement'])} "),
                                           timeout=TIMEOUT)
            form = page.get_by_test_id("stForm")
            expect(form.get_by_text("Destination retenue")).to_be_visible(timeout=TIMEOUT)
            # Streamlit 1.67's react-aria combobox: a mouse click does not open it here, the
            # keyboard does
            choix = form.get_by_role("combobox", name="Destination retenue")
            choix.focus()
            choix.press("ArrowDown")
            page.get_by_role("option", name=cas["nom"], exact=True).click()
            expect(choix).to_have_value(cas["nom"], timeout=TIMEOUT)
            form.get_by_label("Justification").fill("Test navigateur : premier réservataire")
            form.get_by_role("button", name="Enregistrer l'orientation").click()
            # once recorded, the dwelling leaves the list and the page moves to the next one;
            # the page says it and, with no mail server, offers the notice at once
            expect(logement).not_to_have_value(re.compile(rf"^{re.escape(cas['logement'])} "),
                                               timeout=TIMEOUT)
            expect(page.get_by_text(f"logement {cas['logement']} → {cas['nom']}.")
                   ).to_be_visible(timeout=TIMEOUT)
            expect(page.get_by_text("Envoi par courriel non configuré : téléchargez-le ou "
                                    "envoyez-le depuis le dossier du logement.")
                   ).to_be_visible(timeout=TIMEOUT)
            expect(page.get_by_role("button", name="Télécharger l'avis (PDF)")
                   ).to_be_visible(timeout=TIMEOUT)
            b.wait_ready(page, TIMEOUT)
            _sans_exception(page)
            page.screenshot(path=str(SHOTS / "suivi-0-orientation-avis.png"), full_page=True)

            # 2. suivi: the dossier opened by its deep link
            dossier = f"{srv.url}/suivi?liberation={lib}"
            _dossier(page, dossier, "Orienté")
            page.get_by_role(
                "textbox", name="Autres demandes (numéros séparés par des virgules)",
                exact=True).fill(demande)
            page.get_by_role("button", name="Proposer", exact=True).click()
            expect(page.get_by_text("1 candidat proposé.")).to_be_visible(timeout=TIMEOUT)
            _statut(page, "Candidats proposés")
            b.wait_ready(page, TIMEOUT)
            _sans_exception(page)

            # 3. the CALEOL, dated today
            _dossier(page, dossier, "Candidats proposés")
            _action(page, "Passer en CALEOL")
            _date(page, "Date de la CALEOL", today)
            page.get_by_role("button", name="Passer en CALEOL", exact=True).click()
            _statut(page, "Passé en CALEOL")
            b.wait_ready(page, TIMEOUT)
            _sans_exception(page)

            # 4. its decision: the candidate is retained
            _dossier(page, dossier, "Passé en CALEOL")
            _action(page, "Enregistrer la décision de la CALEOL")
            expect(page.get_by_role("combobox", name="Candidat", exact=True)).to_have_value(
                re.compile(rf"^Candidat 1 · {demande} "), timeout=TIMEOUT)
            page.get_by_text("Retenu par la CALEOL", exact=True).click()
            _date(page, "Date de la décision", today)
            page.get_by_role("button", name="Enregistrer la décision", exact=True).click()
            _statut(page, "Attribué")
            expect(page.locator("summary").filter(has_text="Enregistrer la signature du bail")
                   ).to_be_visible(timeout=TIMEOUT)
            b.wait_ready(page, TIMEOUT)
            _sans_exception(page)

            # 5. the lease
            _dossier(page, dossier, "Attribué")
            _action(page, "Enregistrer la signature du bail")
            _date(page, "Date de signature du bail", today)
            page.get_by_role("button", name="Enregistrer le bail", exact=True).click()
            expect(page.get_by_text("Aucune action possible sur ce dossier à ce stade.")
                   ).to_be_visible(timeout=TIMEOUT)
            expect(page.locator('[role="gridcell"]').filter(
                has_text=re.compile(r"^Bail signé$"))).to_be_attached(
                timeout=TIMEOUT)
            b.wait_ready(page, TIMEOUT)
            _statut(page, "Attribué")
            _sans_exception(page)
            _dossier(page, dossier, "Attribué")
            expect(page.locator('[role="gridcell"]').filter(
                has_text=re.compile(r"^Bail signé$"))).to_be_attached(
                timeout=TIMEOUT)
            page.screenshot(path=str(SHOTS / "suivi-bail-signe.png"))
        except Exception:
            page.screenshot(path=str(SHOTS / "suivi-echec.png"))
            raise
        finally:
            context.close()

    db = Database(db_path, read_only=True)
    try:
        o = db.df("select statut, destinataire from orientation where orientation_id = ?",
                  [oid])
        assert o.to_dict("records") == [{"statut": "ATTRIBUE",
                                         "destinataire": cas["destinataire"]}]
        c = db.df("select candidature_id, demande_id, statut from candidature "
                  "where orientation_id = ?", [oid])
        assert c[["demande_id", "statut"]].to_dict("records") == [
            {"demande_id": demande, "statut": "RETENU"}]
        a = db.df("select attribution_id, date_caleol, date_bail, numero_unique "
                  "from attribution where orientation_id = ?", [oid])
        assert len(a) == 1
        assert a["attribution_id"].iloc[0] == f"AT-{c['candidature_id'].iloc[0]}"
        assert a["numero_unique"].iloc[0] == demande
        assert a["date_caleol"].iloc[0].date() == today
        assert a["date_bail"].iloc[0].date() == today
        assert db.scalar("select statut from demande where demande_id = ?", [demande]) == \
            "ATTRIBUEE"
        log = db.df("select action, entity_id, details from audit_log "
                    "where action in ('orientation.create', 'suivi.proposer', 'suivi.caleol', "
                    "'suivi.decision', 'suivi.bail') order by audit_id")
        mine = [r.action for r in log.itertuples()
                if r.entity_id == oid or json.loads(r.details or "{}").get("orientation_id")
                == oid]
        assert mine == ["orientation.create", "suivi.proposer", "suivi.caleol",
                        "suivi.decision", "suivi.bail"]
    finally:
        db.close()
