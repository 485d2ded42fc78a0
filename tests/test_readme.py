"""The README's promises: the hand recomputation of a gauge gives the gauge's figures."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from fluxcore.jauges import jauges_reservataires
from fluxcore.perimetre import Perimetre

README = Path(__file__).resolve().parent.parent / "README.md"


def test_gauge_recomputed_by_hand_matches(demo_db):
    sql = re.search(r"```sql\n(.*?)```", README.read_text(encoding="utf-8"), re.S).group(1)
    by_hand = demo_db.df(sql).iloc[0]
    j = jauges_reservataires(demo_db, Perimetre(2026, departement="51",
                                                aujourdhui=date(2026, 11, 23)))
    pref = j[j["reservataire_id"] == "PREF-51"].iloc[0]
    assert int(by_hand["entres"]) == int(pref["entres"]) > 0
    assert float(by_hand["du"]) == pytest.approx(float(pref["du"]), abs=1e-9)
    assert int(by_hand["orientes"]) == int(pref["orientes"])


def test_cil_recomputed_by_hand_matches(demo_db):
    from fluxcore.objectifs import suivi_epci

    blocks = re.findall(r"```sql\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    by_hand = demo_db.df(blocks[1]).iloc[0]
    q1 = suivi_epci(demo_db, "200067213", 2026, date(2026, 11, 23))["Q1_HORS_QPV"]
    assert (int(by_hand["baux_hors_qpv"]), int(by_hand["q1_hors_qpv"])) == (q1.base, q1.realise)
    assert q1.base > 0


def test_readme_starts_with_the_two_commands():
    head = README.read_text(encoding="utf-8")[:400]
    assert "make run" in head and "make test" in head


def test_score_recomputed_by_hand_matches(demo_db):
    from fluxcore.cotation import scores

    blocks = re.findall(r"```sql\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    by_hand = demo_db.df(blocks[2]).iloc[0]
    s = scores(demo_db, date(2026, 11, 23)).set_index("demande_id")
    assert float(by_hand["score"]) == float(s.at[by_hand["demande_id"], "score"])
