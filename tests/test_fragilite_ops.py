"""The OPS survey as a landlord receives it (aggregates per commune, QPV and hors QPV apart,
recent movers apart): imported with its French labels, and used by the fragility index where a
résidence has no survey of its own, with the level said."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from fluxcore.enquete_ops import compter_niveaux, libelle_enquete, recents, resume_niveaux
from fluxcore.fragilite import fiche, fragilite, indicateurs
from fluxcore.imports import import_paths
from tests.factory import insert, logement, residence

ARRET = date(2026, 11, 23)
REIMS, GRAND_REIMS = "51454", "200067213"


def ops(commune, secteur, annee, part, population="ENSEMBLE", **kw):
    return {"commune_insee": commune, "secteur": secteur, "annee": annee,
            "population": population, "nb_menages": kw.get("n", 1000),
            "part_ressources_faibles": part, "part_sans_emploi": kw.get("sans_emploi")}


@pytest.fixture
def reims(empty_db):
    """Two résidences in Reims without survey of their own, one in QPV (Croix-Rouge), one
    hors QPV; the commune's OPS: QPV 40 %, hors QPV 20 % (17 % two years before), whole
    commune 28 %, and a 2028 wave the reference date cannot see."""
    insert(empty_db, "residence", [residence("Q", REIMS, GRAND_REIMS, "51", "QN05103M"),
                                   residence("H", REIMS, GRAND_REIMS, "51")])
    insert(empty_db, "logement", [logement("LQ", "Q"), logement("LH", "H")])
    insert(empty_db, "occupation_territoire", [
        ops(REIMS, "QPV", 2024, 40.0, sans_emploi=30.0),
        ops(REIMS, "HORS_QPV", 2024, 20.0, sans_emploi=10.0),
        ops(REIMS, "HORS_QPV", 2022, 17.0),
        ops(REIMS, "ENSEMBLE", 2024, 28.0),
        ops(REIMS, "QPV", 2028, 90.0),
        ops(REIMS, "QPV", 2024, 55.0, "EMMENAGES_RECENTS", n=120)])
    return empty_db


def test_each_residence_gets_its_side_of_the_qpv_line(reims):
    df = indicateurs(reims, ARRET).set_index("residence_id")
    assert df.loc["Q", "part_ressources_faibles"] == 40.0
    assert df.loc["H", "part_ressources_faibles"] == 20.0
    assert df.loc["Q", "part_sans_emploi"] == 30.0 and df.loc["H", "part_sans_emploi"] == 10.0
    assert (df["niveau_enquete"] == "commune × QPV").all()
    assert (df["annee_enquete"] == 2024).all() and (df["commune_enquete"] == REIMS).all()
    assert (df["nom_commune_enquete"] == "Reims").all()
    # only a résidence survey gives rates and the résidence's households
    assert df[["taux_rotation", "taux_vacance", "taux_impayes", "nb_menages"]].isna().all().all()
    # the trend is the commune × secteur's since its previous wave: 20 − 17
    assert df.loc["H", "evol_ressources_faibles"] == pytest.approx(3.0)
    assert pd.isna(df.loc["Q", "evol_ressources_faibles"])


def test_index_from_commune_figures(reims):
    """Two résidences, ressources faibles 40 / 20 (mean 30, σ 10) and sans emploi 30 / 10:
    z = ±1 on both, weights 0,20 and 0,15, every other indicator unknown (z = 0)."""
    df = fragilite(reims, ARRET).set_index("residence_id")
    assert df.loc["Q", "indice"] == pytest.approx(0.35, abs=1e-6)
    assert df.loc["H", "indice"] == pytest.approx(-0.35, abs=1e-6)
    assert df.loc["Q", "classe"] == "à surveiller"
    assert df.loc["Q", "c_part_ressources_faibles"] == pytest.approx(0.2, abs=1e-6)
    assert df.loc["Q", "c_taux_impayes"] == 0.0
    card = fiche(reims, "Q", ARRET)
    assert card["explication"].endswith(
        "Les parts de l'enquête OPS sont celles de la commune (niveau commune × QPV).")


def test_a_residence_survey_wins_over_the_commune(reims):
    insert(reims, "residence", [residence("R", REIMS, GRAND_REIMS, "51", "QN05103M")])
    insert(reims, "occupation", [{"residence_id": "R", "annee": 2020, "nb_menages": 30,
                                  "part_ressources_faibles": 62.0, "taux_impayes": 8.0}])
    df = indicateurs(reims, ARRET).set_index("residence_id")
    assert df.loc["R", "niveau_enquete"] == "résidence"
    assert df.loc["R", "annee_enquete"] == 2020            # older than the commune's 2024
    assert df.loc["R", "part_ressources_faibles"] == 62.0
    assert df.loc["R", "taux_impayes"] == 8.0 and df.loc["R", "nb_menages"] == 30
    assert pd.isna(df.loc["R", "commune_enquete"])
    assert df.loc["Q", "part_ressources_faibles"] == 40.0   # the others are unchanged


def test_whole_commune_when_its_side_is_missing_and_none_elsewhere(empty_db):
    insert(empty_db, "residence", [residence("A", "08105", "200041630", "08", "QN00801M"),
                                   residence("B", "10387", "200069250", "10")])
    insert(empty_db, "occupation_territoire", [ops("08105", "HORS_QPV", 2024, 15.0),
                                               ops("08105", "ENSEMBLE", 2022, 33.0)])
    df = indicateurs(empty_db, ARRET).set_index("residence_id")
    assert df.loc["A", "niveau_enquete"] == "commune"
    assert (df.loc["A", "annee_enquete"], df.loc["A", "part_ressources_faibles"]) == (2022, 33.0)
    assert pd.isna(df.loc["B", "niveau_enquete"]) and pd.isna(df.loc["B", "annee_enquete"])


def test_an_arrondissement_falls_back_on_its_commune(empty_db):
    insert(empty_db, "residence", [
        residence("L1", "69381", "200046977", "69"),
        residence("L3", "69383", "200046977", "69", "QN06901M")])
    insert(empty_db, "occupation_territoire", [
        ops("69123", "HORS_QPV", 2024, 21.0), ops("69123", "QPV", 2024, 47.0),
        ops("69383", "ENSEMBLE", 2024, 35.0), ops("69381", "HORS_QPV", 2022, 12.0)])
    df = indicateurs(empty_db, ARRET).set_index("residence_id")
    # its own arrondissement first, even older than Lyon's figure
    assert (df.loc["L1", "commune_enquete"], df.loc["L1", "part_ressources_faibles"]) == (
        "69381", 12.0)
    # its side of the QPV line before its arrondissement's whole figure: Lyon's QPV row
    assert (df.loc["L3", "niveau_enquete"], df.loc["L3", "commune_enquete"],
            df.loc["L3", "part_ressources_faibles"]) == ("commune × QPV", "69123", 47.0)
    assert libelle_enquete(df.loc["L3"]) == (
        "enquête OPS 2024 au niveau commune × QPV (ménages en QPV de Lyon)")


def test_recent_movers_are_shown_not_counted(reims):
    df = indicateurs(reims, ARRET).set_index("residence_id")
    q = df.loc["Q"]
    assert (q["niveau_recents"], q["annee_recents"], q["recents_menages"]) == (
        "commune × QPV", 2024, 120)
    assert q["recents_ressources_faibles"] == 55.0
    assert q["entrees_24m"] == 0 and pd.isna(q["entrees_q1_pct"])   # not lent to the index
    assert pd.isna(df.loc["H", "niveau_recents"]) and recents(df.loc["H"]) is None
    assert recents(q) == ("Emménagés depuis moins de deux ans (OPS 2024, commune × QPV, "
                          "Reims) : ressources faibles 55\u202f% — à titre d'information, "
                          "hors indice.")


def test_levels_counted_and_said(reims):
    insert(reims, "residence", [residence("R", REIMS, GRAND_REIMS, "51"),
                                residence("T", "10387", "200069250", "10"),
                                residence("V", "10387", "200069250", "10")])
    insert(reims, "occupation", [{"residence_id": "R", "annee": 2024, "nb_menages": 30,
                                  "part_ressources_faibles": 25.0}])
    df = fragilite(reims, ARRET)
    assert compter_niveaux(df) == {"résidence": 1, "commune × QPV": 2, "commune": 0, None: 2}
    assert resume_niveaux(df) == (
        "Enquête OPS : niveau résidence pour 1 résidence, commune × QPV pour 2, aucune pour 2. "
        "Au niveau de la commune, rotation, vacance et impayés ne sont pas connus (comptés à "
        "la moyenne).")
    only = df[df["niveau_enquete"].isna()]
    assert resume_niveaux(only) == "Enquête OPS : aucune pour 2 résidences."
    row = df.set_index("residence_id").loc["R"]
    assert libelle_enquete(row) == "enquête OPS 2024 de la résidence"
    assert libelle_enquete(df.set_index("residence_id").loc["T"]) == "aucune enquête OPS"


def test_move_in_weighs_against_the_residence_not_the_commune(reims):
    """At commune level, « et si » moves the share as for a résidence of its dwellings (1),
    not of the commune's 1 000 households: 40 % → (40 × 1 + 100) / 2 = 70 %."""
    from fluxcore.fragilite import et_si

    t = et_si(reims, "Q", ARRET, quartile=1).indicateurs.set_index("indicateur")
    assert t.loc["part_ressources_faibles", "apres"] == pytest.approx(70.0)


