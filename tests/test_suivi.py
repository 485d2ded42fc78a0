"""The life of an orientation (fluxcore.suivi) on the hand-built Marne of test_assiette_jauges
(TODAY = 30/06/2026), with:
- conventions: AL 15 days and 2 candidates at most; Ville de Reims 10 days; the préfet's
  states neither (settings: 30 days, 3 candidates);
- CU du Grand Reims: first-quartile threshold 9 000 €/UC in 2026, cotation grid v1
  (VIOLENCES 20 points, −10 per refusal);
- demandes D1 (VIOLENCES, 4 people, 7 142,86 €/UC → Q1, salarié), D2, D3 (DALO), D4, D5 (all
  active), D9 (radiée).
B26-13 (RB-T2-03, Reims, vacated 20/06/2026) is the dwelling walked through; O26-02 (préfet,
ORIENTE since 13/02/2026, recorded before migration 008: no date_limite), O26-07 (bailleur,
CALEOL) and O26-08 (mutation, ORIENTE) come with the territory.
"""

from __future__ import annotations

import json
import threading
from datetime import date

import pandas as pd
import pytest

from fluxcore import suivi
from fluxcore.acces import AccesRefuseError, Utilisateur
from fluxcore.cotation import scores
from fluxcore.exports import dictionary
from fluxcore.imports import import_paths
from fluxcore.jauges import jauges_reservataires
from fluxcore.orientation import (
    OrientationError,
    corriger_orientation,
    destinations_correction,
    enregistrer_orientation,
)
from fluxcore.parametres import set_parametre
from fluxcore.perimetre import Perimetre
from fluxcore.suivi import ConflitError, SuiviError
from tests.factory import attribution, insert, liberation, orientation
from tests.test_assiette_jauges import CHALONS, EPCI_REIMS, REIMS, TODAY, territoire_marne

D = date
P = Perimetre(2026, aujourdhui=TODAY)
AL = Utilisateur("al", "Action Logement", "reservataire", "AL")
LECTEUR = Utilisateur("lea", "Léa", "lecteur")
GESTION = Utilisateur("marc", "Marc", "gestionnaire")
OID = "OR-B26-13"


def dem(did, crit=(), taille=2, ress=12000.0, statut="ACTIVE", salarie=False):
    return {"demande_id": did, "date_depot": D(2025, 1, 15), "commune_souhaitee": REIMS,
            "typologie_souhaitee": "T2", "taille_menage": taille, "ressources_uc": ress,
            "criteres": list(crit), "statut": statut,
            "date_radiation": D(2026, 1, 1) if statut == "RADIEE" else None,
            "motif_radiation": "ABANDON" if statut == "RADIEE" else None, "nb_refus": 0,
            "salarie": salarie, "agent_public": False}


@pytest.fixture
def marne(empty_db):
    db = territoire_marne(empty_db)
    cur = db.cursor()
    cur.execute("update convention set delai_proposition_jours = 15, nb_candidats_max = 2 "
                "where convention_id = 'CONV-AL-51'")
    cur.execute("update convention set delai_proposition_jours = 10 "
                "where convention_id = 'CONV-VILLE-REIMS'")
    cur.close()
    insert(db, "seuil_quartile", [{"epci_siren": EPCI_REIMS, "annee": 2026,
                                   "seuil_q1_uc": 9000.0}])
    insert(db, "grille_cotation", [
        {"epci_siren": EPCI_REIMS, "version": 1, "critere": c, "points": p, "libelle": None,
         "date_effet": D(2024, 1, 1)} for c, p in (("VIOLENCES", 20.0), ("REFUS", -10.0))])
    insert(db, "demande", [
        dem("D1", ("VIOLENCES",), taille=4, ress=7142.86, salarie=True), dem("D2"),
        dem("D3", ("DALO",), ress=9500.0), dem("D4"), dem("D5"), dem("D9", statut="RADIEE")])
    return db


def _oriente(db, lib="B26-13", dest="AL", qui="Alice") -> str:
    return enregistrer_orientation(db, lib, dest, qui, "", aujourdhui=TODAY)


def _orientation(db, oid=OID) -> tuple:
    return db.one("select destinataire, statut from orientation where orientation_id = ?",
                  [oid])


def _candidatures(db, oid=OID) -> list[tuple]:
    return [tuple(r) for r in db.df(
        "select candidature_id, demande_id, rang, statut, origine, propose_par "
        "from candidature where orientation_id = ? order by candidature_id", [oid]
    ).itertuples(index=False)]


def _audits(db) -> int:
    return int(db.scalar("select count(*) from audit_log"))


def _journal(db, oid=OID) -> list[tuple]:
    rows = db.df("select actor, action, details from audit_log where action like 'suivi.%' "
                 "or action like 'attribution.%' or action like 'orientation.%' "
                 "order by audit_id")
    out = []
    for r in rows.itertuples():
        d = json.loads(r.details)
        if d.get("orientation_id", oid) == oid:
            out.append((r.actor, r.action, d.get("resume")))
    return out


