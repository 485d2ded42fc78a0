"""The plain-pandas baselines of the benchmark (fluxcore.bench_pandas) give the figures of the
fluxcore calls they mirror: counts exactly, amounts within 1e-9, on the petit demo database, on
territorial perimeters, and on a variant with other settings and awkward data."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from fluxcore import bench_pandas as bp
from fluxcore import cotation, fragilite, objectifs, orientation, tableau_de_bord
from fluxcore.db import Database, load_sql
from fluxcore.demo import generate_demo
from fluxcore.jauges import jauges_reservataires
from fluxcore.parametres import get_parametres, set_parametre
from fluxcore.perimetre import Perimetre
from tests.conftest import DEMO_DATE, DEMO_SEED

EPCI = "200067213"  # Grand Reims, the largest EPCI of the demo
PERIMETRES = {
    "tout": Perimetre(2026, aujourdhui=DEMO_DATE),
    "departement": Perimetre(2026, departement="51", aujourdhui=DEMO_DATE),
    "epci": Perimetre(2026, epci_siren=EPCI, aujourdhui=DEMO_DATE),
    "annee_complete": Perimetre(2025, aujourdhui=DEMO_DATE),
}


def assert_same(ours: pd.DataFrame, theirs: pd.DataFrame, key: list[str],
                cols: list[str] | None = None) -> None:
    """Same rows and values (numbers within 1e-9, as floats; missing values alike)."""
    cols = cols or list(theirs.columns)
    assert theirs.shape[0] > 0, "nothing to compare"
    assert set(cols) <= set(ours.columns), set(cols) - set(ours.columns)
    a = ours.sort_values(key).reset_index(drop=True)[cols].copy()
    b = theirs.sort_values(key).reset_index(drop=True)[cols].copy()
    for c in cols:
        numeric = pd.api.types.is_numeric_dtype(a[c]) or pd.api.types.is_numeric_dtype(b[c])
        if numeric:
            a[c], b[c] = a[c].astype("float64"), b[c].astype("float64")
        elif not pd.api.types.is_datetime64_any_dtype(b[c]):
            a[c], b[c] = a[c].astype("str"), b[c].astype("str")
    pd.testing.assert_frame_equal(a, b, check_dtype=False, rtol=1e-9, atol=1e-9)


def etat_fluxcore(db: Database, liberation_id: str, aujourdhui: date) -> pd.DataFrame:
    """sql/orientation/etat.sql with the parameters of orientation.classer_destinations."""
    s = get_parametres(db)
    lg = orientation.fiche_logement(db, liberation_id)
    jour_lib = pd.Timestamp(lg["date_liberation"]).date()
    p = Perimetre(jour_lib.year, departement=lg["departement"],
                  aujourdhui=max(aujourdhui, jour_lib))
    return db.df(load_sql("orientation/etat"), {
        **p.params(), "nb": int(s["rotation_annees_historique"]),
        "premieres": bool(s["premieres_mises_en_location_dans_flux"]),
        "commune_l": lg["commune_insee"], "epci_l": lg["epci_siren"], "date_l": jour_lib,
        "typologie": lg["typologie"], "en_qpv": bool(lg["en_qpv"])}).drop(columns="droits")


def liberations_a_classer(db: Database) -> list[str]:
    """The benchmark's libération (oldest awaiting one), then one per département × QPV
    status × year among the flux dwellings vacated in 2025 and 2026."""
    first = tableau_de_bord.vacants_en_attente(db, PERIMETRES["tout"])["liberation_id"].iloc[0]
    others = db.df(
        "select min(b.liberation_id) as id from liberation b join logement l using"
        " (logement_id) join residence r using (residence_id) where l.hors_flux_motif is null"
        " and year(b.date_liberation) in (2025, 2026)"
        " group by r.departement, r.en_qpv, year(b.date_liberation) order by id")["id"]
    return [first, *others]


@pytest.fixture(scope="module")
def tables(demo_db):
    return bp.charger(demo_db)


@pytest.fixture(scope="module")
def variant(tmp_path_factory):
    """A petit demo with other settings (first lettings out of the flux, returned dwellings
    not delivered, 2 years of rotation) and awkward data: first lettings, re-orientations
    (later, and on the same day), a résidence without EPCI, criteria listed twice, demandes
    for a commune outside the referential, unknown quartiles, OPS aggregates per commune for
    résidences without survey."""
    path = tmp_path_factory.mktemp("variante") / "petit.duckdb"
    generate_demo(path, "petit", DEMO_SEED, DEMO_DATE)
    db = Database(path)
    for cle, valeur in (("premieres_mises_en_location_dans_flux", False),
                        ("rendu_bailleur_compte_livre", False),
                        ("rotation_annees_historique", 2)):
        set_parametre(db, cle, valeur, "test")
    with db.transaction() as cur:
        cur.execute("update liberation set motif = 'PREMIERE_LOCATION'"
                    " where liberation_id like '%3'")
        cur.execute("update logement set date_mise_en_service = (select min(b.date_liberation)"
                    " - interval 20 day from liberation b where b.logement_id ="
                    " logement.logement_id) where logement_id in (select logement_id from"
                    " liberation where liberation_id like '%7' and year(date_liberation) >= 2025)")
        for prefix, dest, shift, where in (("X", "BAILLEUR", 3, "'%1'"), ("Y", "MUTATION", 0,
                                                                            "'%5'")):
            cur.execute(
                "insert into orientation (orientation_id, liberation_id, destinataire,"
                " date_orientation, statut, decided_by, justification)"
                f" select '{prefix}' || orientation_id, liberation_id,"
                f" '{dest}', date_orientation + {shift}, 'ORIENTE', 'test', null"
                f" from orientation where orientation_id like {where}")
        cur.execute("update residence set epci_siren = null"
                    " where residence_id = (select max(residence_id) from residence)")
        cur.execute("update demande set criteres = list_concat(criteres, criteres)"
                    " where demande_id like '%2'")
        cur.execute("update demande set commune_souhaitee = '99999' where demande_id like '%9'")
        cur.execute("update attribution set quartile = null where attribution_id like '%4'")
        # OPS aggregates per commune where some résidences have no survey of their own:
        # QPV / hors QPV / whole commune, two waves and one after the date, recent movers,
        # hors QPV missing in a third of the communes
        cur.execute("delete from occupation where residence_id like '%3' or residence_id"
                    " like '%6'")
        cur.execute(
            "insert into occupation_territoire (commune_insee, secteur, annee, population,"
            " nb_menages, part_ressources_faibles, part_sans_emploi)"
            " select c, s, y, p, 100, 10 + hash(c || s || y || p) % 50, 5 + hash(c || y) % 30"
            " from (select distinct commune_insee as c from residence) cs,"
            " (values ('QPV'), ('HORS_QPV'), ('ENSEMBLE')) ss(s),"
            " (values (2022), (2024), (2028)) ys(y),"
            " (values ('ENSEMBLE'), ('EMMENAGES_RECENTS')) ps(p)"
            " where not (s = 'HORS_QPV' and hash(c) % 3 = 0)")
    yield db
    db.close()


def test_baselines_are_listed():
    assert set(bp.BASELINES) == {"chiffres_cles", "jauges", "fragilite_indicateurs", "scores",
                                 "suivi_cil", "etat_orientation"}


@pytest.mark.parametrize("nom", list(PERIMETRES))
def test_chiffres_cles(demo_db, tables, nom):
    p = PERIMETRES[nom]
    theirs = tableau_de_bord.chiffres_cles(demo_db, p)
    assert theirs["liberations"] > 0 and theirs["orientations"] > 0
    assert bp.BASELINES["chiffres_cles"](tables, p) == theirs


@pytest.mark.parametrize("nom", [*PERIMETRES, "commune"])
def test_jauges(demo_db, tables, nom):
    p = PERIMETRES.get(nom) or Perimetre(2026, commune_insee="51454", aujourdhui=DEMO_DATE)
    theirs = jauges_reservataires(demo_db, p)
    assert theirs["orientes"].sum() > 0
    assert_same(bp.BASELINES["jauges"](tables, p), theirs, ["reservataire_id"])


@pytest.mark.parametrize("scope", [{}, {"departement": "51"}, {"epci": EPCI}])
def test_fragilite_indicateurs(demo_db, tables, scope):
    theirs = fragilite.indicateurs(demo_db, DEMO_DATE, **scope)
    assert theirs["entrees_24m"].sum() > 0 and theirs["vacants"].sum() > 0
    ours = bp.BASELINES["fragilite_indicateurs"](tables, DEMO_DATE, **scope)
    assert_same(ours, theirs, ["residence_id"])


SCORES = ["demande_id", "date_depot", "commune_souhaitee", "epci_siren", "nb_refus", "version",
          "anciennete_mois", "points_criteres", "points_anciennete", "points_refus", "score",
          "rang_epci"]


@pytest.mark.parametrize(("jour", "epci"), [(DEMO_DATE, None), (date(2026, 2, 28), None),
                                            (date(2026, 3, 30), EPCI)])
def test_scores(demo_db, tables, jour, epci):
    """Also on a month end, where DuckDB counts a month as complete from the 28th to the
    28th (or later): the seniority points follow."""
    theirs = cotation.scores(demo_db, jour, epci)
    assert theirs["score"].notna().sum() > 0
    assert_same(bp.BASELINES["scores"](tables, jour, epci), theirs, ["demande_id"], SCORES)


@pytest.mark.parametrize("nom", list(PERIMETRES))
def test_suivi_cil(demo_db, tables, nom):
    p = PERIMETRES[nom]
    theirs = objectifs.suivi(demo_db, p)
    assert theirs["realise"].sum() > 0
    assert (theirs["restant"].sum() > 0) != p.annee_complete  # nothing expected after the year
    assert_same(bp.BASELINES["suivi_cil"](tables, p), theirs, ["epci_siren", "indicateur"])


def test_suivi_cil_without_forecast(demo_db, tables):
    p = PERIMETRES["tout"]
    assert_same(bp.suivi_cil(tables, p, prevision=False), objectifs.suivi(demo_db, p, False),
                ["epci_siren", "indicateur"])


def test_etat_orientation(demo_db, tables):
    libs = liberations_a_classer(demo_db)
    assert len(libs) >= 8
    for lib in libs:
        theirs = etat_fluxcore(demo_db, lib, DEMO_DATE)
        assert theirs["entres"].max() > 0
        ours = bp.BASELINES["etat_orientation"](tables, lib, DEMO_DATE)
        assert_same(ours, theirs, ["destinataire", "perimetre"])


def test_etat_orientation_refuses_unknown_liberation(tables):
    with pytest.raises(ValueError, match="inconnue"):
        bp.etat_orientation(tables, "LIB-INEXISTANTE", DEMO_DATE)


def test_every_baseline_on_the_variant(variant):
    t = bp.charger(variant)
    assert t["orientation"]["orientation_id"].str.startswith("Y").any()
    for p in PERIMETRES.values():
        assert bp.chiffres_cles(t, p) == tableau_de_bord.chiffres_cles(variant, p)
        assert_same(bp.jauges(t, p), jauges_reservataires(variant, p), ["reservataire_id"])
        assert_same(bp.suivi_cil(t, p), objectifs.suivi(variant, p),
                    ["epci_siren", "indicateur"])
    frag = fragilite.indicateurs(variant, DEMO_DATE)
    assert {"résidence", "commune × QPV", "commune"} <= set(frag["niveau_enquete"])
    assert_same(bp.fragilite_indicateurs(t, DEMO_DATE), frag, ["residence_id"])
    scores = cotation.scores(variant, DEMO_DATE)
    assert scores["epci_siren"].isna().any()
    assert_same(bp.scores(t, DEMO_DATE), scores, ["demande_id"], SCORES)
    for lib in liberations_a_classer(variant):
        assert_same(bp.etat_orientation(t, lib, DEMO_DATE), etat_fluxcore(
            variant, lib, DEMO_DATE), ["destinataire", "perimetre"])


def test_the_comparison_sees_a_difference(demo_db, tables):
    """The helper is not trivially true: a tiny change of an amount or a count is seen."""
    p = PERIMETRES["departement"]
    theirs = jauges_reservataires(demo_db, p)
    ours = bp.jauges(tables, p)
    assert_same(ours, theirs, ["reservataire_id"])
    for col, delta in (("du", 1e-6), ("orientes", 1)):
        changed = ours.copy()
        changed.loc[changed.index[0], col] += delta
        with pytest.raises(AssertionError):
            assert_same(changed, theirs, ["reservataire_id"])
    with pytest.raises(AssertionError):
        assert_same(ours.iloc[1:], theirs, ["reservataire_id"])
