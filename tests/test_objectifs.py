"""CIL objectives: domain.md §9 examples 8–10, a hand-built year with a known result for every
indicator, leases without a signature excluded, the "what remains" sentence."""

from __future__ import annotations

from datetime import date

import pytest

from fluxcore.objectifs import (
    cible,
    detail,
    phrase,
    prioritaires_par_reservataire,
    quartile_1,
    suivi,
    suivi_epci,
    trajectoire,
    unites_consommation,
)
from fluxcore.perimetre import Perimetre
from tests.factory import D, attribution, insert, liberation, logement, orientation, residence

REIMS = "200067213"
ARRET = date(2026, 11, 23)


def _year(db, leases: list[dict]) -> None:
    """Reims: R1 in QPV Croix-Rouge, R2 hors QPV; one dwelling, libération and orientation
    per lease. Each lease dict: res, dest, bail (date or None), and attribution kwargs."""
    insert(db, "residence", [residence("R1", "51454", REIMS, "51", qpv="QN05103M"),
                             residence("R2", "51454", REIMS, "51")])
    insert(db, "reservataire", [
        {"reservataire_id": "PREF-51", "nom": "Préfet", "type": "PREFET", "territoire": "51",
         "repris_par_prefet": False},
        {"reservataire_id": "AL", "nom": "Action Logement", "type": "ACTION_LOGEMENT",
         "territoire": None, "repris_par_prefet": False}])
    logs, libs, oris, atts = [], [], [], []
    for i, lease in enumerate(leases):
        n = f"{i:04d}"
        logs.append(logement(f"L{n}", lease["res"]))
        libs.append(liberation(f"B{n}", f"L{n}", D(2026, 1, 5)))
        oris.append(orientation(f"O{n}", f"B{n}", lease.get("dest", "BAILLEUR"),
                                D(2026, 1, 6), "ATTRIBUE"))
        kw = {k: v for k, v in lease.items() if k not in ("res", "dest", "bail")}
        atts.append(attribution(f"A{n}", f"O{n}", f"L{n}", D(2026, 1, 20), lease["bail"], **kw))
    for table, rows in (("logement", logs), ("liberation", libs), ("orientation", oris),
                        ("attribution", atts)):
        insert(db, table, rows)


def _p(epci=REIMS):
    return Perimetre(2026, epci_siren=epci, aujourdhui=ARRET)


def test_example_8_q1_hors_qpv(empty_db):
    bail = D(2026, 3, 1)
    leases = ([{"res": "R2", "bail": bail, "quartile": 1}] * 40
              + [{"res": "R2", "bail": bail, "quartile": 3, "relogement": "RU"}] * 2
              + [{"res": "R2", "bail": bail, "quartile": 2}] * 158
              # excluded: no signed lease, lease of another year
              + [{"res": "R2", "bail": None, "quartile": 1}] * 5
              + [{"res": "R2", "bail": D(2025, 12, 31), "quartile": 1}] * 3)
    _year(empty_db, leases)
    q1 = suivi_epci(empty_db, REIMS, 2026, ARRET)["Q1_HORS_QPV"]
    assert (q1.realise, q1.base, q1.pct, q1.cible_pct, q1.manque) == (42, 200, 21.0, 25.0, 8)


def test_example_9_prioritaires_of_a_reservataire(empty_db):
    bail = D(2026, 4, 1)
    _year(empty_db, [{"res": "R2", "dest": "AL", "bail": bail, "prioritaire": True}] * 7
          + [{"res": "R2", "dest": "AL", "bail": bail}] * 23)
    al = prioritaires_par_reservataire(empty_db, _p()).set_index("destinataire").loc["AL"]
    assert (al["baux"], al["prioritaires"], al["cible_pct"], al["manque"]) == (30, 7, 25.0, 1)
    assert al["pct"] == pytest.approx(23.333, abs=1e-3)


