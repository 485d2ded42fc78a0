"""Orientation page: the cotation's candidates and the résidence's fragility card beside the
ranking; deep links (?liberation=, ?residence=, ?demande=) and the sidebar search (AppTest on
the petit demo)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from fluxcore.cotation import candidats_contingent, par_destination
from fluxcore.formats import accord, fmt_int, fmt_num
from fluxcore.fragilite import fiche
from fluxcore.perimetre import Perimetre
from fluxcore.tableau_de_bord import annees_disponibles, vacants_en_attente
from tests.apptest import app_sur

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def app(demo_path, monkeypatch, tmp_path):
    return app_sur(demo_path, monkeypatch, tmp_path)


def open_page(app, page: str, **query) -> AppTest:
    app.run()
    app.query_params.update(query)
    app.switch_page(page).run()
    assert not app.exception, app.exception
    return app


def frame(app, column: str):
    return next(f.value for f in app.dataframe if column in f.value.columns)


def perimetre(db) -> Perimetre:
    """The page's period: the sidebar's year (the latest by default), today (ui.state)."""
    return Perimetre(annees_disponibles(db)[0], aujourdhui=date.today())


def test_candidates_and_fragility_card_of_the_selected_dwelling(app, demo_db):
    open_page(app, "pages/orientation.py")
    lib = app.selectbox(key="o_liberation").value
    cand, dest = par_destination(demo_db, lib, date.today())
    shown = frame(app, "Éligibles")
    assert shown["Destination"].tolist() == dest["nom"].tolist()
    # numbers (the table sorts on them), as fluxcore's text shows them
    assert [fmt_num(s, 0) for s in shown["Meilleur score"]] == [
        fmt_num(s, 0) for s in dest["meilleur_score"]]
    d = app.selectbox(key="o_candidats").value
    assert d == dest.loc[dest["contingent"] != "hors_cotation", "destinataire"].iloc[0]
    top = candidats_contingent(cand, dest.set_index("destinataire").at[d, "contingent"])
    table = frame(app, "Demande")
    assert list(table.columns) == ["Rang", "Demande", "Score", "Typologie souhaitée",
                                   "Ancienneté (mois)", "Prioritaire", "DALO"]
    assert table["Demande"].tolist() == top["demande_id"].head(10).tolist()
    assert [fmt_num(s, 0) for s in table["Score"]] == [fmt_num(s, 0) for s in
                                                       top["score"].head(10)]
    assert any(c.value.startswith(accord(len(top), "candidat éligible", "candidats éligibles"))
               for c in app.caption)
    # the fragility card is the Résidences page's, with fluxcore's figures
    rid = demo_db.scalar("select residence_id from liberation join logement using "
                         "(logement_id) where liberation_id = ?", [lib])
    f = fiche(demo_db, rid, perimetre(demo_db).date_arret)
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Indice"] == fmt_num(f["residence"]["indice"], 2)
    assert metrics["Logements"] == fmt_int(f["residence"]["logements"])
    assert f["explication"] in [m.value for m in app.markdown]
    assert frame(app, "Moyenne de la référence")["Indicateur"].tolist() == \
        f["indicateurs"]["libelle"].tolist()
    # another destination: the candidates of its contingent
    other = dest[dest["contingent"] != "hors_cotation"].iloc[-1]
    app.selectbox(key="o_candidats").set_value(other["destinataire"]).run()
    assert not app.exception, app.exception
    top = candidats_contingent(cand, other["contingent"])
    assert frame(app, "Demande")["Demande"].tolist() == top["demande_id"].head(10).tolist()


def test_projection_hides_demande_ids(app):
    app.session_state["projection"] = True
    open_page(app, "pages/orientation.py")
    tables = [t.value for t in app.table] + [f.value for f in app.dataframe]
    candidates = next(t for t in tables if "Typologie souhaitée" in t.columns)
    assert list(candidates.columns) == ["Rang", "Score", "Typologie souhaitée",
                                        "Ancienneté (mois)"]
    for t in tables:
        assert not t.astype(str).apply(lambda c: c.str.contains("DEM")).any().any()
    assert not any("DEM" in m.value for m in [*app.markdown, *app.caption])
    assert any("masqués en mode projection" in c.value for c in app.caption)


def test_liberation_link_preselects_the_dwelling(app, demo_db):
    app.run()
    vacants = vacants_en_attente(demo_db, perimetre(demo_db))
    lib = vacants["liberation_id"].iloc[-1]
    assert lib != vacants["liberation_id"].iloc[0]
    open_page(app, "pages/orientation.py", liberation=lib)
    assert app.selectbox(key="o_liberation").value == lib
    assert "liberation" not in app.query_params      # read once: a later choice stays
    first = vacants["liberation_id"].iloc[0]
    app.selectbox(key="o_liberation").set_value(first).run()
    assert app.selectbox(key="o_liberation").value == first


def test_liberation_link_to_an_oriented_dwelling_points_to_the_follow_up(app, demo_db):
    lib, logement = demo_db.one("select liberation_id, logement_id from orientation join "
                                "liberation using (liberation_id) where statut = 'CALEOL' "
                                "order by liberation_id limit 1")
    open_page(app, "pages/orientation.py", liberation=lib)
    info = [i.value for i in app.info]
    assert any(v.startswith(f"Le logement {logement} n'attend plus d'orientation : ")
               and v.endswith(" : passé en CALEOL.") for v in info), info
    links = [p.proto for p in app.get("page_link")]
    assert any(p.page == "suivi" and p.query_string == f"liberation={lib}"
               and p.label == "Voir ce logement dans le suivi des logements" for p in links)


def test_residence_link_opens_its_card(app, demo_db):
    rid = demo_db.scalar("select max(residence_id) from residence")
    open_page(app, "pages/residences.py", residence=rid)
    assert app.selectbox(key="r_residence").value == rid
    nom = demo_db.scalar("select nom from residence where residence_id = ?", [rid])
    assert any(m.value.startswith(f"### {nom} — ") for m in app.markdown)


def test_demande_link_opens_the_demandeur_position(app, demo_db):
    did = demo_db.scalar("select max(demande_id) from demande where statut = 'ACTIVE'")
    open_page(app, "pages/cotation.py", demande=did)
    assert app.text_input(key="c_demande").value == did
    assert app.session_state["c_onglet"] == "Demandeur"
    text = "\n".join(m.value for m in app.markdown)
    assert "Score :" in text and "CALEOL" in text


@pytest.mark.parametrize("page, param, message", [
    ("pages/orientation.py", "liberation", "Libération inconnue : « ZZZ' or 1=1 ». "),
    ("pages/residences.py", "residence", "La résidence « ZZZ' or 1=1 » est introuvable"),
    ("pages/cotation.py", "demande", "La demande « ZZZ' or 1=1 » est introuvable")])
def test_unknown_id_warns(app, page, param, message):
    open_page(app, page, **{param: "ZZZ' or 1=1"})
    assert [w.value for w in app.warning if w.value.startswith(message)], \
        [w.value for w in app.warning]
    assert not app.error


def test_sidebar_search_links_to_the_page_of_each_result(app, demo_db):
    app.run()
    did = demo_db.scalar("select min(demande_id) from demande")
    app.sidebar.text_input(key="recherche").set_value(did).run()
    assert not app.exception, app.exception
    links = [p.proto for p in app.sidebar.get("page_link")]
    assert (links[0].page, links[0].query_string) == ("cotation", f"demande={did}")
    app.sidebar.text_input(key="recherche").set_value("reims").run()
    links = [p.proto for p in app.sidebar.get("page_link")]
    assert len(links) == 8 and links[0].page == "residences"
    assert any("précisez la recherche" in c.value for c in app.sidebar.caption)
    # projector: no demande (pseudonymous ids)
    app.session_state["projection"] = True
    app.sidebar.text_input(key="recherche").set_value(did).run()
    assert not app.sidebar.get("page_link")
    assert "Aucun résultat. Demandes masquées en mode projection." in [
        c.value for c in app.sidebar.caption]
