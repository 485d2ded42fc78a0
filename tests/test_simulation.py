"""Negotiation simulator: docs/regles.md#exemples 1–5 exactly, legal checks with their article,
the database path, the vacancy model, the Monte Carlo against its analytic expectation,
saved scenarios, comparison files and the CLI."""

from __future__ import annotations

import io
import json
import math
import shutil
from datetime import date

import numpy as np
import pandas as pd
import pytest

from fluxcore.assiette import assiette_departement
from fluxcore.check import run_checks
from fluxcore.db import Database
from fluxcore.exports import export_tables
from fluxcore.imports import import_paths
from fluxcore.parametres import set_parametre
from fluxcore.regles import Derogation
from fluxcore.simulation import (
    LigneReservataire,
    Scenario,
    ScenarioError,
    charger_entrees,
    entrees_simples,
    from_dict,
    modele,
    modele_stocke,
    simuler,
)
from fluxcore.simulation.calcul import lignes_initiales
from fluxcore.simulation.comparaison import comparer
from fluxcore.simulation.export import export_pdf, export_xlsx
from fluxcore.simulation.modele import ajuster
from fluxcore.simulation.modele_stocke import (
    modele_enregistre,
    modeles_a_reestimer,
    rafraichir_modeles,
)
from fluxcore.simulation.montecarlo import simuler_tirages
from fluxcore.simulation.stockage import (
    charger_scenario,
    enregistrer_scenario,
    lister_scenarios,
    supprimer_scenario,
)
from tests import factory

ANS = [2027, 2028, 2029]


def L(rid, type_, **kw):  # short builder for a scenario line
    return LigneReservataire(rid, kw.pop("nom", rid), type_, **kw)


def exemple2_lignes(methode="part_stock"):
    return [L("PREF", "PREFET", methode=methode), L("PREFF", "PREFET_FONCTIONNAIRES",
                                                     methode=methode),
            L("AL", "ACTION_LOGEMENT", methode=methode), L("COM", "COMMUNE", methode=methode)]


def by_id(res, col="taux_pct"):
    return dict(zip(res.reservataires["reservataire_id"], res.reservataires[col]))


def ctrl(res, code):
    return res.controles.set_index("code").loc[code]


# -- docs/regles.md#exemples, 1 to 5 ------------------------------------------------------------

def test_example_1_share_of_reserved_stock():
    e = entrees_simples(ANS, 100, 8.0, stock={"R": 25})
    res = simuler(e, Scenario("00", 2027, 2029, reservataires=[L("R", "AUTRE",
                                                                  methode="part_stock")]))
    assert by_id(res)["R"] == 25.0
    assert "25 logements réservés sur un patrimoine de 100 = 25\u202f%" in by_id(res, "base")["R"]


def test_example_2_conversion_of_a_patrimoine_of_1000():
    e = entrees_simples(ANS, 1000, 8.0, stock={"PREF": 200, "PREFF": 50, "AL": 300,
                                                "COM": 150})
    res = simuler(e, Scenario("00", 2027, 2029, reservataires=exemple2_lignes()))
    assert by_id(res) == {"PREF": 20.0, "PREFF": 5.0, "AL": 30.0, "COM": 15.0}
    assert ctrl(res, "prefet_max")["valeur"] == pytest.approx(25.0)
    assert ctrl(res, "prefet_agents_max")["valeur"] == pytest.approx(5.0)
    assert res.conforme
    assert res.part_bailleur_pct == pytest.approx(30.0)


def test_example_2_with_typed_counts_instead_of_the_base():
    e = entrees_simples(ANS, 1000, 8.0)
    lines = [L("PREF", "PREFET", methode="part_stock", logements_reserves=250),
             L("AL", "ACTION_LOGEMENT", methode="part_stock", logements_reserves=300)]
    assert by_id(simuler(e, Scenario("00", 2027, 2029, reservataires=lines))) == {
        "PREF": 25.0, "AL": 30.0}


def test_example_3_prefet_above_30_percent_is_void_unless_derogation():
    e = entrees_simples(ANS, 1000, 8.0, stock={"PREF": 320})
    lines = [L("PREF", "PREFET", methode="part_stock")]
    res = simuler(e, Scenario("00", 2027, 2029, reservataires=lines))
    c = ctrl(res, "prefet_max")
    assert c["valeur"] == pytest.approx(32.0) and not c["respecte"]
    assert c["article"] == "R441-5-2" and "sans dérogation" in c["message"]
    assert not res.conforme
    # a dated dérogation covering the whole period at 32 % (three one-year arrêtés)
    arretes = [Derogation(f"Arrêté n° {y}-01", date(y, 1, 1), date(y, 12, 31), 32.0)
               for y in ANS]
    derog = simuler(e, Scenario("00", 2027, 2029, reservataires=lines, derogations=arretes))
    assert ctrl(derog, "prefet_max")["respecte"] and derog.conforme
    assert "2029 : conforme du 01/01 au 31/12 (32\u202f% ≤ 32\u202f% sous la dérogation " \
           "Arrêté n° 2029-01 du 01/01/2029 au 31/12/2029)" in ctrl(derog, "prefet_max")["message"]


def test_three_years_with_a_one_year_derogation_flag_the_other_years():
    # préfet 330 / 1 000 = 33 %; one arrêté 01/07/2027–30/06/2028 at 33,5 %
    e = entrees_simples(ANS, 1000, 8.0, stock={"PREF": 330})
    arrete = Derogation("Arrêté préfectoral n° 2027-118", date(2027, 7, 1), date(2028, 6, 30),
                        33.5)
    res = simuler(e, Scenario("00", 2027, 2029, reservataires=[
        L("PREF", "PREFET", methode="part_stock")], derogations=[arrete]))
    c = ctrl(res, "prefet_max")
    assert (c["valeur"], c["limite"], c["respecte"]) == (pytest.approx(33.0), 30.0, False)
    nb = "\u202f"
    sous = (f"33{nb}% ≤ 33,5{nb}% sous la dérogation Arrêté préfectoral n° 2027-118 du "
            "01/07/2027 au 30/06/2028")
    hors = f"33{nb}% > 30{nb}% hors période de dérogation"
    assert c["message"] == (
        f"Contingent préfectoral de 33{nb}% — 2027 : non conforme du 01/01 au 30/06 (181 jours "
        f": {hors}), conforme du 01/07 au 31/12 ({sous}) ; 2028 : conforme du 01/01 au 30/06 "
        f"({sous}), non conforme du 01/07 au 31/12 (184 jours : {hors}) ; 2029 : non conforme "
        f"du 01/01 au 31/12 (365 jours : {hors}).")
    assert not res.conforme
    # a thirteen-month arrêté is reported and not applied
    long = Derogation("Arrêté n° 13", date(2027, 1, 1), date(2028, 1, 31), 34.0)
    res = simuler(e, Scenario("00", 2027, 2029, reservataires=[
        L("PREF", "PREFET", methode="part_stock")], derogations=[long]))
    d = ctrl(res, "prefet_derogation_duree")
    assert not d["respecte"] and "(396 jours ; un an au plus, soit jusqu'au 31/12/2027)" in \
        d["message"]
    assert "sans dérogation datée d'un an au plus" in ctrl(res, "prefet_max")["message"]


