"""Cotation de la demande on a hand-built set (figures computed by hand in the comments).

Grids: CU du Grand Reims (200067213) v1 from 01/01/2024 — DALO 50, EXPULSION 20, PARENT_ISOLE 5,
1 point a month, refusal −10; v2 from 01/07/2026 — DALO 50, EXPULSION 25, PARENT_ISOLE 5,
TAUX_EFFORT 10, 2 points a month, refusal −15. CA Troyes (200069250) v1: DALO 40, 1 a month,
no refusal penalty. Châlons (200066876) has no grid. Reference date T = 23/11/2026.
"""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest

from fluxcore import cotation
from fluxcore.cotation.candidats import resume
from fluxcore.errors import CotationError
from fluxcore.parametres import set_parametre
from tests.factory import insert, liberation, logement, residence

T = date(2026, 11, 23)
REIMS, TROYES, CHALONS = "200067213", "200069250", "200066876"


def grid_rows(epci, version, effet, points):
    return [{"epci_siren": epci, "version": version, "critere": c, "points": p,
             "libelle": None, "date_effet": effet} for c, p in points.items()]


def dem(did, commune, depot, crit=(), taille=3, ress=9000.0, refus=0, statut="ACTIVE",
        radiation=None, typ="T3", salarie=False, agent=False):
    return {"demande_id": did, "date_depot": depot, "commune_souhaitee": commune,
            "typologie_souhaitee": typ, "taille_menage": taille, "ressources_uc": ress,
            "criteres": list(crit), "statut": statut, "date_radiation": radiation,
            "motif_radiation": "ATTRIBUTION" if statut == "ATTRIBUEE" else None,
            "nb_refus": refus, "salarie": salarie, "agent_public": agent}


def jeu(db):
    insert(db, "grille_cotation", [
        *grid_rows(REIMS, 1, date(2024, 1, 1), {"DALO": 50.0, "EXPULSION": 20.0,
                                                "PARENT_ISOLE": 5.0, "ANCIENNETE_MOIS": 1.0,
                                                "REFUS": -10.0}),
        *grid_rows(REIMS, 2, date(2026, 7, 1), {"DALO": 50.0, "EXPULSION": 25.0,
                                                "PARENT_ISOLE": 5.0, "TAUX_EFFORT": 10.0,
                                                "ANCIENNETE_MOIS": 2.0, "REFUS": -15.0}),
        *grid_rows(TROYES, 1, date(2024, 1, 1), {"DALO": 40.0, "ANCIENNETE_MOIS": 1.0})])
    insert(db, "demande", [
        # 22 complete months; v2: 25 + 5 + 2×22 − 15 = 59
        dem("D01", "51454", date(2025, 1, 15), ("EXPULSION", "PARENT_ISOLE"), refus=1,
            agent=True),
        # 6 months; v2: 50 + 12 = 62
        dem("D02", "51454", date(2026, 5, 23), ("DALO",), taille=4, ress=20000.0,
            salarie=True),
        # duplicate criterion counted once; 12 months: 10 + 24 = 34; over the PLUS ceiling
        dem("D03", "51454", date(2025, 11, 23), ("TAUX_EFFORT", "TAUX_EFFORT"), taille=2,
            ress=26000.0),
        # Fismes (Grand Reims); the special code in its list is ignored; 8 months: 50 + 16
        dem("D04", "51250", date(2026, 3, 10), ("ANCIENNETE_MOIS", "DALO")),
        # same as D01 (59): tie broken by id
        dem("D05", "51454", date(2025, 1, 15), ("EXPULSION", "PARENT_ISOLE"), refus=1),
        # 17 months: 25 + 5 + 10 + 34 = 74
        dem("D06", "51454", date(2025, 6, 10), ("EXPULSION", "PARENT_ISOLE", "TAUX_EFFORT")),
        # 5 months: 50 + 10 = 60
        dem("D07", "51454", date(2026, 6, 23), ("DALO",), salarie=True),
        # 15 months: 30 + 30 = 60, older than D07: ranked before it
        dem("D08", "51454", date(2025, 8, 1), ("EXPULSION", "PARENT_ISOLE")),
        # Troyes, 10 months: 40 + 10 = 50
        dem("D09", "10387", date(2026, 1, 1), ("DALO",)),
        dem("D10", "51454", date(2024, 1, 1), ("DALO",), statut="ATTRIBUEE",
            radiation=date(2024, 6, 1)),
        # Châlons: no grid, no score
        dem("D11", "51108", date(2025, 1, 1), ("DALO",)),
        # filed after T: not counted
        dem("D12", "51454", date(2026, 12, 1), ("DALO",)),
        # 2 months: 4; one person cannot take a T3
        dem("D13", "51454", date(2026, 9, 23), taille=1),
        # 1 month: 2; rent burden 4 200 / (6 000 × 1,5) = 46,7 % > 40 %
        dem("D14", "51454", date(2026, 10, 1), taille=2, ress=6000.0),
        # satisfied demandes: complete months from filing to attribution
        dem("A1", "51454", date(2024, 1, 10), statut="ATTRIBUEE", radiation=date(2025, 3, 15)),
        dem("A2", "51454", date(2025, 2, 1), statut="ATTRIBUEE", radiation=date(2025, 8, 20)),
        dem("A3", "51454", date(2024, 6, 1), statut="ATTRIBUEE", radiation=date(2026, 6, 5)),
        dem("A4", "51250", date(2023, 1, 1), statut="ATTRIBUEE", radiation=date(2024, 12, 1)),
        dem("A5", "51454", date(2023, 1, 1), statut="ATTRIBUEE", radiation=date(2024, 10, 1)),
        dem("A6", "10387", date(2025, 1, 1), statut="ATTRIBUEE", radiation=date(2025, 4, 1),
            typ="T2"),
    ])
    insert(db, "residence", [residence("R1", "51454", REIMS, "51"),
                             residence("R2", "51250", REIMS, "51")])
    insert(db, "logement", [logement("L1", "R1", "T3"), logement("L2", "R1", "T3"),
                            logement("L3", "R1", "T2"), logement("L4", "R2", "T3"),
                            logement("L5", "R1", "T3", fin="PLAI")])
    insert(db, "liberation", [
        liberation("B1", "L1", date(2025, 5, 1)), liberation("B2", "L1", date(2025, 9, 1)),
        liberation("B3", "L2", date(2026, 10, 1)), liberation("B4", "L3", date(2026, 1, 1)),
        liberation("B5", "L4", date(2026, 2, 1))])
    return db