# == the whole walk: ORIENTE → candidates → CALEOL → RETENU → lease ============================
def test_a_dwelling_from_orientation_to_lease(marne):
    assert _oriente(marne) == OID
    assert suivi.date_limite(marne, OID) == D(2026, 7, 15)           # AL: 15 days
    ids = suivi.proposer_candidats(marne, OID, ["D1", "D2"], "Alice", D(2026, 7, 2))
    assert ids == ["CA-OR-B26-13-1", "CA-OR-B26-13-2"]
    assert _candidatures(marne) == [
        ("CA-OR-B26-13-1", "D1", 1, "PROPOSE", "BAILLEUR", "Alice"),
        ("CA-OR-B26-13-2", "D2", 2, "PROPOSE", "BAILLEUR", "Alice")]
    assert _orientation(marne) == ("AL", "CANDIDATS_PROPOSES")
    # AL may propose 2: no room left
    assert suivi.dossier(marne, "B26-13")["actions"] == [
        "RETIRER", "CALEOL", "REFUS_MENAGE", "RENDRE"]

    suivi.passer_en_caleol(marne, OID, D(2026, 7, 10), "Bruno")
    assert _orientation(marne) == ("AL", "CALEOL")
    assert suivi.dossier(marne, "B26-13")["actions"] == ["DECIDER", "REFUS_MENAGE"]
    assert suivi.decision_caleol(marne, ids[1], "AJOURNE", D(2026, 7, 10), "Bruno",
                                 motif="Pièces manquantes") is None
    assert _orientation(marne) == ("AL", "CALEOL")
    att = suivi.decision_caleol(marne, ids[0], "RETENU", D(2026, 7, 10), "Bruno")
    assert att == "AT-CA-OR-B26-13-1"
    assert _orientation(marne) == ("AL", "ATTRIBUE")
    row = marne.df("select * exclude (date_caleol, date_bail) from attribution "
                   "where orientation_id = ?", [OID]).iloc[0].to_dict()
    assert row == {"attribution_id": att, "orientation_id": OID, "logement_id": "RB-T2-03",
                   "menage_id": "D1", "taille_menage": 4, "ressources_uc": 7142.86,
                   "quartile": 1, "prioritaire": True, "dalo": False,
                   "mutation_interne": False, "relogement": None, "salarie": True,
                   "numero_unique": "D1"}
    en_cours = suivi.en_cours(marne, P).set_index("orientation_id")
    assert en_cours.loc[OID, ["statut", "statut_libelle", "nb_candidats"]].tolist() == [
        "ATTRIBUE", "Attribué", 2]
    assert suivi.dossier(marne, "B26-13")["actions"] == ["REFUS_MENAGE", "SIGNER_BAIL"]

    before = _audits(marne)
    with pytest.raises(SuiviError, match=r"date du bail \(09/07/2026\) précède la décision"):
        suivi.signer_bail(marne, att, D(2026, 7, 9), "Chloé")
    assert _audits(marne) == before
    suivi.signer_bail(marne, att, D(2026, 7, 20), "Chloé")
    assert marne.one("select date_caleol, date_bail from attribution where attribution_id = ?",
                     [att]) == (D(2026, 7, 10), D(2026, 7, 20))
    assert marne.one("select statut, date_radiation, motif_radiation from demande "
                     "where demande_id = 'D1'") == ("ATTRIBUEE", D(2026, 7, 20), "ATTRIBUTION")
    assert OID not in set(suivi.en_cours(marne, P)["orientation_id"])
    with pytest.raises(SuiviError, match="bail a été signé le 20/07/2026"):
        suivi.refus_menage(marne, ids[0], "Trop tard", D(2026, 7, 21))

    d = suivi.dossier(marne, "B26-13", aujourdhui=D(2026, 7, 21))
    assert d["actions"] == []
    assert (d["logement"]["logement_id"], d["logement"]["commune"]) == ("RB-T2-03", "Reims")
    o = d["orientation"]
    assert (o["destinataire_nom"], o["statut_libelle"], o["date_limite"], o["jours_restants"],
            o["convention_id"], o["nb_candidats_max"]) == (
        "Action Logement Services", "Attribué", D(2026, 7, 15), -6, "CONV-AL-51", 2)
    cands = d["candidatures"][["demande_id", "statut_libelle", "motif"]].astype(object)
    assert cands.where(cands.notna(), None).values.tolist() == [
        ["D1", "Retenu par la CALEOL", None],
        # postponed, then withdrawn once the lease is signed
        ["D2", "Retiré", "Logement attribué à un autre candidat"]]
    assert d["attribution"]["attribution_id"] == att
    assert [(e["etape"], e["date"], e["qui"]) for e in d["etapes"]] == [
        ("Libération du logement", D(2026, 6, 20), None),
        ("Orientation décidée", TODAY, "Alice"),
        ("Candidats proposés", D(2026, 7, 2), "Alice"),
        ("Passage en CALEOL", D(2026, 7, 10), "Bruno"),
        ("Décision de la CALEOL", D(2026, 7, 10), "Bruno"),
        ("Décision de la CALEOL", D(2026, 7, 10), "Bruno"),
        ("Bail signé", D(2026, 7, 20), "Chloé")]
    # every write left one audit row, French details naming the orientation
    assert _journal(marne) == [
        ("Alice", "orientation.create", None),
        ("Alice", "suivi.proposer", "2 candidats proposés : demandes D1, D2"),
        ("Bruno", "suivi.caleol", "CALEOL du 10/07/2026 : demandes D1, D2"),
        ("Bruno", "suivi.decision", "Demande D2 : ajourné (Pièces manquantes)"),
        ("Bruno", "suivi.decision", "Demande D1 : retenu par la CALEOL"),
        ("Chloé", "suivi.bail", "Bail signé le 20/07/2026 ; 1 autre candidat retiré")]


