"""Reading the follow-up: orientations in progress, deadlines, one dwelling's file."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd

from fluxcore.acces import (
    AccesRefuseError,
    pour_reservataire,
    utilisateur_de,
)
from fluxcore.db import Database, load_sql
from fluxcore.formats import STATUTS, libelle_destination
from fluxcore.parametres import get_parametres
from fluxcore.perimetre import Perimetre
from fluxcore.regles import INTERNES
from fluxcore.suivi.commun import (
    A_DECIDER,
    ACTIONS_DOSSIER,
    EN_ATTENTE,
    EN_JEU,
    ETAPES,
    STATUTS_CANDIDATURE,
    SuiviError,
    fiche,
    jour_de,
)


@pour_reservataire(colonne="destinataire")
def en_cours(db: Database, p: Perimetre) -> pd.DataFrame:
    """Orientations not finished in the territory of `p` (every year): ORIENTE,
    CANDIDATS_PROPOSES, CALEOL, ATTRIBUE with no lease signed, or RENDU_BAILLEUR with no
    lease signed (the bailleur attributes it; not once the dwelling was vacated again); one
    row each (columns in
    sql/suivi/en_cours.sql, plus statut_libelle). jours_restants counts from p.aujourdhui."""
    df = db.df(load_sql("suivi/en_cours"),
               {**p.params(), "aujourdhui": jour_de(p)})
    interne = df["destinataire_type"].isna()
    df.loc[interne, "destinataire_nom"] = df.loc[interne, "destinataire"].map(
        libelle_destination)
    df.insert(df.columns.get_loc("statut") + 1, "statut_libelle", df["statut"].map(STATUTS))
    return df.drop(columns="destinataire_type")


@pour_reservataire(colonne="destinataire")
def echeances(db: Database, p: Perimetre, jours: int | None = None) -> pd.DataFrame:
    """Orientations waiting for candidates (ORIENTE, CANDIDATS_PROPOSES) whose deadline is
    within `jours` days of p.aujourdhui (default: setting echeance_alerte_jours) or past;
    columns of en_cours + en_retard; overdue first, then by deadline."""
    jours = int(get_parametres(db)["echeance_alerte_jours"]) if jours is None else jours
    return echeances_de(en_cours(db, p), jours)


def echeances_de(encours: pd.DataFrame, jours: int) -> pd.DataFrame:
    """`echeances` of a frame already read by `en_cours` (the Suivi page reads it once)."""
    df = encours
    df = df[df["statut"].isin(EN_ATTENTE) & df["jours_restants"].notna()
            & (df["jours_restants"] <= jours)].copy()
    df["en_retard"] = df["jours_restants"] < 0
    return df.sort_values(["en_retard", "date_limite", "liberation_id"],
                          ascending=[False, True, True]).reset_index(drop=True)


def nombre_echeances(db: Database, p: Perimetre) -> dict:
    """For the dashboard: {"proches": deadlines within the alert window, "en_retard": past}."""
    df = echeances(db, p)
    retard = int(df["en_retard"].sum())
    return {"proches": len(df) - retard, "en_retard": retard}


@pour_reservataire()
def dossier(db: Database, liberation_id: str, aujourdhui: date | None = None) -> dict:
    """Everything about one vacated dwelling: logement, orientation (or None), candidatures,
    attribution (or None), etapes (history: etape, date, qui, detail) and actions (codes of
    ACTIONS_DOSSIER the current user may do now). A réservataire account sees only the
    dwellings oriented to it."""
    lg = db.df(load_sql("orientation/logement"), {"liberation": liberation_id})
    if lg.empty:
        raise SuiviError(f"Libération inconnue : « {liberation_id} ».")
    row = lg.iloc[0].to_dict()
    user = utilisateur_de(db)
    if user is not None and user.role == "reservataire" \
            and row["destinataire"] != user.reservataire_id:
        raise AccesRefuseError(f"Accès refusé : le compte « {user.login} » ne voit que les "
                               "logements mis à la disposition de son réservataire.")
    logement = {k: v for k, v in row.items() if k not in (
        "orientation_id", "destinataire", "statut", "decided_by", "date_orientation")}
    liberee = _etape("Libération du logement", row["date_liberation"], None)
    out = {"logement": logement, "orientation": None, "attribution": None,
           "candidatures": pd.DataFrame(columns=["candidature_id", "demande_id", "statut",
                                                 "statut_libelle"]),
           "etapes": [liberee], "actions": []}
    if pd.isna(row["orientation_id"]):
        return out
    oid = row["orientation_id"]
    o = fiche(db, oid)
    cands = db.df(load_sql("suivi/candidatures"), {"orientation": oid})
    cands.insert(cands.columns.get_loc("statut") + 1, "statut_libelle",
                 cands["statut"].map(STATUTS_CANDIDATURE))
    att = db.df("select * from attribution where orientation_id = ? "
                "order by date_bail nulls first, attribution_id limit 1", [oid])
    att = None if att.empty else att.iloc[0].to_dict()
    jour = jour_de(aujourdhui)
    limite = None if pd.isna(o["date_limite"]) else pd.Timestamp(o["date_limite"]).date()
    o.update(statut_libelle=STATUTS[o["statut"]], date_limite=limite,
             jours_restants=None if limite is None else (limite - jour).days,
             nb_candidats=int(cands["statut"].isin(EN_JEU).sum()))
    if not isinstance(o["destinataire_type"], str):
        o["destinataire_nom"] = libelle_destination(o["destinataire"])
    out.update(orientation=o, candidatures=cands, attribution=att,
               etapes=_historique(db, o, cands, att, liberee),
               actions=[a for a in _actions(db, o, cands, att)
                        # outside the flux: no ranking to correct against
                        if a != "CORRIGER" or pd.isna(row["hors_flux_motif"])])
    return out


def _noms_destinations(db: Database) -> dict:
    """Names of the possible destinations: réservataires and internal uses, in words."""
    df = db.df("select reservataire_id, nom from reservataire")
    return {**{k: libelle_destination(k) for k in INTERNES},
            **dict(zip(df["reservataire_id"], df["nom"]))}


def _etape(etape: str, quand, qui, detail: str | None = None) -> dict:
    d = None if quand is None or pd.isna(quand) else pd.Timestamp(quand).date()
    return {"etape": etape, "date": d, "qui": qui, "detail": detail}


def _historique(db: Database, o: dict, cands: pd.DataFrame, att: dict | None,
                liberee: dict) -> list[dict]:
    """The steps in date order (stable): the libération, the audit rows, and the rows
    themselves where no audit row tells them (data imported rather than recorded here)."""
    log = db.df(load_sql("suivi/journal"), {"orientation": o["orientation_id"]})
    steps, seen, faits, dits = [liberee], set(), set(), set()
    noms = _noms_destinations(db)
    if "orientation.create" not in set(log["action"]):
        steps.append(_etape("Orientation décidée", o["date_orientation"], o["decided_by"],
                            f"Vers {o['destinataire_nom']}"))
    for r in log.itertuples():
        d = json.loads(r.details) if isinstance(r.details, str) else {}
        seen |= {*d.get("candidatures", []), d.get("candidature_id")}
        dits |= set(d.get("candidatures_retirees", []))   # told by the lease or the return
        decision = r.action in ("suivi.decision", "suivi.attribution_bailleur")
        faits.add(("suivi.decision" if decision else r.action, d.get("attribution_id")))
        detail = d.get("resume") or (
            f"Vers {noms.get(d['destinataire'], d['destinataire'])}" if "destinataire" in d
            else f"{noms.get(d.get('avant'), d.get('avant'))} → "
                 f"{noms.get(d.get('apres'), d.get('apres'))}" if "apres" in d else None)
        quand = o["date_orientation"] if r.action == "orientation.create" else (
            d.get("date") or r.logged_at)
        steps.append(_etape(ETAPES.get(r.action, r.action), quand, r.actor, detail))
    for c in cands.itertuples():
        if c.candidature_id in seen:
            continue
        steps.append(_etape("Candidat proposé", c.date_proposition, c.propose_par,
                            f"Demande {c.demande_id}"))
        if c.statut != "PROPOSE" and c.candidature_id not in dits:
            steps.append(_etape(STATUTS_CANDIDATURE[c.statut], c.date_decision, None,
                                f"Demande {c.demande_id}"))
    aid = None if att is None else att["attribution_id"]
    if att is not None and ("suivi.decision", aid) not in faits:
        steps.append(_etape("Décision de la CALEOL", att["date_caleol"], None, "Attribution"))
    if att is not None and not pd.isna(att["date_bail"]) and ("suivi.bail", aid) not in faits:
        steps.append(_etape("Bail signé", att["date_bail"], None, None))
    return sorted(steps, key=lambda s: s["date"] or date.max)


def _actions(db: Database, o: dict, cands: pd.DataFrame, att: dict | None) -> list[str]:
    """What the current user may do now on this orientation (codes of ACTIONS_DOSSIER)."""
    st = o["statut"]
    statuts = cands["statut"]
    place = int(statuts.isin(EN_JEU).sum()) < int(o["nb_candidats_max"])
    propose, a_decider = bool((statuts == "PROPOSE").any()), bool(statuts.isin(A_DECIDER).any())
    user = utilisateur_de(db)
    if user is not None and not user.peut("orienter"):
        ok = (user.role == "reservataire" and o["destinataire"] == user.reservataire_id
              and bool(get_parametres(db)["reservataire_propose_candidats"]))
        return ["PROPOSER"] if ok and st in EN_ATTENTE and place else []
    # an orientation imported at CALEOL may come with its attribution row; a dwelling given
    # back is attributed by the bailleur (ATTRIBUER_BAILLEUR), its statut unchanged
    sans_bail = (st in ("ATTRIBUE", "CALEOL", "RENDU_BAILLEUR") and att is not None
                 and pd.isna(att["date_bail"]))
    retenu = bool((statuts == "RETENU").any())
    found = {"PROPOSER": st in EN_ATTENTE and place,
             "RETIRER": st in EN_ATTENTE and a_decider,
             "CALEOL": st == "CANDIDATS_PROPOSES" and propose,
             "DECIDER": st == "CALEOL" and a_decider and att is None,
             "REFUS_MENAGE": (st in ("CANDIDATS_PROPOSES", "CALEOL") and a_decider)
             or (st in ("ATTRIBUE", "RENDU_BAILLEUR") and sans_bail and retenu),
             "SIGNER_BAIL": sans_bail,
             # only a réservataire's dwelling can be given back
             "RENDRE": st in EN_ATTENTE and isinstance(o["destinataire_type"], str),
             # a change of destination before any candidate (fluxcore.orientation)
             "CORRIGER": st == "ORIENTE",
             "ATTRIBUER_BAILLEUR": st == "RENDU_BAILLEUR" and att is None}
    return [k for k in ACTIONS_DOSSIER if found[k]]


