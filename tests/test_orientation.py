"""Orientation assistant on the hand-built Marne of test_assiette_jauges (see its docstring),
and on four réservataires whose deficits are 3,0 ; 1,5 ; 0,2 ; −2 (`quatre_reservataires`).

At TODAY (30/06/2026) 11 dwellings entered the flux; préfet 25 % (2 oriented, both in QPV),
AL 30 % (3 oriented, one returned), Reims 10 % on 8 entered (1 oriented), bailleur 2 oriented;
mutations: forecast 2 a year, 2 used; RU: forecast 1 a year, none used. Awaiting: B26-11
(Châlons T4 hors QPV), B26-12 (Reims T4 in QPV), B26-13 (Reims T2 hors QPV); B26-14 is hors flux.
"""

from __future__ import annotations

import json
import threading
from datetime import date

import pandas as pd
import pytest

from fluxcore.jauges import MIN_ORIENTES_QUALITE, controles_legaux, jauges_reservataires
from fluxcore.orientation import (
    COMPOSANTES,
    OrientationDejaFaiteError,
    OrientationError,
    classer_destinations,
    corriger_orientation,
    enregistrer_orientation,
    fiche_logement,
)
from fluxcore.orientation_ajustements import AJUSTEMENTS, arrondi, cle_tri, situation
from fluxcore.parametres import get_parametre, set_parametre
from fluxcore.perimetre import Perimetre
from fluxcore.regles import controle_hors_qpv_prefet
from tests.factory import attribution, insert, liberation, logement, orientation, residence
from tests.test_assiette_jauges import TODAY, territoire_marne

FRACTION = 181 / 365  # 01/01 → 30/06/2026 included (181 days of 365)
NNBSP = "\u202f"


@pytest.fixture
def marne(empty_db):
    return territoire_marne(empty_db)


def _dest(db, lib="B26-13", today=TODAY) -> pd.DataFrame:
    return classer_destinations(db, lib, aujourdhui=today).destinations.set_index(
        "destinataire")


def _count(db, sql, params=None) -> int:
    return int(db.scalar(sql, params))


def _statut(db, lib) -> tuple:
    lg = fiche_logement(db, lib)
    return lg["destinataire"], lg["statut"]


def _writes(db) -> tuple[int, int]:
    return (_count(db, "select count(*) from orientation"),
            _count(db, "select count(*) from audit_log where action like 'orientation.%'"))


# == ranking: the deficit leads =================================================================
def test_destinations_and_ranks(marne):
    d = classer_destinations(marne, "B26-13", aujourdhui=TODAY).destinations
    # MUTATION: forecast 2, 2 used; ORCOD, LHI, VENTE: no history → not possible
    assert d["destinataire"].tolist() == ["BAILLEUR", "PREF-51", "RU", "AL", "VILLE-REIMS"]
    assert d["rang"].tolist() == [1, 2, 3, 4, 5]
    assert d["situation"].tolist() == ["en retard", "à jour", "à jour", "à jour", "à jour"]
    assert d["deficit"].tolist() == [2.15, 0.75, 0.5, 0.3, -0.2]
    # the préfet lacks hors-QPV dwellings: +0,15 / 0,40 = +0,375 → 0,38 dwelling
    assert d["ajustements"].tolist() == [0.0, 0.38, 0.0, 0.0, 0.0]
    assert d["score"].tolist() == [2.15, 1.13, 0.5, 0.3, -0.2]
    assert d.set_index("destinataire")["type"].to_dict() == {
        "PREF-51": "PREFET", "BAILLEUR": "BAILLEUR", "AL": "ACTION_LOGEMENT", "RU": "RU",
        "VILLE-REIMS": "COMMUNE"}
    assert d.set_index("destinataire").loc["RU", "nom"] == "Relogements NPNRU"


def test_deficits_computed_by_hand(marne):
    d = _dest(marne)
    cols = ["deficit", "prefet_hors_qpv", "qualite", "cil", "fragilite"]
    expected = {
        # préfet: owes 0.25 × 11 = 2.75, delivered 2; lacks hors QPV (0 of 2, 1 needed);
        # quality not judged: 2 dwellings oriented (< 5)
        "PREF-51": (0.75, 1.0, 0.0, 0.0, 0.0),
        # bailleur: 11 − 6.85 owed to the réservataires = 4.15, 2 oriented
        "BAILLEUR": (2.15, 0.0, 0.0, 0.0, 0.0),
        # AL: 3.3 owed, 3 delivered (the returned one counts)
        "AL": (0.3, 0.0, 0.0, 0.0, 0.0),
        # RU: 1 a year × 181/365 = 0.4959, none used
        "RU": (0.5, 0.0, 0.0, 0.0, 0.0),
        # Reims: 0.8 owed on its 8, 1 delivered
        "VILLE-REIMS": (-0.2, 0.0, 0.0, 0.0, 0.0)}
    for dest, values in expected.items():
        assert tuple(d.loc[dest, cols]) == pytest.approx(values, abs=1e-9), dest
    assert round(FRACTION, 4) == 0.4959


def test_returned_dwelling_setting_changes_the_deficit(marne):
    set_parametre(marne, "rendu_bailleur_compte_livre", False, "test")
    d = classer_destinations(marne, "B26-13", aujourdhui=TODAY).destinations
    al = d.set_index("destinataire").loc["AL"]
    assert (al["deficit"], al["situation"], al["rang"]) == (1.3, "en retard", 2)
    assert d["destinataire"].tolist()[:3] == ["BAILLEUR", "AL", "PREF-51"]