@pytest.fixture
def db(empty_db):
    return jeu(empty_db)


def _scores(db, when=T):
    return cotation.scores(db, when).set_index("demande_id")


def test_scores_by_hand_under_the_version_in_force(db):
    s = _scores(db)
    assert s["score"].dropna().to_dict() == {
        "D01": 59.0, "D02": 62.0, "D03": 34.0, "D04": 66.0, "D05": 59.0, "D06": 74.0,
        "D07": 60.0, "D08": 60.0, "D09": 50.0, "D13": 4.0, "D14": 2.0}
    assert pd.isna(s.at["D11", "score"]) and pd.isna(s.at["D11", "version"])
    assert "D12" not in s.index and "D10" not in s.index
    d1 = s.loc["D01"]
    assert (d1["version"], d1["anciennete_mois"], d1["points_criteres"],
            d1["points_anciennete"], d1["points_refus"]) == (2, 22, 30.0, 44.0, -15.0)
    assert s.at["D09", "points_refus"] == 0.0  # Troyes' grid has no refusal penalty
    # ranks within the EPCI: 74, 66, 62, 60 (D08 older), 60, 59 (D01 by id), 59, 34, 4, 2
    reims = s[s["epci_siren"] == REIMS].sort_values("rang_epci")
    assert list(reims.index) == ["D06", "D04", "D02", "D08", "D07", "D01", "D05", "D03",
                                 "D13", "D14"]
    assert cotation.nombre_scores(db, T) == 11


def test_scores_under_the_first_version_before_its_change(db):
    s = _scores(db, date(2026, 6, 30))
    # v1 (v2 applies from 01/07/2026): D01 17 months 20 + 5 + 17 − 10 = 32; D02 1 month
    # 50 + 1; D03 7 months, TAUX_EFFORT not in v1: 7
    assert s.loc[["D01", "D02", "D03"], "score"].tolist() == [32.0, 51.0, 7.0]
    assert set(s.loc[s["epci_siren"] == REIMS, "version"]) == {1}
    # D07 filed 23/06/2026 is there (0 complete month: 50); D13 and D14, filed later, not
    assert s.at["D07", "score"] == 50.0 and "D13" not in s.index and "D14" not in s.index


def test_grid_version_saved_audited_and_applied_from_its_date(db):
    g = cotation.grille(db, REIMS, aujourdhui=T)
    assert g["version"].iloc[0] == 2 and g["critere"].iloc[-2:].tolist() == [
        "ANCIENNETE_MOIS", "REFUS"]
    new = g[["critere", "libelle", "points"]].copy()
    new.loc[new["critere"] == "DALO", "points"] = 60.0
    new = pd.concat([new[new["critere"] != "PARENT_ISOLE"], pd.DataFrame(
        [{"critere": "handicap", "libelle": "Handicap", "points": "12,5"}])])
    v = cotation.enregistrer_grille(db, REIMS, new, date(2026, 12, 1), "marie", 2, T)
    assert v == 3
    log = db.one("select actor, details from audit_log where action = "
                 "'grille_cotation.create' order by audit_id desc limit 1")
    assert log[0] == "marie"
    assert json.loads(log[1]) == {
        "version": 3, "date_effet": "2026-12-01", "ajoutes": {"HANDICAP": 12.5},
        "retires": {"PARENT_ISOLE": 5.0}, "modifies": {"DALO": [50.0, 60.0]}, "libelles": {}}
    assert _scores(db).at["D02", "score"] == 62.0          # v2 still in force at T
    s = _scores(db, date(2026, 12, 1))                      # D02: 60 + 2 × 6 months
    assert s.at["D02", "score"] == 72.0 and s.at["D01", "score"] == 25 + 2 * 22 - 15
    versions = cotation.versions_grille(db, REIMS, date(2026, 12, 1))
    assert versions["version"].tolist() == [1, 2, 3]
    assert versions["en_vigueur"].tolist() == [False, False, True]
    assert versions["auteur"].iloc[2] == "marie"
    # the old versions are untouched
    assert cotation.grille(db, REIMS, 2)["points"].sum() == 50 + 25 + 5 + 10 + 2 - 15