def test_scenario_derogations_json_and_legacy_yes_no():
    data = {"departement": "51", "annee_debut": 2027, "annee_fin": 2029, "derogations": [
        {"arrete": "Arrêté n° 5", "date_debut": "01/03/2027", "date_fin": "2028-02-29",
         "taux_max": 35, "taux_agents_max": 6}]}
    s = from_dict(data)
    assert s.derogations == [Derogation("Arrêté n° 5", date(2027, 3, 1), date(2028, 2, 29),
                                        35.0, 6.0)]
    assert s.to_dict()["derogations"] == [
        {"arrete": "Arrêté n° 5", "date_debut": "2027-03-01", "date_fin": "2028-02-29",
         "taux_max": 35.0, "taux_agents_max": 6.0}]
    assert from_dict(json.loads(json.dumps(s.to_dict()))) == s
    # scenarios saved with the yes/no: false = none, true = a first-year arrêté to state
    base = {"departement": "51", "annee_debut": 2027, "annee_fin": 2029}
    assert from_dict({**base, "derogation_prefet": False}).derogations == []
    old = from_dict({**base, "derogation_prefet": True}).derogations
    assert [(d.date_debut, d.date_fin, d.taux_max) for d in old] == [
        (date(2027, 1, 1), date(2027, 12, 31), 100.0)]
    assert "à préciser" in old[0].arrete
    assert from_dict(base).derogations is None       # the base's arrêtés


@pytest.mark.parametrize("derogs, message", [
    ([{"date_debut": "2027-03-01", "date_fin": "2027-02-01", "taux_max": 35}],
     r"la fin \(01/02/2027\) précède le début \(01/03/2027\)"),
    ([{"date_debut": "2027-03-01", "date_fin": "2028-02-29"}], "taux_max est obligatoire"),
    ([{"date_debut": "mars", "date_fin": "2028-02-29", "taux_max": 35}],
     "date_debut doit être une date"),
    ([{"date_debut": "2027-03-01", "date_fin": "2028-02-29", "taux_max": 135}],
     "entre 0 et 100"),
    ([{"debut": "2027-03-01"}], r"Champ inconnu dans derogations\[1\] : debut"),
    ({"taux_max": 35}, "derogations doit être une liste"),
])
def test_bad_derogations_are_explained(derogs, message):
    with pytest.raises(ScenarioError, match=message):
        from_dict({"departement": "51", "annee_debut": 2027, "annee_fin": 2029,
                   "derogations": derogs})


def test_example_4_assiette_and_droits_every_year():
    e = entrees_simples(ANS, 1000, 8.0, premieres=20,
                        soustraits={"MUTATION": 12, "RU": 5, "VENTE": 3},
                        stock={"PREF": 200, "PREFF": 50, "AL": 300, "COM": 150})
    res = simuler(e, Scenario("00", 2027, 2029, reservataires=exemple2_lignes()))
    a = res.annees.set_index("annee")
    assert list(a["liberations"]) == [80.0] * 3
    assert list(a["flux_brut"]) == [100.0] * 3
    assert list(a["flux_net"]) == [80.0] * 3
    assert list(a["part_bailleur"]) == pytest.approx([24.0] * 3)
    per_year = res.droits[res.droits["annee"] == 2028].set_index("reservataire_id")["droits"]
    assert per_year["PREF"] + per_year["PREFF"] == pytest.approx(20.0)
    assert per_year["AL"] == pytest.approx(24.0)
    assert per_year["COM"] == pytest.approx(12.0)
    # the same with the rotation given by the scenario and negotiated rates
    lines = [L("PREF", "PREFET", taux_pct=25.0), L("AL", "ACTION_LOGEMENT", taux_pct=30.0),
             L("COM", "COMMUNE", taux_pct=15.0)]
    res = simuler(entrees_simples(ANS, 1000, 3.0, premieres=20),
                  Scenario("00", 2027, 2029, rotation_mode="globale", rotation_pct=8.0,
                           soustraits={"MUTATION": 12, "RU": 5, "VENTE": 3},
                           reservataires=lines))
    assert by_id(res, "droits_par_an") == pytest.approx({"PREF": 20, "AL": 24, "COM": 12})
    # first lettings out of the flux: brut 80, net 60
    out = simuler(e, Scenario("00", 2027, 2029, premieres_dans_flux=False,
                              reservataires=exemple2_lignes()))
    assert list(out.annees["flux_net"]) == [60.0] * 3


def test_example_5_droits_uniques():
    # flux net 100 (parc 1000 × 10 %): 100 rights over 10 years → 10 a year → 10 %
    e = entrees_simples(ANS, 1000, 10.0, uniques={"R": (100, 10)})
    line = [L("R", "AUTRE", methode="droits_uniques")]
    res = simuler(e, Scenario("00", 2027, 2029, reservataires=line))
    assert by_id(res)["R"] == pytest.approx(10.0)
    assert by_id(res, "droits_par_an")["R"] == pytest.approx(10.0)
    # flux net 50 → 20 %
    e50 = entrees_simples(ANS, 500, 10.0, uniques={"R": (100, 10)})
    assert by_id(simuler(e50, Scenario("00", 2027, 2029, reservataires=line)))["R"] == (
        pytest.approx(20.0))
    # typed by the negotiator instead of the base
    typed = [L("R", "AUTRE", methode="droits_uniques", droits_uniques=100, annees_restantes=10)]
    assert by_id(simuler(entrees_simples(ANS, 500, 10.0),
                         Scenario("00", 2027, 2029, reservataires=typed)))["R"] == (
        pytest.approx(20.0))


def test_stock_and_unique_rights_add_up():
    e = entrees_simples(ANS, 1000, 10.0, stock={"R": 100}, uniques={"R": (50, 5)})
    res = simuler(e, Scenario("00", 2027, 2029, reservataires=[
        L("R", "AUTRE", methode="stock_et_uniques")]))
    assert by_id(res)["R"] == pytest.approx(10.0 + 10.0)  # 100/1000 + (50/5)/100


# -- legal checks ------------------------------------------------------------------------------