def test_score_is_the_deficit_plus_the_adjustments(marne):
    c = classer_destinations(marne, "B26-13", aujourdhui=TODAY)
    weights = get_parametre(marne, "orientation_poids")
    assert set(c.composantes["composante"]) == set(COMPOSANTES) == set(weights) - {"perimetre"}
    dest = c.destinations.set_index("destinataire")
    for d, g in c.composantes.groupby("destinataire"):
        g = g.set_index("composante")
        assert len(g) == len(COMPOSANTES)
        assert (g.at["retard", "valeur"], g.at["retard", "poids"]) == (dest.at[d, "deficit"], 1.0)
        for k in AJUSTEMENTS:   # a component at full value weighs its weight / the deficit's
            assert g.at[k, "poids"] == pytest.approx(weights[k] / weights["retard"])
            assert g.at[k, "contribution"] == (
                round(g.at[k, "valeur"] * g.at[k, "poids"], 2) if g.at[k, "applique"] else 0.0)
        assert dest.at[d, "score"] == pytest.approx(g["contribution"].sum(), abs=1e-9)


def test_a_large_adjustment_stays_within_its_group(marne):
    # préfet rule weighing 2 dwellings: the préfet (0,75, à jour) reaches 2,75 but stays
    # behind the bailleur (2,15, en retard)
    poids = get_parametre(marne, "orientation_poids") | {"prefet_hors_qpv": 0.8}
    set_parametre(marne, "orientation_poids", poids, "test")
    d = classer_destinations(marne, "B26-13", aujourdhui=TODAY).destinations
    assert d[["destinataire", "situation", "score"]].head(2).values.tolist() == [
        ["BAILLEUR", "en retard", 2.15], ["PREF-51", "à jour", 2.75]]


def test_perimeter_gives_no_bonus(marne):
    # Châlons dwelling: the Reims convention does not cover it → not a candidate
    assert set(_dest(marne, "B26-11").index) == {"PREF-51", "AL", "RU", "BAILLEUR"}
    # Reims dwelling: Reims competes on its deficit alone, no perimeter component
    c = classer_destinations(marne, "B26-12", aujourdhui=TODAY)
    reims = c.composantes[c.composantes["destinataire"] == "VILLE-REIMS"]
    assert "perimetre" not in set(reims["composante"])
    row = c.destinations.set_index("destinataire").loc["VILLE-REIMS"]
    assert (row["deficit"], row["ajustements"], row["score"]) == (-0.2, 0.0, -0.2)


# == the préfet's hors-QPV rule: the gauges' check, préfet and agents pooled ====================
def _text(c, dest: str, comp: str) -> str:
    return c.composantes.set_index(["destinataire", "composante"]).loc[(dest, comp),
                                                                        "explication"]


def _check(db) -> pd.Series:
    return controles_legaux(db, Perimetre(2026, aujourdhui=TODAY)).set_index("code").loc[
        "prefet_hors_qpv"]


def _agents(db, n_hors_qpv: int) -> None:
    """A State-agent convention (5 %) with n hors-QPV dwellings oriented in May."""
    insert(db, "reservataire", [{"reservataire_id": "PREF-AG", "nom": "Préfet (agents)",
                                 "type": "PREFET_FONCTIONNAIRES", "territoire": "51",
                                 "repris_par_prefet": False}])
    insert(db, "convention", [{
        "convention_id": "CONV-PREF-AG", "reservataire_id": "PREF-AG", "departement": "51",
        "perimetre": None, "annee_debut": 2024, "annee_fin": 2028, "taux_flux": 5.0,
        "garantie_emprunt": False, "date_signature": date(2024, 3, 1), "derogation_fin": None}])
    extra = [("41", "RB-T2-04"), ("42", "RB-T2-05"), ("43", "RC-T2-02")][:n_hors_qpv]
    insert(db, "liberation", [liberation(f"B26-{n}", lid, date(2026, 5, 10)) for n, lid in extra])
    insert(db, "orientation", [orientation(f"O26-{n}", f"B26-{n}", "PREF-AG",
                                           date(2026, 5, 12), "ORIENTE") for n, _ in extra])


def test_prefet_rule_explained(marne):
    check = _check(marne)
    assert not check["respecte"]
    c = classer_destinations(marne, "B26-13", aujourdhui=TODAY)  # hors QPV
    assert check["message"] == (f"Lecture A : aucun des 2 logements orientés au préfet n'est "
                                f"hors QPV (0{NNBSP}%) ; il en faut au moins 1 (30{NNBSP}%).")
    assert _text(c, "PREF-51", "prefet_hors_qpv") == (
        f"{check['message'][:-1]} — préfet et agents de l'État ensemble, comme sur la page "
        "Jauges. Règle non respectée : ce logement hors QPV aide à la respecter. "
        "Ajustement : +0,38 logement.")
    assert _text(c, "AL", "prefet_hors_qpv") == (
        "Sans objet : la règle ne vise que le contingent du préfet. Ajustement : aucun.")
    c = classer_destinations(marne, "B26-12", aujourdhui=TODAY)  # in QPV
    pref = c.destinations.set_index("destinataire").loc["PREF-51"]
    assert (pref["prefet_hors_qpv"], pref["c_prefet_hors_qpv"], pref["score"]) == (
        -1.0, -0.38, 0.37)
    assert _text(c, "PREF-51", "prefet_hors_qpv").endswith(
        "Règle non respectée : ce logement en QPV n'y aide pas. Ajustement : -0,38 logement.")