def test_grid_errors_reported_at_once_and_nothing_written(db):
    bad = pd.DataFrame({"critere": ["DALO", "DALO", "ANCIENNETE_MOIS", "REFUS", "x y"],
                        "points": [50, 10, -1, 5, "abc"]})
    with pytest.raises(CotationError) as exc:
        cotation.enregistrer_grille(db, REIMS, bad, date(2026, 12, 1), "marie", aujourdhui=T)
    msg = str(exc.value)
    for part in ("ligne 2 : le critère DALO figure deux fois",
                 "ligne 3 : les points d'ancienneté ne peuvent pas être négatifs",
                 "ligne 4 : un refus ne peut pas ajouter de points", "ligne 5 : code « x y »"):
        assert part in msg
    same = cotation.grille(db, REIMS, 2)[["critere", "libelle", "points"]]
    with pytest.raises(CotationError, match="identique"):
        cotation.enregistrer_grille(db, REIMS, same, date(2026, 12, 1), "marie", aujourdhui=T)
    changed = same.assign(points=same["points"] + 5 * (same["critere"] == "DALO"))
    with pytest.raises(CotationError, match="ne peut pas s'appliquer avant aujourd'hui"):
        cotation.enregistrer_grille(db, REIMS, changed, date(2026, 8, 1), "m", aujourdhui=T)
    with pytest.raises(CotationError, match="La version 2 s'applique depuis le 01/07/2026"):
        cotation.enregistrer_grille(db, REIMS, changed, date(2026, 1, 1), "m",
                                    aujourdhui=date(2025, 1, 1))
    with pytest.raises(CotationError, match="EPCI inconnu"):
        cotation.enregistrer_grille(db, "999999999", same, date(2026, 12, 1), "marie",
                                    aujourdhui=T)
    with pytest.raises(CotationError, match="auteur"):
        cotation.enregistrer_grille(db, REIMS, changed, date(2026, 12, 1), " ", aujourdhui=T)
    assert db.scalar("select max(version) from grille_cotation where epci_siren = ?",
                     [REIMS]) == 2
    assert db.scalar("select count(*) from audit_log where action like 'grille%'") == 0


def test_first_grid_of_an_epci(db):
    rows = pd.DataFrame({"critere": ["DALO", "ANCIENNETE_MOIS"], "points": [30, 1]})
    assert cotation.enregistrer_grille(db, CHALONS, rows, T, "marie", 0, T) == 1
    assert _scores(db).at["D11", "score"] == 30 + 22  # 01/01/2025 → 23/11/2026: 22 months


def test_candidates_for_a_dwelling_ranked_with_tie_breaks(db):
    c = cotation.candidats(db, "L1", T)
    e = c.eligibles
    # D03 over the PLUS ceiling (26 000 > 24 300), D13 alone for a T3, D14 rent burden
    assert e["demande_id"].tolist() == ["D06", "D02", "D08", "D07", "D01", "D05"]
    assert e["rang"].tolist() == [1, 2, 3, 4, 5, 6]
    d = c.demandes.set_index("demande_id")
    assert not d.at["D03", "ok_plafond"] and not d.at["D13", "ok_taille"]
    assert not d.at["D14", "ok_effort"] and d.at["D14", "taux_effort"] == 46.7
    assert d.at["D02", "uc"] == pytest.approx(2.1) and d.at["D02", "taux_effort"] == 10.0
    assert dict(zip(c.exclusions["motif"], c.exclusions["nb"])) == {
        "taille du ménage inadaptée à la typologie": 1, "typologie souhaitée trop éloignée": 0,
        "ressources au-dessus du plafond du financement": 1, "taux d'effort trop élevé": 2}
    # (D13 fails twice: alone, 4 200 / 9 000 = 46,7 % too)
    assert resume(c).startswith("6 demandes éligibles sur 9 demandes actives à Reims")
    # a PLAI dwelling: ceiling 13 400 €/UC removes D02 (20 000)
    assert "D02" not in cotation.candidats(db, "L5", T).eligibles["demande_id"].tolist()
    # the whole EPCI: Fismes' D04 (66) comes second
    assert cotation.candidats(db, "L1", T, "epci").eligibles["demande_id"].tolist()[:3] == [
        "D06", "D04", "D02"]
    # by libération id too; contingents
    c2 = cotation.candidats(db, "B3", T)
    assert c2.logement["logement_id"] == "L2"
    assert cotation.candidats_contingent(c, "salarie")["demande_id"].tolist() == ["D02", "D07"]
    assert cotation.candidats_contingent(c, "agent_public")["demande_id"].tolist() == ["D01"]
    assert cotation.candidats_contingent(c, "prioritaire")["rang_contingent"].tolist() == [
        1, 2, 3, 4, 5, 6]
    with pytest.raises(CotationError, match="inconnu"):
        cotation.candidats(db, "NOPE", T)


