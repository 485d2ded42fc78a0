"""Writing the follow-up from the CALEOL on: its decisions, the household's refusal, the
lease, the dwelling given back to the bailleur."""

from __future__ import annotations

from datetime import date, datetime

from fluxcore import etat
from fluxcore.acces import exiger
from fluxcore.criteres import DALO, criteres_prioritaires
from fluxcore.db import Database, audit
from fluxcore.formats import accord, fmt_date, libelle_destination
from fluxcore.parametres import get_parametres
from fluxcore.suivi.commun import (
    A_DECIDER,
    AUTRE_CANDIDAT,
    EN_ATTENTE,
    EN_JEU,
    RELOGEMENTS,
    STATUTS_CANDIDATURE,
    ConflitError,
    SuiviError,
    auteur_de,
    candidature_attendue,
    ligne,
    marquer,
    minuscule,
    motif_nettoye,
    nb_a_decider,
    orientation_attendue,
    pas_avant,
)


def decision_caleol(db: Database, candidature_id: str, decision: str, date_decision: date,
                    auteur: str | None = None, motif: str | None = None,
                    modifie_le_attendu=None) -> str | None:
    """Record the CALEOL's decision on a candidate. RETENU: creates the attribution (one per
    orientation), orientation ATTRIBUE, returns its id. REFUSE_CALEOL (motif mandatory) or
    AJOURNE: the candidature's statut; returns None."""
    exiger(db, "orienter")
    if decision not in ("RETENU", "REFUSE_CALEOL", "AJOURNE"):
        raise SuiviError(f"Décision inconnue : « {decision} » (RETENU, REFUSE_CALEOL ou "
                         "AJOURNE).")
    motif = motif_nettoye(motif, "Un refus de la CALEOL doit être motivé."
                          if decision == "REFUSE_CALEOL" else None)
    qui, now, s = auteur_de(db, auteur), datetime.now(), get_parametres(db)
    with db.transaction("orienter") as cur:
        etat.sans_effet(cur)   # orientation changes declared by marquer
        quoi = "enregistrer cette décision"
        c = candidature_attendue(cur, candidature_id, A_DECIDER, quoi)
        oid = c["orientation_id"]
        o = orientation_attendue(cur, oid, ("CALEOL",), modifie_le_attendu, quoi)
        pas_avant(date_decision, c["date_proposition"], "de décision", "la proposition")
        att = _attribution(cur, o, c, date_decision, s) if decision == "RETENU" else None
        cur.execute("update candidature set statut = ?, date_decision = ?, motif = ?, "
                    "modifie_le = ? where candidature_id = ?",
                    [decision, date_decision, motif, now, candidature_id])
        suite = ("ATTRIBUE" if att else "CANDIDATS_PROPOSES" if not nb_a_decider(cur, oid)
                 else None)
        marquer(cur, oid, now, suite)
        audit(cur, qui, "suivi.decision", "candidature", candidature_id, {
            "orientation_id": oid, "candidature_id": candidature_id,
            "demande_id": c["demande_id"], "decision": decision, "date": date_decision,
            "motif": motif, "attribution_id": att and att["attribution_id"],
            "attribution": att,
            "resume": f"Demande {c['demande_id']} : {minuscule(STATUTS_CANDIDATURE[decision])}"
                      + (f" ({motif})" if motif else "")})
    return att["attribution_id"] if att else None