def test_imported_history_is_told_from_the_rows(marne):
    d = suivi.dossier(marne, "B26-01")     # orientation and lease imported, no audit row
    assert [(e["etape"], e["date"], e["qui"]) for e in d["etapes"]] == [
        ("Libération du logement", D(2026, 1, 15), None),
        ("Orientation décidée", D(2026, 1, 18), "test"),
        ("Décision de la CALEOL", D(2026, 1, 25), None),
        ("Bail signé", D(2026, 2, 1), None)]
    assert d["actions"] == []
    # imported at CALEOL with its attribution: the lease can be recorded, not a new decision
    insert(marne, "attribution", [attribution("A07", "O26-07", "RB-T2-02", D(2026, 4, 20),
                                              None)])
    insert(marne, "candidature", [{
        "candidature_id": "C07", "orientation_id": "O26-07", "demande_id": "D2", "rang": 1,
        "date_proposition": D(2026, 4, 15), "propose_par": "import", "statut": "PROPOSE"}])
    assert suivi.dossier(marne, "B26-07")["actions"] == ["REFUS_MENAGE", "SIGNER_BAIL"]
    with pytest.raises(SuiviError, match=r"attribution existe déjà pour ce logement \(A07\)"):
        suivi.decision_caleol(marne, "C07", "RETENU", D(2026, 4, 20), "Bruno")
    suivi.signer_bail(marne, "A07", D(2026, 5, 1), "Chloé")
    assert _orientation(marne, "O26-07") == ("BAILLEUR", "ATTRIBUE")
    assert [(e["etape"], e["date"], e["qui"]) for e in suivi.dossier(marne, "B26-07")["etapes"]
            ][2:] == [("Candidat proposé", D(2026, 4, 15), "import"),
                      ("Décision de la CALEOL", D(2026, 4, 20), None),
                      ("Bail signé", D(2026, 5, 1), "Chloé")]
    empty = suivi.dossier(marne, "B26-11")
    assert empty["orientation"] is None and empty["actions"] == []
    with pytest.raises(SuiviError, match="Libération inconnue"):
        suivi.dossier(marne, "B-X")


# == refusals ===================================================================================
def test_refusal_by_the_caleol_needs_a_motif(marne):
    _oriente(marne, dest="PREF-51")
    (cid,) = suivi.proposer_candidats(marne, OID, ["D3"], "Alice", D(2026, 7, 1))
    suivi.passer_en_caleol(marne, OID, D(2026, 7, 8), "Bruno")
    before = _audits(marne)
    for motif in (None, "  "):
        with pytest.raises(SuiviError, match="refus de la CALEOL doit être motivé"):
            suivi.decision_caleol(marne, cid, "REFUSE_CALEOL", D(2026, 7, 8), "Bruno", motif)
    with pytest.raises(SuiviError, match="Décision inconnue"):
        suivi.decision_caleol(marne, cid, "ACCEPTE", D(2026, 7, 8), "Bruno")
    assert _audits(marne) == before and _candidatures(marne)[0][3] == "PROPOSE"

    suivi.decision_caleol(marne, cid, "REFUSE_CALEOL", D(2026, 7, 8), "Bruno",
                          " Ressources insuffisantes ")
    assert marne.one("select statut, date_decision, motif from candidature") == (
        "REFUSE_CALEOL", D(2026, 7, 8), "Ressources insuffisantes")
    # nobody left to decide: back to CANDIDATS_PROPOSES, others may be proposed
    assert _orientation(marne) == ("PREF-51", "CANDIDATS_PROPOSES")
    assert "PROPOSER" in suivi.dossier(marne, "B26-13")["actions"]
    with pytest.raises(SuiviError, match="déjà proposée pour ce logement : D3"):
        suivi.proposer_candidats(marne, OID, ["D3"], "Alice", D(2026, 7, 9))
    assert suivi.proposer_candidats(marne, OID, ["D4"], "Alice", D(2026, 7, 9)) == [
        "CA-OR-B26-13-2"]
    assert _candidatures(marne)[1][:4] == ("CA-OR-B26-13-2", "D4", 2, "PROPOSE")