def test_example_10_consumption_units_and_quartile(empty_db):
    uc = unites_consommation(2, 2)
    assert uc == 2.1
    assert round(15000 / uc, 2) == 7142.86 and quartile_1(15000, uc, 9000)
    # the same household seen by the SQL: no quartile given, resources per UC under threshold
    insert(empty_db, "seuil_quartile", [{"epci_siren": REIMS, "annee": 2026,
                                         "seuil_q1_uc": 9000.0}])
    _year(empty_db, [{"res": "R2", "bail": D(2026, 5, 2), "ress": 7142.86},
                     {"res": "R2", "bail": D(2026, 5, 2), "ress": 9000.0}])
    q1 = suivi_epci(empty_db, REIMS, 2026, ARRET)["Q1_HORS_QPV"]
    assert (q1.realise, q1.base) == (1, 2)


def test_hand_built_year_every_indicator(empty_db):
    insert(empty_db, "objectif", [{"epci_siren": REIMS, "annee": 2026,
                                   "indicateur": "Q234_EN_QPV", "reservataire_id": None,
                                   "cible_pct": 60.0}])
    _year(empty_db, [
        {"res": "R1", "dest": "PREF-51", "bail": D(2026, 2, 3), "quartile": 1,
         "prioritaire": True},
        {"res": "R1", "dest": "AL", "bail": D(2026, 3, 3), "quartile": 2},
        {"res": "R1", "dest": "BAILLEUR", "bail": D(2026, 3, 9), "quartile": 4, "dalo": True},
        {"res": "R1", "dest": "MUTATION", "bail": D(2026, 6, 1), "quartile": None,
         "ress": None},
        {"res": "R2", "dest": "AL", "bail": D(2026, 2, 10), "quartile": 1},
        {"res": "R2", "dest": "BAILLEUR", "bail": D(2026, 7, 1), "quartile": 3,
         "relogement": "ORCOD"},
        {"res": "R2", "dest": "BAILLEUR", "bail": D(2026, 7, 2), "quartile": 2},
        {"res": "R2", "dest": "AL", "bail": None, "quartile": 1, "prioritaire": True}])
    df = suivi(empty_db, _p()).set_index("indicateur")
    q1, q234, prio = df.loc["Q1_HORS_QPV"], df.loc["Q234_EN_QPV"], df.loc["PRIORITAIRES"]
    assert (q1["realise"], q1["base"], q1["manque"]) == (2, 3, 0)
    assert (q234["realise"], q234["base"], q234["cible_pct"], q234["manque"]) == (2, 4, 60.0, 1)
    assert (prio["realise"], prio["base"]) == (2, 7)
    assert q1["quartile_inconnu"] == 1
    res = prioritaires_par_reservataire(empty_db, _p()).set_index("destinataire")
    assert res.loc["PREF-51", ["baux", "prioritaires", "cible_pct", "manque"]].tolist() == [
        1, 1, 100.0, 0]
    assert res.loc["AL", ["baux", "prioritaires", "manque"]].tolist() == [2, 0, 1]
    assert res.loc["BAILLEUR", ["baux", "prioritaires", "manque"]].tolist() == [3, 1, 0]
    assert res.loc["MUTATION", "cible_pct"] is None or res.loc["MUTATION", "cible_pct"] != \
        res.loc["MUTATION", "cible_pct"]
    traj = trajectoire(empty_db, _p()).set_index("mois")
    assert traj.loc[2, ["baux_hors_qpv", "q1_hors_qpv", "baux_qpv", "q234_qpv"]].tolist() == [
        1, 1, 1, 0]
    assert traj.loc[11, ["baux_hors_qpv", "q1_hors_qpv", "baux_qpv", "q234_qpv"]].tolist() == [
        3, 2, 4, 2]
    assert len(traj) == 11
    com = detail(empty_db, _p()).iloc[0]
    assert (com["baux"], com["baux_hors_qpv"], com["q1_hors_qpv"], com["prioritaires"]) == (
        7, 3, 2, 2)
    assert detail(empty_db, _p(), "residence")["residence_id"].tolist() == ["R1", "R2"] or \
        set(detail(empty_db, _p(), "residence")["residence_id"]) == {"R1", "R2"}