def test_candidates_typology_wished(db):
    # a household of 4 wishing a T5 (2 rooms away from a T3), one wishing a T4 (1 away)
    insert(db, "demande", [dem("D20", "51454", date(2020, 1, 1), typ="T5", taille=4),
                           dem("D21", "51454", date(2020, 1, 1), typ="T4", taille=4)])
    d = cotation.candidats(db, "L1", T).demandes.set_index("demande_id")
    assert not d.at["D20", "ok_typologie"] and not d.at["D20", "eligible"]
    assert d.at["D21", "eligible"] and d.at["D21", "rang"] == 1  # 2 × 82 months = 164
    set_parametre(db, "cotation_ecart_typologie_max", 2, "test")
    d = cotation.candidats(db, "L1", T).demandes.set_index("demande_id")
    assert d.at["D20", "eligible"] and d.at["D20", "rang"] == 1  # same score, id first


def test_waiting_times_by_level(db):
    a = cotation.attentes(db, T)
    # last 24 months (after 23/11/2024): A1 14 months, A2 6, A3 24 (Reims T3), A4 23
    # (Fismes T3), A6 3 (Troyes T2); A5 (01/10/2024) and D10 (2024) are too old
    com = a[(a["niveau"] == "commune") & (a["commune_souhaitee"] == "51454")].iloc[0]
    assert (com["nb"], com["mediane_mois"]) == (3, 14.0)
    epci = a[(a["niveau"] == "epci") & (a["epci_siren"] == REIMS)].iloc[0]
    assert (epci["nb"], epci["mediane_mois"]) == (4, 18.5)
    typ = a[a["niveau"] == "typologie"].set_index("typologie_souhaitee")
    assert typ.loc["T3", "mediane_mois"] == 18.5 and typ.loc["T2", "mediane_mois"] == 3.0


def test_position_of_a_demandeur(db):
    p = cotation.position_demandeur(db, "D01", T)
    assert p.demande["score"] == 59.0 and p.grille_version == 2
    assert p.grille_date_effet == date(2026, 7, 1)
    assert p.detail[["critere", "quantite", "points"]].values.tolist() == [
        ["EXPULSION", 1, 25.0], ["PARENT_ISOLE", 1, 5.0], ["ANCIENNETE_MOIS", 22, 44.0],
        ["REFUS", 1, -15.0]]
    assert p.detail["points"].sum() == 59.0
    # 9 T3 demandes in Reims < 10: compared with the 10 T3 demandes of the EPCI
    c = p.comparables
    assert (c["niveau"], c["nb"], c["rang"], c["part_inferieure"]) == ("epci", 10, 6, 30.0)
    # quantiles are scores that exist: 5th of 10 sorted scores, 9th of 10
    assert c["quantiles"]["mediane"] == 59.0 and c["quantiles"]["d9"] == 66.0
    assert (p.rang_epci, p.nb_epci) == (6, 10)
    # 2 + 4 + 34 + 59 … : bands of 10 points from 0
    assert c["classes"]["nb"].tolist() == [2, 0, 0, 1, 0, 2, 4, 1]
    # waiting time: 3 attributions in Reims, 4 in the EPCI < 10: the T3 over the whole base
    assert p.attente == {"niveau": "typologie", "libelle": "T3 sur tout le territoire",
                         "nb": 4, "mediane_mois": 18.5}
    # a refusal: 59 − 15 = 44, behind D05 (59): rank 7
    assert p.refus == {"points": -15.0, "score_apres": 44.0, "rang_apres": 7}
    text = "\n".join(p.phrases)
    for part in ("Demande déposée le 15/01/2025 pour un T3 à Reims, ménage de 3 personnes.",
                 "grille de CU du Grand Reims, version 2 en vigueur depuis le 01/07/2026",
                 "Score : 59 points (Menacé", "ancienneté : 22 mois × 2 points = 44 points",
                 "refus : 1 × -15 points = -15 points",
                 "Parmi les 10 demandes actives comparables (T3 dans CU du Grand Reims), elle "
                 "est au rang 6", "au plus 59 points, 9 sur 10 au plus 66 points", "rang 6 sur 10",
                 "ancienneté médiane de 18,5 mois",
                 "retirerait 15 points : le score passerait de 59 points à 44 points et son "
                 "rang parmi les demandes comparables passerait de 6 à 7", "CALEOL"):
        assert part in text, part