def test_household_refusal_counts_and_undoes_the_attribution(marne):
    _oriente(marne)
    (cid,) = suivi.proposer_candidats(marne, OID, ["D1"], "Alice", D(2026, 7, 1))
    suivi.passer_en_caleol(marne, OID, D(2026, 7, 8), "Bruno")
    att = suivi.decision_caleol(marne, cid, "RETENU", D(2026, 7, 8), "Bruno")
    points = scores(marne, D(2026, 7, 12), EPCI_REIMS).set_index("demande_id")
    assert points.loc["D1", ["nb_refus", "points_refus"]].tolist() == [0, 0.0]
    with pytest.raises(SuiviError, match="refus du ménage doit être motivé"):
        suivi.refus_menage(marne, cid, "", D(2026, 7, 12), "Bruno")

    suivi.refus_menage(marne, cid, "Logement trop éloigné du travail", D(2026, 7, 12), "Bruno")
    assert marne.one("select statut, date_decision, motif from candidature") == (
        "REFUS_MENAGE", D(2026, 7, 12), "Logement trop éloigné du travail")
    assert marne.scalar("select nb_refus from demande where demande_id = 'D1'") == 1
    # the cotation's refusal rule reads it: −10 points per refusal
    points = scores(marne, D(2026, 7, 12), EPCI_REIMS).set_index("demande_id")
    assert points.loc["D1", ["nb_refus", "points_refus", "score"]].tolist() == [1, -10.0,
                                                                                10.0]
    assert marne.scalar("select count(*) from attribution where orientation_id = ?",
                        [OID]) == 0
    assert _orientation(marne) == ("AL", "CANDIDATS_PROPOSES")
    deleted = marne.df("select actor, entity_id, details from audit_log "
                       "where action = 'attribution.delete'")
    assert deleted[["actor", "entity_id"]].values.tolist() == [["Bruno", att]]
    content = json.loads(deleted["details"].iloc[0])["attribution"]
    assert (content["menage_id"], content["date_caleol"], content["quartile"]) == (
        "D1", "2026-07-08", 1)
    assert _journal(marne)[-2:] == [
        ("Bruno", "attribution.delete", f"Attribution {att} annulée (refus du ménage)"),
        ("Bruno", "suivi.refus_menage", "Demande D1 : le ménage refuse le logement (Logement "
                                        "trop éloigné du travail) ; un refus de plus compté à "
                                        "la demande")]


# == how many candidates ========================================================================
def test_too_many_candidates_are_refused(marne):
    _oriente(marne)                          # AL: 2 at most (its convention)
    before = _audits(marne)
    with pytest.raises(SuiviError, match=r"^Au plus 2 candidats par logement \(convention "
                                         r"CONV-AL-51\) : 0 déjà en lice, 3 de plus refusés\.$"):
        suivi.proposer_candidats(marne, OID, ["D1", "D2", "D3"], "Alice", D(2026, 7, 1))
    for ids, match in ((["D1", "D1"], "indiquée deux fois : D1"), ([], "au moins une demande"),
                       (["DX"], "Demande inconnue : DX"), (["D9"], "n'est plus active")):
        with pytest.raises(SuiviError, match=match):
            suivi.proposer_candidats(marne, OID, ids, "Alice", D(2026, 7, 1))
    with pytest.raises(SuiviError, match=r"date de proposition \(29/06/2026\) précède"):
        suivi.proposer_candidats(marne, OID, ["D1"], "Alice", D(2026, 6, 29))
    assert _audits(marne) == before and _candidatures(marne) == []

    suivi.proposer_candidats(marne, OID, ["D1", "D2"], "Alice", D(2026, 7, 1))
    with pytest.raises(SuiviError, match="2 déjà en lice, 1 de plus refusé"):
        suivi.proposer_candidats(marne, OID, ["D3"], "Alice", D(2026, 7, 2))
    suivi.retirer_candidat(marne, "CA-OR-B26-13-2", "Alice", "Demande en doublon",
                           D(2026, 7, 2))
    assert suivi.proposer_candidats(marne, OID, ["D3"], "Alice", D(2026, 7, 2)) == [
        "CA-OR-B26-13-3"]
    assert [c[1:4] for c in _candidatures(marne)] == [
        ("D1", 1, "PROPOSE"), ("D2", 2, "RETIRE"), ("D3", 3, "PROPOSE")]
    # everyone withdrawn: the orientation waits for candidates again
    for cid in ("CA-OR-B26-13-1", "CA-OR-B26-13-3"):
        suivi.retirer_candidat(marne, cid, "Alice", None, D(2026, 7, 3))
    assert _orientation(marne) == ("AL", "ORIENTE")
    assert [j for j in _journal(marne) if j[1] == "suivi.retirer"] == [
        ("Alice", "suivi.retirer", "Demande D2 retirée : Demande en doublon"),
        ("Alice", "suivi.retirer", "Demande D1 retirée"),
        ("Alice", "suivi.retirer", "Demande D3 retirée")]


def test_without_convention_terms_the_setting_limits_the_candidates(marne):
    _oriente(marne, dest="PREF-51")
    set_parametre(marne, "nb_candidats_max", 1, "admin")
    with pytest.raises(SuiviError, match=r"Au plus 1 candidat par logement \(paramètre "
                                         r"nb_candidats_max\) : 0 déjà en lice, 2 de plus"):
        suivi.proposer_candidats(marne, OID, ["D1", "D2"], "Alice", D(2026, 7, 1))


