"""Orientation assistant on the hand-built Marne of test_assiette_jauges (see its docstring).

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

from fluxcore.jauges import controles_legaux, jauges_reservataires
from fluxcore.orientation import (
    COMPOSANTES,
    OrientationDejaFaiteError,
    OrientationError,
    classer_destinations,
    corriger_orientation,
    enregistrer_orientation,
    fiche_logement,
)
from fluxcore.parametres import get_parametre, set_parametre
from fluxcore.perimetre import Perimetre
from tests.factory import insert, liberation, orientation
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


# == ranking ====================================================================================
def test_destinations_and_ranks(marne):
    d = classer_destinations(marne, "B26-13", aujourdhui=TODAY).destinations
    # MUTATION: forecast 2, 2 used; ORCOD, LHI, VENTE: no history → not possible
    assert d["destinataire"].tolist() == ["PREF-51", "BAILLEUR", "AL", "RU", "VILLE-REIMS"]
    assert d["rang"].tolist() == [1, 2, 3, 4, 5]
    assert d["score"].is_monotonic_decreasing
    assert d["score"].tolist() == pytest.approx([
        0.4 * 0.15 + 0.15 * 1 + 0.15 * 3 / 14,   # préfet
        0.4 * 0.43,                             # bailleur
        0.4 * 0.06 + 0.15 * 3 / 14,              # AL
        0.4 * FRACTION / 5,                     # RU
        0.4 * -0.04 + 0.1 * 1 + 0.15 * -0.8,    # Reims
    ], abs=1e-6)
    assert d.set_index("destinataire")["type"].to_dict() == {
        "PREF-51": "PREFET", "BAILLEUR": "BAILLEUR", "AL": "ACTION_LOGEMENT", "RU": "RU",
        "VILLE-REIMS": "COMMUNE"}
    assert d.set_index("destinataire").loc["RU", "nom"] == "Relogements NPNRU"


def test_components_computed_by_hand(marne):
    d = _dest(marne)
    cols = ["retard_logements", "retard", "perimetre", "prefet_hors_qpv", "qualite", "cil",
            "fragilite"]
    expected = {
        # préfet: owes 0.25 × 11 = 2.75, delivered 2; lacks hors QPV (0 of 2, 1 of 3 needed)
        # qualité: T2 100 % vs 7/11 → −4/7; hors QPV 0 % vs 7/11 → +1; mean 3/14
        "PREF-51": (0.75, 0.15, 0.0, 1.0, 3 / 14, 0.0, 0.0),
        # bailleur: 11 − 6.85 owed to the réservataires = 4.15, 2 oriented
        "BAILLEUR": (2.15, 0.43, 0.0, 0.0, 0.0, 0.0, 0.0),
        # AL: 3.3 owed, 3 delivered (the returned one counts); T2 1/3, hors QPV 2/3
        "AL": (0.3, 0.06, 0.0, 0.0, (10 / 21 - 1 / 21) / 2, 0.0, 0.0),
        # RU: 1 a year × 181/365, none used
        "RU": (FRACTION, FRACTION / 5, 0.0, 0.0, 0.0, 0.0, 0.0),
        # Reims: 0.8 owed on its 8, 1 delivered; T2 100 % vs 5/8, hors QPV 100 % vs 4/8
        "VILLE-REIMS": (-0.2, -0.04, 1.0, 0.0, (-0.6 - 1.0) / 2, 0.0, 0.0)}
    for dest, values in expected.items():
        assert tuple(d.loc[dest, cols]) == pytest.approx(values, abs=1e-6), dest


def test_returned_dwelling_setting_changes_the_lag(marne):
    set_parametre(marne, "rendu_bailleur_compte_livre", False, "test")
    al = _dest(marne).loc["AL"]
    assert al["retard_logements"] == pytest.approx(1.3)
    assert al["retard"] == pytest.approx(0.26)


def test_lag_is_clipped(marne):
    set_parametre(marne, "orientation_echelle_retard", 1.0, "test")
    d = _dest(marne)
    assert d.loc["BAILLEUR", "retard"] == 1.0  # 2.15 dwellings behind, scale 1
    assert d.loc["PREF-51", "retard"] == pytest.approx(0.75)


def test_score_is_the_weighted_sum(marne):
    c = classer_destinations(marne, "B26-13", aujourdhui=TODAY)
    weights = get_parametre(marne, "orientation_poids")
    assert set(c.composantes["composante"]) == set(COMPOSANTES) == set(weights)
    for dest, g in c.composantes.groupby("destinataire"):
        assert len(g) == len(COMPOSANTES)
        assert (g["poids"] == g["composante"].map(weights)).all()
        assert g["contribution"].tolist() == pytest.approx((g["poids"] * g["valeur"]).tolist(),
                                                           abs=1e-6)
        score = c.destinations.set_index("destinataire").loc[dest, "score"]
        assert score == pytest.approx(sum(weights[k] * v for k, v in
                                          zip(g["composante"], g["valeur"])), abs=1e-6)


def test_weights_come_from_the_setting(marne):
    poids = dict.fromkeys(COMPOSANTES, 0.0) | {"perimetre": 1.0}
    set_parametre(marne, "orientation_poids", poids, "test")
    d = classer_destinations(marne, "B26-13", aujourdhui=TODAY).destinations
    assert d["destinataire"].iloc[0] == "VILLE-REIMS"
    assert d.set_index("destinataire")["score"].to_dict() == {
        "VILLE-REIMS": 1.0, "PREF-51": 0.0, "BAILLEUR": 0.0, "AL": 0.0, "RU": 0.0}
    # ties are broken by the lag in dwellings, then by name
    assert d["destinataire"].tolist() == ["VILLE-REIMS", "BAILLEUR", "PREF-51", "RU", "AL"]


def test_commune_convention_only_on_its_commune(marne):
    d = _dest(marne, "B26-11")  # Châlons
    assert set(d.index) == {"PREF-51", "AL", "RU", "BAILLEUR"}
    assert (d["perimetre"] == 0.0).all()
    assert d.loc["PREF-51", "prefet_hors_qpv"] == 1.0


def test_qpv_dwelling_when_prefet_lacks_hors_qpv(marne):
    c = classer_destinations(marne, "B26-12", aujourdhui=TODAY)
    d = c.destinations.set_index("destinataire")
    assert set(d.index) == {"PREF-51", "AL", "VILLE-REIMS", "RU", "BAILLEUR"}
    assert d.loc["PREF-51", "prefet_hors_qpv"] == -1.0
    assert d.loc["VILLE-REIMS", "perimetre"] == 1.0
    assert (d.drop(index="PREF-51")["prefet_hors_qpv"] == 0.0).all()
    text = c.composantes.set_index(["destinataire", "composante"]).loc[
        ("PREF-51", "prefet_hors_qpv"), "explication"]
    assert text == (f"Le préfet manque de logements hors QPV (lecture A : 0 logements hors QPV "
                    f"sur 2 orientés au préfet, il en faut 30{NNBSP}%) : ce logement en QPV "
                    "creuserait l'écart.")


def test_prefet_rule_respected_is_neutral(marne):
    for num in ("13", "11"):  # two hors-QPV dwellings to the préfet: 2 of 4
        enregistrer_orientation(marne, f"B26-{num}", "PREF-51", "Alice", "", aujourdhui=TODAY)
    c = classer_destinations(marne, "B26-12", aujourdhui=TODAY)
    assert c.destinations.set_index("destinataire").loc["PREF-51", "prefet_hors_qpv"] == 0.0
    text = c.composantes.set_index(["destinataire", "composante"]).loc[
        ("PREF-51", "prefet_hors_qpv"), "explication"]
    assert text.startswith("Règle respectée (lecture A : 2 logements hors QPV sur 4 orientés")


def test_reading_B_counts_the_dwelling_once(marne):
    # three more hors-QPV dwellings to the préfet: the hors-QPV flux is 10 (B26-13 included),
    # the préfet has 3 of them = 30 %: reading B is met whatever B26-13 becomes
    extra = [("31", "RB-T2-04", date(2026, 5, 10)), ("32", "RB-T2-09", date(2026, 5, 12)),
             ("33", "RC-T2-02", date(2026, 5, 15))]
    insert(marne, "liberation", [liberation(f"B26-{n}", lid, d) for n, lid, d in extra])
    insert(marne, "orientation", [orientation(f"O26-{n}", f"B26-{n}", "PREF-51", d, "ORIENTE")
                                  for n, _, d in extra])
    set_parametre(marne, "lecture_hors_qpv_prefet", "B", "test")
    check = controles_legaux(marne, Perimetre(2026, aujourdhui=TODAY)).set_index("code").loc[
        "prefet_hors_qpv"]
    assert check["respecte"]
    assert "le préfet a reçu 3 des 10 logements du flux hors QPV" in check["message"]
    c = classer_destinations(marne, "B26-13", aujourdhui=TODAY)
    text = c.composantes.set_index(["destinataire", "composante"]).loc[
        ("PREF-51", "prefet_hors_qpv"), "explication"]
    assert "3 logements sur 10 du flux hors QPV" in text
    assert c.destinations.set_index("destinataire").loc["PREF-51", "prefet_hors_qpv"] == 0.0


def test_internal_use_disappears_once_its_forecast_is_used(marne):
    assert "RU" in _dest(marne, "B26-12").index
    enregistrer_orientation(marne, "B26-11", "RU", "Alice", "Relogement NPNRU",
                            aujourdhui=TODAY)
    d = _dest(marne, "B26-12")
    assert "RU" not in d.index and "MUTATION" not in d.index
    assert set(d.index) == {"PREF-51", "AL", "VILLE-REIMS", "BAILLEUR"}


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
    assert (comp["libelle"] == comp["composante"].map(COMPOSANTES)).all()
    text = comp.set_index(["destinataire", "composante"])["explication"]
    assert text[("PREF-51", "retard")] == (
        f"En retard de 0,8 logement(s). Taux 25,0{NNBSP}% : dû à date 2,8 sur 11 logements "
        "entrés, livrés 2.")
    assert text[("VILLE-REIMS", "retard")].startswith("En avance de 0,2 logement(s).")
    assert text[("BAILLEUR", "retard")] == (
        "En retard de 2,2 logement(s). Part non réservée : dû à date 4,2, orientés 2.")
    assert text[("RU", "retard")] == (
        "En retard de 0,5 logement(s). Prévision annuelle 1,0 ; 0 utilisés, 0,5 attendus à "
        "date.")
    assert text[("VILLE-REIMS", "perimetre")] == (
        "Convention limitée à son territoire, qui couvre ce logement.")
    assert text[("PREF-51", "qualite")] == (
        f"T2 : 100{NNBSP}% de ses logements contre 64{NNBSP}% du flux; hors QPV : 0{NNBSP}% "
        f"de ses logements contre 64{NNBSP}% du flux.")
    # Reims EPCI: 1 lease hors QPV this year, not first quartile → lagging, too few data
    assert text[("AL", "cil")] == (
        f"Objectif 1er quartile hors QPV : 0{NNBSP}% pour une cible de 25{NNBSP}% ; trop peu "
        "d'attributions récentes pour ce destinataire.")


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
    assert details["rang"] == 3 and details["premier"] == "PREF-51"
    assert details["score"] == pytest.approx(0.4 * 0.06 + 0.15 * 3 / 14, abs=1e-6)
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
    with pytest.raises(OrientationDejaFaiteError, match="« PREF-51 » par Alice le 30/06/2026"):
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
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    ok = [w for w, r in results.items() if r == "OR-B26-13"]
    ko = [w for w, r in results.items() if isinstance(r, OrientationDejaFaiteError)]
    assert len(ok) == 1 and len(ko) == 1, results
    winner = {"Alice": "PREF-51", "Bob": "AL"}[ok[0]]
    message = str(results[ko[0]])
    assert f"déjà été orienté vers « {winner} » par {ok[0]}" in message
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
    ("B26-01", "ATTRIBUE"),            # lease signed
    ("B26-06", "RENDU_BAILLEUR"),
    ("B26-12", "pas encore orienté"),
])
def test_correction_refused(marne, lib, match):
    before = _writes(marne)
    with pytest.raises(OrientationError, match=match):
        corriger_orientation(marne, lib, "BAILLEUR", "Bob", "Changement")
    assert _writes(marne) == before


def test_correction_to_an_impossible_destination(marne):
    enregistrer_orientation(marne, "B26-11", "PREF-51", "Alice", "", aujourdhui=TODAY)
    with pytest.raises(OrientationError, match="n'est pas une destination possible"):
        corriger_orientation(marne, "B26-11", "VILLE-REIMS", "Bob", "Changement")
    assert _statut(marne, "B26-11") == ("PREF-51", "ORIENTE")