OPS_CSV = (
    "commune_insee;secteur;annee;population;nb_menages;part_ressources_faibles;"
    "part_monoparentales;part_sans_emploi;part_apl;part_personnes_seules;"
    "part_grandes_familles;part_moins_25;part_plus_65\n"
    "51454;QPV;2024;Ensemble;4 210;40,0 %;24,5;31;71,2;38;6,1;4;18\n"
    "51454;Hors QPV;2024;Ensemble;12 980;20;14,5;12;48;41;2,3;3;27\n"
    "51454;hors_qpv;2024;Emménagés récents;1 150;27,5;18;15;55;45;3;11;9\n"
    "8105;QPV;2024;Ensemble;2 300;44;26;33;74;36;7;5;16\n"
)


def test_ops_file_with_french_labels_imports_and_feeds_the_index(empty_db, tmp_path):
    f = tmp_path / "ops_commune_2024.csv"
    f.write_bytes(OPS_CSV.encode("cp1252"))          # a Windows export, `;` and commas
    result = import_paths(empty_db, [f], actor="test")
    assert result.ok, result.problems.text()
    rows = empty_db.df("select * from occupation_territoire order by all")
    assert rows[["commune_insee", "secteur", "population"]].values.tolist() == [
        ["08105", "QPV", "ENSEMBLE"], ["51454", "HORS_QPV", "EMMENAGES_RECENTS"],
        ["51454", "HORS_QPV", "ENSEMBLE"], ["51454", "QPV", "ENSEMBLE"]]
    qpv = rows[(rows["commune_insee"] == "51454") & (rows["secteur"] == "QPV")].iloc[0]
    assert (qpv["nb_menages"], qpv["part_ressources_faibles"], qpv["part_monoparentales"]) == (
        4210, 40.0, 24.5)
    assert result.counts["table"].tolist() == ["occupation_territoire"]
    # idempotent: the same file again changes nothing
    again = import_paths(empty_db, [f], actor="test")
    assert again.ok and again.counts["inchanges"].tolist() == [4]
    insert(empty_db, "residence", [residence("H", REIMS, GRAND_REIMS, "51")])
    df = indicateurs(empty_db, ARRET).set_index("residence_id")
    assert (df.loc["H", "niveau_enquete"], df.loc["H", "part_ressources_faibles"],
            df.loc["H", "recents_ressources_faibles"]) == ("commune × QPV", 20.0, 27.5)