# == who may propose ============================================================================
def test_reservataire_account_proposes_only_when_allowed_and_for_itself(marne):
    _oriente(marne)
    al = marne.pour(AL)
    before = _audits(marne)
    with pytest.raises(AccesRefuseError, match="reservataire_propose_candidats"):
        suivi.proposer_candidats(al, OID, ["D1"], date_proposition=D(2026, 7, 1))
    assert _audits(marne) == before

    set_parametre(marne, "reservataire_propose_candidats", True, "admin")
    assert suivi.proposer_candidats(al, OID, ["D1"], "usurpateur", D(2026, 7, 1)) == [
        "CA-OR-B26-13-1"]
    assert _candidatures(marne) == [("CA-OR-B26-13-1", "D1", 1, "PROPOSE", "RESERVATAIRE",
                                     "al")]
    assert marne.one("select actor, action from audit_log order by audit_id desc limit 1"
                     ) == ("al", "suivi.proposer")
    before = _audits(marne)
    for oid in ("O26-02", "INCONNUE"):          # the préfet's dwelling, an unknown one
        with pytest.raises(AccesRefuseError, match="que pour les logements mis à sa "
                                                   "disposition"):
            suivi.proposer_candidats(al, oid, ["D2"], date_proposition=D(2026, 7, 1))
    with pytest.raises(AccesRefuseError, match="enregistrer ou corriger une orientation"):
        suivi.retirer_candidat(al, "CA-OR-B26-13-1")
    with pytest.raises(AccesRefuseError, match="enregistrer ou corriger une orientation"):
        suivi.passer_en_caleol(al, OID, D(2026, 7, 8))
    with pytest.raises(AccesRefuseError, match="lecture seule"), al.transaction() as cur:
        cur.execute("delete from candidature")
    with pytest.raises(AccesRefuseError, match="enregistrer ou corriger une orientation"):
        suivi.proposer_candidats(marne.pour(LECTEUR), OID, ["D2"],
                                 date_proposition=D(2026, 7, 1))
    assert _audits(marne) == before
    # it sees its own dwellings only
    assert set(suivi.en_cours(al, P)["destinataire"]) == {"AL"}
    assert suivi.dossier(al, "B26-13")["actions"] == ["PROPOSER"]
    with pytest.raises(AccesRefuseError, match="ne voit que les logements mis à la "
                                               "disposition"):
        suivi.dossier(al, "B26-02")
    # the landlord's staff propose under their own login
    suivi.proposer_candidats(marne.pour(GESTION), OID, ["D2"], "x", D(2026, 7, 2))
    assert _candidatures(marne)[1][4:] == ("BAILLEUR", "marc")


# == deadlines ==================================================================================
def test_deadline_from_the_convention_else_the_setting(marne):
    set_parametre(marne, "delai_proposition_jours", 20, "admin")
    _oriente(marne)                                                    # AL convention: 15
    _oriente(marne, "B26-11", "PREF-51")                               # no delay: setting
    _oriente(marne, "B26-12", "BAILLEUR")                              # internal: none
    assert marne.df("select liberation_id, date_limite from orientation where orientation_id "
                    "like 'OR-%' order by 1").values.tolist() == [
        ["B26-11", pd.Timestamp(2026, 7, 20)], ["B26-12", pd.NaT],
        ["B26-13", pd.Timestamp(2026, 7, 15)]]
    # recorded before migration 008: computed on the fly (13/02 + 20 days)
    assert marne.scalar("select date_limite from orientation where orientation_id = 'O26-02'"
                        ) is None
    assert suivi.date_limite(marne, "O26-02") == D(2026, 3, 5)
    assert suivi.date_limite(marne, "O26-08") is None                  # mutation
    # a correction recomputes it from the new destination
    corriger_orientation(marne, "B26-13", "PREF-51", "Bob", "Erreur de saisie")
    assert suivi.date_limite(marne, OID) == D(2026, 7, 20)
    assert marne.scalar("select date_limite from orientation where orientation_id = ?",
                        [OID]) == D(2026, 7, 20)
    # a convention covers only its perimeter and its days
    insert(marne, "liberation", [liberation("B26-16", "RB-T2-04", D(2026, 6, 22)),
                                 liberation("B26-17", "RC-T2-03", D(2026, 6, 22)),
                                 liberation("B26-18", "RB-T2-05", D(2026, 6, 22))])
    insert(marne, "orientation", [
        orientation("OX-16", "B26-16", "VILLE-REIMS", D(2026, 6, 25), "ORIENTE"),  # 10 days
        orientation("OX-17", "B26-17", "VILLE-REIMS", D(2026, 6, 25), "ORIENTE"),  # Châlons
        orientation("OX-18", "B26-18", "EMP-X", D(2026, 6, 25), "ORIENTE")])      # ended 2025
    assert [suivi.date_limite(marne, o) for o in ("OX-16", "OX-17", "OX-18")] == [
        D(2026, 7, 5), D(2026, 7, 15), D(2026, 7, 15)]
    with pytest.raises(SuiviError, match="Orientation inconnue"):
        suivi.date_limite(marne, "OX")


def _echeances_case(db) -> None:
    """O26-02 (préfet, 15/03), B26-16 (Reims, 05/07), B26-13 (AL, 15/07, one candidate),
    B26-11 (préfet, 30/07); O26-08 (mutation) and O26-07 (bailleur, CALEOL) have none."""
    _oriente(db)
    suivi.proposer_candidats(db, OID, ["D1"], "Alice", D(2026, 7, 1))
    _oriente(db, "B26-11", "PREF-51")
    insert(db, "liberation", [liberation("B26-16", "RB-T2-04", D(2026, 6, 22))])
    insert(db, "orientation", [orientation("OX-16", "B26-16", "VILLE-REIMS", D(2026, 6, 25),
                                           "ORIENTE")])


