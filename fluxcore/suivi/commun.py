"""What the follow-up modules share (fluxcore.suivi): codes and labels, errors, the
orientation's convention terms and deadline, and the checks every write makes inside its
transaction (the rows still as the caller saw them)."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd

from fluxcore import etat
from fluxcore.acces import acteur
from fluxcore.codes import RELOGEMENTS as CODES_RELOGEMENTS
from fluxcore.codes import STATUTS_EN_ATTENTE
from fluxcore.db import Database, bind, default_actor, load_sql
from fluxcore.errors import FluxcoreError
from fluxcore.formats import STATUTS, fmt_date
from fluxcore.journal import ACTIONS
from fluxcore.perimetre import Perimetre

STATUTS_CANDIDATURE = {"PROPOSE": "Proposé", "RETENU": "Retenu par la CALEOL",
                       "REFUSE_CALEOL": "Refusé par la CALEOL", "AJOURNE": "Ajourné",
                       "REFUS_MENAGE": "Refusé par le ménage", "RETIRE": "Retiré"}
EN_JEU = ("PROPOSE", "AJOURNE", "RETENU")
A_DECIDER = ("PROPOSE", "AJOURNE")
ACTIONS_DOSSIER = {"PROPOSER": "Proposer des candidats", "RETIRER": "Retirer un candidat",
                   "CALEOL": "Passer en CALEOL", "DECIDER": "Enregistrer la décision de la CALEOL",
                   "REFUS_MENAGE": "Enregistrer le refus du ménage",
                   "SIGNER_BAIL": "Enregistrer la signature du bail",
                   "RENDRE": "Rendre le logement au bailleur",
                   "CORRIGER": "Corriger la destination",
                   "ATTRIBUER_BAILLEUR": "Attribuer à un candidat du bailleur"}
# the steps of a dossier's history: the journal's names, the decision told as such
ETAPES = {**{k: v for k, v in ACTIONS.items()
             if k.partition(".")[0] in ("orientation", "suivi", "attribution")},
          "orientation.create": "Orientation décidée"}
AUTRE_CANDIDAT = "Logement attribué à un autre candidat"   # motif of the others at the lease
EN_ATTENTE = STATUTS_EN_ATTENTE.codes   # waiting for candidates: the deadline runs
RELOGEMENTS = CODES_RELOGEMENTS.codes   # attribution.relogement codes


class SuiviError(FluxcoreError):
    """A step of an orientation's follow-up that cannot be recorded as asked."""


class ConflitError(SuiviError):
    """Someone changed the orientation since the caller read it: reload."""



def jour_de(p_or_date) -> date:
    if isinstance(p_or_date, Perimetre):
        return p_or_date.aujourdhui or date.today()
    return p_or_date or date.today()


def fiche(db_or_cur, oid: str) -> dict | None:
    """The orientation, its destinataire and its convention terms (suivi/orientation.sql)."""
    sql = load_sql("suivi/orientation")
    if isinstance(db_or_cur, Database):
        df = db_or_cur.df(sql, {"orientation": oid})
        return None if df.empty else df.iloc[0].to_dict()
    return ligne(db_or_cur, sql, bind(sql, {"orientation": oid}))


def ligne(cur, sql: str, params) -> dict | None:
    res = cur.execute(sql, params)
    row = res.fetchone()
    return None if row is None else dict(zip([d[0] for d in res.description], row))


def date_limite(db: Database, orientation_id: str) -> date | None:
    """The deadline to propose candidates (recorded, else computed); None for an internal
    destination. SuiviError if the orientation is unknown."""
    o = fiche(db, orientation_id)
    if o is None:
        raise SuiviError(f"Orientation inconnue : « {orientation_id} ».")
    return None if pd.isna(o["date_limite"]) else pd.Timestamp(o["date_limite"]).date()


def fixer_date_limite(cur, orientation_id: str, quand: datetime | None = None) -> date | None:
    """Inside a transaction (fluxcore.orientation): set the orientation's date_limite from its
    destinataire's convention (recomputed, whatever was recorded) and modifie_le."""
    o = fiche(cur, orientation_id)
    limite = o["date_limite_calculee"] if o else None
    cur.execute("update orientation set date_limite = ?, modifie_le = ? where orientation_id = ?",
                [limite, quand or datetime.now(), orientation_id])
    etat.limiter_orientations(cur, [orientation_id])
    return limite


