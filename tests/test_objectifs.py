"""First part of the CIL objectives: achieved against targets for an EPCI."""

from __future__ import annotations

from datetime import date

from fluxcore.objectifs import cible, suivi_epci
from tests.factory import insert


def test_suivi_epci_on_small_year(small_db):
    # threshold above every household's 12 000 €/UC: all first quartile
    insert(small_db, "seuil_quartile", [{"epci_siren": "200067213", "annee": 2026,
                                         "seuil_q1_uc": 13000.0}])
    s = suivi_epci(small_db, "200067213", 2026, date(2026, 11, 23))
    q1, q234 = s["Q1_HORS_QPV"], s["Q234_EN_QPV"]
    assert (q1.realise, q1.base, q1.cible_pct, q1.manque) == (1, 1, 25.0, 0)
    assert (q234.realise, q234.base, q234.cible_pct, q234.manque) == (0, 2, 50.0, 1)
    assert q1.retard == 0.0 and q234.retard == 1.0


def test_target_from_table_else_default(small_db):
    assert cible(small_db, "200067213", 2026, "Q1_HORS_QPV") == 25.0
    insert(small_db, "objectif", [{"epci_siren": "200067213", "annee": 2026,
                                   "indicateur": "Q1_HORS_QPV", "reservataire_id": None,
                                   "cible_pct": 30.0}])
    assert cible(small_db, "200067213", 2026, "Q1_HORS_QPV") == 30.0
    assert cible(small_db, "200067213", 2026, "PRIORITAIRES") == 25.0