def test_en_cours_lists_every_unfinished_orientation(marne):
    _echeances_case(marne)
    df = suivi.en_cours(marne, P)
    assert list(df.columns) == [
        "liberation_id", "orientation_id", "logement_id", "typologie", "commune",
        "destinataire", "destinataire_nom", "statut", "statut_libelle", "date_orientation",
        "date_limite", "jours_restants", "nb_candidats", "nb_candidats_max", "modifie_le"]
    got = {r.liberation_id: (r.destinataire_nom, r.statut, r.date_limite, r.jours_restants,
                             r.nb_candidats, r.nb_candidats_max) for r in df.itertuples()}
    assert got == {
        "B26-02": ("Préfet de la Marne", "ORIENTE", pd.Timestamp(2026, 3, 15), -107, 0, 3),
        "B26-16": ("Ville de Reims", "ORIENTE", pd.Timestamp(2026, 7, 5), 5, 0, 3),
        "B26-13": ("Action Logement Services", "CANDIDATS_PROPOSES", pd.Timestamp(2026, 7, 15),
                   15, 1, 2),
        "B26-11": ("Préfet de la Marne", "ORIENTE", pd.Timestamp(2026, 7, 30), 30, 0, 3),
        "B26-07": ("Bailleur (non réservé)", "CALEOL", pd.NaT, pd.NA, 0, 3),
        "B26-08": ("Mutations internes", "ORIENTE", pd.NaT, pd.NA, 0, 3),
        # given back, no lease yet: the bailleur attributes it; its deadline no longer runs
        "B26-06": ("Action Logement Services", "RENDU_BAILLEUR", pd.Timestamp(2026, 4, 2),
                   pd.NA, 0, 2)}
    assert df["liberation_id"].tolist()[:5] == ["B26-02", "B26-06", "B26-16", "B26-13", "B26-11"]
    chalons = suivi.en_cours(marne, Perimetre(2026, aujourdhui=TODAY, commune_insee=CHALONS))
    assert chalons["liberation_id"].tolist() == ["B26-11"]


def test_echeances_at_a_given_date(marne):
    _echeances_case(marne)
    cols = ["liberation_id", "destinataire", "jours_restants", "en_retard"]
    assert suivi.echeances(marne, P)[cols].values.tolist() == [
        ["B26-02", "PREF-51", -107, True], ["B26-16", "VILLE-REIMS", 5, False]]
    later = Perimetre(2026, aujourdhui=D(2026, 7, 10))
    assert suivi.echeances(marne, later)[cols].values.tolist() == [
        ["B26-02", "PREF-51", -117, True], ["B26-16", "VILLE-REIMS", -5, True],
        ["B26-13", "AL", 5, False]]
    assert suivi.nombre_echeances(marne, later) == {"proches": 1, "en_retard": 2}
    assert suivi.echeances(marne, P, jours=30)["liberation_id"].tolist() == [
        "B26-02", "B26-16", "B26-13", "B26-11"]
    # the Suivi page filters the frame it already read: the same rows
    pd.testing.assert_frame_equal(suivi.echeances_de(suivi.en_cours(marne, later), 30),
                                  suivi.echeances(marne, later, jours=30))
    # a réservataire account counts its own
    assert suivi.nombre_echeances(marne.pour(AL), later) == {"proches": 1, "en_retard": 0}
    set_parametre(marne, "echeance_alerte_jours", 0, "admin")
    assert suivi.nombre_echeances(marne, P) == {"proches": 0, "en_retard": 1}


# == given back to the bailleur =================================================================
def test_dwellings_given_back_count_per_the_setting(marne):
    _oriente(marne)
    suivi.proposer_candidats(marne, OID, ["D1"], "Alice", D(2026, 7, 1))
    cols = ["orientes", "rendus", "livres"]
    before = jauges_reservataires(marne, P).set_index("reservataire_id")
    assert before.loc["PREF-51", cols].tolist() == [2, 0, 2]
    assert before.loc["AL", cols].tolist() == [4, 1, 4]
    n_audit = _audits(marne)
    with pytest.raises(ConflitError, match="statut « Passé en CALEOL »"):
        suivi.rendre_au_bailleur(marne, ["O26-02", OID, "O26-07"], "Bruno")
    with pytest.raises(SuiviError, match="orienté vers Mutations internes : il n'a pas de "
                                         "réservataire"):
        suivi.rendre_au_bailleur(marne, ["O26-08"], "Bruno")
    assert _audits(marne) == n_audit and _orientation(marne, "O26-02")[1] == "ORIENTE"

    assert suivi.rendre_au_bailleur(marne, ["O26-02", OID], "Bruno",
                                     date_rendu=D(2026, 7, 20)) == 2
    assert _orientation(marne, "O26-02") == ("PREF-51", "RENDU_BAILLEUR")
    assert _orientation(marne) == ("AL", "RENDU_BAILLEUR")
    assert marne.one("select statut, motif from candidature") == (
        "RETIRE", "Logement rendu au bailleur")
    assert marne.df("select actor, entity_id from audit_log where action = 'suivi.rendre' "
                    "order by audit_id").values.tolist() == [["Bruno", "O26-02"],
                                                             ["Bruno", OID]]
    assert suivi.dossier(marne, "B26-13")["etapes"][-1] == {
        "etape": "Logement rendu au bailleur", "date": D(2026, 7, 20), "qui": "Bruno",
        "detail": "Délai de proposition dépassé (Action Logement Services)"}
    assert suivi.echeances(marne, P).empty
    after = jauges_reservataires(marne, P).set_index("reservataire_id")
    assert after.loc["PREF-51", cols].tolist() == [2, 1, 2]     # still delivered (setting)
    assert after.loc["AL", cols].tolist() == [4, 2, 4]
    set_parametre(marne, "rendu_bailleur_compte_livre", False, "admin")
    after = jauges_reservataires(marne, P).set_index("reservataire_id")
    assert after.loc["PREF-51", cols].tolist() == [2, 1, 1]
    assert after.loc["AL", cols].tolist() == [4, 2, 2]


