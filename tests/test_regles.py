"""Worked examples 1–9 of domain.md §9, reproduced exactly with fluxcore.regles and the pure
assiette formula; edge cases and invalid inputs."""

from __future__ import annotations

from datetime import date

import pytest

from fluxcore.assiette import compute_assiette
from fluxcore.regles import (
    controle_hors_qpv_prefet,
    controle_prefet,
    derogation_valide,
    droits_uniques_par_an,
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
    avec = controle_prefet(taux, 0.0, derogation=True)[0]
    assert avec.respecte
    assert "dérogation préfectorale en vigueur" in avec.message


def test_prefet_exactly_30_percent_passes():
    assert controle_prefet(30.0, 5.0)[0].respecte
    assert controle_prefet(taux_part_stock(300, 1000), 0.0)[0].respecte
    assert not controle_prefet(30.01, 0.0)[0].respecte


def test_custom_limits():
    assert not controle_prefet(26.0, 0.0, max_pct=25.0)[0].respecte
    assert not controle_prefet(20.0, 4.0, max_agents_pct=3.0)[1].respecte


SIGN = date(2025, 3, 1)


@pytest.mark.parametrize(("fin", "reference", "valide"), [
    (date(2025, 9, 1), date(2025, 6, 1), True),    # six months, in force
    (date(2026, 3, 1), date(2025, 6, 1), True),    # exactly one year, in force
    (date(2026, 3, 1), date(2026, 3, 1), True),    # last day of the derogation
    (date(2025, 9, 1), date(2025, 9, 2), False),   # expired
    (date(2026, 3, 2), date(2025, 6, 1), False),   # one year and one day: too long
    (date(2026, 9, 1), date(2025, 6, 1), False),   # eighteen months: too long
    (None, date(2025, 6, 1), False),               # no derogation
])
def test_ex3_derogation_dated_one_year_at_most(fin, reference, valide):
    assert derogation_valide(fin, SIGN, reference) is valide


def test_derogation_over_a_leap_day():
    # 29/02/2024 lies inside: one year after 01/01/2024 is 01/01/2025 (366 days)
    assert derogation_valide(date(2025, 1, 1), date(2024, 1, 1), date(2024, 6, 1))
    assert not derogation_valide(date(2025, 1, 2), date(2024, 1, 1), date(2024, 6, 1))


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
    assert minimum_hors_qpv_prefet(0) == 0
    assert minimum_hors_qpv_prefet(10, pct=50.0) == 5


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