def test_hors_qpv_rule_pools_prefet_and_agents(marne):
    # the préfet line alone fails (0 of its 2 hors QPV) but with the agents' 3 hors-QPV
    # dwellings the pool has 3 of 5 (2 needed): the gauges say respected, so does the ranking
    _agents(marne, 3)
    assert not controle_hors_qpv_prefet("A", 2, 0, 0).respecte   # the line alone
    check = _check(marne)
    assert check["respecte"]
    assert check["message"] == (f"Lecture A : 3 des 5 logements orientés au préfet sont hors QPV "
                                f"(60{NNBSP}%) ; il en faut au moins 2 (30{NNBSP}%).")
    c = classer_destinations(marne, "B26-12", aujourdhui=TODAY)  # in QPV: 3 of 6 still OK
    d = c.destinations.set_index("destinataire")
    for pref in ("PREF-51", "PREF-AG"):
        assert (d.loc[pref, "prefet_hors_qpv"], d.loc[pref, "c_prefet_hors_qpv"]) == (0.0, 0.0)
        assert _text(c, pref, "prefet_hors_qpv") == (
            f"{check['message'][:-1]} — préfet et agents de l'État ensemble, comme sur la page "
            "Jauges. Règle respectée avec ou sans ce logement. Ajustement : aucun.")


def test_qpv_dwelling_that_would_break_the_rule(marne):
    _agents(marne, 1)   # 1 of 3 hors QPV: respected (1 needed); a fourth in QPV needs 2
    assert _check(marne)["respecte"]
    c = classer_destinations(marne, "B26-12", aujourdhui=TODAY)
    for pref in ("PREF-51", "PREF-AG"):
        assert c.destinations.set_index("destinataire").loc[pref, "c_prefet_hors_qpv"] == -0.38
        assert _text(c, pref, "prefet_hors_qpv").endswith(
            "Avec ce logement en QPV, il en faudrait au moins 2 hors QPV sur 4 : la règle ne "
            "serait plus respectée. Ajustement : -0,38 logement.")


def test_prefet_rule_respected_is_neutral(marne):
    for num in ("13", "11"):  # two hors-QPV dwellings to the préfet: 2 of 4
        enregistrer_orientation(marne, f"B26-{num}", "PREF-51", "Alice", "", aujourdhui=TODAY)
    c = classer_destinations(marne, "B26-12", aujourdhui=TODAY)
    assert c.destinations.set_index("destinataire").loc["PREF-51", "prefet_hors_qpv"] == 0.0
    assert _text(c, "PREF-51", "prefet_hors_qpv").startswith(
        "Lecture A : 2 des 4 logements orientés au préfet sont hors QPV")
    assert _text(c, "PREF-51", "prefet_hors_qpv").endswith(
        "Règle respectée avec ou sans ce logement. Ajustement : aucun.")


def test_reading_B_counts_the_dwelling_once(marne):
    # three more hors-QPV dwellings to the préfet: the hors-QPV flux is 10 (B26-13 included),
    # the préfet has 3 of them = 30 %: reading B is met whatever B26-13 becomes
    extra = [("31", "RB-T2-04", date(2026, 5, 10)), ("32", "RB-T2-09", date(2026, 5, 12)),
             ("33", "RC-T2-02", date(2026, 5, 15))]
    insert(marne, "liberation", [liberation(f"B26-{n}", lid, d) for n, lid, d in extra])
    insert(marne, "orientation", [orientation(f"O26-{n}", f"B26-{n}", "PREF-51", d, "ORIENTE")
                                  for n, _, d in extra])
    set_parametre(marne, "lecture_hors_qpv_prefet", "B", "test")
    check = _check(marne)
    assert check["respecte"]
    assert "le préfet a reçu 3 des 10 logements du flux hors QPV" in check["message"]
    c = classer_destinations(marne, "B26-13", aujourdhui=TODAY)
    assert _text(c, "PREF-51", "prefet_hors_qpv").startswith(check["message"][:-1])
    assert c.destinations.set_index("destinataire").loc["PREF-51", "prefet_hors_qpv"] == 0.0


def test_internal_use_disappears_once_its_forecast_is_used(marne):
    assert "RU" in _dest(marne, "B26-12").index
    enregistrer_orientation(marne, "B26-11", "RU", "Alice", "Relogement NPNRU",
                            aujourdhui=TODAY)
    d = _dest(marne, "B26-12")
    assert "RU" not in d.index and "MUTATION" not in d.index
    assert set(d.index) == {"PREF-51", "AL", "VILLE-REIMS", "BAILLEUR"}