def _attribution(cur, o: dict, c: dict, jour: date, s: dict) -> dict:
    """Insert the attribution of a retained candidate; returns its row."""
    if cur.execute("select count(*) from candidature where orientation_id = ? and statut = "
                   "'RETENU'", [o["orientation_id"]]).fetchone()[0]:
        raise ConflitError("Un candidat est déjà retenu pour ce logement : rechargez la page.")
    deja = cur.execute("select attribution_id from attribution where orientation_id = ?",
                       [o["orientation_id"]]).fetchone()
    if deja:   # imported with the orientation
        raise SuiviError(f"Une attribution existe déjà pour ce logement ({deja[0]}) : "
                         "enregistrez la signature du bail ou corrigez les données importées.")
    # the first-quartile threshold of the dwelling's EPCI for the year of the decision
    d = ligne(cur, "select d.*, s.seuil_q1_uc from demande d "
              "left join residence r on r.residence_id = (select residence_id from logement "
              "where logement_id = ?) left join seuil_quartile s on s.epci_siren = "
              "r.epci_siren and s.annee = ? where d.demande_id = ?",
              [o["logement_id"], jour.year, c["demande_id"]])
    if d is None or d["statut"] != "ACTIVE":
        raise SuiviError(f"La demande {c['demande_id']} n'est plus active (attribuée ou "
                         "radiée) : elle ne peut pas être retenue.")
    criteres = list(d["criteres"] or [])
    q1 = (None if d["seuil_q1_uc"] is None or d["ressources_uc"] is None
          else d["ressources_uc"] < d["seuil_q1_uc"])
    att = {"attribution_id": f"AT-{c['candidature_id']}", "orientation_id": o["orientation_id"],
           "logement_id": o["logement_id"], "date_caleol": jour, "date_bail": None,
           "menage_id": c["demande_id"], "taille_menage": d["taille_menage"],
           "ressources_uc": d["ressources_uc"],
           # the threshold tells only whether the household is in the first quartile
           "quartile": 1 if q1 else None,
           "prioritaire": bool(criteres_prioritaires(
               criteres, s["cotation_criteres_prioritaires"])),
           "dalo": DALO in criteres, "mutation_interne": o["destinataire"] == "MUTATION",
           "relogement": o["destinataire"] if o["destinataire"] in RELOGEMENTS else None,
           "salarie": bool(d["salarie"]), "numero_unique": c["demande_id"]}
    cur.execute(f"insert into attribution ({', '.join(att)}) values "
                f"({', '.join('?' for _ in att)})", list(att.values()))
    return att


def refus_menage(db: Database, candidature_id: str, motif: str, date_refus: date | None = None,
                 auteur: str | None = None, modifie_le_attendu=None) -> None:
    """The household declines the dwelling: candidature REFUS_MENAGE, demande.nb_refus + 1
    (the cotation's refusal rule). A retained candidate's attribution is removed (audited with
    its content) and the orientation is CANDIDATS_PROPOSES again — a dwelling given back to the
    bailleur stays RENDU_BAILLEUR (attribuer_apres_rendu again)."""
    exiger(db, "orienter")
    motif = motif_nettoye(motif, "Le refus du ménage doit être motivé.")
    qui, now, jour = auteur_de(db, auteur), datetime.now(), date_refus or date.today()
    quoi = "enregistrer ce refus"
    with db.transaction("orienter") as cur:
        etat.sans_effet(cur)   # orientation changes declared by marquer
        c = candidature_attendue(cur, candidature_id, EN_JEU, quoi)
        oid = c["orientation_id"]
        o = orientation_attendue(cur, oid, ("ATTRIBUE", "RENDU_BAILLEUR")
                                 if c["statut"] == "RETENU" else
                                 ("CANDIDATS_PROPOSES", "CALEOL"), modifie_le_attendu, quoi)
        pas_avant(jour, c["date_proposition"], "du refus", "la proposition")
        supprimee = None
        if c["statut"] == "RETENU":
            supprimee = ligne(cur, "select * from attribution where orientation_id = ? and "
                              "(attribution_id = ? or numero_unique = ? or menage_id = ?)",
                              [oid, f"AT-{candidature_id}", c["demande_id"], c["demande_id"]])
            if supprimee and supprimee["date_bail"] is not None:
                raise SuiviError(f"Le bail a été signé le {fmt_date(supprimee['date_bail'])} : "
                                 "le refus ne peut plus être enregistré.")
        cur.execute("update candidature set statut = 'REFUS_MENAGE', date_decision = ?, "
                    "motif = ?, modifie_le = ? where candidature_id = ?",
                    [jour, motif, now, candidature_id])
        cur.execute("update demande set nb_refus = nb_refus + 1 where demande_id = ?",
                    [c["demande_id"]])
        if supprimee:
            cur.execute("delete from attribution where attribution_id = ?",
                        [supprimee["attribution_id"]])
            audit(cur, qui, "attribution.delete", "attribution", supprimee["attribution_id"], {
                "orientation_id": oid, "attribution_id": supprimee["attribution_id"],
                "date": jour, "attribution": supprimee,
                "resume": f"Attribution {supprimee['attribution_id']} annulée (refus du ménage)"})
        # a dwelling given back stays the bailleur's: it looks for another household itself
        suite = (None if o["statut"] == "RENDU_BAILLEUR" else "CANDIDATS_PROPOSES"
                 if c["statut"] == "RETENU" or (o["statut"] == "CALEOL"
                                                and not nb_a_decider(cur, oid)) else None)
        marquer(cur, oid, now, suite)
        audit(cur, qui, "suivi.refus_menage", "candidature", candidature_id, {
            "orientation_id": oid, "candidature_id": candidature_id,
            "demande_id": c["demande_id"], "date": jour, "motif": motif,
            "statut_avant": c["statut"],
            "resume": f"Demande {c['demande_id']} : le ménage refuse le logement ({motif}) ; "
                      "un refus de plus compté à la demande"})