def test_every_limit_is_reported_with_its_article():
    e = entrees_simples(ANS, 1000, 8.0)
    lines = [L("PREF", "PREFET", taux_pct=24.0), L("PREFF", "PREFET_FONCTIONNAIRES",
                                                   taux_pct=6.0),
             L("CD", "DEPARTEMENT", taux_pct=21.0, garantie_emprunt=True),
             L("AL", "ACTION_LOGEMENT", taux_pct=50.0)]
    res = simuler(e, Scenario("00", 2027, 2029, reservataires=lines))
    c = res.controles.set_index("code")
    assert not c.loc["prefet_agents_max", "respecte"]                     # 6 > 5
    assert c.loc["prefet_max", "respecte"]                                 # 30 ≤ 30
    assert not c.loc["garantie_max", "respecte"] and c.loc["garantie_max", "valeur"] == 21.0
    assert not c.loc["somme_taux", "respecte"] and c.loc["somme_taux", "valeur"] == 101.0
    assert set(c["article"]) == {"R441-5-2", "R441-5"}
    assert res.part_bailleur_pct == pytest.approx(-1.0)


def test_fonctionnaires_share_of_the_scenario_overrides_the_line():
    e = entrees_simples(ANS, 1000, 8.0)
    lines = [L("PREF", "PREFET", taux_pct=24.0), L("PREFF", "PREFET_FONCTIONNAIRES",
                                                   taux_pct=4.0)]
    res = simuler(e, Scenario("00", 2027, 2029, reservataires=lines, fonctionnaires_pct=7.0))
    assert by_id(res)["PREFF"] == 7.0
    assert not ctrl(res, "prefet_max")["respecte"]  # 24 + 7 = 31


def test_prefet_hors_qpv_reading_a_and_b():
    # 60 % of the flux outside QPV: reading A passes (préfet gets the flux's mix),
    # reading B (préfet's rate on the hors-QPV flux ≥ 30 %) fails at 25 %
    e = entrees_simples(ANS, {("T3", False): 600, ("T3", True): 400}, 10.0)
    lines = [L("PREF", "PREFET", taux_pct=25.0)]
    a = ctrl(simuler(e, Scenario("00", 2027, 2029, reservataires=lines)), "prefet_hors_qpv")
    assert a["respecte"] and a["valeur"] == pytest.approx(60.0)
    assert "Lecture A : 45 des 75" in a["message"]  # 3 years × 25, 60 % outside QPV
    b = ctrl(simuler(e, Scenario("00", 2027, 2029, reservataires=lines,
                                 lecture_hors_qpv="B")), "prefet_hors_qpv")
    assert not b["respecte"] and b["valeur"] == pytest.approx(25.0)
    assert "il en faut au moins 54" in b["message"]  # ⌈30 % × 180⌉


def test_mix_spreads_droits_like_the_flux_and_prefet_spread_per_commune():
    e = entrees_simples(ANS, {("T1", True): 200, ("T4", False): 800}, 10.0)
    res = simuler(e, Scenario("00", 2027, 2029, reservataires=[L("AL", "ACTION_LOGEMENT",
                                                                 taux_pct=30.0)]))
    mix = res.mix.set_index(["typologie", "en_qpv"])["logements"]
    assert mix[("T1", True)] == pytest.approx(0.3 * 20 * 3)
    assert mix[("T4", False)] == pytest.approx(0.3 * 80 * 3)
    pref = simuler(e, Scenario("00", 2027, 2029, reservataires=[L("P", "PREFET",
                                                                  taux_pct=25.0)]))
    assert pref.prefet_par_commune["du_prefet"].tolist() == pytest.approx([25.0])


def test_subtractions_above_the_flux_are_flagged():
    e = entrees_simples(ANS, 100, 10.0, soustraits={"RU": 15})
    res = simuler(e, Scenario("00", 2027, 2029, reservataires=[L("AL", "ACTION_LOGEMENT",
                                                                 taux_pct=30.0)]))
    assert by_id(res, "droits_total")["AL"] == 0.0
    assert any("soustraits dépassent" in w for w in res.avertissements)


# -- validation and JSON -----------------------------------------------------------------------

@pytest.mark.parametrize("data, message", [
    ({"departement": "51", "annee_debut": 2027, "annee_fin": 2028}, "de 3 à 5 ans"),
    ({"departement": "51", "annee_debut": 2027, "annee_fin": 2029, "rotation": 8},
     "Champ inconnu dans le scénario : rotation"),
    ({"departement": "51", "annee_debut": 2027, "annee_fin": 2029,
      "reservataires": [{"reservataire_id": "AL", "taux_pct": 120}]}, "entre 0 et 100"),
    ({"departement": "51", "annee_debut": 2027, "annee_fin": 2029,
      "reservataires": [{"reservataire_id": "AL"}]}, "taux_pct est obligatoire"),
    ({"departement": "51", "annee_debut": 2027, "annee_fin": 2029, "rotation_mode": "globale"},
     "rotation_pct est obligatoire"),
    ({"departement": "51", "annee_debut": 2027, "annee_fin": 2029,
      "soustraits": {"ANRU": 3}}, "catégorie « ANRU » inconnue"),
    ({"departement": "51", "annee_debut": 2027, "annee_fin": 2029,
      "rotation_segments": {"T3": 8}}, "segment « T3 » inconnu"),
    ({"annee_debut": 2027, "annee_fin": 2029}, "manquant dans le scénario : departement"),
])
def test_bad_scenarios_are_explained(data, message):
    with pytest.raises(ScenarioError, match=message):
        from_dict(data)


def test_scenario_json_round_trip():
    s = Scenario("51", 2027, 2030, nom="Essai", rotation_mode="segments",
                 rotation_segments={"T3|QPV": 12.5}, soustraits={"RU": 4.0},
                 reservataires=[L("AL", "ACTION_LOGEMENT", taux_pct=25.0, perimetre=None)])
    assert from_dict(json.loads(json.dumps(s.to_dict()))) == s


# -- from the database -------------------------------------------------------------------------