# == four réservataires: deficits 3,0 ; 1,5 ; 0,2 ; −2 ==========================================
def quatre_reservataires(db):
    """One Reims résidence hors QPV, ten dwellings vacated in 2026 (at TODAY all entered the
    flux): L01 T4 → C-EMP, L02–L06 T3 → D-AUTRE, L07–L09 T2 → bailleur, L10 T2 awaiting.
    Rates: A-AL 30 % (owed 3,0, none) ; B-DEP 15 % (1,5, none) ; C-EMP 12 % (1,2, one:
    1,2 − 1 = 0,19999999999999996) ; D-AUTRE 30 % (3,0, five) ; bailleur 13 % (1,3, three)."""
    insert(db, "residence", [residence("RX", "51454", "200067213", "51")])
    typs = ["T4", *["T3"] * 5, *["T2"] * 4]
    insert(db, "logement", [logement(f"X-{i:02d}", "RX", t) for i, t in enumerate(typs, 1)])
    _reservataires(db, [("A-AL", "ACTION_LOGEMENT", 30.0), ("B-DEP", "DEPARTEMENT", 15.0),
                        ("C-EMP", "EMPLOYEUR", 12.0), ("D-AUTRE", "AUTRE", 30.0)])
    dests = ["C-EMP", *["D-AUTRE"] * 5, *["BAILLEUR"] * 3, None]
    insert(db, "liberation", [liberation(f"L{i:02d}", f"X-{i:02d}", date(2026, 1 + i // 2, 10))
                              for i in range(1, 11)])
    insert(db, "orientation", [orientation(f"O{i:02d}", f"L{i:02d}", d,
                                           date(2026, 1 + i // 2, 12), "ORIENTE")
                               for i, d in enumerate(dests, 1) if d])
    return db


def _reservataires(db, rows) -> None:
    insert(db, "reservataire", [{"reservataire_id": rid, "nom": f"Réservataire {rid}",
                                 "type": typ, "territoire": "51", "repris_par_prefet": False}
                                for rid, typ, _ in rows])
    insert(db, "convention", [{
        "convention_id": f"CV-{rid}", "reservataire_id": rid, "departement": "51",
        "perimetre": None, "annee_debut": 2024, "annee_fin": 2028, "taux_flux": taux,
        "garantie_emprunt": False, "date_signature": date(2023, 11, 15),
        "derogation_fin": None} for rid, _, taux in rows])


@pytest.fixture
def quatre(empty_db):
    return quatre_reservataires(empty_db)


def _table(c) -> list[list]:
    return c.destinations[["destinataire", "situation", "deficit", "ajustements",
                           "score"]].values.tolist()


def test_order_is_the_order_of_the_deficits(quatre):
    c = classer_destinations(quatre, "L10", aujourdhui=TODAY)
    # neutral CIL (no lease) and fragility (« équilibrée »); the only adjustment is D-AUTRE's
    # flux quality (5 dwellings, no T2: +0,5 × 0,375 = +0,19), not enough to pass the bailleur
    assert _table(c) == [["A-AL", "en retard", 3.0, 0.0, 3.0],
                         ["B-DEP", "en retard", 1.5, 0.0, 1.5],
                         ["C-EMP", "à jour", 0.2, 0.0, 0.2],
                         ["BAILLEUR", "en avance", -1.7, 0.0, -1.7],
                         ["D-AUTRE", "en avance", -2.0, 0.19, -1.81]]
    assert c.destinations["rang"].tolist() == [1, 2, 3, 4, 5]


def test_flux_quality_on_one_dwelling_has_no_effect(quatre):
    c = classer_destinations(quatre, "L10", aujourdhui=TODAY)
    emp = c.composantes.set_index(["destinataire", "composante"]).loc[("C-EMP", "qualite")]
    # its only dwelling is a T4: judged on it, this T2 would earn a bonus
    assert (emp["valeur"], emp["contribution"], bool(emp["applique"])) == (0.0, 0.0, False)
    assert emp["explication"] == (
        "Trop peu de logements orientés pour juger : 1 cette année, il en faut au moins 5 "
        "(même seuil que la page Jauges). Ajustement : aucun.")
    assert MIN_ORIENTES_QUALITE == 5
    assert _text(c, "D-AUTRE", "qualite") == (
        f"T2 : 0{NNBSP}% de ses 5 logements contre 40{NNBSP}% du flux ; hors QPV : "
        f"100{NNBSP}% de ses 5 logements contre 100{NNBSP}% du flux : il en a reçu moins que "
        "le flux. Ajustement : +0,19 logement.")


def test_adjustment_never_lifts_a_destination_ahead_above_one_behind(quatre):
    # flux quality weighing 10 dwellings: D-AUTRE (−2, en avance) scores +3,00, as much as
    # A-AL, yet stays in its group; inside it, it passes the bailleur
    poids = get_parametre(quatre, "orientation_poids") | {"qualite": 4.0}
    set_parametre(quatre, "orientation_poids", poids, "test")
    c = classer_destinations(quatre, "L10", aujourdhui=TODAY)
    assert _table(c) == [["A-AL", "en retard", 3.0, 0.0, 3.0],
                         ["B-DEP", "en retard", 1.5, 0.0, 1.5],
                         ["C-EMP", "à jour", 0.2, 0.0, 0.2],
                         ["D-AUTRE", "en avance", -2.0, 5.0, 3.0],
                         ["BAILLEUR", "en avance", -1.7, 0.0, -1.7]]
    assert _text(c, "D-AUTRE", "qualite").endswith("Ajustement : +5,00 logements.")


def test_ties_are_broken_by_identifier_despite_float_noise(quatre):
    # E-REG: 2 % of 10 = 0,2 owed, none delivered; C-EMP: 1,2 − 1 = 0,19999999999999996
    assert 0.12 * 10 - 1 != 0.02 * 10
    _reservataires(quatre, [("E-REG", "REGION", 2.0)])
    d = classer_destinations(quatre, "L10", aujourdhui=TODAY).destinations
    ties = d[d["situation"] == "à jour"]
    assert ties[["destinataire", "deficit", "score"]].values.tolist() == [
        ["C-EMP", 0.2, 0.2], ["E-REG", 0.2, 0.2]]


def test_sort_key_rounds_before_comparing():
    noisy, exact = 1.2 - 1, 0.2
    assert noisy < exact and arrondi(noisy) == arrondi(exact) == 0.2
    assert arrondi(0.375) == 0.38 and arrondi(-0.375) == -0.38 and arrondi(1.125) == 1.13
    assert sorted([cle_tri("à jour", exact, exact, "B"), cle_tri("à jour", noisy, noisy, "A")]
                  )[0][-1] == "A"
    assert [situation(x) for x in (3.0, 1.0, 0.999999999, 0.995, 0.2, -0.99, -1.0, -2.0)] == [
        "en retard", "en retard", "en retard", "en retard", "à jour", "à jour", "en avance",
        "en avance"]
    # group first: an « en avance » never passes an « en retard », whatever its score
    assert cle_tri("en retard", 1.0, 1.0, "Z") < cle_tri("à jour", 9.0, 0.9, "A") < cle_tri(
        "en avance", 99.0, -1.0, "A")


def test_explanations_are_exact(quatre):
    c = classer_destinations(quatre, "L10", aujourdhui=TODAY)
    assert _text(c, "A-AL", "retard") == (
        f"Déficit de 3,00 logements (dû à date 3,00 = taux 30,0{NNBSP}% × 10 logements entrés "
        "sur son périmètre ; livrés 0) : en retard d'au moins un logement, classé avant les "
        "autres groupes.")
    assert _text(c, "C-EMP", "retard") == (
        f"Déficit de 0,20 logement (dû à date 1,20 = taux 12,0{NNBSP}% × 10 logements entrés "
        "sur son périmètre ; livrés 1) : à jour à moins d'un logement près.")
    assert _text(c, "BAILLEUR", "retard") == (
        "Déficit de -1,70 logement (dû à date 1,30 = 10 logements entrés − 8,70 dus aux "
        "réservataires ; orientés 3) : en avance d'au moins un logement, classé après les "
        "autres groupes.")
    assert _text(c, "BAILLEUR", "qualite") == (
        "Sans objet pour un usage interne ou la part du bailleur. Ajustement : aucun.")
    assert _text(c, "A-AL", "cil") == (
        "Aucun bail signé hors QPV cette année dans l'EPCI : objectif pas encore mesurable. "
        "Ajustement : aucun.")
    assert _text(c, "A-AL", "fragilite") == (
        "Résidence « équilibrée » (indice 0,00), comme sur la page Résidences : rien à "
        "ménager. Ajustement : aucun.")
    comp = c.composantes
    assert (comp["libelle"] == comp["composante"].map(COMPOSANTES)).all()
    assert len(comp) == 5 * len(COMPOSANTES)


def test_cil_adjusts_only_with_enough_households(quatre):
    # leases of 2026 on D-AUTRE's 5 dwellings (quartile 2) and the bailleur's 3 (one Q1):
    # the EPCI has 1 of 8 leases hors QPV to Q1 (12,5 % < 25 %, one missing)
    insert(quatre, "attribution", [
        attribution(f"A{i:02d}", f"O{i:02d}", f"X-{i:02d}", date(2026, 5, 1), date(2026, 5, 15),
                    quartile=1 if i == 7 else 2) for i in range(2, 10)])
    c = classer_destinations(quatre, "L10", aujourdhui=TODAY)
    head = (f"Objectif 1er quartile hors QPV de l'EPCI : 12,5{NNBSP}% (1 sur 8 baux) pour une "
            f"cible de 25{NNBSP}%, il en manque 1 ; ")
    assert _text(c, "BAILLEUR", "cil") == head + (
        "trop peu de ménages logés par ce destinataire pour en juger : 3 attributions en 24 "
        "mois, il en faut au moins 5 (même seuil que la qualité du flux). Ajustement : aucun.")
    # D-AUTRE: 0 % of its 5 households in Q1 against 12,5 %: lag 0,5 × −1 = −0,5 → −0,19
    assert _text(c, "D-AUTRE", "cil") == head + (
        f"0{NNBSP}% des 5 ménages logés par ce destinataire sont du 1er quartile contre "
        f"12,5{NNBSP}% en moyenne. Ajustement : -0,19 logement.")
    d = c.destinations.set_index("destinataire")
    assert (d.loc["D-AUTRE", "cil"], d.loc["D-AUTRE", "score"]) == (-0.5, -2.0)


def test_ranking_is_deterministic(marne):
    a = classer_destinations(marne, "B26-13", aujourdhui=TODAY)
    b = classer_destinations(marne, "B26-13", aujourdhui=TODAY)
    pd.testing.assert_frame_equal(a.destinations, b.destinations)
    pd.testing.assert_frame_equal(a.composantes, b.composantes)
    assert a.logement == b.logement


def test_every_component_is_explained_in_french(marne):
    c = classer_destinations(marne, "B26-13", aujourdhui=TODAY)
    comp = c.composantes
    assert len(comp) == 5 * len(COMPOSANTES)
    assert comp["explication"].map(lambda t: isinstance(t, str) and len(t.strip()) > 10).all()
    assert comp.loc[comp["composante"] != "retard", "explication"].str.contains(
        r"Ajustement : (?:aucun|[+-]\d+,\d\d logements?)\.$").all()
    assert _text(c, "PREF-51", "retard") == (
        f"Déficit de 0,75 logement (dû à date 2,75 = taux 25,0{NNBSP}% × 11 logements entrés "
        "sur son périmètre ; livrés 2) : à jour à moins d'un logement près.")
    assert _text(c, "BAILLEUR", "retard") == (
        "Déficit de 2,15 logements (dû à date 4,15 = 11 logements entrés − 6,85 dus aux "
        "réservataires ; orientés 2) : en retard d'au moins un logement, classé avant les "
        "autres groupes.")
    assert _text(c, "RU", "retard") == (
        f"Déficit de 0,50 logement (dû à date 0,50 = prévision annuelle 1,00 × 49,6{NNBSP}% "
        "de l'année écoulée ; utilisés 0) : à jour à moins d'un logement près.")
    assert _text(c, "PREF-51", "qualite") == (
        "Trop peu de logements orientés pour juger : 2 cette année, il en faut au moins 5 "
        "(même seuil que la page Jauges). Ajustement : aucun.")
    # Reims EPCI: 1 lease hors QPV this year, not first quartile → lagging, too few data
    assert _text(c, "AL", "cil") == (
        f"Objectif 1er quartile hors QPV de l'EPCI : 0{NNBSP}% (0 sur 1 bail) pour une cible "
        f"de 25{NNBSP}%, il en manque 1 ; trop peu de ménages logés par ce destinataire pour "
        "en juger : 2 attributions en 24 mois, il en faut au moins 5 (même seuil que la "
        "qualité du flux). Ajustement : aucun.")


def test_dwelling_card(marne):
    lg = fiche_logement(marne, "B26-13")
    assert (lg["logement_id"], lg["commune"], lg["epci_siren"], bool(lg["en_qpv"])) == (
        "RB-T2-03", "Reims", "200067213", False)
    assert pd.isna(lg["orientation_id"])
    with pytest.raises(OrientationError, match="Libération inconnue"):
        fiche_logement(marne, "B-INCONNUE")


def test_hors_flux_dwelling_is_refused(marne):
    with pytest.raises(OrientationError, match="hors flux"):
        classer_destinations(marne, "B26-14", aujourdhui=TODAY)
    with pytest.raises(OrientationError, match="hors flux"):
        enregistrer_orientation(marne, "B26-14", "BAILLEUR", "Alice", "", aujourdhui=TODAY)
    assert _count(marne, "select count(*) from orientation where liberation_id = 'B26-14'") == 0


# == recording a decision =======================================================================
def test_decision_is_recorded_with_its_audit_row(marne):
    before = _writes(marne)
    oid = enregistrer_orientation(marne, "B26-13", "AL", "  Alice  ", " Salarié prioritaire ",
                                  aujourdhui=TODAY)
    assert oid == "OR-B26-13"
    assert _writes(marne) == (before[0] + 1, before[1] + 1)
    row = marne.df("select * from orientation where liberation_id = 'B26-13'")
    assert row[["orientation_id", "destinataire", "statut", "decided_by", "justification"]
               ].iloc[0].tolist() == ["OR-B26-13", "AL", "ORIENTE", "Alice",
                                      "Salarié prioritaire"]
    assert pd.Timestamp(row["date_orientation"].iloc[0]).date() == TODAY
    log = marne.df("select * from audit_log where action = 'orientation.create'")
    assert len(log) == 1
    assert (log["actor"].iloc[0], log["table_name"].iloc[0], log["entity_id"].iloc[0]) == (
        "Alice", "orientation", "OR-B26-13")
    details = json.loads(log["details"].iloc[0])
    assert details["liberation_id"] == "B26-13" and details["destinataire"] == "AL"
    assert details["rang"] == 4 and details["premier"] == "BAILLEUR"
    assert details["score"] == 0.3
    assert _statut(marne, "B26-13") == ("AL", "ORIENTE")


@pytest.mark.parametrize(("dest", "auteur", "match"), [
    ("INCONNU", "Alice", "n'est pas une destination possible"),
    ("MUTATION", "Alice", "n'est pas une destination possible"),   # forecast used up
    ("VILLE-REIMS", "Alice", "n'est pas une destination possible"),  # Châlons dwelling
    ("AL", "", "auteur"),
    ("AL", "   ", "auteur"),
])
def test_refused_decision_writes_nothing(marne, dest, auteur, match):
    before = _writes(marne)
    with pytest.raises(OrientationError, match=match):
        enregistrer_orientation(marne, "B26-11", dest, auteur, "", aujourdhui=TODAY)
    assert _writes(marne) == before


def test_second_decision_is_refused(marne):
    enregistrer_orientation(marne, "B26-13", "PREF-51", "Alice", "", aujourdhui=TODAY)
    before = _writes(marne)
    with pytest.raises(OrientationDejaFaiteError,
                       match="« Préfet de la Marne » par Alice le 30/06/2026"):
        enregistrer_orientation(marne, "B26-13", "AL", "Bob", "", aujourdhui=TODAY)
    assert _writes(marne) == before
    assert _statut(marne, "B26-13") == ("PREF-51", "ORIENTE")


def test_two_users_at_the_same_time(marne):
    barrier = threading.Barrier(2)
    results: dict[str, object] = {}

    def decide(dest, who):
        barrier.wait()
        try:
            results[who] = enregistrer_orientation(marne, "B26-13", dest, who, "",
                                                   aujourdhui=TODAY)
        except Exception as exc:  # collected and checked below
            results[who] = exc

    threads = [threading.Thread(target=decide, args=("PREF-51", "Alice")),
               threading.Thread(target=decide, args=("AL", "Bob"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    assert not any(t.is_alive() for t in threads)
    ok = [w for w, r in results.items() if r == "OR-B26-13"]
    ko = [w for w, r in results.items() if isinstance(r, OrientationDejaFaiteError)]
    assert len(ok) == 1 and len(ko) == 1, results
    winner = {"Alice": "PREF-51", "Bob": "AL"}[ok[0]]
    nom = marne.df("select nom from reservataire where reservataire_id = ?", [winner])["nom"][0]
    message = str(results[ko[0]])
    assert f"déjà été orienté vers « {nom} » par {ok[0]}" in message
    assert "rien n'a été modifié" in message
    rows = marne.df("select destinataire from orientation where liberation_id = 'B26-13'")
    assert rows["destinataire"].tolist() == [winner]
    assert _count(marne, "select count(*) from audit_log where action = 'orientation.create'"
                  ) == 1


def test_decision_shows_in_the_gauges(marne):
    p = Perimetre(2026, aujourdhui=TODAY)
    before = jauges_reservataires(marne, p).set_index("reservataire_id")
    enregistrer_orientation(marne, "B26-13", "VILLE-REIMS", "Alice", "", aujourdhui=TODAY)
    after = jauges_reservataires(marne, p).set_index("reservataire_id")
    assert after.loc["VILLE-REIMS", "orientes"] == before.loc["VILLE-REIMS", "orientes"] + 1 == 2
    assert after.loc["VILLE-REIMS", "en_cours"] == 1
    assert after.loc["VILLE-REIMS", "ecart"] == pytest.approx(1.2)
    for rid in ("PREF-51", "AL", "BAILLEUR"):
        assert after.loc[rid, "orientes"] == before.loc[rid, "orientes"]
    assert after["du"].tolist() == pytest.approx(before["du"].tolist())


# == correcting a decision ======================================================================
def test_correction_keeps_the_previous_destination(marne):
    enregistrer_orientation(marne, "B26-13", "PREF-51", "Alice", "", aujourdhui=TODAY)
    corriger_orientation(marne, "B26-13", "AL", "Bob", "  Erreur de saisie ")
    row = marne.df("select * from orientation where liberation_id = 'B26-13'")
    assert len(row) == 1
    assert row[["orientation_id", "destinataire", "decided_by", "justification"]].iloc[
        0].tolist() == ["OR-B26-13", "AL", "Bob", "Erreur de saisie"]
    log = marne.df("select * from audit_log where action = 'orientation.correct'")
    assert len(log) == 1
    assert (log["actor"].iloc[0], log["entity_id"].iloc[0]) == ("Bob", "OR-B26-13")
    assert json.loads(log["details"].iloc[0]) == {"avant": "PREF-51", "apres": "AL",
                                                  "motif": "Erreur de saisie"}


@pytest.mark.parametrize("motif", ["", "   "])
def test_correction_needs_a_reason(marne, motif):
    enregistrer_orientation(marne, "B26-13", "PREF-51", "Alice", "", aujourdhui=TODAY)
    before = _writes(marne)
    with pytest.raises(OrientationError, match="motivée"):
        corriger_orientation(marne, "B26-13", "AL", "Bob", motif)
    assert _writes(marne) == before
    assert _statut(marne, "B26-13") == ("PREF-51", "ORIENTE")


@pytest.mark.parametrize(("lib", "match"), [
    ("B26-01", "« Attribué »"),            # lease signed
    ("B26-06", "« Rendu au bailleur »"),
    ("B26-12", "pas encore orienté"),
])
def test_correction_refused(marne, lib, match):
    before = _writes(marne)
    with pytest.raises(OrientationError, match=match):
        corriger_orientation(marne, lib, "BAILLEUR", "Bob", "Changement")
    assert _writes(marne) == before


def test_concurrent_corrections_keep_a_true_audit_chain(marne):
    """Two users correct the same orientation at once, many times: each correction either
    applies to what its user saw or is refused (ConflitError), so the audit rows chain —
    each « avant » is the previous « après » — and end on the recorded destination."""
    from fluxcore.suivi import ConflitError

    enregistrer_orientation(marne, "B26-13", "PREF-51", "Alice", "", aujourdhui=TODAY)
    refus = 0
    for i in range(12):
        actuelle = _statut(marne, "B26-13")[0]
        cibles = [d for d in ("PREF-51", "AL", "BAILLEUR") if d != actuelle]
        barrier, out = threading.Barrier(2), {}

        def corriger(qui, dest, barrier=barrier, out=out, i=i):
            barrier.wait()
            try:
                corriger_orientation(marne, "B26-13", dest, qui, f"Essai {i}")
                out[qui] = "ok"
            except ConflitError:
                out[qui] = "conflit"

        threads = [threading.Thread(target=corriger, args=(q, d))
                   for q, d in zip(("Alice", "Bob"), cibles)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=600)
        assert not any(t.is_alive() for t in threads)
        assert "ok" in out.values(), out
        refus += list(out.values()).count("conflit")
    log = [json.loads(d) for d in marne.df(
        "select details from audit_log where action = 'orientation.correct' "
        "order by audit_id")["details"]]
    assert 12 <= len(log) == 24 - refus
    chaine = ["PREF-51"] + [e["apres"] for e in log]
    assert [e["avant"] for e in log] == chaine[:-1]
    assert chaine[-1] == _statut(marne, "B26-13")[0]


def test_correction_to_an_impossible_destination(marne):
    enregistrer_orientation(marne, "B26-11", "PREF-51", "Alice", "", aujourdhui=TODAY)
    with pytest.raises(OrientationError, match="n'est pas une destination possible"):
        corriger_orientation(marne, "B26-11", "VILLE-REIMS", "Bob", "Changement")
    assert _statut(marne, "B26-11") == ("PREF-51", "ORIENTE")


# == convention rules (issue 22): dates, reprise by the préfet, one convention per département ==
REIMS, EPCI_REIMS = "51454", "200067213"
CLOS = date(2026, 1, 10)          # ranking once 2025 is over: the reference date is 31/12/2025


def _jours(first: date, n: int, step: int) -> list[date]:
    return [date.fromordinal(first.toordinal() + step * i) for i in range(n)]


@pytest.fixture
def reprise(empty_db):
    """The Reims of test_conventions' `reprise`: 100 dwellings, préfet 25 % of the
    département, Ville de Reims 10 % on Reims taken back by the préfet on 01/07/2025; 40
    dwellings vacated from January to June, 60 from July. Plus: Action Logement 30 % (signed
    15/11/2023) replaced from 01/07/2025 by a 20 % convention signed 01/06/2025; a commune
    convention with neither perimeter nor territory; L101 vacated 15/06/2025 and L102
    15/07/2025, not yet oriented."""
    db = empty_db
    insert(db, "residence", [residence("R1", REIMS, EPCI_REIMS, "51")])
    insert(db, "logement", [logement(f"L{i:03d}", "R1") for i in range(1, 103)])

    def rv(rid, nom, typ, terr, reprise=None, repris=False):
        return {"reservataire_id": rid, "nom": nom, "type": typ, "territoire": terr,
                "repris_par_prefet": repris, "date_reprise": reprise}

    def cv(cid, rid, taux, perimetre=None, signature=date(2023, 11, 15), **kw):
        return {"convention_id": cid, "reservataire_id": rid, "departement": "51",
                "perimetre": perimetre, "annee_debut": kw.get("debut", 2024),
                "annee_fin": 2028, "taux_flux": taux, "garantie_emprunt": False,
                "date_signature": signature, "date_debut": kw.get("date_debut"),
                "date_fin": None, "fin_pret": None}

    insert(db, "reservataire", [
        rv("PREF-51", "Préfet de la Marne", "PREFET", "51"),
        rv("VILLE", "Ville de Reims", "COMMUNE", REIMS, date(2025, 7, 1), True),
        rv("AL", "Action Logement Services", "ACTION_LOGEMENT", "national"),
        rv("NULLE", "Commune sans territoire", "COMMUNE", None)])
    insert(db, "convention", [
        cv("C-PREF", "PREF-51", 25.0), cv("C-VILLE", "VILLE", 10.0, REIMS),
        cv("C-AL-1", "AL", 30.0),
        cv("C-AL-2", "AL", 20.0, signature=date(2025, 6, 1), debut=2025,
           date_debut=date(2025, 7, 1)),
        cv("C-NULLE", "NULLE", 5.0)])
    jours = _jours(date(2025, 1, 2), 40, 4) + _jours(date(2025, 7, 1), 60, 3)
    insert(db, "liberation", [liberation(f"B{i:03d}", f"L{i:03d}", d)
                              for i, d in enumerate(jours, start=1)]
           + [liberation("B101", "L101", date(2025, 6, 15)),
              liberation("B102", "L102", date(2025, 7, 15))])
    insert(db, "orientation", [
        orientation("O010", "B010", "VILLE", jours[9], "ORIENTE"),
        orientation("O041", "B041", "VILLE", date(2025, 6, 25), "ATTRIBUE"),
        orientation("O050", "B050", "PREF-51", jours[49], "ORIENTE")])
    return db


def test_commune_taken_back_is_offered_before_its_reprise_only(reprise):
    juin, juillet = _dest(reprise, "B101", CLOS), _dest(reprise, "B102", CLOS)
    # the commune is offered for the dwelling vacated 15/06, not for the one vacated 15/07;
    # the commune without perimeter nor territory never is
    assert "VILLE" in juin.index and "VILLE" not in juillet.index
    assert "NULLE" not in juin.index and "NULLE" not in juillet.index
    assert {"PREF-51", "AL", "BAILLEUR"} <= set(juillet.index)
    # the commune: 10 % × the 41 dwellings vacated up to 30/06 = 4,1 ; 2 delivered (B010,
    # and B041 vacated 07/07 but oriented to it on 25/06)
    assert juin.loc["VILLE", "deficit"] == pytest.approx(2.1)


def test_prefet_deficit_includes_the_share_taken_back(reprise):
    # 102 dwellings entered in 2025; préfet 25 % × 102 = 25,5 + 10 % of the 61 vacated from
    # 01/07 (60 + B102) = 6,1 → 31,6 owed, 1 delivered: deficit 30,6 for either dwelling
    for lib in ("B101", "B102"):
        assert _dest(reprise, lib, CLOS).loc["PREF-51", "deficit"] == pytest.approx(30.6)
    c = classer_destinations(reprise, "B102", aujourdhui=CLOS)
    assert _text(c, "PREF-51", "retard") == (
        f"Déficit de 30,60 logements (dû à date 31,60 = 25,0{NNBSP}% × 102 logements entrés "
        f"sur son périmètre + 10,0{NNBSP}% × 61 logements entrés sur les droits repris de "
        "Ville de Reims ; livrés 1) : en retard d'au moins un logement, classé avant les "
        "autres groupes.")
    # the gauges say the same
    g = jauges_reservataires(reprise, Perimetre(2025, aujourdhui=CLOS)).set_index(
        "reservataire_id")
    assert g.loc["PREF-51", "du"] == pytest.approx(31.6)


def test_overlapping_conventions_latest_signature_wins(reprise):
    # Action Logement: 30 % up to 30/06 (41 vacated), 20 % from 01/07 (61): 12,3 + 12,2 =
    # 24,5 owed, nothing delivered; one destination, at the rate in force on the day
    juin, juillet = _dest(reprise, "B101", CLOS), _dest(reprise, "B102", CLOS)
    assert juin.loc["AL", "deficit"] == pytest.approx(24.5)
    assert juillet.loc["AL", "deficit"] == pytest.approx(24.5)
    # bailleur: 102 − (25,5 + 4,1 + 6,1 + 24,5) = 41,8, nothing oriented to it
    assert juillet.loc["BAILLEUR", "deficit"] == pytest.approx(41.8)


def test_convention_not_in_force_on_the_vacancy_date_is_not_a_candidate(reprise):
    with reprise.transaction() as cur:
        cur.execute("delete from convention where convention_id = 'C-AL-1'")
    # Action Logement's only convention starts on 01/07/2025: 20 % × 61 = 12,2
    assert "AL" not in _dest(reprise, "B101", CLOS).index
    assert _dest(reprise, "B102", CLOS).loc["AL", "deficit"] == pytest.approx(12.2)
