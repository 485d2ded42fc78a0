"""Demo generator invariants: integrity, legal limits, geography, determinism, proportions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fluxcore import suivi
from fluxcore.avis import preparer_avis
from fluxcore.check import has_errors, run_checks
from fluxcore.db import Database, load_sql
from fluxcore.demo import generate_demo
from fluxcore.errors import FluxcoreError
from fluxcore.geo import commune_at, qpv_code_at
from tests.conftest import DEMO_DATE, DEMO_SEED

TABLES = ("residence", "logement", "reservataire", "convention", "reservation_stock",
          "liberation", "orientation", "candidature", "attribution", "occupation", "objectif",
          "seuil_quartile", "demande", "grille_cotation")


def _table(db: Database, name: str) -> pd.DataFrame:
    df = db.df(f"select * from {name}")
    return df.sort_values(list(df.columns[:3]), ignore_index=True).astype(str)


def test_tier_sizes(demo_db):
    assert demo_db.scalar("select count(*) from logement") == 3000
    assert demo_db.scalar("select count(*) from demande") == 2000
    per_year = demo_db.scalar(
        "select count(*) / 3 from liberation where year(date_liberation) between 2023 and 2025")
    assert 240 <= per_year <= 360  # ~300 libérations a year at tier petit


def test_integrity_report_is_clean(demo_db):
    report = run_checks(demo_db)
    assert not has_errors(report), report[report["nombre"] > 0]


def test_same_seed_gives_identical_tables(demo_db, tmp_path):
    other = tmp_path / "bis.duckdb"
    generate_demo(other, "petit", DEMO_SEED, DEMO_DATE)
    db2 = Database(other)
    for name in TABLES:
        pd.testing.assert_frame_equal(_table(demo_db, name), _table(db2, name), obj=name)
    db2.close()
    third = tmp_path / "ter.duckdb"
    generate_demo(third, "petit", DEMO_SEED + 1, DEMO_DATE)
    db3 = Database(third)
    assert not _table(demo_db, "logement").equals(_table(db3, "logement"))
    db3.close()


def test_existing_file_needs_force(demo_path):
    with pytest.raises(FluxcoreError, match="--force"):
        generate_demo(demo_path, "petit", 1, DEMO_DATE)


def test_residences_lie_in_real_communes_and_agree_with_qpv_outlines(demo_db):
    res = demo_db.df("select r.*, c.departement as dep_ref, c.epci_siren as epci_ref "
                     "from residence r left join ref_commune c on c.code_insee = r.commune_insee")
    assert res["dep_ref"].notna().all()
    assert set(res["departement"]) <= {"08", "10", "51", "52"}
    assert (res["dep_ref"] == res["departement"]).all()
    assert (res["epci_ref"] == res["epci_siren"]).all()
    lon, lat = res["longitude"].to_numpy(), res["latitude"].to_numpy()
    assert (commune_at(lon, lat) == res["commune_insee"].to_numpy()).all()
    found = pd.Series(qpv_code_at(lon, lat)).fillna("").to_numpy()
    assert (found == res["qpv_code"].fillna("").to_numpy()).all()
    assert (res["en_qpv"] == res["qpv_code"].notna()).all()
    assert 0.05 < res["en_qpv"].mean() < 0.6


def test_conventions_respect_legal_limits(demo_db):
    by_commune = demo_db.df("""
        with c as (select distinct commune_insee, epci_siren, departement from residence)
        select c.commune_insee,
               sum(v.taux_flux) as total,
               sum(v.taux_flux) filter (where r.type in ('PREFET', 'PREFET_FONCTIONNAIRES'))
                   as prefet,
               sum(v.taux_flux) filter (where r.type = 'PREFET_FONCTIONNAIRES') as agents,
               sum(v.taux_flux) filter (where v.garantie_emprunt) as garantie
        from c join convention v on v.departement = c.departement
             and (v.perimetre is null or v.perimetre in (c.commune_insee, c.epci_siren))
        join reservataire r using (reservataire_id)
        group by 1""")
    assert (by_commune["total"] <= 100).all()
    assert (by_commune["prefet"] <= 30).all()
    assert (by_commune["agents"] <= 5).all()
    assert (by_commune["garantie"].fillna(0) <= 20).all()
    types = set(demo_db.df("select type from reservataire")["type"])
    assert {"PREFET", "PREFET_FONCTIONNAIRES", "ACTION_LOGEMENT", "COMMUNE", "EPCI",
            "DEPARTEMENT"} <= types
    one_per_dep = demo_db.scalar("select max(n) from (select count(*) n from convention "
                                 "group by reservataire_id, departement)")
    assert one_per_dep == 1


def test_rotation_between_6_and_12_percent(demo_db):
    rot = demo_db.df("""
        select r.residence_id, count(distinct l.logement_id) as parc,
               count(b.liberation_id) filter (where year(b.date_liberation) between 2023 and 2025
                   and b.motif <> 'PREMIERE_LOCATION') / 3 as libs
        from residence r join logement l using (residence_id)
        left join liberation b using (logement_id)
        where l.date_mise_en_service < date '2023-01-01'
        group by 1""")
    overall = rot["libs"].sum() / rot["parc"].sum() * 100
    assert 6 <= overall <= 12
    occ = demo_db.df("select taux_rotation from occupation")["taux_rotation"]
    assert occ.between(4, 14).all()


def test_flux_history_is_believable(demo_db):
    statuts = set(demo_db.df("select distinct statut from orientation "
                             "where year(date_orientation) = 2026")["statut"])
    assert {"ATTRIBUE", "RENDU_BAILLEUR", "CALEOL"} <= statuts
    dest = set(demo_db.df("select distinct destinataire from orientation")["destinataire"])
    assert {"MUTATION", "RU", "BAILLEUR"} <= dest
    waiting = demo_db.scalar(
        "select count(*) from liberation b where b.date_liberation <= date '2026-11-23' and "
        "not exists (select 1 from orientation o where o.liberation_id = b.liberation_id)")
    assert 1 <= waiting <= 40
    a = demo_db.df("""select a.*, r.type from attribution a join orientation o
                      using (orientation_id) left join reservataire r
                      on r.reservataire_id = o.destinataire""")
    assert a.loc[a["type"] == "PREFET", "prioritaire"].mean() > 0.9
    assert not (a["dalo"] & ~a["prioritaire"]).any()
    assert 0.15 < a["prioritaire"].mean() < 0.6
    assert a.loc[a["type"] == "ACTION_LOGEMENT", "salarie"].mean() > 0.9
    assert 0.02 < a["quartile"].isna().mean() < 0.15
    assert a["menage_id"].str.fullmatch(r"MEN\d{9}").all()


def test_quartile_agrees_with_threshold(demo_db):
    a = demo_db.df("""
        select a.quartile, a.ressources_uc, s.seuil_q1_uc
        from attribution a join logement l using (logement_id)
        join residence r using (residence_id)
        join seuil_quartile s on s.epci_siren = r.epci_siren
             and s.annee = year(a.date_caleol)
        where a.quartile is not null""")
    assert ((a["quartile"] == 1) == (a["ressources_uc"] < a["seuil_q1_uc"])).all()


def test_households_side(demo_db):
    occ = demo_db.df("select annee, count(*) n from occupation group by 1 order by 1")
    n_res = demo_db.scalar("select count(*) from residence")
    assert occ["annee"].tolist() == [2022, 2024] and (occ["n"] == n_res).all()
    fragile = demo_db.scalar("select count(*) from occupation where annee = 2024 "
                             "and part_ressources_faibles > 55 and part_sans_emploi > 35")
    assert fragile >= 1
    epcis = demo_db.df("select distinct epci_siren from objectif")["epci_siren"]
    grids = set(demo_db.df("select distinct epci_siren from grille_cotation")["epci_siren"])
    assert set(epcis) == grids
    assert demo_db.scalar("select count(*) from objectif where indicateur = 'Q1_HORS_QPV' "
                          "and annee = 2026") == len(epcis)
    crit = demo_db.df("select unnest(criteres) c from demande")["c"]
    assert crit.str.fullmatch(r"[A-Z_]+").all() and crit.nunique() >= 10
    d = demo_db.df("select statut, date_depot, date_radiation from demande")
    assert (d["statut"] == "ACTIVE").mean() > 0.7
    done = d[d["statut"] != "ACTIVE"]
    assert (done["date_radiation"] >= done["date_depot"]).all()


def test_demo_is_audited(demo_db):
    row = demo_db.one("select actor, action, details from audit_log "
                      "where action = 'demo.generate'")
    assert row[0] == "demo" and '"echelle": "petit"' in row[2]


def test_typologies_and_financing_are_typical(demo_db):
    typ = demo_db.df("select typologie, count(*) n from logement group by 1").set_index(
        "typologie")["n"] / 3000
    assert 0.5 < typ[["T3", "T4"]].sum() < 0.75
    fin = demo_db.df("select financement, count(*) n from logement group by 1").set_index(
        "financement")["n"] / 3000
    assert fin["PLUS"] > 0.6
    rent = demo_db.scalar("select avg(loyer_mensuel / surface_m2) from logement")
    assert 4.5 < rent < 7.5
    assert np.isclose(demo_db.scalar("select count(*) from logement where hors_flux_motif "
                                     "is not null") / 3000, 0.004, atol=0.004)


def test_reservataires_have_fictitious_addresses(demo_db):
    r = demo_db.df("select reservataire_id, type, email from reservataire")
    assert r["email"].str.fullmatch(r"[a-z0-9.-]+@[a-z0-9-]+\.example").all()  # RFC 2606
    assert r["email"].is_unique
    email = dict(zip(r["reservataire_id"], r["email"]))
    assert email["PREF-51"] == "contingent-prioritaire@prefecture-51.example"
    assert email["AL"] == "attributions@action-logement.example"
    assert email["COM-51454"] == "logement@ville-reims.example"
    avis = preparer_avis(demo_db, demo_db.scalar(
        "select min(orientation_id) from orientation where destinataire = 'PREF-51'"))
    assert avis.destinataire == email["PREF-51"]


def test_orientations_carry_their_deadline(demo_db):
    o = demo_db.df(f"""
        with orientation_vue as (select * from orientation), {load_sql("suivi/delais")}
        select d.date_limite_calculee, o.date_limite, o.modifie_le, o.date_orientation,
               d.reservataire
        from delai d join orientation o using (orientation_id)""")
    assert (o["date_limite"].notna() == o["reservataire"]).all()   # internal uses have none
    assert o["reservataire"].mean() > 0.3
    both = o["date_limite"].notna()
    assert (o.loc[both, "date_limite"] == o.loc[both, "date_limite_calculee"]).all()
    # as after an import (modifie_le is no column of the files: fluxcore.imports.spec.MANAGED)
    assert o["modifie_le"].isna().all()


def test_candidatures_follow_the_statut_of_their_orientation(demo_db):
    c = demo_db.df("""
        select c.*, o.statut as statut_orientation, o.date_orientation, o.date_limite,
               a.date_caleol, d.statut as statut_demande, d.date_depot,
               d.date_radiation, d.typologie_souhaitee, l.typologie
        from candidature c join orientation o using (orientation_id)
        join liberation b using (liberation_id) join logement l using (logement_id)
        left join attribution a using (orientation_id)
        left join demande d using (demande_id)""")
    par = c.groupby(["statut_orientation", "statut"]).size()
    assert set(par["CANDIDATS_PROPOSES"].index) <= {"PROPOSE", "RETIRE"}
    assert set(par["CALEOL"].index) <= {"PROPOSE", "AJOURNE", "RETIRE"}
    assert set(par["ATTRIBUE"].index) == {"REFUSE_CALEOL", "RETIRE", "REFUS_MENAGE"}
    assert set(par["RENDU_BAILLEUR"].index) == {"RETIRE"}
    assert "ORIENTE" not in par
    # every candidate is a demande of the demo (the importer checks it): the households of the
    # demo's attributions (MEN…) are none, so no candidate is RETENU; once per dwelling;
    # those in play are ACTIVE and on one dwelling only
    assert c["statut_demande"].notna().all()
    assert not c.duplicated(["orientation_id", "demande_id"]).any()
    assert (c["date_depot"] <= c["date_proposition"]).all()
    assert not (c["date_radiation"] <= c["date_proposition"]).any()
    assert (c["typologie_souhaitee"] == c["typologie"]).mean() > 0.8
    en_jeu = c[c["statut_orientation"].isin(["CANDIDATS_PROPOSES", "CALEOL"])
               & c["statut"].isin(["PROPOSE", "AJOURNE"])]
    assert (en_jeu["statut_demande"] == "ACTIVE").all()
    assert en_jeu["demande_id"].is_unique
    assert c[c["statut"].isin(["PROPOSE", "AJOURNE", "RETENU"])].groupby(
        "orientation_id").size().max() <= 3                  # setting nb_candidats_max
    # dates: proposed within the deadline, decided after, never after the CALEOL
    assert (c["date_proposition"] >= c["date_orientation"]).all()
    assert not (c["date_proposition"] > c["date_limite"]).any()
    assert (c["date_proposition"] <= pd.Timestamp(DEMO_DATE)).all()
    assert (c["date_decision"].isna() == (c["statut"] == "PROPOSE")).all()
    assert not (c["date_decision"] < c["date_proposition"]).any()
    assert not (c["date_decision"] > c["date_caleol"]).any()
    assert c.loc[c["statut"].isin(["REFUSE_CALEOL", "REFUS_MENAGE", "RETIRE"]), "motif"
                 ].notna().all()
    assert (c["propose_par"] == "demo").all() and (c["origine"] == "BAILLEUR").all()
    assert c["modifie_le"].isna().all()
    rangs = c.groupby("orientation_id")["rang"].agg(["max", "size"])
    assert (rangs["max"] == rangs["size"]).all()


def test_dwellings_in_progress_have_candidates_and_actions(demo_db):
    libs = demo_db.df("select liberation_id, statut from orientation "
                      "where statut in ('CANDIDATS_PROPOSES', 'CALEOL')")
    assert len(libs) >= 10
    for lib, statut in libs.itertuples(index=False):
        dos = suivi.dossier(demo_db, lib, DEMO_DATE)
        assert len(dos["candidatures"]), lib
        assert dos["orientation"]["nb_candidats"] >= 1
        if statut == "CANDIDATS_PROPOSES":
            assert {"RETIRER", "CALEOL"} <= set(dos["actions"]), (lib, dos["actions"])
        else:   # the CALEOL met: its attribution awaits the lease
            assert dos["actions"] == ["REFUS_MENAGE", "SIGNER_BAIL"], (lib, dos["actions"])


def test_a_household_that_is_a_demande_is_the_candidate_retained():
    """The demo's households (MEN…) are no demandes; were one a demande, it would be the
    candidate RETENU (ATTRIBUE) or among those proposed (CALEOL), and never in play again."""
    from fluxcore.demo.candidatures import _candidatures

    d = pd.DataFrame({"demande_id": [f"D{i:02d}" for i in range(30)],
                      "date_depot": pd.Timestamp("2025-01-01"), "typologie_souhaitee": "T3",
                      "statut": "ACTIVE", "date_radiation": pd.NaT, "nb_refus": 1,
                      "departement": "51"})
    o = pd.DataFrame({
        "orientation_id": ["O1", "O2", "O3"],
        "statut": ["ATTRIBUE", "CALEOL", "CANDIDATS_PROPOSES"],
        "date_orientation": pd.to_datetime(["2026-03-01", "2026-10-01", "2026-11-01"]),
        "date_limite": pd.to_datetime(["2026-03-31", "2026-10-31", "2026-12-01"]),
        "nb_candidats_max": 3, "typologie": "T3", "departement": "51",
        "menage_id": ["D05", "D07", None],
        "date_caleol": pd.to_datetime(["2026-04-10", "2026-11-10", None])})
    today = int(np.datetime64(DEMO_DATE, "D").astype("int64"))
    for seed in range(20):
        c = _candidatures(o, d, np.random.default_rng(seed), today, 30).set_index(
            ["orientation_id", "demande_id"])["statut"]
        assert c[("O1", "D05")] == "RETENU" and (c.loc["O1"] == "RETENU").sum() == 1
        assert c[("O2", "D07")] == "PROPOSE"
        assert c.loc["O3"].get("D05") in (None, "RETIRE") and c.index.is_unique