def test_ops_file_without_population_holds_the_whole_population(empty_db, tmp_path):
    f = tmp_path / "agregats.csv"
    f.write_text("commune_insee,secteur,annee,nb_menages,part_ressources_faibles\n"
                 "51454,QPV,2022,4100,38.5\n51454,ENSEMBLE,2022,17000,24\n", encoding="utf-8")
    result = import_paths(empty_db, [f])
    assert result.ok, result.problems.text()
    assert empty_db.df("select population, count(*) n from occupation_territoire group by 1"
                       ).values.tolist() == [["ENSEMBLE", 2]]
    # a file named after the table (« occupation_commune… ») with the same columns is not
    # taken for the résidence-level survey because its name starts with « occupation »
    g = tmp_path / "occupation_commune_2024.csv"
    g.write_text("commune_insee;secteur;annee;part_ressources_faibles\n51454;QPV;2024;40\n",
                 encoding="utf-8")
    result = import_paths(empty_db, [g])
    assert result.ok, result.problems.text()
    assert result.counts["table"].tolist() == ["occupation_territoire"]


@pytest.mark.parametrize(("line", "column", "message"), [
    ("51454;En QPV;2024;Ensemble;10", "secteur", "code inconnu : attendu l'un de QPV, "
                                                 "HORS_QPV, ENSEMBLE"),
    ("51454;QPV;2024;Arrivants;10", "population", "code inconnu : attendu l'un de ENSEMBLE, "
                                                  "EMMENAGES_RECENTS"),
    ("51454;QPV;2024;Ensemble;140", "part_ressources_faibles", "valeur hors bornes"),
    ("123;QPV;2024;Ensemble;10", "commune_insee", "format invalide"),
])
def test_bad_ops_rows_are_named(empty_db, tmp_path, line, column, message):
    f = tmp_path / "ops.csv"
    f.write_text("commune_insee;secteur;annee;population;part_ressources_faibles\n"
                 f"{line}\n", encoding="utf-8")
    result = import_paths(empty_db, [f])
    frame = result.problems.frame()
    assert not result.ok and empty_db.scalar("select count(*) from occupation_territoire") == 0
    hit = frame[frame["probleme"].str.contains(message, regex=False)]
    assert len(hit) and hit["colonne"].iloc[0] == column and hit["ligne"].iloc[0] == 2


def test_old_commune_code_is_kept_with_a_warning(empty_db, tmp_path):
    old = empty_db.scalar("select min(code_ancien) from ref_commune_ancien")
    f = tmp_path / "ops_territoire.csv"
    f.write_text("commune_insee,secteur,annee,population,part_ressources_faibles\n"
                 f"{old},ENSEMBLE,2024,ENSEMBLE,30\n", encoding="utf-8")
    result = import_paths(empty_db, [f])
    assert result.ok
    warning = result.problems.frame().iloc[0]
    assert warning["niveau"] == "AVERTISSEMENT" and "ancien code de commune" in \
        warning["probleme"]
    assert empty_db.scalar("select commune_insee from occupation_territoire") == old

