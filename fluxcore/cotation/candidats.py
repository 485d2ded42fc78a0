"""Candidates for a dwelling: eligibility of each active demande (household size for the
typologie, resources under the financing's ceiling, rent burden, commune wished), the
contingents it can be housed on, and the ranking by score (ties: the older demande first).
A decision aid for designating candidates, never an automatic choice (docs/regles.md#cotation)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from fluxcore.cotation.scores import filtres, lire
from fluxcore.db import Database, en_parallele, load_sql
from fluxcore.errors import CotationError, FluxcoreError
from fluxcore.formats import a, accord, fmt_int, fmt_num, fmt_pct
from fluxcore.parametres import get_parametres
from fluxcore.regles import INTERNES

# reservataire type -> the demandes its contingent is for (others: "tous", any eligible one)
CONTINGENTS = {"PREFET": "prioritaire", "PREFET_FONCTIONNAIRES": "agent_public",
               "ACTION_LOGEMENT": "salarie", "EMPLOYEUR": "salarie"}
LIBELLES_CONTINGENT = {
    "prioritaire": "publics prioritaires (L441-1, DALO)", "agent_public": "agents publics",
    "salarie": "salariés (entreprises cotisantes)", "tous": "toute demande éligible",
    "hors_cotation": "hors cotation (mutation, relogement)"}
EXCLUSIONS = {"ok_taille": "taille du ménage inadaptée à la typologie",
              "ok_typologie": "typologie souhaitée trop éloignée",
              "ok_plafond": "ressources au-dessus du plafond du financement",
              "ok_effort": "taux d'effort trop élevé"}


@dataclass(frozen=True)
class Candidats:
    logement: dict             # logement_id, typologie, financement, loyer_mensuel, commune…
    regles: dict               # tmin, tmax, plafond, effort_max, etendue
    demandes: pd.DataFrame     # every demande of the area with its tests; rang if eligible
    exclusions: pd.DataFrame   # motif, nb (a demande may fail several tests)

    @property
    def eligibles(self) -> pd.DataFrame:
        return self.demandes[self.demandes["eligible"]].reset_index(drop=True)


def fiche(db: Database, identifiant: str) -> dict:
    """The dwelling (logement_id, or liberation_id of one of its libérations)."""
    row = db.df(
        "select l.logement_id, l.typologie, l.financement, l.loyer_mensuel, l.surface_m2,"
        " r.residence_id, r.nom as residence, r.commune_insee,"
        " coalesce(c.nom, r.commune_insee) as commune, r.epci_siren,"
        " coalesce(e.nom, r.epci_siren) as epci, r.en_qpv from logement l"
        " join residence r using (residence_id)"
        " left join ref_commune c on c.code_insee = r.commune_insee"
        " left join ref_epci e on e.epci_siren = r.epci_siren"
        " where l.logement_id = coalesce((select logement_id from liberation"
        " where liberation_id = $id), $id)", {"id": identifiant})
    if row.empty:
        raise CotationError(f"Logement ou libération inconnu : « {identifiant} ».")
    return row.iloc[0].to_dict()


def regles(s: dict, lg: dict, etendue: str) -> dict:
    """The eligibility rules applied to this dwelling (from the settings)."""
    typ = lg["typologie"]
    plafond = s["cotation_plafonds_uc"].get(lg["financement"])
    loyer = lg["loyer_mensuel"]
    return {"tmin": int(s["cotation_occupants_min"].get(typ, 1)),
            "typ_num": int(typ[1:]) if isinstance(typ, str) and typ[1:].isdigit() else None,
            "ecart": int(s["cotation_ecart_typologie_max"]),
            "tmax": int(s["cotation_occupants_max"].get(typ, 20)),
            "plafond": None if plafond is None else float(plafond),
            "loyer": None if loyer is None or pd.isna(loyer) else float(loyer),
            "effort_max": float(s["cotation_taux_effort_max_pct"]), "etendue": etendue}


def candidats(db: Database, identifiant: str, aujourdhui: date,
              etendue: str = "commune") -> Candidats:
    """Active demandes wishing the dwelling's commune (`etendue="epci"`: any commune of its
    EPCI), with the eligibility tests, contingents and the rank of the eligible ones."""
    if etendue not in ("commune", "epci"):
        raise CotationError("Étendue inconnue : « commune » ou « epci » attendu.")
    s = get_parametres(db)
    lg = fiche(db, identifiant)
    rg = regles(s, lg, etendue)
    # scored: the demandes of the dwelling's EPCI, and only those wishing its commune unless
    # the whole EPCI is asked for
    df = lire(db, load_sql("cotation/candidats"), filtres(
        aujourdhui, lg["epci_siren"], lg["commune_insee"] if etendue == "commune" else None) | {
        "commune_logement": lg["commune_insee"], "etendue": etendue,
        **{k: rg[k] for k in ("tmin", "tmax", "typ_num", "ecart", "plafond", "loyer",
                              "effort_max")},
        "uc1": float(s["uc_premier_adulte"]), "uc2": float(s["uc_autre_14_plus"]),
        "uc_enf": float(s["uc_enfant_moins_14"]),
        "prioritaires": [str(c) for c in s["cotation_criteres_prioritaires"]]})
    excl = pd.DataFrame({"motif": list(EXCLUSIONS.values()),
                         "nb": [int((~df[k]).sum()) for k in EXCLUSIONS]})
    return Candidats(lg, rg, df, excl)


def candidats_contingent(c: Candidats, contingent: str = "tous") -> pd.DataFrame:
    """The eligible demandes a contingent (a value of CONTINGENTS, "tous" or "hors_cotation")
    may house, re-ranked within it (rang_contingent)."""
    if contingent not in LIBELLES_CONTINGENT:
        raise CotationError(f"Contingent inconnu : « {contingent} ».")
    e = _du_contingent(c.eligibles, contingent)
    return e.assign(rang_contingent=range(1, len(e) + 1)).reset_index(drop=True)


def _du_contingent(eligibles: pd.DataFrame, contingent: str) -> pd.DataFrame:
    """The eligible demandes a contingent may house (in their order)."""
    if contingent == "hors_cotation":
        return eligibles.iloc[0:0]
    return eligibles if contingent == "tous" else eligibles[eligibles[contingent]]


def par_destination(db: Database, liberation_id: str, aujourdhui: date,
                    etendue: str = "commune") -> tuple[Candidats, pd.DataFrame]:
    """For a vacated dwelling: its candidates and, for each destination the orientation
    assistant finds possible, the contingent, the number of eligible candidates and the best
    score. Columns: rang_orientation, destinataire, nom, type, contingent, libelle_contingent,
    nb_candidats, meilleur_score."""
    from fluxcore.orientation import classer_destinations

    try:  # the candidates and the ranking of destinations: independent, read at once
        c, ranking = en_parallele(lambda: candidats(db, liberation_id, aujourdhui, etendue),
                                  lambda: classer_destinations(db, liberation_id, aujourdhui))
    except CotationError:
        raise
    except FluxcoreError as exc:
        raise CotationError(str(exc)) from exc
    dest = ranking.destinations
    eligibles = c.eligibles
    parts = {}  # contingent -> (number of its candidates, best score), once per contingent
    rows = []
    for r in dest.itertuples():
        cont = "hors_cotation" if r.type in INTERNES else CONTINGENTS.get(r.type, "tous")
        if cont not in parts:
            sub = _du_contingent(eligibles, cont)["score"]
            parts[cont] = (len(sub), sub.max() if len(sub) else None)
        nb, best = parts[cont]
        rows.append({"rang_orientation": r.rang, "destinataire": r.destinataire, "nom": r.nom,
                     "type": r.type, "contingent": cont,
                     "libelle_contingent": LIBELLES_CONTINGENT[cont], "nb_candidats": nb,
                     "meilleur_score": best})
    return c, pd.DataFrame(rows)


def resume(c: Candidats) -> str:
    """One French sentence on the rules and the count of eligible demandes."""
    r, lg = c.regles, c.logement
    lieu = a(lg["commune"]) if r["etendue"] == "commune" else f"dans {lg['epci']}"
    plafond = (f"ressources ≤ {fmt_int(r['plafond'])} € par UC ({lg['financement']})"
               if r["plafond"] is not None else f"pas de plafond ({lg['financement']})")
    effort = (f"taux d'effort ≤ {fmt_pct(r['effort_max'])} pour un loyer de "
              f"{fmt_num(r['loyer'], 0)} €" if r["loyer"] is not None else
              "loyer inconnu : taux d'effort non vérifié")
    eligibles = accord(len(c.eligibles), "demande éligible", "demandes éligibles")
    actives = accord(len(c.demandes), "demande active", "demandes actives")
    return (f"{eligibles} sur {actives} {lieu} : ménage de {r['tmin']} à {r['tmax']} personnes "
            f"pour un {lg['typologie']}, typologie souhaitée à "
            f"{accord(r['ecart'], 'pièce', 'pièces')} près, {plafond}, {effort}.")
