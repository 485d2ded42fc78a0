"""Demo generator invariants: integrity, legal limits, geography, determinism, proportions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fluxcore.check import has_errors, run_checks
from fluxcore.db import Database
from fluxcore.demo import generate_demo
from fluxcore.errors import FluxcoreError
from fluxcore.geo import commune_at, qpv_code_at
from tests.conftest import DEMO_DATE, DEMO_SEED

TABLES = ("residence", "logement", "reservataire", "convention", "reservation_stock",
          "liberation", "orientation", "attribution", "occupation", "objectif",
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
