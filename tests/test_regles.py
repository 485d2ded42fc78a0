"""Worked examples 1–9 of docs/regles.md#exemples, reproduced exactly with fluxcore.regles and
the pure assiette formula; edge cases and invalid inputs."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from fluxcore.assiette import compute_assiette
from fluxcore.regles import (
    Derogation,
    controle_hors_qpv_prefet,
    controle_prefet,
    controles_prefet,
    droits_uniques_par_an,
    fin_max_derogation,
    limite_prefet,
    manque,
    minimum_hors_qpv_prefet,
    minimum_requis,
    repartition_uniforme,
    taux_droits_uniques,
    taux_part_stock,
)

NNBSP = "\u202f"


# -- example 1: share of reserved stock ------------------------------------------------------
def test_ex1_share_of_reserved_stock():
    assert taux_part_stock(25, 100) == 25.0


# -- example 2: patrimoine 1 000, préfet 250 (50 agents), AL 300, commune 150 -----------------
def test_ex2_conversion_of_a_patrimoine():
    patrimoine = 1000
    prefet, agents, al, commune = (taux_part_stock(n, patrimoine) for n in (250, 50, 300, 150))
    assert (prefet, agents, al, commune) == (25.0, 5.0, 30.0, 15.0)
    assert 100.0 - prefet - al - commune == 30.0  # bailleur
    checks = {c.code: c for c in controle_prefet(prefet, agents)}
    assert set(checks) == {"prefet_max", "prefet_agents_max"}
    assert checks["prefet_max"].respecte and checks["prefet_agents_max"].respecte
    assert (checks["prefet_max"].valeur, checks["prefet_max"].limite) == (25.0, 30.0)
    assert (checks["prefet_agents_max"].valeur, checks["prefet_agents_max"].limite) == (5.0, 5.0)
    assert checks["prefet_max"].article == "R441-5-2"
    assert checks["prefet_max"].message == (
        f"Contingent préfectoral de 25{NNBSP}% pour un maximum de 30{NNBSP}%.")


def test_agents_above_5_percent_fail():
    checks = {c.code: c for c in controle_prefet(25.0, 6.0)}
    assert checks["prefet_max"].respecte
    assert not checks["prefet_agents_max"].respecte
    assert f"6{NNBSP}%" in checks["prefet_agents_max"].message


# -- example 3: préfet 320 / 1 000 = 32 % -----------------------------------------------------
def test_ex3_prefet_above_30_percent():
    taux = taux_part_stock(320, 1000)
    assert taux == 32.0
    sans = controle_prefet(taux, 0.0)[0]
    assert sans.code == "prefet_max" and not sans.respecte
    assert sans.message == (f"Contingent préfectoral de 32{NNBSP}% pour un maximum de "
                            f"30{NNBSP}% : convention irrégulière sans dérogation datée d'un an "
                            "au plus.")
    # a dated dérogation covering the whole year at 32 % or more makes it regular
    year = [(date(2027, 1, 1), date(2027, 12, 31), taux, 0.0)]
    avec = controles_prefet(year, [Derogation("Arrêté n° 7", date(2027, 1, 1),
                                              date(2027, 12, 31), 32.0)])[0]
    assert avec.respecte and (avec.valeur, avec.limite) == (32.0, 32.0)
    assert avec.message == (
        f"Contingent préfectoral de 32{NNBSP}% — 2027 : conforme du 01/01 au 31/12 "
        f"(32{NNBSP}% ≤ 32{NNBSP}% sous la dérogation Arrêté n° 7 du 01/01/2027 au "
        "31/12/2027).")


def test_prefet_exactly_30_percent_passes():
    assert controle_prefet(30.0, 5.0)[0].respecte
    assert controle_prefet(taux_part_stock(300, 1000), 0.0)[0].respecte
    assert not controle_prefet(30.01, 0.0)[0].respecte


def test_custom_limits():
    assert not controle_prefet(26.0, 0.0, max_pct=25.0)[0].respecte
    assert not controle_prefet(20.0, 4.0, max_agents_pct=3.0)[1].respecte


# -- dated dérogations (R441-5-2: one year at most, own dates and rate) ------------------------
@pytest.mark.parametrize(("debut", "fin_max", "jours"), [
    (date(2025, 3, 1), date(2026, 2, 28), 365),
    (date(2024, 1, 1), date(2024, 12, 31), 366),    # a leap year: 366 days
    (date(2023, 3, 1), date(2024, 2, 29), 366),     # the span holds 29/02/2024
    (date(2024, 2, 29), date(2025, 2, 28), 366),    # from a 29 February
    (date(2025, 7, 15), date(2026, 7, 14), 365),
])
def test_one_year_at_most(debut, fin_max, jours):
    assert fin_max_derogation(debut) == fin_max
    d = Derogation("A", debut, fin_max, 35.0)
    assert d.valide and d.jours == jours
    assert not Derogation("A", debut, fin_max + timedelta(days=1), 35.0).valide
    assert not Derogation("A", debut, debut - timedelta(days=1), 35.0).valide


def test_limit_of_a_day():
    d = Derogation("A", date(2025, 7, 15), date(2026, 7, 14), 33.5, 6.0)
    assert limite_prefet(date(2025, 7, 14), [d]) == (30.0, 5.0, None)
    assert limite_prefet(date(2025, 7, 15), [d]) == (33.5, 6.0, d)
    assert limite_prefet(date(2026, 7, 14), [d]) == (33.5, 6.0, d)
    assert limite_prefet(date(2026, 7, 15), [d]) == (30.0, 5.0, None)
    # without an agents' rate the 5 % stays; a rate below 30 % never lowers the limit
    assert limite_prefet(date(2025, 8, 1), [Derogation("B", date(2025, 8, 1),
                                                       date(2025, 8, 31), 28.0)]) == (
        30.0, 5.0, Derogation("B", date(2025, 8, 1), date(2025, 8, 31), 28.0))
    # thirteen months: never applied
    long = Derogation("C", date(2025, 1, 1), date(2026, 1, 31), 40.0)
    assert limite_prefet(date(2025, 6, 1), [long]) == (30.0, 5.0, None)
    # two arrêtés overlapping: the latest applies
    e = Derogation("E", date(2026, 1, 1), date(2026, 12, 31), 31.0)
    assert limite_prefet(date(2026, 3, 1), [d, e])[2] == e


def test_33_5_percent_with_a_derogation_over_part_of_the_year():
    # 33,5 % all of 2025, arrêté 15/07/2025–14/07/2026 at 34 %
    d = Derogation("Arrêté n° 2025-77", date(2025, 7, 15), date(2026, 7, 14), 34.0)
    c = controles_prefet([(date(2025, 1, 1), date(2025, 12, 31), 33.5, 0.0)], [d])
    assert [x.code for x in c] == ["prefet_max", "prefet_agents_max"]
    assert (c[0].valeur, c[0].limite, c[0].respecte) == (33.5, 30.0, False)
    assert c[0].message == (
        f"Contingent préfectoral de 33,5{NNBSP}% — 2025 : non conforme du 01/01 au 14/07 "
        f"(195 jours : 33,5{NNBSP}% > 30{NNBSP}% hors période de dérogation), conforme du "
        f"15/07 au 31/12 (33,5{NNBSP}% ≤ 34{NNBSP}% sous la dérogation Arrêté n° 2025-77 du "
        "15/07/2025 au 14/07/2026).")
    # above the dérogation's own rate
    c = controles_prefet([(date(2025, 8, 1), date(2025, 12, 31), 36.0, 0.0)], [d])[0]
    assert not c.respecte and (c.valeur, c.limite) == (36.0, 34.0)
    assert "non conforme du 01/08 au 31/12 (153 jours : 36" in c.message
    assert "malgré la dérogation Arrêté n° 2025-77" in c.message
    # a rate within 30 % needs no dérogation: the plain sentence
    c = controles_prefet([(date(2025, 1, 1), date(2025, 12, 31), 27.0, 3.0)], [d])
    assert c[0].message == f"Contingent préfectoral de 27{NNBSP}% pour un maximum de 30{NNBSP}%."
    assert all(x.respecte for x in c)


def test_a_single_day_out_of_the_derogation_reads_in_the_singular():
    d = Derogation("Arrêté n° 2", date(2025, 1, 2), date(2025, 12, 31), 34.0)
    c = controles_prefet([(date(2025, 1, 1), date(2025, 12, 31), 33.5, 0.0)], [d])[0]
    assert not c.respecte
    assert (f"2025 : non conforme le 01/01 (1 jour : 33,5{NNBSP}% > 30{NNBSP}% hors période "
            f"de dérogation), conforme du 02/01 au 31/12") in c.message
    two = Derogation("Arrêté n° 3", date(2025, 1, 3), date(2025, 12, 31), 34.0)
    c = controles_prefet([(date(2025, 1, 1), date(2025, 12, 31), 33.5, 0.0)], [two])[0]
    assert "non conforme du 01/01 au 02/01 (2 jours : " in c.message


def test_a_derogation_of_thirteen_months_is_reported():
    long = Derogation("Arrêté n° 13", date(2025, 2, 1), date(2026, 2, 28), 31.0)
    c = {x.code: x for x in controles_prefet(
        [(date(2025, 1, 1), date(2025, 12, 31), 31.0, 0.0)], [long])}
    assert not c["prefet_max"].respecte
    assert not c["prefet_derogation_duree"].respecte
    assert c["prefet_derogation_duree"].message == (
        "Dérogation de plus d'un an : Arrêté n° 13 du 01/02/2025 au 28/02/2026 (393 jours ; "
        f"un an au plus, soit jusqu'au 31/01/2026) : limite de 30{NNBSP}% appliquée.")


# -- example 4: the assiette -------------------------------------------------------------------
TAUX_EX2 = {"PREF": 25.0, "AL": 30.0, "COM": 15.0}
SOUSTRAITS = {"MUTATION": 12, "RU": 5, "VENTE": 3}


def test_ex4_assiette():
    a = compute_assiette({"seg": 1000}, {"seg": 0.08}, 20, SOUSTRAITS, TAUX_EX2)
    assert a.liberations_est == pytest.approx(80.0)
    assert a.flux_brut == pytest.approx(100.0)
    assert a.flux_net == pytest.approx(80.0)
    assert a.premieres == 20 and a.premieres_dans_flux
    assert a.soustraits == SOUSTRAITS
    droits = dict(zip(a.droits["reservataire_id"], a.droits["droits"]))
    assert droits == pytest.approx({"PREF": 20.0, "AL": 24.0, "COM": 12.0})
    assert a.part_bailleur == pytest.approx(24.0)


def test_ex4_first_lettings_out_of_the_flux():
    a = compute_assiette({"seg": 1000}, {"seg": 0.08}, 20, SOUSTRAITS, TAUX_EX2,
                         premieres_dans_flux=False)
    assert a.flux_brut == pytest.approx(80.0)
    assert a.flux_net == pytest.approx(60.0)
    assert a.premieres == 20 and not a.premieres_dans_flux
    droits = dict(zip(a.droits["reservataire_id"], a.droits["droits"]))
    assert droits == pytest.approx({"PREF": 15.0, "AL": 18.0, "COM": 9.0})
    assert a.part_bailleur == pytest.approx(18.0)


def test_assiette_several_segments():
    a = compute_assiette({("T2", True): 200, ("T4", False): 300, ("T5", False): 10},
                         {("T2", True): 0.1, ("T4", False): 0.05}, 0, {}, {"PREF": 25.0})
    assert a.liberations_est == pytest.approx(35.0)  # 20 + 15, the unknown segment counts 0
    assert a.flux_net == pytest.approx(35.0)
    assert a.droits["droits"].tolist() == pytest.approx([8.75])
    assert a.part_bailleur == pytest.approx(26.25)


# -- example 5: droits uniques ---------------------------------------------------------------
def test_ex5_droits_uniques():
    assert droits_uniques_par_an(100, 10) == 10.0
    assert taux_droits_uniques(100, 10, 100) == 10.0
    assert taux_droits_uniques(100, 10, 50) == 20.0


# -- example 6: uniform spread of the préfet ------------------------------------------------
def test_ex6_uniform_spread():
    assert repartition_uniforme(25, {"A": 40, "B": 20}) == {"A": 10.0, "B": 5.0}
    assert repartition_uniforme(25, {}) == {}


# -- example 7: préfet hors QPV --------------------------------------------------------------
def test_ex7_reading_A():
    assert minimum_hors_qpv_prefet(20) == 6
    ko = controle_hors_qpv_prefet("A", 20, 5, 100)
    assert not ko.respecte and ko.valeur == 25.0 and ko.limite == 30.0
    assert ko.message == (f"Lecture A : 5 des 20 logements orientés au préfet sont hors QPV "
                          f"(25{NNBSP}%) ; il en faut au moins 6 (30{NNBSP}%).")
    ok = controle_hors_qpv_prefet("A", 20, 6, 100)
    assert ok.respecte and ok.valeur == 30.0


def test_ex7_reading_B_on_counts():
    # B: the préfet's hors-QPV dwellings over the hors-QPV flux; the préfet's total is ignored
    ko = controle_hors_qpv_prefet("B", 20, 14, 50)
    assert not ko.respecte and ko.valeur == 28.0
    assert ko.message == (f"Lecture B : le préfet a reçu 14 des 50 logements du flux hors QPV "
                          f"(28{NNBSP}%) ; il en faut au moins 15 (30{NNBSP}%).")
    assert controle_hors_qpv_prefet("B", 20, 15, 50).respecte
    # the same counts pass reading A (15 of 20 > 6) and the A case fails B
    assert controle_hors_qpv_prefet("A", 20, 14, 50).respecte
    assert not controle_hors_qpv_prefet("B", 20, 6, 50).respecte


def test_hors_qpv_without_dwellings_passes():
    assert controle_hors_qpv_prefet("A", 0, 0, 0).respecte
    assert controle_hors_qpv_prefet("B", 0, 0, 0).respecte
    assert controle_hors_qpv_prefet("A", 0, 0, 0).message == (
        f"Lecture A : aucun logement orienté au préfet, aucun n'est exigé hors QPV (30{NNBSP}%).")
    assert controle_hors_qpv_prefet("B", 0, 0, 0).message == (
        f"Lecture B : aucun logement dans le flux hors QPV, aucun n'est exigé pour le préfet "
        f"(30{NNBSP}%).")
    assert minimum_hors_qpv_prefet(0) == 0
    assert minimum_hors_qpv_prefet(10, pct=50.0) == 5


@pytest.mark.parametrize(("total", "hors", "attendu"), [
    (1, 0, f"le logement orienté au préfet n'est pas hors QPV (0{NNBSP}%) ; il en faut au "
           f"moins 1"),
    (1, 1, f"le logement orienté au préfet est hors QPV (100{NNBSP}%) ; il en faut au moins 1"),
    (3, 0, f"aucun des 3 logements orientés au préfet n'est hors QPV (0{NNBSP}%)"),
    (3, 1, f"1 des 3 logements orientés au préfet est hors QPV (33,3{NNBSP}%)"),
    (3, 2, f"2 des 3 logements orientés au préfet sont hors QPV (66,7{NNBSP}%)"),
    (2000, 1500, f"1{NNBSP}500 des 2{NNBSP}000 logements orientés au préfet sont hors QPV "
                 f"(75{NNBSP}%) ; il en faut au moins 600 (30{NNBSP}%).")])
def test_reading_A_agrees_with_its_counts(total, hors, attendu):
    assert attendu in controle_hors_qpv_prefet("A", total, hors, 0).message


@pytest.mark.parametrize(("flux", "recus", "attendu"), [
    (1, 0, f"le préfet n'a pas reçu le logement du flux hors QPV (0{NNBSP}%) ; il en faut au "
           "moins 1"),
    (1, 1, f"le préfet a reçu le logement du flux hors QPV (100{NNBSP}%)"),
    (7, 0, f"le préfet n'a reçu aucun des 7 logements du flux hors QPV (0{NNBSP}%)"),
    (7, 1, f"le préfet a reçu 1 des 7 logements du flux hors QPV (14,3{NNBSP}%)"),
    (7, 3, f"le préfet a reçu 3 des 7 logements du flux hors QPV (42,9{NNBSP}%)")])
def test_reading_B_agrees_with_its_counts(flux, recus, attendu):
    message = controle_hors_qpv_prefet("B", 10, recus, flux).message
    assert message.startswith("Lecture B : ") and attendu in message
    assert " 1 logements" not in message and "des 1 " not in message


# -- example 8: Q1 hors QPV ------------------------------------------------------------------
def test_ex8_missing_count():
    assert 100.0 * 42 / 200 == 21.0
    assert minimum_requis(25, 200) == 50
    assert manque(25, 200, 42) == 8
    assert manque(25, 200, 50) == 0
    assert manque(25, 200, 60) == 0


# -- example 9: publics prioritaires ---------------------------------------------------------
def test_ex9_prioritaires():
    assert minimum_requis(25, 30) == 8
    assert round(100.0 * 7 / 30, 1) == 23.3
    assert manque(25, 30, 7) == 1
    assert manque(25, 30, 8) == 0


# -- edge cases --------------------------------------------------------------------------------
@pytest.mark.parametrize(("pct", "n", "expected"), [
    (25, 0, 0), (25, 4, 1), (30, 10, 3), (30, 20, 6), (25, 1, 1), (0, 50, 0), (100, 7, 7),
    (30, 3, 1), (10, 30, 3), (33.3, 3, 1), (50, 3, 2), (70, 10, 7)])
def test_minimum_requis(pct, n, expected):
    result = minimum_requis(pct, n)
    assert result == expected and isinstance(result, int)


def test_float_noise_does_not_round_up():
    # in binary 7 / 100 × 100 = 7.000000000000001 and 56 / 100 × 25 = 14.000000000000002
    assert 7 / 100.0 * 100 > 7 and 56 / 100.0 * 25 > 14
    assert minimum_requis(7, 100) == 7
    assert minimum_requis(56, 25) == 14
    assert minimum_requis(14, 50) == 7
    assert minimum_requis(55, 100) == 55
    assert manque(7, 100, 7) == 0


@pytest.mark.parametrize(("func", "args"), [
    (taux_part_stock, (25, 0)),
    (taux_part_stock, (25, -100)),
    (droits_uniques_par_an, (100, 0)),
    (droits_uniques_par_an, (100, -1)),
    (taux_droits_uniques, (100, 10, 0)),
    (taux_droits_uniques, (100, 0, 50)),
])
def test_invalid_inputs_raise(func, args):
    with pytest.raises(ValueError, match="strictement positif"):
        func(*args)