def _example_4_database(db: Database) -> Database:
    """Example 4 in a base: 1 000 dwellings in Reims, 80 departures a year in 2024–2026 of
    which 12 mutations, 5 NPNRU and 3 sales; 20 dwellings put in service in March 2027."""
    factory.insert(db, "residence", [factory.residence("R1", "51454", "200067213", "51")])
    logs = [factory.logement(f"L{i:04d}", "R1") for i in range(1000)]
    logs += [factory.logement(f"N{i:02d}", "R1", mes=date(2027, 3, 1)) for i in range(20)]
    factory.insert(db, "logement", logs)
    libs, oris = [], []
    for y, year in enumerate((2024, 2025, 2026)):
        for k in range(80):
            lid = f"L{y * 80 + k:04d}"
            bid = f"B{year}{k:02d}"
            libs.append(factory.liberation(bid, lid, date(year, 6, 1)))
            dest = ("MUTATION" if k < 12 else "RU" if k < 17 else "VENTE" if k < 20 else
                    "AL")
            oris.append(factory.orientation(f"O{bid}", bid, dest, date(year, 6, 2),
                                            "ATTRIBUE"))
    factory.insert(db, "liberation", libs)
    factory.insert(db, "orientation", oris)
    factory.insert(db, "reservataire", [
        {"reservataire_id": r, "nom": n, "type": t, "territoire": "51",
         "repris_par_prefet": False}
        for r, n, t in (("PREF-51", "Préfet", "PREFET"),
                        ("PREFF-51", "Préfet agents", "PREFET_FONCTIONNAIRES"),
                        ("AL", "Action Logement", "ACTION_LOGEMENT"),
                        ("COM-51454", "Reims", "COMMUNE"))])
    factory.insert(db, "convention", [
        {"convention_id": f"C-{r}", "reservataire_id": r, "departement": "51",
         "perimetre": perim, "annee_debut": 2024, "annee_fin": 2028, "taux_flux": t,
         "garantie_emprunt": perim is not None, "date_signature": date(2023, 11, 20)}
        for r, perim, t in (("PREF-51", None, 20.0), ("PREFF-51", None, 5.0),
                            ("AL", None, 30.0), ("COM-51454", "51454", 15.0))])
    factory.insert(db, "reservation_stock", [
        {"logement_id": f"L{i:04d}", "reservataire_id": "AL", "type_droit": "SUITE",
         "nb_droits": 1, "date_fin": date(2040, 1, 1)} for i in range(300)] + [
        {"logement_id": "L0999", "reservataire_id": "EMP", "type_droit": "UNIQUE",
         "nb_droits": 30, "date_fin": date(2033, 1, 1)}])
    return db


def test_example_4_from_the_database(empty_db):
    db = _example_4_database(empty_db)
    e = charger_entrees(db, "51", 2027, 2029, modele=False)
    res = simuler(e, Scenario("51", 2027, 2029))
    a = res.annees.set_index("annee")
    assert a.loc[2027, ["parc", "liberations", "premieres_flux", "flux_brut", "soustraits",
                        "flux_net"]].tolist() == pytest.approx([1000, 80, 20, 100, 20, 80])
    assert a.loc[2028, "parc"] == 1020 and a.loc[2028, "premieres"] == 0
    assert a.loc[2028, "liberations"] == pytest.approx(81.6)
    d = res.droits[res.droits["annee"] == 2027].set_index("reservataire_id")["droits"]
    assert d["PREF-51"] + d["PREFF-51"] == pytest.approx(20.0)
    assert (d["AL"], d["COM-51454"]) == pytest.approx((24.0, 12.0))
    assert a.loc[2027, "part_bailleur"] == pytest.approx(24.0)
    # the same year through the assiette engine of the gauges
    ass = assiette_departement(db, "51", 2027)
    assert ass.flux_net == pytest.approx(a.loc[2027, "flux_net"])
    # réservataire with stock but no convention: proposed for conversion by share of stock
    lines = {x.reservataire_id: x for x in lignes_initiales(e)}
    assert lines["EMP"].methode == "part_stock"
    al = L("AL", "ACTION_LOGEMENT", methode="part_stock")
    emp = L("EMP", "EMPLOYEUR", methode="droits_uniques")
    conv = simuler(e, Scenario("51", 2027, 2029, reservataires=[al, emp]))
    assert by_id(conv)["AL"] == pytest.approx(30.0)             # 300 / 1000
    # 30 rights over 6 years = 5 a year, over the mean net flux (80, 61.6, 61.6: the first
    # lettings of 2027 enter once)
    assert by_id(conv)["EMP"] == pytest.approx(100 * 5 / ((80 + 61.6 + 61.6) / 3))
    assert "30 droits uniques sur 6 ans" in by_id(conv, "base")["EMP"]


def test_base_derogations_and_the_end_of_guaranteed_rights(empty_db):
    db = _example_4_database(empty_db)
    factory.insert(db, "derogation", [{
        "derogation_id": "D51", "departement": "51", "arrete": "Arrêté n° 2028-4",
        "date_debut": date(2028, 1, 1), "date_fin": date(2028, 12, 31), "taux_max": 32.0,
        "taux_agents_max": None}])
    # Reims's guarantee: loan repaid on 30/06/2023, rights until 30/06/2028 (+ 5 years)
    with db.transaction() as cur:
        cur.execute("update convention set fin_pret = date '2023-06-30' "
                    "where convention_id = 'C-COM-51454'")
    e = charger_entrees(db, "51", 2027, 2029, modele=False)
    res = simuler(e, Scenario("51", 2027, 2029))
    assert res.scenario.derogations == [Derogation(
        "Arrêté n° 2028-4", date(2028, 1, 1), date(2028, 12, 31), 32.0, None, "51", "D51")]
    assert res.to_dict()["scenario"]["derogations"][0]["date_fin"] == "2028-12-31"
    com = res.droits[res.droits["reservataire_id"] == "COM-51454"].set_index("annee")["droits"]
    net = res.annees.set_index("annee")["flux_net"]
    # 15 % of the flux; 2028 (leap) counts 182 of 366 days, 2029 nothing
    assert com.tolist() == pytest.approx([0.15 * net[2027], 0.15 * net[2028] * 182 / 366,
                                          0.0])
    assert any("droits éteints le 30/06/2028" in w for w in res.avertissements)
    mc = simuler_tirages(e, res)
    assert mc.reservataires.set_index("reservataire_id").loc["COM-51454", "esperance"] == \
        pytest.approx(0.15 * net[2027])
    # a period after the end: the convention is left out, and said so
    e30 = charger_entrees(db, "51", 2029, 2031, modele=False)
    assert "COM-51454" not in {x.reservataire_id for x in lignes_initiales(e30)}
    res30 = simuler(e30, Scenario("51", 2029, 2031))
    assert any("prennent fin le 30/06/2028" in w and "non reprise" in w
               for w in res30.avertissements)


def test_demo_baseline_matches_the_assiette_engine(demo_db):
    dep = demo_db.scalar("select min(departement) from residence")
    e = charger_entrees(demo_db, dep, 2027, 2029, modele=False)
    res = simuler(e, Scenario(dep, 2027, 2029))
    ass = assiette_departement(demo_db, dep, 2027)
    y = res.annees.set_index("annee").loc[2027]
    assert y["flux_net"] == pytest.approx(ass.flux_net)
    assert y["liberations"] == pytest.approx(ass.liberations_est)
    whole = ass.droits[ass.droits["perimetre"].isna()].set_index("reservataire_id")["droits"]
    mine = res.droits[(res.droits["annee"] == 2027) & res.droits["perimetre"].isna()]
    assert mine.set_index("reservataire_id")["droits"].to_dict() == pytest.approx(
        whole.to_dict())


# -- vacancy model and Monte Carlo -------------------------------------------------------------

