"""CIL objectives: docs/regles.md#exemples 8–10, a hand-built year with a known result for every
indicator, leases without a signature excluded, the "what remains" sentence."""

from __future__ import annotations

from datetime import date

import pandas as pd
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
    assert (prio["realise"], prio["base"]) == (2, 6)     # the internal mutation is in no base
    assert q1["quartile_inconnu"] == 1
    res = prioritaires_par_reservataire(empty_db, _p()).set_index("destinataire")
    assert res.loc["PREF-51", ["baux", "prioritaires", "cible_pct", "manque"]].tolist() == [
        1, 1, 100.0, 0]
    assert res.loc["AL", ["baux", "prioritaires", "manque"]].tolist() == [2, 0, 1]
    assert res.loc["BAILLEUR", ["baux", "prioritaires", "manque"]].tolist() == [3, 1, 0]
    assert res.loc["MUTATION", ["baux", "prioritaires", "mutations"]].tolist() == [0, 0, 1]
    assert pd.isna(res.loc["MUTATION", "cible_pct"]) and pd.isna(res.loc["MUTATION", "manque"])
    traj = trajectoire(empty_db, _p()).set_index("mois")
    assert traj.loc[2, ["baux_hors_qpv", "q1_hors_qpv", "baux_qpv", "q234_qpv"]].tolist() == [
        1, 1, 1, 0]
    assert traj.loc[11, ["baux_hors_qpv", "q1_hors_qpv", "baux_qpv", "q234_qpv"]].tolist() == [
        3, 2, 4, 2]
    assert len(traj) == 11
    com = detail(empty_db, _p()).iloc[0]
    assert (com["baux"], com["baux_hors_qpv"], com["q1_hors_qpv"], com["baux_prioritaires"],
            com["prioritaires"]) == (7, 3, 2, 6, 2)
    assert com["pct_prioritaires"] == pytest.approx(100 * 2 / 6)
    assert detail(empty_db, _p(), "residence")["residence_id"].tolist() == ["R1", "R2"] or \
        set(detail(empty_db, _p(), "residence")["residence_id"]) == {"R1", "R2"}


def test_sentence_matches_the_figures():
    row = {"indicateur": "Q1_HORS_QPV", "cible_pct": 25.0, "realise": 42, "base": 200,
           "pct": 21.0, "manque": 8, "restant": 60.2, "besoin_fin_annee": 23,
           "part_restante_pct": 100 * 23 / 60}
    text = phrase(row).replace("\u202f", " ")
    assert text.startswith("Il faut encore 8 attributions hors QPV au premier quartile ou à "
                           "des relogés RU/ORCOD pour atteindre 25 % (42 sur 200, soit 21 %)")
    assert "sur les ~60 baux hors QPV attendus d'ici la fin de l'année, 23 doivent aller" in text
    assert "soit 38,3 %, pour finir l'année à 25 % ou plus." in text
    late = phrase({**row, "restant": 5, "besoin_fin_annee": 9, "part_restante_pct": 180.0}
                  ).replace("\u202f", " ")
    # 47 / 205 = 22,93 %: cut, never rounded up towards the target (was « 23 % »)
    assert "ne peut plus être atteint" in late and "finirait à 22,9 %." in late
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
    # the history is the setting rotation_annees_historique (was three years hard-coded):
    # over one year, L0 alone was in service all 2025: 2 × 1 / 1 parc-year
    from fluxcore.parametres import set_parametre
    set_parametre(empty_db, "rotation_annees_historique", 1, "test")
    q1 = suivi(empty_db, _p()).set_index("indicateur").loc["Q1_HORS_QPV"]
    assert q1["restant"] == pytest.approx(2 * 1 / 1 * 38 / 365, abs=1e-9)


CHALONS, TROYES = "200066876", "200069250"


