"""Assiette and live gauges on a hand-built Marne whose every figure is computed by hand.

Territory (`territoire_marne`), département 51, three résidences:
- RA Reims (51454, CU du Grand Reims 200067213), in QPV Croix-Rouge: 20 T2 + 10 T4;
- RB Reims, hors QPV: 20 T2 + 8 T4, plus one T4 hors flux (DEFENSE);
- RC Châlons-en-Champagne (51108, CA 200066876), hors QPV: 20 T2 + 8 T4, one T4 put in
  service on 01/06/2023 (first letting 20/06/2023, not rotation) and two T2 put in service
  on 01/03/2026 (first lettings of 2026).

Past libérations 2023–2025 (rotation over 3 years, setting rotation_annees_historique):
  segment          parc 1/1/2026  parc observé  libérations  rotation  libérations est.
  T2 hors QPV           40            120        18 (RB 6, RC 12)  0.15     6.0
  T2 QPV                20             60        12               0.20     4.0
  T4 hors QPV           17             50        10 (RB 3, RC 7)   0.20     3.4
  T4 QPV                10             30         6               0.20     2.0
  → 15.4 ; + 2 first lettings = brut 17.4 ; soustraits MUTATION 6/3 = 2, RU 3/3 = 1
  → flux net 14.4 (a 2022 mutation lies outside the window).
  Reims alone: 2.0 + 4.0 + 1.0 (3/24 × 8) + 2.0 = 9.0 − MUTATION 1 − RU 1 = 7.0.
  Châlons alone: 4.0 + 9 × 7/26 + 2 − MUTATION 1 = 5 + 63/26.

Conventions in force in 2026: PREF-51 (préfet) 25 %, AL 30 %, VILLE-REIMS (commune, perimeter
51454, loan guarantee) 10 %; an employer's convention ended in 2025.

2026 libérations (TODAY = 30/06/2026):
  B26-01 RA T2 15/01 PREF-51 ATTRIBUE     B26-02 RA T2 10/02 PREF-51 ORIENTE
  B26-03 RA T4 20/02 AL ATTRIBUE          B26-04 RA T2 05/03 MUTATION ATTRIBUE
  B26-05 RB T2 20/01 VILLE-REIMS ATTRIBUE B26-06 RB T4 15/03 AL RENDU_BAILLEUR
  B26-07 RB T2 10/04 BAILLEUR CALEOL      B26-08 RB T4 02/05 MUTATION ORIENTE
  B26-09 RC T2 new 10/03 (PREMIERE_LOCATION) AL ATTRIBUE
  B26-10 RC T2 new 12/03 (11 days after service) BAILLEUR ATTRIBUE
  B26-11 RC T4 20/04, B26-12 RA T4 01/06, B26-13 RB T2 20/06: awaiting
  B26-14 RB hors flux 01/02 (not in the flux)
  B26-15 RC T2 01/09 PREF-51 ATTRIBUE (after TODAY)
→ at TODAY 11 dwellings entered (13 − 2 mutations): 4 in QPV, 7 hors QPV; Reims 8, Châlons 3.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from fluxcore.assiette import assiette_departement, conventions_en_vigueur
from fluxcore.db import Database
from fluxcore.jauges import (
    controles_legaux,
    cumul_mensuel,
    jauges_conventions,
    jauges_reservataires,
    qualite_flux,
    repartition_prefet,
)
from fluxcore.parametres import get_parametres, set_parametre
from fluxcore.perimetre import Perimetre
from tests.factory import attribution, insert, liberation, logement, orientation, residence

D = date
TODAY = D(2026, 6, 30)
P_TODAY = Perimetre(2026, aujourdhui=TODAY)
P_YEAR = Perimetre(2026, aujourdhui=D(2027, 1, 10))
NNBSP = "\u202f"
REIMS, CHALONS = "51454", "51108"
EPCI_REIMS, EPCI_CHALONS = "200067213", "200066876"
SIGNATURE = D(2023, 11, 15)


def _reservataire(rid, nom, typ, territoire):
    return {"reservataire_id": rid, "nom": nom, "type": typ, "territoire": territoire,
            "repris_par_prefet": False}


def _convention(cid, rid, taux, perimetre=None, debut=2024, fin=2028, garantie=False,
                signature=SIGNATURE):
    return {"convention_id": cid, "reservataire_id": rid, "departement": "51",
            "perimetre": perimetre, "annee_debut": debut, "annee_fin": fin, "taux_flux": taux,
            "garantie_emprunt": garantie, "date_signature": signature, "derogation_fin": None}


def _past_liberations() -> tuple[list[dict], list[dict]]:
    """Libérations of 2022–2025 and the orientations of the internal uses among them."""
    libs, orients = [], []
    # (résidence, typologie, libérations per year 2023, 2024, 2025)
    plan = [("RA", "T2", (4, 4, 4)), ("RA", "T4", (2, 2, 2)), ("RB", "T2", (2, 2, 2)),
            ("RC", "T2", (4, 4, 4)), ("RB", "T4", (1, 1, 1)), ("RC", "T4", (2, 2, 2))]
    internes = {  # (résidence, typologie, year) -> destinations of the first libérations
        ("RA", "T2", 2023): ["MUTATION"], ("RB", "T2", 2024): ["MUTATION"],
        ("RB", "T2", 2025): ["MUTATION"], ("RC", "T2", 2023): ["MUTATION"],
        ("RC", "T2", 2024): ["MUTATION"], ("RC", "T2", 2025): ["MUTATION"],
        ("RA", "T4", 2023): ["RU"], ("RA", "T4", 2024): ["RU"], ("RA", "T4", 2025): ["RU"]}
    for res, typ, per_year in plan:
        for year, n in zip((2023, 2024, 2025), per_year):
            dests = internes.get((res, typ, year), [])
            for i in range(n):
                bid = f"H{year}-{res}-{typ}-{i + 1}"
                libs.append(liberation(bid, f"{res}-{typ}-{i + 5:02d}", D(year, 2 + 3 * i, 15)))
                if i < len(dests):
                    orients.append(orientation(f"O{bid}", bid, dests[i], D(year, 3 + 3 * i, 1),
                                               "ATTRIBUE"))
    # the seventh libération of RC T4 is the new dwelling's, after its first letting
    libs.append(liberation("H2025-RC-NEUF", "RC-T4-NEUF", D(2025, 10, 1)))
    first = liberation("H2023-RC-NEUF-1", "RC-T4-NEUF", D(2023, 6, 20))  # within 31 days
    libs.append(first)
    # a mutation of 2022, outside the 3-year window
    libs.append(liberation("H2022-RA", "RA-T2-19", D(2022, 5, 10)))
    orients.append(orientation("OH2022-RA", "H2022-RA", "MUTATION", D(2022, 5, 20), "ATTRIBUE"))
    return libs, orients


def territoire_marne(db: Database) -> Database:
    """Build the territory described in the module docstring."""
    insert(db, "residence", [
        residence("RA", REIMS, EPCI_REIMS, "51", qpv="QN05103M"),
        residence("RB", REIMS, EPCI_REIMS, "51"),
        residence("RC", CHALONS, EPCI_CHALONS, "51", lat=48.96, lon=4.36)])
    logs = []
    for res, n2, n4 in (("RA", 20, 10), ("RB", 20, 8), ("RC", 20, 8)):
        logs += [logement(f"{res}-T2-{i:02d}", res, "T2") for i in range(1, n2 + 1)]
        logs += [logement(f"{res}-T4-{i:02d}", res, "T4") for i in range(1, n4 + 1)]
    logs += [logement("RB-DEF", "RB", "T4", hors_flux="DEFENSE"),
             logement("RC-T4-NEUF", "RC", "T4", mes=D(2023, 6, 1)),
             logement("RC-T2-NEUF1", "RC", "T2", mes=D(2026, 3, 1)),
             logement("RC-T2-NEUF2", "RC", "T2", mes=D(2026, 3, 1))]
    insert(db, "logement", logs)
    insert(db, "reservataire", [
        _reservataire("PREF-51", "Préfet de la Marne", "PREFET", "51"),
        _reservataire("AL", "Action Logement Services", "ACTION_LOGEMENT", "national"),
        _reservataire("VILLE-REIMS", "Ville de Reims", "COMMUNE", REIMS),
        _reservataire("EMP-X", "Employeur X", "EMPLOYEUR", "51")])
    insert(db, "convention", [
        _convention("CONV-PREF-51", "PREF-51", 25.0, signature=D(2024, 3, 1)),
        _convention("CONV-AL-51", "AL", 30.0),
        _convention("CONV-VILLE-REIMS", "VILLE-REIMS", 10.0, perimetre=REIMS, garantie=True),
        _convention("CONV-EMP-X", "EMP-X", 5.0, debut=2021, fin=2025)])
    libs, orients = _past_liberations()
    year = [  # id, dwelling, date, destination, statut
        ("01", "RA-T2-01", D(2026, 1, 15), "PREF-51", "ATTRIBUE"),
        ("02", "RA-T2-02", D(2026, 2, 10), "PREF-51", "ORIENTE"),
        ("03", "RA-T4-01", D(2026, 2, 20), "AL", "ATTRIBUE"),
        ("04", "RA-T2-03", D(2026, 3, 5), "MUTATION", "ATTRIBUE"),
        ("05", "RB-T2-01", D(2026, 1, 20), "VILLE-REIMS", "ATTRIBUE"),
        ("06", "RB-T4-01", D(2026, 3, 15), "AL", "RENDU_BAILLEUR"),
        ("07", "RB-T2-02", D(2026, 4, 10), "BAILLEUR", "CALEOL"),
        ("08", "RB-T4-02", D(2026, 5, 2), "MUTATION", "ORIENTE"),
        ("09", "RC-T2-NEUF1", D(2026, 3, 10), "AL", "ATTRIBUE"),
        ("10", "RC-T2-NEUF2", D(2026, 3, 12), "BAILLEUR", "ATTRIBUE"),
        ("11", "RC-T4-01", D(2026, 4, 20), None, None),
        ("12", "RA-T4-02", D(2026, 6, 1), None, None),
        ("13", "RB-T2-03", D(2026, 6, 20), None, None),
        ("14", "RB-DEF", D(2026, 2, 1), None, None),
        ("15", "RC-T2-01", D(2026, 9, 1), "PREF-51", "ATTRIBUE")]
    for num, lid, day, dest, statut in year:
        lib = liberation(f"B26-{num}", lid, day)
        if num == "09":
            lib["motif"] = "PREMIERE_LOCATION"
        libs.append(lib)
        if dest:
            orients.append(orientation(f"O26-{num}", f"B26-{num}", dest,
                                       D(day.year, day.month, day.day + 3), statut))
    insert(db, "liberation", libs)
    insert(db, "orientation", orients)
    insert(db, "attribution", [
        attribution("A01", "O26-01", "RA-T2-01", D(2026, 1, 25), D(2026, 2, 1), quartile=2),
        attribution("A03", "O26-03", "RA-T4-01", D(2026, 3, 1), D(2026, 3, 10), quartile=1),
        attribution("A05", "O26-05", "RB-T2-01", D(2026, 2, 1), D(2026, 2, 10), quartile=3),
        attribution("A09", "O26-09", "RC-T2-NEUF1", D(2026, 3, 20), D(2026, 4, 1), quartile=1),
        attribution("A10", "O26-10", "RC-T2-NEUF2", D(2026, 3, 25), D(2026, 4, 1), quartile=2),
        attribution("A15", "O26-15", "RC-T2-01", D(2026, 9, 20), D(2026, 10, 1), quartile=2)])
    return db


@pytest.fixture
def marne(empty_db):
    return territoire_marne(empty_db)


def _by(df: pd.DataFrame, key: str, cols: list[str]) -> dict:
    return {r[key]: tuple(r[c] for c in cols) for r in df.to_dict("records")}


def _approx_rows(got: dict, expected: dict) -> None:
    assert set(got) == set(expected)
    for k, values in expected.items():
        assert got[k] == pytest.approx(values), k


# == assiette ===================================================================================
def test_segments_rotation_of_the_departement(marne):
    a = assiette_departement(marne, "51", 2026)
    seg = a.segments
    got = {(r.typologie, bool(r.en_qpv)): (r.parc, r.parc_observe, r.liberations_observees,
                                           r.rotation, r.liberations_est)
           for r in seg.itertuples()}
    _approx_rows(got, {("T2", False): (40, 120, 18, 0.15, 6.0),
                       ("T2", True): (20, 60, 12, 0.2, 4.0),
                       ("T4", False): (17, 50, 10, 0.2, 3.4),
                       ("T4", True): (10, 30, 6, 0.2, 2.0)})
    assert a.logements_flux == 87 and a.logements_hors_flux == 1


def test_assiette_of_the_departement(marne):
    a = assiette_departement(marne, "51", 2026)
    assert a.liberations_est == pytest.approx(15.4)
    assert a.premieres == 2 and a.premieres_dans_flux
    assert a.soustraits == {"MUTATION": 2.0, "RU": 1.0, "ORCOD": 0.0, "LHI": 0.0, "VENTE": 0.0}
    assert a.flux_brut == pytest.approx(17.4)
    assert a.flux_net == pytest.approx(14.4)
    d = a.droits.set_index("reservataire_id")
    assert list(d.index) == ["AL", "PREF-51", "VILLE-REIMS"]  # EMP-X ended in 2025
    assert d["taux"].tolist() == [30.0, 25.0, 10.0]
    # the commune's droits apply to the commune's own flux (7.0)
    assert d["flux_perimetre"].tolist() == pytest.approx([14.4, 14.4, 7.0])
    assert d["droits"].tolist() == pytest.approx([4.32, 3.6, 0.7])
    assert d.loc["VILLE-REIMS", "perimetre"] == REIMS
    assert pd.isna(d.loc["PREF-51", "perimetre"])
    assert a.part_bailleur == pytest.approx(14.4 - 3.6 - 4.32 - 0.7)


def test_assiette_of_the_commune(marne):
    a = assiette_departement(marne, "51", 2026, REIMS)
    got = {(r.typologie, bool(r.en_qpv)): (r.parc, r.rotation) for r in a.segments.itertuples()}
    _approx_rows(got, {("T2", False): (20, 0.1), ("T2", True): (20, 0.2),
                       ("T4", False): (8, 0.125), ("T4", True): (10, 0.2)})
    assert a.liberations_est == pytest.approx(9.0)
    assert a.premieres == 0
    assert a.soustraits["MUTATION"] == pytest.approx(1.0)
    assert a.soustraits["RU"] == pytest.approx(1.0)
    assert a.flux_net == pytest.approx(7.0)
    d = a.droits.set_index("reservataire_id")
    assert d["droits"].to_dict() == pytest.approx({"PREF-51": 1.75, "AL": 2.1,
                                                   "VILLE-REIMS": 0.7})
    assert a.part_bailleur == pytest.approx(2.45)


def test_assiette_of_the_other_commune_and_of_the_epci(marne):
    chalons = assiette_departement(marne, "51", 2026, CHALONS)
    assert chalons.liberations_est == pytest.approx(4.0 + 9 * 7 / 26)
    assert chalons.premieres == 2
    assert chalons.flux_net == pytest.approx(5 + 63 / 26)
    # the Reims convention does not apply in Châlons
    assert chalons.droits["reservataire_id"].tolist() == ["AL", "PREF-51"]
    epci = assiette_departement(marne, "51", 2026, EPCI_REIMS)
    assert epci.flux_net == pytest.approx(7.0)
    d = epci.droits.set_index("reservataire_id")
    assert d.loc["VILLE-REIMS", "droits"] == pytest.approx(0.7)
    assert d.loc["PREF-51", "droits"] == pytest.approx(1.75)


def test_assiette_overrides(marne):
    rot = assiette_departement(marne, "51", 2026, surcharges={"rotation": 0.1})
    assert rot.liberations_est == pytest.approx(8.7)  # 0.1 × 87
    assert rot.flux_brut == pytest.approx(10.7)
    assert rot.flux_net == pytest.approx(7.7)
    d = rot.droits.set_index("reservataire_id")["droits"].to_dict()
    # the commune's flux with the same override: 0.1 × 58 − 2 = 3.8
    assert d == pytest.approx({"PREF-51": 1.925, "AL": 2.31, "VILLE-REIMS": 0.38})
    assert rot.part_bailleur == pytest.approx(7.7 - 1.925 - 2.31 - 0.38)

    sous = assiette_departement(marne, "51", 2026,
                                surcharges={"soustraits": {"MUTATION": 0, "VENTE": 4}})
    assert sous.soustraits == {"MUTATION": 0.0, "RU": 1.0, "ORCOD": 0.0, "LHI": 0.0,
                               "VENTE": 4.0}
    assert sous.flux_net == pytest.approx(12.4)
    assert sous.droits.set_index("reservataire_id").loc["VILLE-REIMS", "droits"] == \
        pytest.approx(0.4)  # 9 − 5

    seg = assiette_departement(marne, "51", 2026, surcharges={"rotation": {("T2", True): 0.5}})
    assert seg.liberations_est == pytest.approx(10.0)  # 20 × 0.5, other segments 0

    hors = assiette_departement(marne, "51", 2026, surcharges={"premieres_dans_flux": False})
    assert (hors.flux_brut, hors.flux_net) == pytest.approx((15.4, 12.4))
    prem = assiette_departement(marne, "51", 2026, surcharges={"premieres": 5})
    assert (prem.premieres, prem.flux_brut) == pytest.approx((5, 20.4))


def test_assiette_history_of_one_year(marne):
    a = assiette_departement(marne, "51", 2026, surcharges={"annees_historique": 1})
    # 2025 only: T2 QPV 4/20, T4 QPV 2/10, T2 hors 6/40, T4 hors 4/17
    assert a.liberations_est == pytest.approx(4.0 + 2.0 + 6.0 + 4.0)
    assert a.soustraits["MUTATION"] == pytest.approx(2.0)
    assert a.soustraits["RU"] == pytest.approx(1.0)
    assert a.flux_net == pytest.approx(15.0)


def test_setting_first_lettings_out_of_the_flux(marne):
    set_parametre(marne, "premieres_mises_en_location_dans_flux", False, "test")
    a = assiette_departement(marne, "51", 2026)
    assert not a.premieres_dans_flux
    assert a.flux_net == pytest.approx(12.4)
    conv = jauges_conventions(marne, P_TODAY).set_index("reservataire_id")
    assert conv.loc["PREF-51", "flux_net_prevu"] == pytest.approx(12.4)
    assert conv.loc["PREF-51", "entres"] == 9  # B26-09 and B26-10 are first lettings


def test_segment_without_history_takes_the_overall_rotation(marne):
    insert(marne, "logement", [logement("RB-T3-01", "RB", "T3", mes=D(2025, 5, 1))])
    a = assiette_departement(marne, "51", 2026)
    t3 = a.segments.set_index("typologie").loc["T3"]
    assert (t3["parc"], t3["parc_observe"]) == (1, 0)
    assert t3["rotation"] == pytest.approx(46 / 260)
    assert a.liberations_est == pytest.approx(15.4 + 46 / 260)
    conv = jauges_conventions(marne, P_TODAY).set_index("reservataire_id")
    assert conv.loc["PREF-51", "flux_net_prevu"] == pytest.approx(a.flux_net)


def test_conventions_in_force(marne):
    assert conventions_en_vigueur(marne, "51", 2026)["reservataire_id"].tolist() == [
        "AL", "PREF-51", "VILLE-REIMS"]
    assert conventions_en_vigueur(marne, "51", 2025)["reservataire_id"].tolist() == [
        "AL", "PREF-51", "EMP-X", "VILLE-REIMS"]


# == gauges =====================================================================================
COLS = ["droits_annuels", "du", "orientes", "attribues", "rendus", "en_cours", "livres",
        "ecart", "entres"]


def test_gauges_per_convention_to_date(marne):
    df = jauges_conventions(marne, P_TODAY)
    assert df["convention_id"].tolist() == ["CONV-AL-51", "CONV-PREF-51", "CONV-VILLE-REIMS"]
    _approx_rows(_by(df, "reservataire_id", ["flux_net_prevu", *COLS]), {
        # droits annuels: rate × max(forecast, entered); the commune's 8 entered exceed 7.0
        "PREF-51": (14.4, 3.6, 2.75, 2, 1, 0, 1, 2, -0.75, 11),
        "AL": (14.4, 4.32, 3.3, 3, 2, 1, 0, 3, -0.3, 11),
        "VILLE-REIMS": (7.0, 0.8, 0.8, 1, 1, 0, 0, 1, 0.2, 8)})


def test_gauges_per_reservataire_to_date(marne):
    df = jauges_reservataires(marne, P_TODAY)
    assert df["reservataire_id"].tolist() == ["PREF-51", "AL", "VILLE-REIMS", "BAILLEUR"]
    _approx_rows(_by(df, "reservataire_id", ["taux", *COLS, "ecart_pct"]), {
        "PREF-51": (25.0, 3.6, 2.75, 2, 1, 0, 1, 2, -0.75, 11, -0.75 / 2.75 * 100),
        "AL": (30.0, 4.32, 3.3, 3, 2, 1, 0, 3, -0.3, 11, -0.3 / 3.3 * 100),
        "VILLE-REIMS": (10.0, 0.8, 0.8, 1, 1, 0, 0, 1, 0.2, 8, 25.0),
        # bailleur: 11 entered − 6.85 owed to the réservataires; its yearly share is what the
        # forecast leaves: 14.4 − (3.6 + 4.32 + 0.8) = 5.68
        "BAILLEUR": (4.15 / 11 * 100, 5.68, 4.15, 2, 1, 0, 0, 2, -2.15, 11,
                     -2.15 / 4.15 * 100)})
    assert df.set_index("reservataire_id").loc["BAILLEUR", "nom"] == \
        "Bailleur (part non réservée)"


def test_returned_dwelling_not_counted_as_delivered(marne):
    set_parametre(marne, "rendu_bailleur_compte_livre", False, "test")
    df = jauges_reservataires(marne, P_TODAY).set_index("reservataire_id")
    assert (df.loc["AL", "livres"], df.loc["AL", "rendus"]) == (2, 1)
    assert df.loc["AL", "ecart"] == pytest.approx(-1.3)
    assert df.loc["AL", "ecart_pct"] == pytest.approx(-1.3 / 3.3 * 100)
    assert df.loc["PREF-51", "livres"] == 2 and df.loc["VILLE-REIMS", "livres"] == 1
    set_parametre(marne, "rendu_bailleur_compte_livre", True, "test")
    assert jauges_reservataires(marne, P_TODAY).set_index("reservataire_id").loc[
        "AL", "livres"] == 3


def test_gauges_of_the_whole_year(marne):
    df = jauges_reservataires(marne, P_YEAR)
    _approx_rows(_by(df, "reservataire_id", COLS), {
        # complete year: the droits are the realised flux (12 entered with B26-15)
        "PREF-51": (3.0, 3.0, 3, 2, 0, 1, 3, 0.0, 12),
        "AL": (3.6, 3.6, 3, 2, 1, 0, 3, -0.6, 12),
        "VILLE-REIMS": (0.8, 0.8, 1, 1, 0, 0, 1, 0.2, 8),
        "BAILLEUR": (4.6, 4.6, 2, 1, 0, 0, 2, -2.6, 12)})


def test_gauges_of_a_commune(marne):
    p = Perimetre(2026, commune_insee=CHALONS, aujourdhui=TODAY)
    conv = jauges_conventions(marne, p)
    assert conv["reservataire_id"].tolist() == ["AL", "PREF-51"]
    assert conv["flux_net_prevu"].tolist() == pytest.approx([5 + 63 / 26] * 2)
    df = jauges_reservataires(marne, p)
    prevu = 5 + 63 / 26
    _approx_rows(_by(df, "reservataire_id", COLS), {
        "PREF-51": (0.25 * prevu, 0.75, 0, 0, 0, 0, 0, -0.75, 3),
        "AL": (0.3 * prevu, 0.9, 1, 1, 0, 0, 1, 0.1, 3),
        "BAILLEUR": (0.45 * prevu, 1.35, 1, 1, 0, 0, 1, -0.35, 3)})


def test_gauges_of_an_epci(marne):
    p = Perimetre(2026, epci_siren=EPCI_REIMS, aujourdhui=TODAY)
    df = jauges_reservataires(marne, p)
    _approx_rows(_by(df, "reservataire_id", COLS), {
        # droits annuels: rate × max(forecast 7.0, 8 entered); bailleur max(2.8, 7.0 − 5.2)
        "PREF-51": (2.0, 2.0, 2, 1, 0, 1, 2, 0.0, 8),
        "AL": (2.4, 2.4, 2, 1, 1, 0, 2, -0.4, 8),
        "VILLE-REIMS": (0.8, 0.8, 1, 1, 0, 0, 1, 0.2, 8),
        "BAILLEUR": (2.8, 2.8, 1, 0, 0, 0, 1, -1.8, 8)})
    conv = jauges_conventions(marne, p)
    assert conv["flux_net_prevu"].tolist() == pytest.approx([7.0, 7.0, 7.0])


def test_departement_filter_of_another_departement(marne):
    df = jauges_reservataires(marne, Perimetre(2026, departement="10", aujourdhui=TODAY))
    assert df["reservataire_id"].tolist() == ["BAILLEUR"]
    assert df.loc[0, "entres"] == 0 and df.loc[0, "du"] == 0


# == consistency of the two implementations of the forecast ===================================
@pytest.mark.parametrize("p", [P_YEAR, Perimetre(2026, departement="51", aujourdhui=TODAY)])
def test_forecast_of_gauges_equals_assiette(marne, p):
    conv = jauges_conventions(marne, p).set_index("reservataire_id")
    dep = assiette_departement(marne, "51", 2026)
    com = assiette_departement(marne, "51", 2026, REIMS)
    assert conv.loc["PREF-51", "flux_net_prevu"] == pytest.approx(dep.flux_net)
    assert conv.loc["AL", "flux_net_prevu"] == pytest.approx(dep.flux_net)
    assert conv.loc["VILLE-REIMS", "flux_net_prevu"] == pytest.approx(com.flux_net)
    assert dep.flux_net == pytest.approx(14.4) and com.flux_net == pytest.approx(7.0)


@pytest.mark.parametrize("commune", [REIMS, CHALONS])
def test_forecast_on_a_commune_filter_equals_assiette(marne, commune):
    p = Perimetre(2026, commune_insee=commune, aujourdhui=TODAY)
    conv = jauges_conventions(marne, p)
    a = assiette_departement(marne, "51", 2026, commune)
    assert conv["flux_net_prevu"].tolist() == pytest.approx([a.flux_net] * len(conv))


# == properties on the demo ====================================================================
DEMO_TODAY = D(2026, 11, 23)


@pytest.mark.parametrize("annee", [2023, 2024, 2025, 2026])
def test_demo_owed_never_negative_nor_above_yearly_rights(demo_db, annee):
    p = Perimetre(annee, aujourdhui=DEMO_TODAY)
    for df in (jauges_conventions(demo_db, p), jauges_reservataires(demo_db, p)):
        assert len(df) > 0
        assert (df["du"] >= 0).all()
        assert (df["du"] <= df["droits_annuels"] + 1e-9).all()
        if p.annee_complete:
            assert df["du"].to_numpy() == pytest.approx(df["droits_annuels"].to_numpy())
    res = jauges_reservataires(demo_db, p)
    conv = jauges_conventions(demo_db, p)
    # the bailleur's owed share closes the flux: Σ dû of every line = flux entered
    entres = conv.drop_duplicates("departement")["entres"].sum()
    assert res["du"].sum() == pytest.approx(entres)


@pytest.mark.parametrize("annee", [2023, 2024, 2025, 2026])
def test_demo_droits_are_rates_times_flux(demo_db, annee):
    departements = demo_db.df("select distinct departement from convention "
                              "where ? between annee_debut and annee_fin order by 1",
                              [annee])["departement"].tolist()
    assert departements
    for dep in departements:
        a = assiette_departement(demo_db, dep, annee)
        d = a.droits[a.droits["perimetre"].isna()]
        assert len(d) > 0
        assert d["droits"].sum() == pytest.approx(a.flux_net * d["taux"].sum() / 100.0)
        assert (d["flux_perimetre"] == a.flux_net).all()
        local = a.droits[a.droits["perimetre"].notna()]
        for r in local.itertuples():
            assert r.droits == pytest.approx(
                r.taux / 100.0 * assiette_departement(demo_db, dep, annee, r.perimetre).flux_net)


@pytest.mark.parametrize("annee", [2025, 2026])
def test_demo_prefet_spread_adds_up_to_its_gauge(demo_db, annee):
    p = Perimetre(annee, aujourdhui=DEMO_TODAY)
    rep = repartition_prefet(demo_db, p)
    res = jauges_reservataires(demo_db, p)
    prefet = res[res["type"].isin(["PREFET", "PREFET_FONCTIONNAIRES"])]
    assert rep["du"].sum() == pytest.approx(prefet["du"].sum())
    assert rep["orientes"].sum() == prefet["orientes"].sum()
    assert (rep["flux"] > 0).all()


@pytest.mark.parametrize("annee", [2023, 2026])
def test_demo_respects_the_legal_limits(demo_db, annee):
    df = controles_legaux(demo_db, Perimetre(annee, aujourdhui=DEMO_TODAY))
    limits = df[df["code"] != "prefet_hors_qpv"]
    assert set(df["departement"]) == {"08", "10", "51", "52"}
    assert limits["respecte"].all(), limits[~limits["respecte"]]


# == préfet: uniform spread and legal checks ====================================================
def test_prefet_uniform_spread(marne):
    df = repartition_prefet(marne, P_TODAY)
    assert df["commune"].tolist() == ["Reims", "Châlons-en-Champagne"]
    assert df["flux"].tolist() == [8, 3]
    assert df["du"].tolist() == pytest.approx([2.0, 0.75])
    assert df["orientes"].tolist() == [2, 0]
    assert df["ecart"].tolist() == pytest.approx([0.0, -0.75])


def _controles(db, p=P_TODAY) -> dict:
    df = controles_legaux(db, p)
    assert set(df["departement"]) == {"51"}
    return {r["code"]: r for r in df.to_dict("records")}


def _orient(db, num, dest):
    insert(db, "orientation", [orientation(f"OX-{num}", f"B26-{num}", dest, TODAY, "ORIENTE")])


def test_legal_checks_reading_A_then_B(marne):
    c = _controles(marne)
    assert list(c) == ["prefet_max", "prefet_agents_max", "garantie_max", "somme_taux",
                       "prefet_hors_qpv"]
    assert (c["prefet_max"]["valeur"], c["prefet_max"]["respecte"]) == (25.0, True)
    assert (c["prefet_agents_max"]["valeur"], c["prefet_agents_max"]["respecte"]) == (0.0, True)
    assert (c["garantie_max"]["valeur"], c["garantie_max"]["respecte"]) == (10.0, True)
    assert c["garantie_max"]["message"] == (
        f"Réservations en contrepartie de garanties d'emprunt : 10,0{NNBSP}% du flux de la "
        f"commune de Reims pour un maximum de 20{NNBSP}%.")
    assert (c["somme_taux"]["valeur"], c["somme_taux"]["respecte"]) == (65.0, True)
    a = c["prefet_hors_qpv"]
    assert not a["respecte"]
    assert a["message"] == (f"Lecture A : aucun des 2 logements orientés au préfet n'est hors "
                            f"QPV (0{NNBSP}%) ; il en faut au moins 1 (30{NNBSP}%).")
    set_parametre(marne, "lecture_hors_qpv_prefet", "B", "test")
    b = _controles(marne)["prefet_hors_qpv"]
    assert not b["respecte"]
    assert b["message"] == (f"Lecture B : le préfet n'a reçu aucun des 7 logements du flux "
                            f"hors QPV (0{NNBSP}%) ; il en faut au moins 3 (30{NNBSP}%).")


def test_legal_checks_after_a_hors_qpv_orientation(marne):
    _orient(marne, "13", "PREF-51")  # Reims hors QPV
    a = _controles(marne)["prefet_hors_qpv"]
    assert a["respecte"]
    assert a["message"].startswith("Lecture A : 1 des 3 logements orientés au préfet est hors "
                                   f"QPV (33,3{NNBSP}%) ; il en faut au moins 1")
    set_parametre(marne, "lecture_hors_qpv_prefet", "B", "test")
    b = _controles(marne)["prefet_hors_qpv"]
    assert not b["respecte"]
    assert "a reçu 1 des 7 logements" in b["message"] and "au moins 3" in b["message"]
    _orient(marne, "11", "PREF-51")
    _orient(marne, "07", "PREF-51")  # a later orientation replaces the bailleur's
    b = _controles(marne)["prefet_hors_qpv"]
    assert b["respecte"]
    assert "a reçu 3 des 7 logements" in b["message"]


def test_legal_checks_when_only_qpv_dwellings_entered(marne):
    # on 16/01/2026 only B26-01 (in QPV, oriented to the préfet) has entered the flux
    c = _controles(marne, Perimetre(2026, aujourdhui=D(2026, 1, 16)))
    assert not c["prefet_hors_qpv"]["respecte"]
    assert c["prefet_hors_qpv"]["message"].startswith(
        "Lecture A : le logement orienté au préfet n'est pas hors QPV")


def test_prefet_at_32_percent_is_flagged(marne):
    with marne.transaction() as cur:
        cur.execute("update convention set taux_flux = 32 where convention_id = 'CONV-PREF-51'")
    c = _controles(marne)
    assert (c["prefet_max"]["valeur"], c["prefet_max"]["respecte"]) == (32.0, False)
    assert "sans dérogation" in c["prefet_max"]["message"]
    assert c["somme_taux"]["valeur"] == 72.0
    # an arrêté of 15/01/2026–30/09/2026 at 33 %: 2026 is covered from 15/01 to 30/09 only
    insert(marne, "derogation", [{
        "derogation_id": "D1", "departement": "51", "arrete": "Arrêté n° 2026-015",
        "date_debut": D(2026, 1, 15), "date_fin": D(2026, 9, 30), "taux_max": 33.0,
        "taux_agents_max": None}])
    c = _controles(marne)["prefet_max"]
    assert (c["valeur"], c["limite"], c["respecte"]) == (32.0, 30.0, False)
    assert c["message"] == (
        f"Contingent préfectoral de 32{NNBSP}% — 2026 : non conforme du 01/01 au 14/01 "
        f"(14 jours : 32{NNBSP}% > 30{NNBSP}% hors période de dérogation), conforme du 15/01 "
        f"au 30/09 (32{NNBSP}% ≤ 33{NNBSP}% sous la dérogation Arrêté n° 2026-015 du "
        f"15/01/2026 au 30/09/2026), non conforme du 01/10 au 31/12 (92 jours : 32{NNBSP}% > "
        f"30{NNBSP}% hors période de dérogation).")
    # covering the whole year (01/01–31/12/2026, 365 days): conforme, whatever the date
    with marne.transaction() as cur:
        cur.execute("update derogation set date_debut = date '2026-01-01', "
                    "date_fin = date '2026-12-31'")
    for p in (P_TODAY, P_YEAR):
        c = _controles(marne, p)["prefet_max"]
        assert (c["valeur"], c["limite"], c["respecte"]) == (32.0, 33.0, True)
        assert "irrégulière" not in c["message"]


def test_sum_of_rates_above_100_is_flagged(marne):
    with marne.transaction() as cur:
        cur.execute("update convention set taux_flux = 70 where convention_id = 'CONV-AL-51'")
    c = _controles(marne)
    assert (c["somme_taux"]["valeur"], c["somme_taux"]["respecte"]) == (105.0, False)
    assert "de la commune de Reims" in c["somme_taux"]["message"]


def test_guarantee_above_20_percent_is_flagged(marne):
    with marne.transaction() as cur:
        cur.execute("update convention set taux_flux = 21 "
                    "where convention_id = 'CONV-VILLE-REIMS'")
    c = _controles(marne)
    assert (c["garantie_max"]["valeur"], c["garantie_max"]["respecte"]) == (21.0, False)


def test_guarantee_limit_on_the_departement_flux(marne):
    # setting garantie_emprunt_base = departement: Reims's 21 % of its own forecast flux (7.0)
    # is 1.47 dwellings, 10.2 % of the département's forecast (14.4); realised to date: 1 of
    # the 11 dwellings entered (B26-05) went to the Ville de Reims, 9.1 %
    with marne.transaction() as cur:
        cur.execute("update convention set taux_flux = 21 "
                    "where convention_id = 'CONV-VILLE-REIMS'")
    set_parametre(marne, "garantie_emprunt_base", "departement", "test")
    c = _controles(marne)["garantie_max"]
    assert c["valeur"] == pytest.approx(100.0 / 11)
    assert c["respecte"]
    assert c["message"] == (
        f"Réservations en contrepartie de garanties d'emprunt : prévu 10,2{NNBSP}% du flux "
        f"du département sur l'année, réalisé 9,1{NNBSP}% au 30/06/2026 (1 des 11 logements "
        f"entrés dans le flux sont allés aux conventions de garantie) pour un maximum de "
        f"20{NNBSP}%.")


# == monthly cumulation =========================================================================
def test_monthly_owed_and_oriented(marne):
    df = cumul_mensuel(marne, P_TODAY, "PREF-51")
    assert df["mois"].tolist() == [1, 2, 3, 4, 5, 6]
    assert df["du"].tolist() == pytest.approx([0.5, 0.5, 0.75, 0.5, 0.0, 0.5])
    assert df["orientes"].tolist() == [1, 1, 0, 0, 0, 0]
    assert df["du_cumule"].tolist() == pytest.approx([0.5, 1.0, 1.75, 2.25, 2.25, 2.75])
    assert df["orientes_cumule"].tolist() == [1, 2, 2, 2, 2, 2]
    ville = cumul_mensuel(marne, P_TODAY, "VILLE-REIMS")
    assert ville["du"].tolist() == pytest.approx([0.2, 0.2, 0.1, 0.1, 0.0, 0.2])
    assert ville["orientes"].tolist() == [1, 0, 0, 0, 0, 0]
    year = cumul_mensuel(marne, P_YEAR, "PREF-51")
    assert year["mois"].tolist() == list(range(1, 13))
    assert year["du_cumule"].iloc[-1] == pytest.approx(3.0)
    assert year["orientes_cumule"].iloc[-1] == 3


def test_monthly_total_equals_gauge(marne):
    df = cumul_mensuel(marne, P_TODAY, "AL")
    g = jauges_reservataires(marne, P_TODAY).set_index("reservataire_id").loc["AL"]
    assert df["du_cumule"].iloc[-1] == pytest.approx(g["du"])
    assert df["orientes_cumule"].iloc[-1] == g["orientes"]


# == quality of the flux ========================================================================
def test_quality_of_a_flux_of_qpv_only(marne):
    # three more QPV T4 for the préfet: the flux is 7 QPV + 7 hors QPV, 7 T2 + 7 T4
    extra = [("21", "RA-T4-03", D(2026, 4, 5)), ("22", "RA-T4-04", D(2026, 5, 5)),
             ("23", "RA-T4-05", D(2026, 6, 5))]
    insert(marne, "liberation", [liberation(f"B26-{n}", lid, d) for n, lid, d in extra])
    insert(marne, "orientation", [orientation(f"O26-{n}", f"B26-{n}", "PREF-51", d, "ORIENTE")
                                  for n, _, d in extra])
    q = qualite_flux(marne, P_TODAY).set_index("reservataire_id")
    assert sorted(q.index) == ["AL", "PREF-51", "VILLE-REIMS"]
    pref = q.loc["PREF-51"]
    assert pref["orientes"] == 5
    assert pref["score_qpv"] == pytest.approx(50.0)
    assert pref["score_typologie"] == pytest.approx(10.0)  # 40 % T2 against 50 %
    assert pref["score_financement"] == pytest.approx(0.0)
    assert pref["score_commune"] == pytest.approx(100 * 3 / 14)  # all in Reims against 11/14
    assert pref["score"] == pytest.approx((50.0 + 10.0 + 0.0 + 300 / 14) / 4)
    assert pref["constat"] == (f"Hors QPV (QPV / hors QPV) : 0{NNBSP}% de ses logements contre "
                               f"50{NNBSP}% du flux.")
    for rid in ("AL", "VILLE-REIMS"):  # fewer than 5 oriented
        assert pd.isna(q.loc[rid, "score"])
        assert q.loc[rid, "constat"] == "Trop peu de logements orientés pour juger."


def test_settings_snapshot_gives_same_gauges(marne):
    s = get_parametres(marne)
    pd.testing.assert_frame_equal(jauges_reservataires(marne, P_TODAY, s),
                                  jauges_reservataires(marne, P_TODAY))
