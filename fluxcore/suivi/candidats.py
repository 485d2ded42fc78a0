"""Writing the follow-up before the CALEOL: candidates proposed, withdrawn, sent to the
CALEOL."""

from __future__ import annotations

from datetime import date, datetime

from fluxcore import etat
from fluxcore.acces import (
    AccesRefuseError,
    ecriture_reservataire,
    exiger,
    utilisateur_de,
)
from fluxcore.db import Database, audit
from fluxcore.formats import fmt_date
from fluxcore.parametres import get_parametres
from fluxcore.suivi.commun import (
    A_DECIDER,
    EN_ATTENTE,
    EN_JEU,
    SuiviError,
    auteur_de,
    candidature_attendue,
    fiche,
    marquer,
    motif_nettoye,
    nb_a_decider,
    orientation_attendue,
    pas_avant,
)


def _droit_de_proposer(db: Database) -> tuple[str, str, str | None]:
    """(transaction action, origine, réservataire id of the account or None)."""
    user = utilisateur_de(db)
    if user is None or user.role != "reservataire":
        exiger(db, "orienter")
        return "orienter", "BAILLEUR", None
    if not get_parametres(db)["reservataire_propose_candidats"]:
        raise AccesRefuseError(
            f"Accès refusé : le compte « {user.login} » ne peut pas proposer de candidats (le "
            "bailleur ne l'a pas ouvert aux réservataires : paramètre "
            "reservataire_propose_candidats).")
    return "proposer", "RESERVATAIRE", user.reservataire_id


@ecriture_reservataire("proposer")
def proposer_candidats(db: Database, orientation_id: str, demande_ids: list[str],
                       auteur: str | None = None, date_proposition: date | None = None,
                       modifie_le_attendu=None) -> list[str]:
    """Propose demandes (pseudonymous ids, in rank order) for an oriented dwelling; returns
    the candidature ids. Refused (nothing written): unknown or inactive demande, a demande
    given twice or already a candidate, more candidates in play than the convention's
    nb_candidats_max (else the setting), an orientation not ORIENTE/CANDIDATS_PROPOSES."""
    action, origine, rid = _droit_de_proposer(db)
    ids = [str(d).strip() for d in demande_ids]
    if not ids or not all(ids):
        raise SuiviError("Indiquez au moins une demande à proposer.")
    doubles = sorted({d for d in ids if ids.count(d) > 1})
    if doubles:
        raise SuiviError(f"Demande indiquée deux fois : {', '.join(doubles)}.")
    jour, qui, now = date_proposition or date.today(), auteur_de(db, auteur), datetime.now()
    with db.transaction(action) as cur:
        etat.sans_effet(cur)   # orientation changes declared by marquer
        if rid is not None:
            o = fiche(cur, orientation_id)
            if o is None or o["destinataire"] != rid:
                raise AccesRefuseError(
                    f"Accès refusé : le réservataire {rid} ne peut proposer des candidats "
                    "que pour les logements mis à sa disposition.")
        o = orientation_attendue(cur, orientation_id, EN_ATTENTE, modifie_le_attendu,
                                 "proposer des candidats")
        pas_avant(jour, o["date_orientation"], "de proposition", "l'orientation")
        _verifier_demandes(cur, orientation_id, ids, int(o["nb_candidats_max"]),
                           o["convention_id"] if o["nb_candidats_max_convention"] else None)
        existing = cur.execute("select candidature_id, rang from candidature "
                               "where orientation_id = ?", [orientation_id]).fetchall()
        taken, rang = {r[0] for r in existing}, max((r[1] for r in existing), default=0)
        new, n = [], len(existing)
        for i, d in enumerate(ids, 1):
            n += 1
            while f"CA-{orientation_id}-{n}" in taken:
                n += 1
            cid = f"CA-{orientation_id}-{n}"
            cur.execute("insert into candidature (candidature_id, orientation_id, demande_id, "
                        "rang, date_proposition, propose_par, origine, statut, modifie_le) "
                        "values (?, ?, ?, ?, ?, ?, ?, 'PROPOSE', ?)",
                        [cid, orientation_id, d, rang + i, jour, qui, origine, now])
            new.append(cid)
        marquer(cur, orientation_id, now, "CANDIDATS_PROPOSES")
        audit(cur, qui, "suivi.proposer", "orientation", orientation_id, {
            "orientation_id": orientation_id, "candidatures": new, "demandes": ids,
            "origine": origine, "date": jour,
            "resume": f"{len(ids)} candidat{'s' * (len(ids) > 1)} proposé"
                      f"{'s' * (len(ids) > 1)} : demandes {', '.join(ids)}"})
    return new