def test_a_dwelling_given_back_is_attributed_by_the_bailleur(marne):
    _oriente(marne)
    suivi.proposer_candidats(marne, OID, ["D1"], "Alice", D(2026, 7, 1))
    suivi.rendre_au_bailleur(marne, [OID], "Bruno", date_rendu=D(2026, 7, 20))
    d = suivi.dossier(marne, "B26-13")
    assert d["actions"] == ["ATTRIBUER_BAILLEUR"]
    assert suivi.ACTIONS_DOSSIER["ATTRIBUER_BAILLEUR"] == "Attribuer à un candidat du bailleur"
    assert OID in set(suivi.en_cours(marne, P)["orientation_id"])
    jauges = jauges_reservataires(marne, P)
    before = _audits(marne)
    with pytest.raises(SuiviError, match="Demande inconnue : DX"):
        suivi.attribuer_apres_rendu(marne, OID, "DX", D(2026, 7, 25), "Bruno")
    with pytest.raises(SuiviError, match="n'est plus active"):
        suivi.attribuer_apres_rendu(marne, OID, "D9", D(2026, 7, 25), "Bruno")
    with pytest.raises(SuiviError, match="date de la CALEOL"):
        suivi.attribuer_apres_rendu(marne, OID, "D3", D(2026, 6, 1), "Bruno")
    with pytest.raises(ConflitError, match="statut « Orienté »"):
        suivi.attribuer_apres_rendu(marne, "O26-02", "D3", D(2026, 7, 25), "Bruno")
    assert _audits(marne) == before

    att = suivi.attribuer_apres_rendu(marne, OID, "D3", D(2026, 7, 25), "Bruno")
    assert att == "AT-CA-OR-B26-13-2"
    assert _orientation(marne) == ("AL", "RENDU_BAILLEUR")          # the bailleur's attribution
    assert _candidatures(marne)[1] == ("CA-OR-B26-13-2", "D3", 2, "RETENU", "BAILLEUR", "Bruno")
    assert marne.one("select dalo, menage_id, date_caleol from attribution where "
                     "attribution_id = ?", [att]) == (True, "D3", D(2026, 7, 25))
    assert suivi.dossier(marne, "B26-13")["actions"] == ["REFUS_MENAGE", "SIGNER_BAIL"]
    # the household declines: the attribution goes, the dwelling stays the bailleur's
    suivi.refus_menage(marne, "CA-OR-B26-13-2", "Trop loin", D(2026, 7, 27), "Bruno")
    assert _orientation(marne) == ("AL", "RENDU_BAILLEUR")
    assert marne.scalar("select count(*) from attribution where orientation_id = ?", [OID]) == 0
    assert marne.scalar("select nb_refus from demande where demande_id = 'D3'") == 1
    assert suivi.dossier(marne, "B26-13")["actions"] == ["ATTRIBUER_BAILLEUR"]
    with pytest.raises(SuiviError, match="D3 a déjà été proposée"):
        suivi.attribuer_apres_rendu(marne, OID, "D3", D(2026, 7, 28), "Bruno")
    att = suivi.attribuer_apres_rendu(marne, OID, "D4", D(2026, 7, 28), "Bruno")
    suivi.signer_bail(marne, att, D(2026, 8, 3), "Chloé")
    assert _orientation(marne) == ("AL", "RENDU_BAILLEUR")
    assert OID not in set(suivi.en_cours(marne, P)["orientation_id"])
    assert suivi.dossier(marne, "B26-13")["actions"] == []
    # the flux counts it as before (rendu_bailleur_compte_livre), whoever attributed it
    assert jauges_reservataires(marne, P).equals(jauges)
    assert [e["etape"] for e in suivi.dossier(marne, "B26-13")["etapes"]][3:] == [
        "Logement rendu au bailleur", "Attribution à un candidat du bailleur",
        "Attribution annulée", "Refus du ménage", "Attribution à un candidat du bailleur",
        "Bail signé"]


def test_correction_before_any_candidate_to_a_named_destination(marne):
    _oriente(marne)
    possibles = destinations_correction(marne, "B26-13", TODAY)
    assert "AL" not in possibles and possibles["PREF-51"] == "Préfet de la Marne"
    assert possibles["BAILLEUR"] == "Bailleur (non réservé)"
    assert suivi.dossier(marne, "B26-13")["actions"][-1] == "CORRIGER"
    suivi.proposer_candidats(marne, OID, ["D1"], "Alice", D(2026, 7, 1))
    assert "CORRIGER" not in suivi.dossier(marne, "B26-13")["actions"]
    before = _audits(marne)
    with pytest.raises(OrientationError, match="statut « Candidats proposés » : elle ne peut "
                                               "plus être corrigée"):
        corriger_orientation(marne, "B26-13", "PREF-51", "Bob", "Erreur")
    with pytest.raises(OrientationError, match=r"« XX » n'est pas une destination possible "
                                               r"pour ce logement \(possibles : "):
        corriger_orientation(marne, "B26-13", "XX", "Bob", "Erreur")
    assert _audits(marne) == before