def auteur_de(db: Database, auteur: str | None) -> str:
    return (acteur(db, auteur) or "").strip() or default_actor()


def meme_version(vu, actuel) -> bool:
    """Whether modifie_le as the caller saw it (`vu`) is the current one (both empty: yes)."""
    vide_vu, vide_actuel = vu is None or pd.isna(vu), actuel is None or pd.isna(actuel)
    if vide_vu or vide_actuel:
        return vide_vu and vide_actuel
    return pd.Timestamp(vu) == pd.Timestamp(actuel)


def modifie_par(cur, oid: str, quand) -> str:
    """« par alice le 12/03/2026 à 10:04 » from the orientation's latest audit row."""
    sql = load_sql("suivi/journal")
    row = ligne(cur, f"select actor, logged_at from ({sql}) j order by audit_id desc limit 1",
                bind(sql, {"orientation": oid}))
    quand = quand if quand is not None and not pd.isna(quand) else (row or {}).get("logged_at")
    qui = f"par {row['actor']}" if row else "par un import ou une autre saisie"
    if quand is None or pd.isna(quand):
        return qui
    t = pd.Timestamp(quand)
    return f"{qui} le {t.strftime('%d/%m/%Y')} à {t.strftime('%H:%M')}"


def orientation_attendue(cur, oid: str, statuts: tuple[str, ...], attendu, quoi: str) -> dict:
    """The orientation, read inside the transaction; ConflitError if it changed since the
    caller read it (modifie_le `attendu`, when given) or is no longer in one of `statuts`."""
    o = fiche(cur, oid)
    if o is None:
        raise SuiviError(f"Orientation inconnue : « {oid} ».")
    if attendu is not None and not meme_version(attendu, o["modifie_le"]):
        par = modifie_par(cur, oid, o["modifie_le"])
        raise ConflitError(f"Le dossier du logement {o['logement_id']} a été modifié {par} : "
                           f"rechargez la page avant de {quoi} (rien n'a été enregistré).")
    if o["statut"] not in statuts:
        par = modifie_par(cur, oid, o["modifie_le"])
        raise ConflitError(f"Impossible de {quoi} : l'orientation du logement "
                           f"{o['logement_id']} est au statut « {STATUTS[o['statut']]} » "
                           f"(modifiée {par}) : rechargez la page (rien n'a été enregistré).")
    return o


def candidature_attendue(cur, cid: str, statuts: tuple[str, ...], quoi: str) -> dict:
    c = ligne(cur, "select * from candidature where candidature_id = ?", [cid])
    if c is None:
        raise SuiviError(f"Candidature inconnue : « {cid} ».")
    if c["statut"] not in statuts:
        par = modifie_par(cur, c["orientation_id"], c["modifie_le"])
        raise ConflitError(f"Impossible de {quoi} : la candidature de la demande "
                           f"{c['demande_id']} est « {STATUTS_CANDIDATURE[c['statut']]} » "
                           f"(modifiée {par}) : rechargez la page (rien n'a été enregistré).")
    return c


def nb_a_decider(cur, oid: str) -> int:
    return cur.execute("select count(*) from candidature where orientation_id = ? and statut in "
                       "('PROPOSE', 'AJOURNE')", [oid]).fetchone()[0]


def marquer(cur, oid: str, quand: datetime, statut: str | None = None) -> None:
    cur.execute("update orientation set statut = coalesce(?, statut), modifie_le = ? "
                "where orientation_id = ?", [statut, quand, oid])
    etat.limiter_orientations(cur, [oid])


def motif_nettoye(motif: str | None, obligatoire: str | None = None) -> str | None:
    motif = (motif or "").strip() or None
    if motif is None and obligatoire:
        raise SuiviError(obligatoire)
    return motif


def minuscule(libelle: str) -> str:
    return libelle[:1].lower() + libelle[1:]


def pas_avant(jour: date, debut, quoi: str, reference: str) -> None:
    debut = pd.Timestamp(debut).date()
    if jour < debut:
        raise SuiviError(f"La date {quoi} ({fmt_date(jour)}) précède {reference} "
                         f"({fmt_date(debut)}).")


