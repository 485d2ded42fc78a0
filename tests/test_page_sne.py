"""The Rapprochement SNE page (AppTest): the figures of fluxcore.sne, the filters, projector
mode without personal lines, and a base without radiations."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from fluxcore import sne
from fluxcore.formats import fmt_int, fmt_pct, fmt_signe
from fluxcore.perimetre import Perimetre
from tests.apptest import app_sur

ROOT = Path(__file__).resolve().parent.parent
PAGE = "pages/sne.py"


def _app(db_path: Path, monkeypatch, tmp_path) -> AppTest:
    return app_sur(db_path, monkeypatch, tmp_path)


@pytest.fixture
def app(demo_path, monkeypatch, tmp_path):
    return _app(demo_path, monkeypatch, tmp_path)


def _open(app: AppTest, projection: bool = False, **state) -> AppTest:
    app.session_state["projection"] = projection
    for key, value in state.items():
        app.session_state[key] = value
    app.run()
    app.switch_page(PAGE).run()
    assert not app.exception, app.exception
    assert not app.error, [e.value for e in app.error]
    return app


def _frames(app: AppTest) -> list:
    """Every table of the page: st.dataframe (normal mode) and st.table (projector mode)."""
    return [f.value for f in app.dataframe] + [t.value for t in app.table]


def _table(app: AppTest, column: str):
    return next(f for f in _frames(app) if column in f.columns)


def _liste(app: AppTest):
    return next((f for f in _frames(app) if "Correction à faire" in f.columns), None)


def _rapprochement(app: AppTest, demo_db, departement: str | None = None):
    return sne.rapprocher(demo_db, Perimetre(_annee(app), departement=departement))


def _annee(app: AppTest) -> int:
    """The year the page shows: the sidebar's, else the current year (ui.state.perimetre)."""
    return int(app.session_state["annee"]) if "annee" in app.session_state else (
        date.today().year)


@pytest.mark.parametrize("projection", [False, True], ids=["normal", "projection"])
def test_per_reservataire_figures_are_those_of_fluxcore(app, demo_db, projection):
    _open(app, projection)
    r = _rapprochement(app, demo_db)
    assert len(r.par_reservataire) > 3 and len(r.ecarts) > 0      # the demo has discrepancies
    shown = _table(app, "Réservataire")
    assert list(shown.columns) == ["Réservataire", "Selon le bailleur", "Selon le SNE",
                                   "Écart (SNE − bailleur)", "Concordantes",
                                   "Lignes à corriger"]
    par = r.par_reservataire
    assert shown["Réservataire"].tolist() == par["libelle"].tolist()
    # numbers in the browser's table; French text, signed gaps, on a projector
    text = (lambda x: x) if projection else fmt_int
    signe = (lambda x: x) if projection else (lambda x: fmt_signe(x, 0))
    assert shown["Selon le bailleur"].map(text).tolist() == [
        fmt_int(x) for x in par["selon_bailleur"]]
    assert shown["Selon le SNE"].map(text).tolist() == [fmt_int(x) for x in par["selon_sne"]]
    assert shown["Écart (SNE − bailleur)"].map(signe).tolist() == [
        fmt_signe(x, 0) for x in par["ecart"]]
    assert shown["Concordantes"].map(text).tolist() == [fmt_int(x) for x in par["concordantes"]]
    assert shown["Lignes à corriger"].map(text).tolist() == [
        fmt_int(x) for x in par["a_corriger"]]
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Lignes rapprochées"] == fmt_int(len(r.lignes))
    assert metrics["Concordantes"] == fmt_pct(r.concordance_pct, 1)
    assert metrics["Lignes à corriger"] == fmt_int(len(r.ecarts))
    assert metrics["Écartées : autre motif"] == fmt_int(r.ecartees["autre_motif"])
    assert metrics["Écartées : autre SIREN"] == fmt_int(r.ecartees["autre_bailleur"])
    chart = app.get("plotly_chart")
    assert len(chart) == 1
    header = " ".join(c.value for c in app.caption)
    assert f"tolérance de {r.tolerance} jours" in header
    assert "Tolérance de date du rapprochement SNE" in header
    assert f"{fmt_int(r.importees)} radiations importées" in header


def test_territory_of_the_sidebar_applies(app, demo_db):
    _open(app)
    app.selectbox(key="sne_reservataire").set_value("PREF-10").run()   # Préfet – Aube
    app.session_state["territoire"] = "departement:51"     # the sidebar's choice (ui.state)
    app.run()
    assert not app.exception, app.exception
    r = _rapprochement(app, demo_db, "51")
    assert "PREF-10" not in set(r.par_reservataire["cle"])
    assert app.selectbox(key="sne_reservataire").value == ""    # back to every réservataire
    shown = _table(app, "Réservataire")
    assert shown["Selon le SNE"].tolist() == r.par_reservataire["selon_sne"].tolist()
    assert {m.label: m.value for m in app.metric}["Lignes rapprochées"] == fmt_int(len(r.lignes))