def signer_bail(db: Database, attribution_id: str, date_bail: date, auteur: str | None = None,
                modifie_le_attendu=None) -> None:
    """The lease is signed: attribution.date_bail (not before the CALEOL), the demande is
    ATTRIBUEE (radiated for attribution that day); the orientation is finished (ATTRIBUE —
    also one imported at CALEOL with its attribution row; a dwelling given back stays
    RENDU_BAILLEUR, the bailleur's attribution). The candidates still proposed or postponed
    for the dwelling are withdrawn (« logement attribué à un autre candidat »)."""
    exiger(db, "orienter")
    qui, now = auteur_de(db, auteur), datetime.now()
    with db.transaction("orienter") as cur:
        etat.sans_effet(cur)   # orientation changes declared by marquer
        a = ligne(cur, "select * from attribution where attribution_id = ?", [attribution_id])
        if a is None:
            raise SuiviError(f"Attribution inconnue : « {attribution_id} ».")
        oid = a["orientation_id"]
        if oid is not None:
            o = orientation_attendue(cur, oid, ("ATTRIBUE", "CALEOL", "RENDU_BAILLEUR"),
                                     modifie_le_attendu, "enregistrer le bail")
        if a["date_bail"] is not None:
            raise ConflitError(f"Le bail est déjà enregistré (signé le "
                               f"{fmt_date(a['date_bail'])}) : rechargez la page.")
        if a["date_caleol"] is not None:
            pas_avant(date_bail, a["date_caleol"], "du bail", "la décision de la CALEOL")
        cur.execute("update attribution set date_bail = ? where attribution_id = ?",
                    [date_bail, attribution_id])
        demande = a["numero_unique"] or a["menage_id"]
        cur.execute("update demande set statut = 'ATTRIBUEE', date_radiation = ?, "
                    "motif_radiation = 'ATTRIBUTION' where demande_id = ?", [date_bail, demande])
        retires = []
        if oid is not None:
            retires = [r[0] for r in cur.execute(
                "update candidature set statut = 'RETIRE', date_decision = ?, motif = ?, "
                "modifie_le = ? where orientation_id = ? and statut in ('PROPOSE', 'AJOURNE') "
                "returning candidature_id",
                [date_bail, AUTRE_CANDIDAT, now, oid]).fetchall()]
            marquer(cur, oid, now, None if o["statut"] == "RENDU_BAILLEUR" else "ATTRIBUE")
        audit(cur, qui, "suivi.bail", "attribution", attribution_id, {
            "orientation_id": oid, "attribution_id": attribution_id, "demande_id": demande,
            "date": date_bail, "candidatures_retirees": retires,
            "resume": f"Bail signé le {fmt_date(date_bail)}" + (
                f" ; {accord(len(retires), 'autre candidat retiré', 'autres candidats retirés')}"
                if retires else "")})