# == two users at once ==========================================================================
def test_stale_state_is_refused_and_nothing_written(marne):
    _oriente(marne)
    seen = suivi.dossier(marne, "B26-13")["orientation"]["modifie_le"]
    assert not pd.isna(seen)
    (cid,) = suivi.proposer_candidats(marne, OID, ["D1"], "Bob", D(2026, 7, 1),
                                      modifie_le_attendu=seen)
    before = (_audits(marne), _candidatures(marne), _orientation(marne))
    with pytest.raises(ConflitError, match=r"B26-13|RB-T2-03") as err:
        suivi.proposer_candidats(marne, OID, ["D2"], "Alice", D(2026, 7, 1),
                                 modifie_le_attendu=seen)
    assert "a été modifié par Bob le " in str(err.value) and "rechargez" in str(err.value)
    with pytest.raises(ConflitError, match="a été modifiée par Bob le "):
        corriger_orientation(marne, "B26-13", "PREF-51", "Alice", "Erreur",
                             modifie_le_attendu=seen)
    with pytest.raises(ConflitError):
        suivi.retirer_candidat(marne, cid, "Alice", modifie_le_attendu=seen)
    assert (_audits(marne), _candidatures(marne), _orientation(marne)) == before

    # both saw the candidate proposed; Bob withdraws it first
    suivi.retirer_candidat(marne, cid, "Bob", "Doublon", D(2026, 7, 2))
    with pytest.raises(ConflitError, match="la candidature de la demande D1 est « Retiré » "
                                           r"\(modifiée par Bob le "):
        suivi.retirer_candidat(marne, cid, "Alice", "Autre motif", D(2026, 7, 2))
    with pytest.raises(ConflitError, match="statut « Orienté »"):
        suivi.passer_en_caleol(marne, OID, D(2026, 7, 8), "Alice")


def test_two_users_propose_at_the_same_time(marne):
    _oriente(marne)
    seen = suivi.dossier(marne, "B26-13")["orientation"]["modifie_le"]
    barrier = threading.Barrier(2)
    results: dict[str, object] = {}

    def propose(who, ids):
        barrier.wait()
        try:
            results[who] = suivi.proposer_candidats(marne, OID, ids, who, D(2026, 7, 1),
                                                    modifie_le_attendu=seen)
        except Exception as exc:  # collected and checked below
            results[who] = exc

    threads = [threading.Thread(target=propose, args=("Alice", ["D1", "D2"])),
               threading.Thread(target=propose, args=("Bob", ["D3", "D4"]))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    assert not any(t.is_alive() for t in threads)
    ok = [w for w, r in results.items() if isinstance(r, list)]
    ko = [w for w, r in results.items() if isinstance(r, ConflitError)]
    assert len(ok) == 1 and len(ko) == 1, results
    assert f"a été modifié par {ok[0]} le " in str(results[ko[0]])
    assert [c[5] for c in _candidatures(marne)] == [ok[0], ok[0]]
    assert marne.scalar("select count(*) from audit_log where action = 'suivi.proposer'") == 1


# == import =====================================================================================
def test_candidatures_are_importable_with_their_checks(marne, tmp_path):
    f = tmp_path / "candidatures.csv"
    header = "candidature_id;orientation_id;demande_id;rang;date_proposition;propose_par;statut"
    for rows, expected in (("C1;O26-02;D1;1;20/02/2026;import;PROPOSE\n"
                            "C2;O26-02;D2;0;20/02/2026;import;ACCEPTE\n",
                            [(3, "rang"), (3, "statut")]),
                           ("C1;O26-02;D1;1;20/02/2026;import;PROPOSE\n"
                            "C2;OX;DX;1;20/02/2026;import;PROPOSE\n",
                            [(3, "demande_id"), (3, "orientation_id")])):
        f.write_text(f"{header}\n{rows}", encoding="utf-8")
        result = import_paths(marne, [f])
        assert not result.ok
        problems = result.problems.frame()
        assert sorted(zip(problems["ligne"].astype(int), problems["colonne"])) == expected
    assert marne.scalar("select count(*) from candidature") == 0
    f.write_text("candidature_id;orientation_id;demande_id;rang;date_proposition;propose_par\n"
                 "C1;O26-02;D1;1;20/02/2026;import\n", encoding="utf-8")
    assert import_paths(marne, [f]).ok
    assert marne.one("select statut, origine, modifie_le from candidature") == (
        "PROPOSE", "BAILLEUR", None)
    assert suivi.dossier(marne, "B26-02")["candidatures"]["demande_id"].tolist() == ["D1"]
    dico = dictionary(marne)
    cand = dico[dico["table"] == "candidature"].set_index("colonne")
    assert "modifie_le" not in cand.index
    assert "Retenu par la CALEOL" in cand.loc["statut", "regle"]
    assert cand.loc["propose_par", "obligatoire"] == "oui"