def _conventions_case(db) -> None:
    """Action Logement in the Marne: 8 leases in Reims (1 prioritaire) and 4 in Châlons
    (3 prioritaires), plus an internal mutation on its contingent; in the Aube one lease (not
    prioritaire). The bailleur in Reims: 3 leases, one dwelling AL gave back then let by the
    bailleur to a prioritaire household, one internal mutation; one dwelling oriented
    MUTATION. Every lease signed in 2026."""
    insert(db, "residence", [residence("R2", "51454", REIMS, "51"),
                             residence("RC", "51108", CHALONS, "51"),
                             residence("RT", "10387", TROYES, "10")])
    insert(db, "reservataire", [
        {"reservataire_id": "AL", "nom": "Action Logement Services", "type": "ACTION_LOGEMENT",
         "territoire": None, "repris_par_prefet": False}])
    leases = ([("R2", "AL", "ATTRIBUE", {"prioritaire": True})]
              + [("R2", "AL", "ATTRIBUE", {})] * 7
              + [("RC", "AL", "ATTRIBUE", {"dalo": True})]
              + [("RC", "AL", "ATTRIBUE", {"prioritaire": True})] * 2
              + [("RC", "AL", "ATTRIBUE", {})]
              + [("R2", "AL", "ATTRIBUE", {"mutation": True})]
              + [("RT", "AL", "ATTRIBUE", {})]
              + [("R2", "BAILLEUR", "ATTRIBUE", {})] * 3
              + [("R2", "AL", "RENDU_BAILLEUR", {"prioritaire": True})]
              + [("R2", "BAILLEUR", "ATTRIBUE", {"mutation": True, "prioritaire": True})]
              + [("R2", "MUTATION", "ATTRIBUE", {"prioritaire": True})])
    rows = {"logement": [], "liberation": [], "orientation": [], "attribution": []}
    for i, (res, dest, statut, kw) in enumerate(leases):
        n = f"{i:03d}"
        rows["logement"].append(logement(f"L{n}", res))
        rows["liberation"].append(liberation(f"B{n}", f"L{n}", D(2026, 1, 5)))
        rows["orientation"].append(orientation(f"O{n}", f"B{n}", dest, D(2026, 1, 6), statut))
        rows["attribution"].append(attribution(f"A{n}", f"O{n}", f"L{n}", D(2026, 2, 1),
                                               D(2026, 3, 1), **kw))
    for table, r in rows.items():
        insert(db, table, r)


def _row(df, **keys):
    sel = df
    for k, v in keys.items():
        sel = sel[sel[k].isna()] if v is None else sel[sel[k] == v]
    assert len(sel) == 1, (keys, df)
    return sel.iloc[0]


def test_prioritaires_judged_over_the_convention_not_the_epci(empty_db):
    _conventions_case(empty_db)
    verdict = prioritaires_par_reservataire(empty_db, _p())     # the Reims page
    # the whole Marne: 8 + 4 leases, 1 + 3 prioritaires = 33,3 % ≥ 25 %: nothing missing,
    # though Reims alone is at 1 / 8 = 12,5 %; the AL household's internal mutation is apart
    al = _row(verdict, departement="51", destinataire="AL")
    assert (al["baux"], al["prioritaires"], al["cible_pct"], al["manque"], al["mutations"]) \
        == (12, 4, 25.0, 0, 1)
    assert al["pct"] == pytest.approx(100 * 4 / 12)
    # the bailleur: 3 leases + the dwelling AL gave back (L441-1: « l'attribution à un
    # candidat présenté par le réservataire a échoué ») = 4, 1 prioritaire = 25 %; its
    # tenant's internal mutation (prioritaire) counts in neither figure
    bailleur = _row(verdict, departement="51", destinataire="BAILLEUR")
    assert (bailleur["baux"], bailleur["prioritaires"], bailleur["cible_pct"],
            bailleur["manque"], bailleur["mutations"]) == (4, 1, 25.0, 0, 1)
    assert bailleur["nom"] == "Bailleur (non réservé)"
    mutation = _row(verdict, departement="51", destinataire="MUTATION")
    assert (mutation["baux"], mutation["prioritaires"], mutation["mutations"]) == (0, 0, 1)
    assert pd.isna(mutation["cible_pct"]) and mutation["nom"] == "Mutations internes"
    assert set(verdict["departement"]) == {"51"}       # a Reims scope: its département only
    # the Aube convention is another verdict: 1 lease, 0 prioritaire → 1 missing
    every = prioritaires_par_reservataire(empty_db, Perimetre(2026, aujourdhui=ARRET))
    aube = _row(every, departement="10", destinataire="AL")
    assert (aube["baux"], aube["prioritaires"], aube["manque"]) == (1, 0, 1)
    assert _row(every, departement="51", destinataire="AL")["baux"] == 12