def attribuer_apres_rendu(db: Database, orientation_id: str, demande_id: str,
                          date_caleol: date, auteur: str | None = None,
                          modifie_le_attendu=None) -> str:
    """A dwelling given back to the bailleur (RENDU_BAILLEUR) is attributed by the CALEOL to
    a household the bailleur chose: a candidature of origin BAILLEUR, RETENU that day, and
    the attribution row (its pseudonymous household data from the demande); the orientation
    stays RENDU_BAILLEUR, so that the attribution is the bailleur's (objectifs/baux.sql) and
    the flux counts the dwelling per rendu_bailleur_compte_livre. Returns the attribution id.
    Refused (nothing written): orientation not RENDU_BAILLEUR or already attributed, unknown
    or inactive demande, a CALEOL before the dwelling was given back."""
    exiger(db, "orienter")
    demande_id = (demande_id or "").strip()
    if not demande_id:
        raise SuiviError("Indiquez la demande retenue par la CALEOL.")
    qui, now, s = auteur_de(db, auteur), datetime.now(), get_parametres(db)
    quoi = "enregistrer cette attribution"
    with db.transaction("orienter") as cur:
        etat.sans_effet(cur)   # orientation changes declared by marquer
        o = orientation_attendue(cur, orientation_id, ("RENDU_BAILLEUR",), modifie_le_attendu,
                                 quoi)
        pas_avant(date_caleol, o["date_orientation"], "de la CALEOL", "l'orientation")
        if cur.execute("select count(*) from candidature where orientation_id = ? and "
                       "demande_id = ? and statut <> 'RETIRE'",
                       [orientation_id, demande_id]).fetchone()[0]:
            raise SuiviError(f"La demande {demande_id} a déjà été proposée pour ce logement.")
        existing = cur.execute("select candidature_id, rang from candidature "
                               "where orientation_id = ?", [orientation_id]).fetchall()
        taken = {r[0] for r in existing}
        n = len(existing) + 1
        while f"CA-{orientation_id}-{n}" in taken:
            n += 1
        c = {"candidature_id": f"CA-{orientation_id}-{n}", "orientation_id": orientation_id,
             "demande_id": demande_id, "rang": max((r[1] for r in existing), default=0) + 1,
             "date_proposition": date_caleol, "propose_par": qui, "origine": "BAILLEUR",
             "statut": "RETENU", "date_decision": date_caleol, "modifie_le": now}
        if ligne(cur, "select demande_id from demande where demande_id = ?",
                 [demande_id]) is None:
            raise SuiviError(f"Demande inconnue : {demande_id}.")
        att = _attribution(cur, o, c, date_caleol, s)
        cur.execute(f"insert into candidature ({', '.join(c)}) values "
                    f"({', '.join('?' for _ in c)})", list(c.values()))
        marquer(cur, orientation_id, now)
        audit(cur, qui, "suivi.attribution_bailleur", "candidature", c["candidature_id"], {
            "orientation_id": orientation_id, "candidature_id": c["candidature_id"],
            "demande_id": demande_id, "date": date_caleol,
            "attribution_id": att["attribution_id"], "attribution": att,
            "resume": f"Demande {demande_id} retenue par la CALEOL (candidat du bailleur)"})
    return att["attribution_id"]


def rendre_au_bailleur(db: Database, orientation_ids: list[str], auteur: str | None = None,
                       motif: str = "Délai de proposition dépassé",
                       modifie_le_attendu: dict | None = None,
                       date_rendu: date | None = None) -> int:
    """Give dwellings back to the bailleur (statut RENDU_BAILLEUR; candidates still proposed
    are withdrawn), one audit row each, in one transaction; returns how many. Refused
    (nothing written) if any is not ORIENTE/CANDIDATS_PROPOSES or goes to no réservataire.
    `modifie_le_attendu`: {orientation_id: modifie_le seen}. Whether such a dwelling counts
    as delivered is the setting rendu_bailleur_compte_livre (fluxcore.jauges)."""
    exiger(db, "orienter")
    ids = list(dict.fromkeys(orientation_ids))
    if not ids:
        raise SuiviError("Aucune orientation à rendre au bailleur.")
    motif = motif_nettoye(motif, "Indiquez pourquoi le logement est rendu au bailleur.")
    qui, now, attendus = auteur_de(db, auteur), datetime.now(), modifie_le_attendu or {}
    jour = date_rendu or now.date()
    with db.transaction("orienter") as cur:
        etat.sans_effet(cur)   # orientation changes declared by marquer
        for oid in ids:
            o = orientation_attendue(cur, oid, EN_ATTENTE, attendus.get(oid), "rendre ce logement")
            if not isinstance(o["destinataire_type"], str):
                raise SuiviError(f"Le logement {o['logement_id']} est orienté vers "
                                 f"{libelle_destination(o['destinataire'])} : il n'a pas de "
                                 "réservataire à qui le reprendre.")
            retires = [r[0] for r in cur.execute(
                "update candidature set statut = 'RETIRE', date_decision = ?, motif = ?, "
                "modifie_le = ? where orientation_id = ? and statut in ('PROPOSE', 'AJOURNE') "
                "returning candidature_id", [jour, "Logement rendu au bailleur", now, oid]
            ).fetchall()]
            marquer(cur, oid, now, "RENDU_BAILLEUR")
            audit(cur, qui, "suivi.rendre", "orientation", oid, {
                "orientation_id": oid, "destinataire": o["destinataire"], "motif": motif,
                "statut_avant": o["statut"], "candidatures_retirees": retires,
                "date": jour, "date_limite": o["date_limite"],
                "resume": f"{motif} ({o['destinataire_nom']})"})
    return len(ids)
