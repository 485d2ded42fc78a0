"""Fragility index: four hand-built résidences with a known order and exact values, « et si »
moving each indicator by the right amount, the demo's latent fragility recovered, the offline
map, the command line."""

from __future__ import annotations

import json
import math
from datetime import date

import pytest

from fluxcore.fragilite import et_si, fiche, fragilite
from tests.factory import insert, logement, residence

ARRET = date(2026, 11, 23)
LEVELS = {"R1": 60.0, "R2": 45.0, "R3": 30.0, "R4": 15.0}   # equally spaced: known z-scores
Z1 = 22.5 / math.sqrt(281.25)                               # (60 − 37,5) / σ (ddof 0)


@pytest.fixture
def four(empty_db):
    insert(empty_db, "residence", [residence(r, "51454", "200067213", "51") for r in LEVELS])
    insert(empty_db, "logement", [logement(f"L{r}", r) for r in LEVELS])
    insert(empty_db, "occupation", [{
        "residence_id": r, "annee": 2024, "nb_menages": 20, "part_ressources_faibles": v,
        "part_monoparentales": v / 3, "part_sans_emploi": v / 2, "part_apl": v,
        "part_personnes_seules": 30.0, "part_grandes_familles": 5.0, "part_moins_25": 3.0,
        "part_plus_65": 20.0, "taux_rotation": v / 5, "taux_vacance": v / 10,
        "taux_impayes": v / 6} for r, v in LEVELS.items()])
    return empty_db


def test_index_order_values_and_classes(four):
    df = fragilite(four, ARRET).set_index("residence_id")
    assert list(df.index) == ["R1", "R2", "R3", "R4"]
    # survey indicators weigh 0,80 in all; move-ins and trend are unknown (z = 0)
    assert df.loc["R1", "indice"] == pytest.approx(0.8 * Z1, abs=1e-6)
    assert df.loc["R2", "indice"] == pytest.approx(0.8 * Z1 / 3, abs=1e-6)
    assert df["classe"].tolist() == ["fragile", "à surveiller", "équilibrée", "équilibrée"]
    assert df.loc["R1", "c_part_ressources_faibles"] == pytest.approx(0.2 * Z1, abs=1e-6)
    assert df.loc["R1", "c_entrees_q1_pct"] == 0.0
    assert (df["reference"] == "parc").all()          # 4 résidences < 10: whole parc


def test_card_explains_in_words(four):
    card = fiche(four, "R1", ARRET)
    assert card["explication"].startswith("Classée « fragile » (indice +1,07) surtout à cause "
                                          "de : ménages à ressources faibles : 60,0 %")
    t = card["indicateurs"].set_index("indicateur")
    assert t.loc["part_ressources_faibles", "reference"] == 37.5


def test_et_si_moves_each_indicator_by_the_right_amount(four):
    q1 = et_si(four, "R2", ARRET, quartile=1, prioritaire=True, taille=6)
    t = q1.indicateurs.set_index("indicateur")
    assert t.loc["part_ressources_faibles", "apres"] == pytest.approx((45 * 20 + 100) / 21)
    assert t.loc["part_grandes_familles", "apres"] == pytest.approx((5 * 20 + 100) / 21)
    assert t.loc["part_personnes_seules", "apres"] == pytest.approx(30 * 20 / 21)
    assert t.loc["entrees_q1_pct", "apres"] == 100.0
    assert t.loc["entrees_prioritaires_pct", "apres"] == 100.0
    sigma = math.sqrt(281.25)
    assert q1.indice_apres - q1.indice_avant == pytest.approx(
        0.2 * ((45 * 20 + 100) / 21 - 45) / sigma, abs=1e-6)
    other = et_si(four, "R2", ARRET, quartile=3, taille=2)
    assert other.indice_apres - other.indice_avant == pytest.approx(
        0.2 * (45 * 20 / 21 - 45) / sigma, abs=1e-6)
    assert other.indice_apres < other.indice_avant < q1.indice_apres


def test_demo_latent_fragility_is_recovered(demo_db):
    df = fragilite(demo_db, ARRET).merge(
        demo_db.df("select * from demo_fragilite_latente"), on="residence_id")
    assert df[["indice", "fragilite_latente"]].corr(method="spearman").iloc[0, 1] > 0.75
    top = df[df["fragilite_latente"] >= df["fragilite_latente"].quantile(0.9)]
    assert (top["classe"] != "équilibrée").mean() == 1.0
    low = df[df["fragilite_latente"] <= df["fragilite_latente"].quantile(0.5)]
    assert (low["classe"] == "fragile").sum() == 0


def test_map_is_offline(four):
    from ui.figures_residences import carte

    fig = carte(fragilite(four, ARRET).assign(latitude=49.25, longitude=4.03), False, "R1")
    layout = fig.layout.map
    assert layout.style == "white-bg"
    kinds = [(layer.type, layer.source["type"]) for layer in layout.layers]
    assert kinds == [("fill", "FeatureCollection"), ("line", "FeatureCollection"),
                     ("line", "FeatureCollection")]
    assert "http" not in json.dumps(fig.to_plotly_json()["layout"]["map"], default=str)
    assert {t.name.split(" (")[0] for t in fig.data} >= {"Fragile", "À surveiller",
                                                         "Équilibrée"}


def test_cli_fragilite(demo_path, tmp_path, capsys):
    import shutil

    from fluxcore.__main__ import main

    copy = shutil.copy(demo_path, tmp_path / "copie.duckdb")
    assert main(["fragilite", "--db", str(copy), "--date", "2026-11-23", "--format",
                 "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["indice"] >= rows[-1]["indice"] and "c_taux_impayes" in rows[0]


def test_impact_from_the_epci_alone_equals_the_whole_parc(demo_db):
    from fluxcore.fragilite import contexte, impact

    df = contexte(demo_db, ARRET)[0]
    counts = df[df["annee_enquete"].notna()].groupby("epci_siren").size()
    big = counts[counts >= 10].index[0]
    rid = df[df["epci_siren"] == big]["residence_id"].iloc[0]
    assert impact(demo_db, rid, ARRET, big) == pytest.approx(impact(demo_db, rid, ARRET))


def test_index_does_not_depend_on_the_territory_shown(demo_db):
    whole = fragilite(demo_db, ARRET).set_index("residence_id")["indice"]
    marne = fragilite(demo_db, ARRET, departement="51").set_index("residence_id")["indice"]
    assert len(marne) and marne.to_dict() == pytest.approx(whole.loc[marne.index].to_dict())


def test_constant_indicator_has_no_spread():
    """A constant indicator gives z = 0 even when its float variance is not exactly 0."""
    import numpy as np
    import pandas as pd

    from fluxcore.fragilite import _scalers, _z

    df = pd.DataFrame({"a": [0.1] * 11, "b": [0.7] * 10 + [np.nan], "c": range(11)})
    groups = pd.Series(["parc"] * 11)
    sc = _scalers(df, ["a", "b", "c"], groups)
    z = _z(df, ["a", "b", "c"], groups, sc)
    assert (z["a"] == 0).all() and (z["b"] == 0).all()
    assert z["c"].round(6).tolist()[0] == -1.581139