def test_prioritaires_per_epci_are_information_unless_the_cia_commits(empty_db):
    from fluxcore.objectifs import prioritaires_par_epci

    _conventions_case(empty_db)
    info = prioritaires_par_epci(empty_db, _p())
    assert set(info["epci_siren"]) == {REIMS}
    al = _row(info, destinataire="AL")
    assert (al["baux"], al["prioritaires"], al["pct"], al["mutations"]) == (8, 1, 12.5, 1)
    assert pd.isna(al["cible_pct"]) and pd.isna(al["manque"])      # no verdict in one EPCI
    assert _row(info, destinataire="BAILLEUR")[["baux", "prioritaires"]].tolist() == [4, 1]
    # a CIA commitment of 30 % for AL in Reims: ⌈0,3 × 8⌉ − 1 = 2 still needed there
    insert(empty_db, "objectif", [{"epci_siren": REIMS, "annee": 2026,
                                   "indicateur": "PRIORITAIRES", "reservataire_id": "AL",
                                   "cible_pct": 30.0}])
    al = _row(prioritaires_par_epci(empty_db, _p()), destinataire="AL")
    assert (al["cible_pct"], al["manque"]) == (30.0, 2)
    # the convention's verdict keeps the legal 25 % over the département
    assert _row(prioritaires_par_reservataire(empty_db, _p()), destinataire="AL")[
        "cible_pct"] == 25.0
    chalons = prioritaires_par_epci(empty_db, Perimetre(2026, epci_siren=CHALONS,
                                                        aujourdhui=ARRET))
    assert _row(chalons, destinataire="AL")[["baux", "prioritaires"]].tolist() == [4, 3]


def test_epci_prioritaires_indicator_leaves_mutations_out(empty_db):
    _conventions_case(empty_db)
    prio = suivi(empty_db, _p(), prevision=False).set_index("indicateur").loc["PRIORITAIRES"]
    # Reims: 15 leases, 3 of them internal mutations; 2 prioritaires among the 12 others
    # (AL's and the given-back dwelling's), the two prioritaire mutations are not counted
    assert (prio["realise"], prio["base"], prio["manque"]) == (2, 12, 1)
    text = phrase(prio.to_dict() | {"indicateur": "PRIORITAIRES"}).replace("\u202f", " ")
    assert text.startswith("Il faut encore 1 attribution hors mutations internes à des "
                           "publics prioritaires pour atteindre 25 % (2 sur 12, soit 16,7 %)")


def test_half_percent_targets_in_the_sentence():
    row = {"indicateur": "Q1_HORS_QPV", "cible_pct": 22.5, "realise": 31, "base": 125,
           "pct": 24.8, "manque": 0, "restant": 0, "besoin_fin_annee": 0,
           "part_restante_pct": None}
    assert phrase(row).replace("\u202f", " ").startswith(
        "Cible de 22,5 % atteinte (24,8 %, 31 sur 125 baux hors QPV)")
    late = {**row, "cible_pct": 25.0, "realise": 31, "pct": 24.8, "manque": 1}
    assert phrase(late).replace("\u202f", " ").startswith(
        "Il faut encore 1 attribution hors QPV au premier quartile ou à des relogés RU/ORCOD "
        "pour atteindre 25 % (31 sur 125, soit 24,8 %)")