def test_position_with_smaller_comparison_threshold(db):
    set_parametre(db, "cotation_min_comparables", 3, "test")
    p = cotation.position_demandeur(db, "D01", T)
    assert (p.comparables["niveau"], p.comparables["nb"], p.comparables["rang"]) == (
        "commune", 9, 5)
    assert (p.attente["niveau"], p.attente["nb"], p.attente["mediane_mois"]) == (
        "commune", 3, 14.0)
    # Troyes: no refusal penalty
    t = cotation.position_demandeur(db, "D09", T)
    assert t.refus["points"] == 0 and any("ne change pas le score" in x for x in t.phrases)


def test_position_errors_and_demande_without_grid(db):
    with pytest.raises(CotationError, match="inconnue"):
        cotation.position_demandeur(db, "ZZZ", T)
    with pytest.raises(CotationError, match="n'est plus active : satisfaite"):
        cotation.position_demandeur(db, "A1", T)
    p = cotation.position_demandeur(db, "D11", T)
    text = "\n".join(p.phrases)
    assert p.grille_version is None and "examinée dans l'ordre d'ancienneté" in text
    assert "Délai d'attente observé" in text or "pas de délai d'attente observé" in text


def test_well_scored_unsatisfied(db):
    set_parametre(db, "cotation_min_comparables", 3, "test")
    n = cotation.non_satisfaites(db, T)
    # Reims: 90th centile of the 10 scores = 66,8 → D06 (74), 17 months > 14 (Reims T3);
    # T3 dwellings of Reims vacated since 10/06/2025: B2 and B3 (B1 before, B4 a T2, B5 Fismes)
    # Troyes: D09 alone (50 ≥ 50) but 10 months < 18,5 (T3, whole base)
    assert n["demande_id"].tolist() == ["D06"]
    r = n.iloc[0]
    assert (r["seuil_score"], r["attente_mois"], r["niveau_attente"], r["logements_liberes"],
            r["rang_epci"], r["commune"]) == (pytest.approx(66.8), 14.0, "commune", 2, 1,
                                              "Reims")


def test_distribution_of_an_epci(db):
    d = cotation.distribution(db, T, REIMS)
    assert (d["nb"], d["notees"], d["sans_grille"]) == (10, 10, 0)
    assert d["quantiles"]["mediane"] == 59.0 and d["moyenne"] == pytest.approx(48.0)
    c = cotation.distribution(db, T, CHALONS)
    assert (c["nb"], c["notees"], c["sans_grille"], c["moyenne"]) == (1, 0, 1, None)


def test_candidates_per_possible_destination(empty_db):
    """Marne of test_assiette_jauges at 30/06/2026: B26-13 is a T2 in Reims awaiting
    orientation (préfet, Action Logement, Ville de Reims, bailleur, RU possible)."""
    from tests.test_assiette_jauges import TODAY, territoire_marne

    db = territoire_marne(empty_db)
    insert(db, "grille_cotation", grid_rows(REIMS, 1, date(2024, 1, 1),
                                            {"DALO": 50.0, "ANCIENNETE_MOIS": 1.0}))
    insert(db, "demande", [
        dem("E1", "51454", date(2026, 1, 10), ("DALO",), taille=2, typ="T2"),  # 5 + 50
        dem("E2", "51454", date(2025, 6, 30), taille=1, typ="T2", salarie=True,
            ress=12000.0),  # 12 months: 12; rent burden 4 200 / 12 000 = 35 %
        dem("E3", "51454", date(2026, 3, 1), ("PARENT_ISOLE",), taille=2, typ="T2",
            agent=True),  # 3 months, PARENT_ISOLE not in the grid: 3
        dem("E4", "51454", date(2026, 1, 1), ("DALO",), taille=4, typ="T2")])  # too many
    c, dest = cotation.par_destination(db, "B26-13", TODAY)
    assert c.eligibles["demande_id"].tolist() == ["E1", "E2", "E3"]
    assert c.eligibles["score"].tolist() == [55.0, 12.0, 3.0]
    d = dest.set_index("destinataire")
    assert d.loc["PREF-51", ["contingent", "nb_candidats", "meilleur_score"]].tolist() == [
        "prioritaire", 1, 55.0]
    assert d.loc["AL", ["contingent", "nb_candidats", "meilleur_score"]].tolist() == [
        "salarie", 1, 12.0]
    assert d.loc["VILLE-REIMS", "nb_candidats"] == 3 and d.loc["BAILLEUR", "nb_candidats"] == 3
    internes = dest[dest["type"].isin(["MUTATION", "RU"])]
    assert len(internes) and set(internes["contingent"]) == {"hors_cotation"}
    assert set(internes["nb_candidats"]) == {0}
    assert dest["rang_orientation"].tolist() == sorted(dest["rang_orientation"])
    with pytest.raises(CotationError, match="hors flux"):
        cotation.par_destination(db, "B26-14", TODAY)