def test_sentence_matches_the_figures():
    row = {"indicateur": "Q1_HORS_QPV", "cible_pct": 25.0, "realise": 42, "base": 200,
           "pct": 21.0, "manque": 8, "restant": 60.2, "besoin_fin_annee": 23,
           "part_restante_pct": 100 * 23 / 60}
    text = phrase(row).replace("\u202f", " ")
    assert text.startswith("Il faut encore 8 attributions hors QPV au premier quartile ou à "
                           "des relogés RU/ORCOD pour atteindre 25 % (42 sur 200, soit 21,0 %)")
    assert "sur les ~60 baux hors QPV attendus d'ici la fin de l'année, 23 doivent aller" in text
    assert "soit 38 %" in text
    late = phrase({**row, "restant": 5, "besoin_fin_annee": 9, "part_restante_pct": 180.0}
                  ).replace("\u202f", " ")
    assert "ne peut plus être atteint" in late and "finirait à 23 %" in late
    done = phrase({**row, "realise": 60, "pct": 30.0, "manque": 0, "besoin_fin_annee": 0}
                  ).replace("\u202f", " ")
    assert done.startswith("Cible de 25 % atteinte (30 %, 60 sur 200 baux hors QPV)")


def test_year_end_need_counts_the_expected_leases(empty_db):
    # 200 leases, 42 Q1; the sentence's need for the year grows with the expected leases
    from fluxcore.objectifs import _reste
    assert _reste(25.0, 200, 42, 60) == (23, pytest.approx(38.333, abs=1e-3))
    assert _reste(25.0, 200, 42, 0) == (8, None)


def test_target_from_table_else_default(small_db):
    assert cible(small_db, "200067213", 2026, "Q1_HORS_QPV") == 25.0
    insert(small_db, "objectif", [{"epci_siren": "200067213", "annee": 2026,
                                   "indicateur": "Q1_HORS_QPV", "reservataire_id": None,
                                   "cible_pct": 30.0}])
    assert cible(small_db, "200067213", 2026, "Q1_HORS_QPV") == 30.0
    assert cible(small_db, "200067213", 2026, "PRIORITAIRES") == 25.0


def test_suivi_epci_on_small_year(small_db):
    insert(small_db, "seuil_quartile", [{"epci_siren": "200067213", "annee": 2026,
                                         "seuil_q1_uc": 13000.0}])
    s = suivi_epci(small_db, "200067213", 2026, date(2026, 11, 23))
    q1, q234 = s["Q1_HORS_QPV"], s["Q234_EN_QPV"]
    assert (q1.realise, q1.base, q1.cible_pct, q1.manque) == (1, 1, 25.0, 0)
    assert (q234.realise, q234.base, q234.cible_pct, q234.manque) == (0, 2, 50.0, 1)
    assert q1.retard == 0.0 and q234.retard == 1.0


def test_cli_objectifs(demo_path, tmp_path, capsys):
    import shutil

    from fluxcore.__main__ import main

    demo_path = shutil.copy(demo_path, tmp_path / "copie.duckdb")   # the session base is open
    assert main(["objectifs", "--db", str(demo_path), "--annee", "2026", "--epci", REIMS,
                 "--date", "2026-11-23", "--format", "json"]) == 0
    import json
    rows = json.loads(capsys.readouterr().out)
    assert [r["indicateur"] for r in rows] == ["Q1_HORS_QPV", "Q234_EN_QPV", "PRIORITAIRES"]
    assert all(r["epci_siren"] == REIMS for r in rows)
    assert main(["objectifs", "--db", str(demo_path), "--annee", "2026", "--epci", REIMS,
                 "--date", "2026-11-23"]) == 0
    assert "CU du Grand Reims" in capsys.readouterr().out


def test_expected_leases_use_the_assiette_rotation(empty_db):
    # an old dwelling freed once in 2025 counts; a first letting 9 days after service does not
    insert(empty_db, "residence", [residence("R2", "51454", REIMS, "51")])
    insert(empty_db, "logement", [logement("L0", "R2"), logement("L1", "R2", mes=D(2025, 3, 1))])
    insert(empty_db, "liberation", [liberation("B0", "L0", D(2025, 6, 1)),
                                    liberation("B1", "L1", D(2025, 3, 10))])
    q1 = suivi(empty_db, _p()).set_index("indicateur").loc["Q1_HORS_QPV"]
    # parc 2 × 1 libération / 3 parc-years (L1 entered in 2025) × 38 days left / 365
    assert q1["restant"] == pytest.approx(2 * 1 / 3 * 38 / 365, abs=1e-9)