def _verifier_demandes(cur, oid: str, ids: list[str], maxi: int, convention) -> None:
    known = dict(cur.execute("select demande_id, statut from demande where demande_id in "
                             "(select unnest(?))", [ids]).fetchall())
    inconnues = [d for d in ids if d not in known]
    if inconnues:
        raise SuiviError(f"Demande inconnue : {', '.join(inconnues)}.")
    inactives = [d for d in ids if known[d] != "ACTIVE"]
    if inactives:
        raise SuiviError(f"Demande qui n'est plus active (attribuée ou radiée) : "
                         f"{', '.join(inactives)}.")
    rows = cur.execute("select demande_id, statut from candidature where orientation_id = ?",
                       [oid]).fetchall()
    deja = [d for d in ids if d in {r[0] for r in rows if r[1] != "RETIRE"}]
    if deja:
        raise SuiviError(f"Demande déjà proposée pour ce logement : {', '.join(deja)}.")
    ailleurs = [r[0] for r in cur.execute(
        "select distinct c.demande_id from candidature c join orientation o using "
        "(orientation_id) where c.statut = 'RETENU' and o.statut in ('ATTRIBUE', 'RENDU_BAILLEUR') "
        "and c.demande_id in (select unnest(?)) and c.orientation_id <> ?", [ids, oid]
    ).fetchall()]
    if ailleurs:
        raise SuiviError(f"Demande déjà retenue pour un autre logement : "
                         f"{', '.join(sorted(ailleurs))}.")
    en_jeu = sum(r[1] in EN_JEU for r in rows)
    if en_jeu + len(ids) > maxi:
        source = (f"convention {convention}" if isinstance(convention, str)
                  else "paramètre nb_candidats_max")
        raise SuiviError(f"Au plus {maxi} candidat{'s' * (maxi > 1)} par logement ({source}) "
                         f": {en_jeu} déjà en lice, {len(ids)} de plus refusé"
                         f"{'s' * (len(ids) > 1)}.")


def retirer_candidat(db: Database, candidature_id: str, auteur: str | None = None,
                     motif: str | None = None, date_retrait: date | None = None,
                     modifie_le_attendu=None) -> None:
    """Withdraw a candidate before the CALEOL (statut RETIRE); with none left in play the
    orientation is ORIENTE again."""
    exiger(db, "orienter")
    qui, now, jour = auteur_de(db, auteur), datetime.now(), date_retrait or date.today()
    motif = motif_nettoye(motif)
    with db.transaction("orienter") as cur:
        etat.sans_effet(cur)   # orientation changes declared by marquer
        c = candidature_attendue(cur, candidature_id, A_DECIDER, "retirer ce candidat")
        oid = c["orientation_id"]
        orientation_attendue(cur, oid, EN_ATTENTE, modifie_le_attendu, "retirer ce candidat")
        cur.execute("update candidature set statut = 'RETIRE', date_decision = ?, motif = ?, "
                    "modifie_le = ? where candidature_id = ?",
                    [jour, motif, now, candidature_id])
        marquer(cur, oid, now, None if nb_a_decider(cur, oid) else "ORIENTE")
        audit(cur, qui, "suivi.retirer", "candidature", candidature_id, {
            "orientation_id": oid, "candidature_id": candidature_id,
            "demande_id": c["demande_id"], "date": jour, "motif": motif,
            "resume": f"Demande {c['demande_id']} retirée" + (f" : {motif}" if motif else "")})


def passer_en_caleol(db: Database, orientation_id: str, date_caleol: date,
                     auteur: str | None = None, modifie_le_attendu=None) -> None:
    """The candidates proposed go to the CALEOL of `date_caleol` (statut CALEOL)."""
    exiger(db, "orienter")
    qui, now = auteur_de(db, auteur), datetime.now()
    with db.transaction("orienter") as cur:
        etat.sans_effet(cur)   # orientation changes declared by marquer
        o = orientation_attendue(cur, orientation_id, ("CANDIDATS_PROPOSES",),
                                 modifie_le_attendu, "passer en CALEOL")
        ids = [r[0] for r in cur.execute(
            "select demande_id from candidature where orientation_id = ? and statut = "
            "'PROPOSE' order by rang", [orientation_id]).fetchall()]
        if not ids:
            raise SuiviError("Aucun candidat proposé : rien à présenter à la CALEOL.")
        pas_avant(date_caleol, o["date_orientation"], "de CALEOL", "l'orientation")
        marquer(cur, orientation_id, now, "CALEOL")
        audit(cur, qui, "suivi.caleol", "orientation", orientation_id, {
            "orientation_id": orientation_id, "date": date_caleol, "demandes": ids,
            "resume": f"CALEOL du {fmt_date(date_caleol)} : demandes {', '.join(ids)}"})