def _history(n=4000, seed=3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    typ = rng.choice(["T1", "T4"], n)
    for year in (2024, 2025, 2026, 2027):
        p = np.where(typ == "T1", 0.30, 0.05)
        left = rng.random(n) < p
        rows.append(pd.DataFrame({
            "logement_id": [f"L{i}" for i in range(n)], "residence_id": [f"R{i % 50}" for i
                                                                         in range(n)],
            "commune_insee": "00001", "epci_siren": "000000001", "typologie": typ,
            "en_qpv": False, "financement": "PLUS", "surface_m2": 50.0,
            "loyer_mensuel": 300.0, "annee_construction": 1980, "annee_service": 1980,
            "annee": year, "libere": left if year < 2027 else None}))
    return pd.concat(rows, ignore_index=True)


def test_vacancy_model_learns_the_typology_and_reports_calibration():
    m = ajuster(_history(), 2027)
    assert m.estime and m.annees_observees == [2024, 2025, 2026]
    p = m.predictions.groupby("typologie")["p"].mean()
    assert p["T1"] == pytest.approx(0.30, abs=0.03) and p["T4"] == pytest.approx(0.05, abs=0.02)
    assert m.auc > 0.7 and m.brier < m.brier_reference
    assert len(m.calibration) == 10
    assert (m.calibration["predit"] - m.calibration["observe"]).abs().max() < 0.06
    assert m.coefficients.iloc[0]["variable"] == "Typologie T4"


def test_vacancy_model_falls_back_on_short_history():
    h = _history(n=20)
    m = ajuster(h[h["annee"] >= 2026], 2027)
    assert not m.estime and "trop court" in m.message
    assert len(m.predictions) == 20


def test_monte_carlo_mean_matches_the_analytic_expectation():
    e = entrees_simples(ANS, {("T2", False): 600, ("T4", True): 400}, 9.0, premieres=10,
                        soustraits={"MUTATION": 6})
    s = Scenario("00", 2027, 2029, tirages=20_000, graine=11,
                 reservataires=[L("AL", "ACTION_LOGEMENT", taux_pct=25.0)])
    res = simuler(e, s)
    mc = simuler_tirages(e, res)
    row = mc.reservataires.iloc[0]
    # analytic: 25 % × (Σp + premières − soustraits) = 0.25 × (90 + 10 − 6)
    assert row["esperance"] == pytest.approx(0.25 * 94)
    assert row["esperance"] == pytest.approx(res.droits.iloc[0]["droits"])
    sd = 0.25 * math.sqrt(1000 * 0.09 * 0.91)        # binomial spread of the libérations
    assert abs(row["moyenne"] - row["esperance"]) < 4 * sd / math.sqrt(s.tirages)
    assert row["ecart_type"] == pytest.approx(sd, rel=0.05)
    assert row["p10"] < row["p50"] < row["p90"]
    again = simuler_tirages(e, res).reservataires.iloc[0]
    assert again["moyenne"] == row["moyenne"]          # seeded: reproducible


def test_monte_carlo_questions():
    e = entrees_simples(ANS, {("T2", False): 600, ("T4", False): 400}, 10.0)
    res = simuler(e, Scenario("00", 2027, 2029, tirages=5000,
                              reservataires=[L("AL", "ACTION_LOGEMENT", taux_pct=50.0)]))
    mc = simuler_tirages(e, res)
    everything = mc.probabilite(["T1", "T2", "T3", "T4", "T5", "T6"], None, 0)
    assert everything["probabilite"] == 1.0
    assert everything["esperance"] == pytest.approx(100, abs=1)
    big = mc.probabilite(["T3", "T4", "T5", "T6"], False, 0, "AL")
    assert big["esperance"] == pytest.approx(20, abs=0.5)   # 50 % of 40 T4
    assert mc.probabilite(["T4"], False, 60, "AL")["probabilite"] < 0.001
    assert mc.probabilite(["T4"], True, 1, "AL")["probabilite"] == 0.0


def test_monte_carlo_on_the_demo_with_the_model(demo_db):
    dep = demo_db.scalar("select min(departement) from residence")
    e = charger_entrees(demo_db, dep, 2027, 2029)
    assert e.modele is not None and len(e.vacance) == int(e.parc.query(
        "annee == 2027")["parc"].sum())
    res = simuler(e, Scenario(dep, 2027, 2029, tirages=4000))
    mc = simuler_tirages(e, res)
    whole = mc.reservataires[mc.reservataires["perimetre"].isna()]
    det = res.droits[(res.droits["annee"] == 2027) & res.droits["perimetre"].isna()]
    assert whole["esperance"].to_numpy() == pytest.approx(det["droits"].to_numpy())
    assert (whole["p10"] <= whole["p90"]).all()


# -- saved scenarios, comparison, files, CLI ---------------------------------------------------

def test_saved_scenarios_are_audited(empty_db):
    db = _example_4_database(empty_db)
    e = charger_entrees(db, "51", 2027, 2029, modele=False)
    s = Scenario("51", 2027, 2029, nom="Préfet à 28 %")
    sid = enregistrer_scenario(db, s, simuler(e, s), actor="alice")
    assert sid == "prefet-a-28"
    s.rotation_mode, s.rotation_pct = "globale", 9.0
    assert enregistrer_scenario(db, s, simuler(e, s), actor="bob") == sid
    listed = lister_scenarios(db)
    assert listed[["scenario_id", "nom", "departement", "annee_debut"]].values.tolist() == [
        [sid, "Préfet à 28 %", "51", 2027]]
    assert charger_scenario(db, sid) == s
    stored = json.loads(db.scalar("select resultats from scenario"))
    assert stored["conforme"] is True and len(stored["annees"]) == 3
    supprimer_scenario(db, sid, actor="alice")
    actions = db.df("select actor, action, entity_id from audit_log where table_name = "
                    "'scenario' order by audit_id")
    assert actions.values.tolist() == [["alice", "scenario_enregistre", sid],
                                       ["bob", "scenario_modifie", sid],
                                       ["alice", "scenario_supprime", sid]]


def test_comparison_files_read_back():
    import openpyxl
    import pypdf

    e = entrees_simples(ANS, 1000, 8.0, premieres=20,
                        soustraits={"MUTATION": 12, "RU": 5, "VENTE": 3},
                        stock={"PREF": 200, "PREFF": 50, "AL": 300, "COM": 150})
    a = simuler(e, Scenario("00", 2027, 2029, nom="Stock", reservataires=exemple2_lignes()))
    b_lines = exemple2_lignes()
    b_lines[0] = L("PREF", "PREFET", taux_pct=27.0)
    b = simuler(e, Scenario("00", 2027, 2029, nom="Préfet 32 %", reservataires=b_lines))
    comp = comparer([a, b], [simuler_tirages(e, a), None])
    net = comp[comp["indicateur"] == "Flux net"].iloc[0]
    assert (net["Stock"], net["Préfet 32 %"]) == (80.0, 80.0)
    wb = openpyxl.load_workbook(io.BytesIO(export_xlsx(comp, [a, b], "Essai")))
    assert wb.sheetnames == ["Comparaison", "Droits – Stock", "Droits – Préfet 32 %", "Notes"]
    ws = wb["Comparaison"]
    header = [c.value for c in ws[4]]
    assert header == ["Rubrique", "Indicateur", "Stock", "Préfet 32 %"]
    for i, row in enumerate(comp.itertuples(index=False), start=5):
        cells = [c.value for c in ws[i]]
        assert cells[1] == row.indicateur
        for got, want in zip(cells[2:], row[3:]):
            if isinstance(want, float):
                assert got == pytest.approx(want)
            else:
                assert (got or "–") == (want if want is not None else "–")
    verdicts = comp[comp["indicateur"].str.startswith("Préfet : part maximale")].iloc[0]
    assert verdicts["Stock"].startswith("Conforme") and verdicts["Préfet 32 %"].startswith(
        "Non conforme (32")
    droits = wb["Droits – Stock"]
    assert [droits.cell(4, j).value for j in (1, 4, 5, 6, 7, 8)] == [
        "PREF", 20.0, 16.0, 16.0, 16.0, 48.0]
    reader = pypdf.PdfReader(io.BytesIO(export_pdf(comp, "Négociation — essai")))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    for heading in ("Négociation — essai", "Hypothèses", "Flux annuel moyen", "Réservataires",
                    "Contrôles légaux", "Non conforme (32"):
        assert heading in text


def test_cli_simuler(demo_path, tmp_path, capsys):
    from fluxcore.__main__ import main

    path = tmp_path / "demo.duckdb"
    shutil.copy(demo_path, path)
    dep = Database(path, read_only=True)
    code = dep.scalar("select min(departement) from residence")
    dep.close()
    scen = tmp_path / "s.json"
    scen.write_text(json.dumps([
        {"nom": "Actuel", "departement": code, "annee_debut": 2027, "annee_fin": 2029},
        {"nom": "Préfet 35", "departement": code, "annee_debut": 2027, "annee_fin": 2029,
         "reservataires": [{"reservataire_id": "X", "type": "PREFET", "taux_pct": 35}]}]),
        encoding="utf-8")
    rc = main(["simuler", "--db", str(path), "--scenario", str(scen), "--format", "json",
               "--tirages", "500", "--xlsx", str(tmp_path / "c.xlsx"),
               "--pdf", str(tmp_path / "c.pdf"), "--enregistrer", "--auteur", "cli"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 1                                    # the second scenario breaks a limit
    assert [o["resultats"]["conforme"] for o in out] == [True, False]
    assert out[0]["monte_carlo"]["tirages"] == 500
    assert out[0]["modele"]["n_apprentissage"] > 0
    assert (tmp_path / "c.xlsx").stat().st_size > 0 and (tmp_path / "c.pdf").stat().st_size > 0
    db = Database(path, read_only=True)
    assert db.scalar("select count(*) from scenario") == 2
    db.close()
    scen.write_text('{"departement": "51",\n "annee_debut": 2027 "annee_fin": 2029}')
    assert main(["simuler", "--db", str(path), "--scenario", str(scen)]) == 2
    assert "s.json, ligne 2, colonne 22" in capsys.readouterr().err


# -- review cases ------------------------------------------------------------------------------

def test_no_line_and_no_dwelling_do_not_crash():
    e = entrees_simples(ANS, 1000, 8.0)
    res = simuler(e, Scenario("00", 2027, 2029))
    assert res.reservataires.empty and res.conforme and res.part_bailleur_pct == 100.0
    assert simuler_tirages(e, res).flux.iloc[0]["esperance"] == pytest.approx(80.0)
    e0 = entrees_simples(ANS, 0, 0.0)
    r0 = simuler(e0, Scenario("00", 2027, 2029, reservataires=[L("P", "PREFET", taux_pct=25.0)]))
    assert simuler_tirages(e0, r0).reservataires.iloc[0]["p90"] == 0.0
    odd = simuler(e, Scenario("00", 2027, 2029, reservataires=[
        L("C", "COMMUNE", taux_pct=5.0, perimetre="99999")]))
    assert any("« 99999 » ne contient aucune commune" in w for w in odd.avertissements)


def test_open_fields_take_the_base_settings():
    e = entrees_simples(ANS, 1000, 8.0, premieres=20)
    e.reglages.update(premieres_mises_en_location_dans_flux=False, lecture_hors_qpv_prefet="B")
    res = simuler(e, Scenario("00", 2027, 2029, reservataires=[L("P", "PREFET",
                                                                 taux_pct=25.0)]))
    assert res.scenario.premieres_dans_flux is False and res.scenario.lecture_hors_qpv == "B"
    assert list(res.annees["flux_brut"]) == [80.0] * 3
    assert "lecture B" in ctrl(res, "prefet_hors_qpv")["libelle"]


@pytest.mark.parametrize("extra, message", [
    ({"rotation_segments": ["a"]}, "rotation_segments doit être un objet JSON"),
    ({"annee_debut": float("inf")}, "annee_debut doit être un nombre entier"),
    ({"premieres_par_an": float("inf")}, "premieres_par_an doit être un nombre"),
    ({"premieres_dans_flux": "false"}, "premieres_dans_flux doit valoir true ou false"),
    ({"nom": None}, "nom doit être un texte non vide"),
    ({"reservataires": [{"reservataire_id": "X", "taux_pct": 5, "perimetre": 1}]},
     "perimetre doit être un code"),
    ({"reservataires": [{"reservataire_id": "X", "taux_pct": 5, "garantie_emprunt": "non"}]},
     "garantie_emprunt doit valoir true ou false"),
])
def test_more_bad_scenarios_are_explained(extra, message):
    with pytest.raises(ScenarioError, match=message):
        from_dict({"departement": "51", "annee_debut": 2027, "annee_fin": 2029, **extra})


def test_monte_carlo_keeps_the_expectation_when_probabilities_saturate(demo_db):
    dep = demo_db.scalar("select min(departement) from residence")
    e = charger_entrees(demo_db, dep, 2027, 2029)
    res = simuler(e, Scenario(dep, 2027, 2029, rotation_mode="globale", rotation_pct=97.0,
                              tirages=500))
    mc = simuler_tirages(e, res)
    assert mc.flux.iloc[0]["esperance"] == pytest.approx(res.annees["liberations"].iloc[0])


def test_comparison_survives_awkward_names():
    import openpyxl

    e = entrees_simples(ANS, 1000, 8.0)
    lines = [L("C1", "COMMUNE", nom="Commune", taux_pct=5.0),
             L("C2", "COMMUNE", nom="Commune", taux_pct=6.0)]
    rs = [simuler(e, Scenario("00", 2027, 2029, nom=n, reservataires=lines))
          for n in ("format", "Hyp [A]? Action Logement 25 %", "Hyp [A]? Action Logement 27 %")]
    comp = comparer(rs)
    assert "format (scénario)" in comp.columns
    assert {"Commune", "Commune [C2]"} <= set(comp["rubrique"])
    assert export_pdf(comp, "t")[:4] == b"%PDF"
    wb = openpyxl.load_workbook(io.BytesIO(export_xlsx(comp, rs, "t")))
    assert wb.sheetnames[2:4] == ["Droits – Hyp -A-- Action Logeme",
                                  "Droits – Hyp -A-- Action Lo (2)"]


def test_base_conventions_follow_their_dates_and_the_latest_signature(empty_db):
    # example 4's base; Action Logement's 30 % is replaced by a 20 % convention signed on
    # 15/01/2027 in force from 01/04/2027; a commune convention with neither perimeter nor
    # territory is left out
    db = _example_4_database(empty_db)
    factory.insert(db, "reservataire", [{
        "reservataire_id": "COM-X", "nom": "Commune sans territoire", "type": "COMMUNE",
        "territoire": None, "repris_par_prefet": False}])
    factory.insert(db, "convention", [
        {"convention_id": "C-AL-2", "reservataire_id": "AL", "departement": "51",
         "perimetre": None, "annee_debut": 2027, "annee_fin": 2031, "taux_flux": 20.0,
         "garantie_emprunt": False, "date_signature": date(2027, 1, 15),
         "date_debut": date(2027, 4, 1), "date_fin": None},
        {"convention_id": "C-COM-X", "reservataire_id": "COM-X", "departement": "51",
         "perimetre": None, "annee_debut": 2024, "annee_fin": 2028, "taux_flux": 5.0,
         "garantie_emprunt": False, "date_signature": date(2023, 11, 20),
         "date_debut": None, "date_fin": None}])
    e = charger_entrees(db, "51", 2027, 2029, modele=False)
    lines = {x.reservataire_id: x for x in lignes_initiales(e)}
    assert "COM-X" not in lines
    assert (lines["AL"].taux_pct, lines["AL"].debut_droits) == (20.0, "2027-04-01")
    res = simuler(e, Scenario("51", 2027, 2029))
    al = res.droits[res.droits["reservataire_id"] == "AL"].set_index("annee")["droits"]
    # 2027: 20 % × 80 × 275/365 = 12,05… ; then 20 % × 61,6 = 12,32 a year
    assert al.tolist() == pytest.approx([0.2 * 80 * 275 / 365, 0.2 * 61.6, 0.2 * 61.6])
    mc = simuler_tirages(e, res)
    assert mc.reservataires.set_index("reservataire_id").loc["AL", "esperance"] == \
        pytest.approx(0.2 * 80 * 275 / 365)


# -- the vacancy model kept with the base (migration 010) -------------------------------------

@pytest.fixture
def demo_copie(demo_path, tmp_path, monkeypatch):
    """A copy of the demo; the simulator opens on 2027 (as on the demo's date), whatever
    today's date."""
    monkeypatch.setattr(modele_stocke, "annees_par_defaut", lambda: (2027,))
    yield from factory.copie(demo_path, tmp_path / "demo.duckdb")


def _deps(db: Database) -> list[str]:
    return db.df("select distinct departement from residence order by 1")["departement"].tolist()


def _memes_modeles(a, b) -> None:
    """Same model, to the byte: figures, calibration, coefficients, every probability."""
    assert (a.estime, a.message, a.n_apprentissage, a.annees_observees, a.taux_moyen, a.brier,
            a.brier_reference, a.auc) == (b.estime, b.message, b.n_apprentissage,
                                          b.annees_observees, b.taux_moyen, b.brier,
                                          b.brier_reference, b.auc)
    for name in ("predictions", "calibration", "coefficients"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)
    assert a.predictions["p"].to_numpy().tobytes() == b.predictions["p"].to_numpy().tobytes()


def _sans_estimation(monkeypatch) -> list:
    """Count the fits on the fly (fluxcore.simulation.modele.estimer_modele)."""
    calls, real = [], modele.estimer_modele

    def counted(*args):
        calls.append(args[1:])
        return real(*args)

    monkeypatch.setattr(modele, "estimer_modele", counted)
    return calls


def _importer_surface(db: Database, tmp_path, logement_id: str, surface: str):
    """Import one dwelling's row (as exported) with another surface."""
    export_tables(db, tmp_path / "export")
    lines = (tmp_path / "export" / "logement.csv").read_text(encoding="utf-8-sig").splitlines()
    head = lines[0].split(";")
    row = next(x for x in lines[1:] if x.startswith(f"{logement_id};")).split(";")
    row[head.index("surface_m2")] = surface
    path = tmp_path / "logement.csv"
    path.write_text(";".join(head) + "\n" + ";".join(row) + "\n", encoding="utf-8")
    return import_paths(db, [path], actor="test")


def _un_logement(db: Database, dep: str) -> str:
    return db.scalar("select min(logement_id) from logement join residence using (residence_id) "
                     "where departement = ? and hors_flux_motif is null", [dep])


def test_the_demo_keeps_the_model_and_the_first_view_reads_it(demo_db, monkeypatch):
    deps = _deps(demo_db)
    stored = demo_db.df("select departement, nb, estime, n_predictions, n_calibration, "
                        "n_coefficients, estime_par from modele_vacance where annee = 2027 "
                        "order by departement")
    assert stored.values.tolist() == [
        ["08", 3, True, 590, 10, 14, "demo"], ["10", 3, True, 507, 10, 14, "demo"],
        ["51", 3, True, 1466, 10, 14, "demo"], ["52", 3, True, 425, 10, 14, "demo"]]
    assert stored["departement"].tolist() == deps
    fitted = {d: modele.estimer_modele(demo_db, d, 2027, 3) for d in deps}
    calls = _sans_estimation(monkeypatch)
    for d in deps:
        e = charger_entrees(demo_db, d, 2027, 2029)
        _memes_modeles(e.modele, fitted[d])     # the stored model is the fit, to the byte
        assert e.vacance is e.modele.predictions and len(e.vacance) == int(
            e.parc.query("annee == 2027")["parc"].sum())
    assert calls == []                            # no fit on the first view
    # another period start: no stored model, fitted on the fly as before
    charger_entrees(demo_db, deps[0], 2026, 2028)
    assert calls == [(deps[0], 2026, 3)]


def test_a_stored_model_is_ignored_once_its_inputs_change(demo_copie, monkeypatch):
    db = demo_copie
    dep, other = "51", "08"
    assert modele_enregistre(db, dep, 2027, 3) is not None
    # writes the model does not read: still in use
    with db.transaction() as cur:
        cur.execute("update reservataire set nom = nom || ' (bis)'")
        cur.execute("update logement set etage = coalesce(etage, 0) + 1")
    assert modele_enregistre(db, dep, 2027, 3) is not None
    # a feature of one dwelling: that département's model is no longer used
    lid = _un_logement(db, dep)
    with db.transaction() as cur:
        cur.execute("update logement set surface_m2 = surface_m2 + 1 where logement_id = ?",
                    [lid])
    assert modele_enregistre(db, dep, 2027, 3) is None
    assert modele_enregistre(db, other, 2027, 3) is not None
    assert modeles_a_reestimer(db) == [
        "51 (2027, 3 ans d'historique) : données changées depuis l'estimation"]
    report = run_checks(db).set_index("code")
    assert report.loc["modele_vacance_perime", "nombre"] == 1
    assert report.loc["modele_vacance_perime", "niveau"] == "AVERTISSEMENT"
    calls = _sans_estimation(monkeypatch)
    e = charger_entrees(db, dep, 2027, 2029)
    assert calls == [(dep, 2027, 3)]              # fitted on the fly: slow, never wrong
    _memes_modeles(e.modele, modele.estimer_modele(db, dep, 2027, 3))
    # an observed libération added in the other département
    lid2 = _un_logement(db, other)
    factory.insert(db, "liberation", [{
        "liberation_id": "LIB-TEST", "logement_id": lid2, "date_conge": None,
        "date_liberation": date(2025, 6, 30), "motif": "MUTATION"}])
    assert modele_enregistre(db, other, 2027, 3) is None
    # the refit brings back exactly the two changed models, equal to fits on the fly
    assert rafraichir_modeles(db, annees=[2027], action=None) == [(other, 2027), (dep, 2027)]
    assert rafraichir_modeles(db, annees=[2027], action=None) == []
    assert modeles_a_reestimer(db) == []
    for d in (dep, other):
        _memes_modeles(modele_enregistre(db, d, 2027, 3), modele.estimer_modele(db, d, 2027, 3))


def test_the_history_setting_refits_the_model(demo_copie, monkeypatch):
    db = demo_copie
    annee = 2027
    set_parametre(db, "rotation_annees_historique", 4, actor="test")
    assert db.df("select distinct annee, nb from modele_vacance").values.tolist() == [
        [annee, 4]]
    last = db.one("select action, details from audit_log order by audit_id desc limit 1")
    assert last[0] == "simulation.modele"
    assert json.loads(last[1])["departements"] == _deps(db)
    calls = _sans_estimation(monkeypatch)
    e = charger_entrees(db, "10", annee, annee + 2)
    assert calls == []
    _memes_modeles(e.modele, modele.estimer_modele(db, "10", annee, 4))
    assert e.modele.annees_observees == [annee - 4, annee - 3, annee - 2, annee - 1]


def test_an_import_refits_the_changed_model(demo_copie, tmp_path, monkeypatch):
    db = demo_copie
    annee = 2027
    lid = _un_logement(db, "52")
    result = _importer_surface(db, tmp_path, lid, "99,5")
    assert result.ok and result.applied and result.problems.warnings == 0
    assert db.scalar("select surface_m2 from logement where logement_id = ?", [lid]) == 99.5
    rows = db.df("select action, details from audit_log order by audit_id desc limit 2")
    assert rows["action"].tolist() == ["simulation.modele", "import"]
    assert json.loads(rows["details"][0])["departements"] == ["52"]
    calls = _sans_estimation(monkeypatch)
    e = charger_entrees(db, "52", annee, annee + 2)
    assert calls == []
    _memes_modeles(e.modele, modele.estimer_modele(db, "52", annee, 3))
    # a dry run writes nothing, refits nothing
    before = db.scalar("select max(audit_id) from audit_log")
    lines = (tmp_path / "logement.csv").read_text(encoding="utf-8").replace(";99,5;", ";70,5;")
    (tmp_path / "logement.csv").write_text(lines, encoding="utf-8")
    assert import_paths(db, [tmp_path / "logement.csv"], dry_run=True).ok
    assert db.scalar("select max(audit_id) from audit_log") == before
    # modele=False (the app's server refits in its scheduled work): the import alone
    from fluxcore.imports import import_files, sources_from_paths

    result = import_files(db, sources_from_paths([tmp_path / "logement.csv"]), actor="test",
                          modele=False)
    assert result.applied
    assert db.scalar("select action from audit_log order by audit_id desc limit 1") == "import"
    assert modele_enregistre(db, "52", annee, 3) is None      # stale: fitted on the fly
    assert rafraichir_modeles(db, annees=[annee], action=None) == [("52", annee)]


def test_a_failed_refit_leaves_the_import_committed(demo_copie, tmp_path, monkeypatch):
    db = demo_copie
    annee = 2027

    def panne(*args):
        raise RuntimeError("panne simulée")

    monkeypatch.setattr(modele, "ajuster", panne)
    lid = _un_logement(db, "10")
    result = _importer_surface(db, tmp_path, lid, "88,25")
    assert result.ok and result.applied
    assert db.scalar("select surface_m2 from logement where logement_id = ?", [lid]) == 88.25
    assert db.scalar("select action from audit_log order by audit_id desc limit 1") == "import"
    assert result.problems.warnings == 1
    assert result.problems.frame()["probleme"].iloc[0] == (
        "Le modèle de vacance du simulateur n'a pas pu être réestimé (RuntimeError : panne "
        "simulée) ; les données sont bien enregistrées et le simulateur l'estimera à sa "
        "première ouverture.")
    # the stale model is never used: the simulator fits on the fly
    assert modele_enregistre(db, "10", annee, 3) is None
    monkeypatch.undo()
    calls = _sans_estimation(monkeypatch)
    charger_entrees(db, "10", annee, annee + 2)
    assert calls == [("10", annee, 3)]


def test_a_write_during_the_refit_makes_it_start_again_under_the_lock(demo_copie,
                                                                      monkeypatch):
    db = demo_copie

    def plus_un(dep):
        with db.transaction() as cur:
            cur.execute("update logement set surface_m2 = surface_m2 + 1 where logement_id = ?",
                        [_un_logement(db, dep)])

    plus_un("08")
    calls, real = [], modele.ajuster

    def ajuster(df, annee):
        if not calls:       # another user writes while the first fit runs (no lock held)
            plus_un("51")
        calls.append(annee)
        return real(df, annee)

    monkeypatch.setattr(modele, "ajuster", ajuster)
    assert rafraichir_modeles(db, annees=[2027], action=None) == [("08", 2027), ("51", 2027)]
    assert calls == [2027, 2027, 2027]     # 08 undone, then 08 and 51 under the lock
    assert modeles_a_reestimer(db) == []
    assert db.scalar("select count(*) from audit_log where action = 'simulation.modele'") == 2