def test_filters_narrow_the_list(app, demo_db):
    _open(app)
    r = _rapprochement(app, demo_db)
    every = _liste(app)
    assert len(every) == len(r.ecarts)              # by default: every discrepancy
    assert list(every.columns[:2]) == ["Écart", "Correction à faire"]
    assert every["Correction à faire"].str.len().gt(0).all()
    counts = r.synthese.set_index("statut")["lignes"]
    statut = counts[sne.ECARTS].idxmax()
    app.multiselect(key="sne_statuts").set_value([statut]).run()
    assert not app.exception, app.exception
    narrowed = _liste(app)
    assert 0 < len(narrowed) < len(every) and len(narrowed) == counts[statut]
    assert set(narrowed["Écart"]) == {sne.STATUTS[statut][0]}
    # one réservataire's lines, either side; its own workbook is offered
    cle = r.par_reservataire.sort_values("a_corriger")["cle"].iloc[-1]
    assert app.multiselect(key="sne_statuts").options == [
        f"{sne.STATUTS[s][0]} ({fmt_int(n)})" for s, n in counts.items() if n > 0]
    app.multiselect(key="sne_statuts").set_value(
        [s for s in sne.ECARTS if counts[s] > 0]).run()
    app.selectbox(key="sne_reservataire").set_value(cle).run()
    assert not app.exception, app.exception
    mine = _liste(app)
    expected = r.par_reservataire.set_index("cle").at[cle, "a_corriger"]
    assert len(mine) == expected < len(every)
    labels = [d.label for d in app.get("download_button")]
    libelle = r.par_reservataire.set_index("cle").at[cle, "libelle"]
    assert labels == [f"Classeur de {libelle} (XLSX)", "Tout le rapprochement (XLSX)",
                      "Un classeur par réservataire (ZIP)"]
    # the concordant lines on demand
    app.multiselect(key="sne_statuts").set_value(["CONFORME"]).run()
    assert set(_liste(app)["Écart"]) == {"Concordant"}


def test_projection_shows_counts_only(app, demo_db):
    _open(app, projection=True)
    r = _rapprochement(app, demo_db)
    assert _liste(app) is None
    assert not app.get("multiselect") and not app.get("download_button")
    numeros = set(r.lignes["numero_unique"].dropna())
    attributions = set(r.lignes["attribution_id"].dropna())
    logements = set(r.lignes["logement_id"].dropna())
    shown = set()
    for frame in _frames(app):
        shown |= set(map(str, frame.columns)) | set(frame.astype(str).to_numpy().ravel())
    texts = " ".join(str(e.value) for kind in ("markdown", "caption", "info", "metric")
                     for e in app.get(kind))
    for ident in list(numeros)[:200] + list(attributions)[:200] + list(logements)[:200]:
        assert ident not in shown and ident not in texts
    assert not any("Numéro unique" in c for f in _frames(app) for c in f.columns)
    assert _table(app, "Réservataire") is not None and len(app.get("plotly_chart")) == 1


def test_radiations_set_aside_are_counted(demo_path, monkeypatch, tmp_path):
    from fluxcore.db import Database

    copy = tmp_path / "ecartees.duckdb"
    shutil.copy(demo_path, copy)
    db = Database(copy)
    avant = sne.rapprocher(db, Perimetre(2026)).ecartees["autre_motif"]  # the demo's abandons
    with db.transaction() as cur:
        cur.execute("update radiation_sne set motif_radiation = 'Renouvellement non effectué' "
                    "where numero_unique in (select numero_unique from radiation_sne "
                    "where year(date_radiation) = 2026 order by numero_unique limit 3)")
    r = sne.rapprocher(db, Perimetre(2026))
    db.close()
    app = _open(_app(copy, monkeypatch, tmp_path), annee=2026)
    metrics = {m.label: m.value for m in app.metric}
    assert r.ecartees["autre_motif"] == avant + 3
    assert metrics["Écartées : autre motif"] == fmt_int(avant + 3)
    assert metrics["Écartées : autre SIREN"] == "0"


def test_base_without_radiations_explains_the_import(demo_path, monkeypatch, tmp_path):
    from fluxcore.db import Database
    from fluxcore.imports.sne import ENTETES

    copy = tmp_path / "sans_sne.duckdb"
    shutil.copy(demo_path, copy)
    db = Database(copy)
    with db.transaction() as cur:
        cur.execute("delete from radiation_sne")
    db.close()
    app = _open(_app(copy, monkeypatch, tmp_path))
    text = " ".join(i.value for i in app.info).replace("\u00a0", " ")
    assert "Aucune radiation du SNE" in text and "Données › Importer" in text
    assert f"« {ENTETES['numero_unique'][0]} »" in text
    assert f"« {ENTETES['date_radiation'][0]} »" in text
    assert not app.get("plotly_chart") and not app.metric and _liste(app) is None


def test_long_list_is_cut_and_says_so(app, demo_db, monkeypatch):
    monkeypatch.setattr("ui.sne_views.MAX_LIGNES", 10)
    _open(app)
    r = _rapprochement(app, demo_db)
    assert len(_liste(app)) == 10
    assert any(c.value.startswith(f"Les 10 premières lignes sur {fmt_int(len(r.ecarts))}")
               for c in app.caption)