def test_cli_coter(tmp_path, capsys):
    from fluxcore.__main__ import main
    from fluxcore.db import Database

    path = tmp_path / "cot.duckdb"
    db = jeu(Database(path))
    db.close()
    base = ["coter", "--db", str(path), "--date", "2026-11-23"]
    assert main(base) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("\ufeffdemande_id;epci_siren;version")   # BOM: not a terminal
    assert len(lines) == 1 + 12  # every active demande filed by T, D11 without score
    d1 = next(x for x in lines if x.startswith("D01;"))
    assert d1.split(";")[-2:] == ["59,0", "6"]
    assert main([*base, "--demande", "D01", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["score"], out["grille_version"], out["rang_epci"]) == (59.0, 2, 6)
    assert out["refus"] == {"points": -15.0, "score_apres": 44.0, "rang_apres": 7}
    assert out["explication"][3].startswith("Score : 59 points")
    assert out["prioritaire"] == {"prioritaire": True, "criteres": [
        {"code": "EXPULSION", "libelle": "Menacé d'expulsion sans relogement",
         "article": "L441-1 k"}]}
    assert main([*base, "--demande", "D01"]) == 0
    csv = capsys.readouterr().out.splitlines()
    assert csv[-1] == "TOTAL;Score;;;59,0" and "ANCIENNETE_MOIS;Ancienneté" in csv[3]
    assert main([*base, "--logement", "L1"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert [r.split(";")[1] for r in rows[1:]] == ["D06", "D02", "D08", "D07", "D01", "D05"]
    assert main([*base, "--logement", "L1", "--demande", "D03", "--format", "json"]) == 0
    cand = json.loads(capsys.readouterr().out)["candidats"]
    assert cand[0]["demande_id"] == "D03" and cand[0]["ok_plafond"] is False
    assert main([*base, "--demande", "NOPE"]) == 2
    assert "Demande inconnue" in capsys.readouterr().err


def test_review_regressions(db, tmp_path):
    """Second look at the module: concurrent grid edits, DALO always on the préfet's
    contingent, zero resources, missing data in the texts, settings bounds, line numbers."""
    from fluxcore.errors import ParametreError

    g = cotation.grille(db, REIMS, 2)[["critere", "libelle", "points"]]
    a = g.assign(points=g["points"] + 5 * (g["critere"] == "DALO"))
    b = g.assign(points=g["points"] + 5 * (g["critere"] == "EXPULSION"))
    assert cotation.enregistrer_grille(db, REIMS, a, T, "anne", 2, T) == 3
    with pytest.raises(CotationError, match="version 3 de cette grille a été enregistrée "
                                            "entre-temps par anne"):
        cotation.enregistrer_grille(db, REIMS, b, T, "bruno", 2, T)
    # DALO without any listed priority criterion stays on the préfet's contingent
    set_parametre(db, "cotation_criteres_prioritaires", ["SANS_LOGEMENT"], "test")
    c = cotation.candidats(db, "L1", T)
    assert cotation.candidats_contingent(c, "prioritaire")["demande_id"].tolist() == [
        "D02", "D07"]
    # zero resources: burden not checked (not excluded as « trop élevé »)
    insert(db, "demande", [dem("Z1", "51454", date(2026, 1, 1), ress=0.0),
                           dem("N1", "51454", date(2025, 1, 1), ("DALO",), taille=None,
                               typ=None)])
    d = cotation.candidats(db, "L1", T).demandes.set_index("demande_id")
    assert d.at["Z1", "ok_effort"] and pd.isna(d.at["Z1", "taux_effort"])
    p = cotation.position_demandeur(db, "N1", T)
    text = "\n".join(p.phrases)
    assert "pour un logement (typologie non précisée) à Reims, taille du ménage non " \
           "précisée." in text and "nan" not in text
    for cle, bad in (("cotation_rang_bien_cotees_pct", 150.0), ("cotation_min_comparables", 0),
                     ("cotation_attente_mois", -5), ("cotation_ecart_typologie_max", -1)):
        with pytest.raises(ParametreError):
            set_parametre(db, cle, bad, "test")
    rows = pd.DataFrame({"critere": ["DALO", None, None, "EXPULSION"],
                         "libelle": [None, None, "Sans code", None],
                         "points": [50.0, None, None, None]})
    with pytest.raises(CotationError) as exc:
        cotation.valider_lignes(rows)
    assert "ligne 3 : code du critère manquant" in str(exc.value)
    assert "ligne 4 (EXPULSION) : points manquants" in str(exc.value)


def test_cli_json_is_strict(tmp_path, capsys):
    from fluxcore.__main__ import main
    from fluxcore.db import Database

    path = tmp_path / "cot.duckdb"
    jeu(Database(path)).close()
    assert main(["coter", "--db", str(path), "--date", "2026-11-23", "--demande", "D11",
                 "--format", "json"]) == 0
    out = capsys.readouterr().out
    assert "NaN" not in out and json.loads(out)["score"] is None


def test_consumption_units_read_the_whole_scale_from_the_settings(db):
    # the first adult's UC was a literal 1 in the candidates query: now the setting
    d = cotation.candidats(db, "L1", T).demandes.set_index("demande_id")
    assert d.at["D02", "uc"] == pytest.approx(1 + 0.5 + 2 * 0.3)         # 4 persons: 2,1
    set_parametre(db, "uc_premier_adulte", 1.2, "test")
    set_parametre(db, "uc_enfant_moins_14", 0.4, "test")
    d = cotation.candidats(db, "L1", T).demandes.set_index("demande_id")
    assert d.at["D02", "uc"] == pytest.approx(1.2 + 0.5 + 2 * 0.4)       # 2,5
    # rent 350 € a month: 100 × 12 × 350 / (20 000 × 2,5) = 8,4 %
    assert d.at["D02", "taux_effort"] == 8.4


def test_demandeur_is_told_whether_his_demande_is_prioritaire(db):
    # D01: EXPULSION (L441-1 k) and PARENT_ISOLE (a local criterion)
    p = cotation.position_demandeur(db, "D01", T)
    assert p.prioritaire == {"prioritaire": True, "criteres": [
        {"code": "EXPULSION", "libelle": "Menacé d'expulsion sans relogement",
         "article": "L441-1 k"}]}
    assert p.phrases[1] == (
        "Demande prioritaire (article L441-1 du CCH), candidate sur le contingent du préfet et "
        "comptée dans l'objectif de 25 % d'attributions aux publics prioritaires, au titre "
        "de : Menacé d'expulsion sans relogement (L441-1 k).")
    # D03: a rent burden too high is a local criterion, not an L441-1 public
    p = cotation.position_demandeur(db, "D03", T)
    assert p.prioritaire == {"prioritaire": False, "criteres": []}
    assert p.phrases[1] == ("Demande non prioritaire : aucun de ses critères ne relève des "
                            "publics prioritaires de l'article L441-1 du CCH ni du DALO.")
    # the publics the list missed: hébergé chez des tiers (j), difficultés cumulées (b),
    # sortie de prostitution (g), traite des êtres humains (h); DALO first when listed first
    insert(db, "demande", [dem("D30", "51454", date(2026, 1, 1),
                               ("PARENT_ISOLE", "HEBERGE_TIERS", "DIFFICULTES_CUMULEES")),
                           dem("D31", "51454", date(2026, 1, 1),
                               ("DALO", "SORTIE_PROSTITUTION", "TRAITE_ETRES_HUMAINS")),
                           dem("D32", "51108", date(2026, 1, 1), ("HEBERGE_TIERS",))])
    p = cotation.position_demandeur(db, "D30", T)
    assert [(c["code"], c["article"]) for c in p.prioritaire["criteres"]] == [
        ("HEBERGE_TIERS", "L441-1 j"), ("DIFFICULTES_CUMULEES", "L441-1 b")]
    assert p.phrases[1].endswith(
        "au titre de : Hébergé chez un tiers ou la famille (L441-1 j) ; Mal logé ou "
        "défavorisé, difficultés particulières de logement d'ordre financier ou tenant aux "
        "conditions d'existence (L441-1 b).")
    p = cotation.position_demandeur(db, "D31", T)
    assert [c["code"] for c in p.prioritaire["criteres"]] == [
        "DALO", "SORTIE_PROSTITUTION", "TRAITE_ETRES_HUMAINS"]
    assert p.phrases[1].endswith(
        "au titre de : Ménage DALO, reconnu prioritaire et à loger d'urgence (L441-2-3) ; "
        "Engagé dans un parcours de sortie de la prostitution (L441-1 g) ; Victime de traite "
        "des êtres humains ou de proxénétisme (L441-1 h).")
    # without a grid (Châlons) the demandeur is told too
    p = cotation.position_demandeur(db, "D32", T)
    assert p.grille_version is None and p.phrases[1].endswith(
        "au titre de : Hébergé chez un tiers ou la famille (L441-1 j).")
    # the same list decides the préfet's candidates: D30 is one now
    c = cotation.candidats(db, "L1", T)
    assert "D30" in cotation.candidats_contingent(c, "prioritaire")["demande_id"].tolist()


def test_one_home_for_the_l441_1_criteria():
    from fluxcore.cotation.grille import LIBELLES
    from fluxcore.criteres import ARTICLES, CRITERES, PRIORITAIRES
    from fluxcore.parametres import BY_KEY

    assert BY_KEY["cotation_criteres_prioritaires"].defaut == list(PRIORITAIRES)
    # docs/regles.md#criteres: the twelve L441-1 publics (j counts the homeless and those hosted by
    # third parties), and DALO
    assert {ARTICLES[c] for c in PRIORITAIRES} == {
        "L441-2-3", "L441-1 a", "L441-1 a bis", "L441-1 b", "L441-1 c", "L441-1 d",
        "L441-1 e", "L441-1 f", "L441-1 g", "L441-1 h", "L441-1 i", "L441-1 j", "L441-1 k"}
    assert {"HEBERGE_TIERS", "DIFFICULTES_CUMULEES", "SORTIE_PROSTITUTION",
            "TRAITE_ETRES_HUMAINS"} <= set(PRIORITAIRES)
    assert {"TAUX_EFFORT", "PARENT_ISOLE"}.isdisjoint(PRIORITAIRES)
    assert all(LIBELLES[c.code] == c.libelle for c in CRITERES)
    assert LIBELLES["TRAITE_ETRES_HUMAINS"] == ("Victime de traite des êtres humains ou de "
                                                "proxénétisme")


def test_table_order_ranks_and_types(db):
    """The table of every score: by EPCI (none last), the scored demandes by rank, then those
    without a grid from the oldest (ties: id); rang_epci as DuckDB types it (Int64 with
    missing ranks, int64 without)."""
    insert(db, "demande", [dem("D41", "51108", date(2024, 5, 1)),
                           dem("D40", "51108", date(2024, 5, 1)),
                           dem("D42", "99999", date(2025, 1, 1), ("DALO",))])  # no EPCI
    s = cotation.scores(db, T)
    assert s["demande_id"].tolist() == [
        "D40", "D41", "D11",                                              # Châlons, no grid
        "D06", "D04", "D02", "D08", "D07", "D01", "D05", "D03", "D13", "D14",  # Reims
        "D09", "D42"]                                                     # Troyes; no EPCI
    assert str(s["rang_epci"].dtype) == "Int64"
    assert s["rang_epci"].tolist()[3:14] == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1]
    assert s["rang_epci"].iloc[[0, 1, 2, 14]].isna().all()
    reims = cotation.scores(db, T, REIMS)
    assert str(reims["rang_epci"].dtype) == "int64"
    assert reims["rang_epci"].tolist() == list(range(1, 11))
    assert cotation.scores(db, T, "999999999").empty
    # outside any EPCI: no grid, nothing to compare with
    p = cotation.position_demandeur(db, "D42", T)
    assert (p.demande["epci"], p.grille_version, p.rang_epci, p.nb_epci, p.comparables) == (
        "hors EPCI connu", None, None, 0, {})
    # D05 ties with D01 (same score and filing day): after it by id, before D03 if it refuses
    p = cotation.position_demandeur(db, "D05", T)
    assert (p.rang_epci, p.comparables["rang"], p.refus["rang_apres"]) == (7, 7, 7)


def test_lire_gives_what_db_df_gives(db):
    """The table of scores is read through Arrow: the same DataFrame as db.df, column by
    column and type by type, whatever the NULLs (a column all NULL, a NULL list or a NULL
    inside one, a missing integer, boolean or date), for an empty result and for the types
    it leaves to DuckDB."""
    from fluxcore.cotation.scores import filtres, lire
    from fluxcore.db import load_sql

    insert(db, "demande", [dem("N1", "51454", date(2025, 1, 1), ("DALO",), typ=None)])
    queries = [
        "select * from demande order by demande_id",
        "select * from demande where false",
        "select null::int as i, null::bigint as b, null::boolean as t, null::date as d,"
        " null::double as f, null::varchar as s, null::varchar[] as l from range(3)",
        "select case when range % 2 = 0 then range end::int as i, case when range % 3 = 0"
        " then true end as t, case when range % 2 = 0 then date '2020-01-01' + range::int"
        " end as d, case when range % 2 = 0 then range / 3 end::double as f,"
        " [null, 'A']::varchar[] as l, 'x' || range as s from range(5)",
        "select 1::tinyint as a, 3::hugeint as c, 4.5::decimal(5, 2) as d, 1::ubigint as e,"
        " timestamp '2020-01-01 10:00' as t, 1.5::float as f, [1, 2] as li from range(2)",
        "select criteres, typologie_souhaitee from demande where typologie_souhaitee is null",
    ]
    for sql in queries:
        ours, theirs = lire(db, sql, {}), db.df(sql)
        assert list(ours.dtypes) == list(theirs.dtypes), sql
        assert ours.equals(theirs), sql
    sql = "select * from (" + load_sql("cotation/scores") + ") order by demande_id"
    ours, theirs = lire(db, sql, filtres(T)), db.df(sql, filtres(T))
    assert list(ours.dtypes) == list(theirs.dtypes) and ours.equals(theirs) and len(ours) == 13
    assert not ours.equals(theirs.assign(score=theirs["score"] + 1))


def test_dwellings_vacated_since_filing_day_included(db):
    """logements_liberes counts the T3 libérations of the wished commune on or after the
    filing day (D06: 10/06/2025), several on one day each."""
    set_parametre(db, "cotation_min_comparables", 3, "test")
    insert(db, "logement", [logement("L6", "R1", "T3"), logement("L7", "R1", "T3")])
    insert(db, "liberation", [
        liberation("B6", "L6", date(2025, 6, 10)),   # the filing day: counted
        liberation("B7", "L7", date(2025, 6, 9)),    # the day before: not counted
        liberation("B8", "L6", date(2026, 3, 2)), liberation("B9", "L7", date(2026, 3, 2)),
        liberation("B10", "L6", date(2026, 12, 1))])  # after T: not counted
    n = cotation.non_satisfaites(db, T)
    assert n["demande_id"].tolist() == ["D06"]
    assert n.iloc[0]["logements_liberes"] == 2 + 1 + 2   # B2, B3; B6; B8, B9
    assert str(n["logements_liberes"].dtype) == "int64"
