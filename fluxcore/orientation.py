"""Orientation assistant: rank the possible destinations of a vacated dwelling, with reasons,
and record the decision (domain.md §1–3, §6).

Every destination gets explicit components in [−1, 1], each with a French explanation; the
score is their weighted sum (weights: setting `orientation_poids`). A decision aid, never an
automatic choice: the team records the destination it picks, with its justification.

Components
- retard: how far the destination is behind what it is owed to date (rate × flux entered),
  in dwellings, over `orientation_echelle_retard`; internal uses against the pro-rata of their
  yearly forecast; the bailleur against its non-reserved share.
- perimetre: +1 for a commune/EPCI convention (it can only be served on its territory).
- prefet_hors_qpv: for the préfet, +1 when it lacks hors-QPV dwellings and this one is hors
  QPV, −1 when it lacks them and this one is in a QPV (reading A or B, setting).
- qualite: the destination received less (+) or more (−) of this typology and of this QPV
  status than the flux of its perimeter.
- cil: the EPCI's objective that this dwelling bears on (Q1 hors QPV outside QPV, quartiles 2–4
  in QPV) is lagging, and this destination's households are more (or less) often first quartile.
- fragilite: for a résidence « à surveiller » or « fragile » (fluxcore.fragilite), destinations
  whose recent households are less often first quartile score higher.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd

from fluxcore.acces import acteur, exiger
from fluxcore.db import Database, audit, en_parallele, load_sql
from fluxcore.errors import FluxcoreError
from fluxcore.formats import fmt_num, fmt_pct, libelle_destination
from fluxcore.fragilite import impact
from fluxcore.objectifs import suivi_epci
from fluxcore.parametres import get_parametres
from fluxcore.perimetre import Perimetre
from fluxcore.regles import INTERNES, TYPES_PREFET, minimum_requis

COMPOSANTES = {"retard": "Retard sur le dû", "perimetre": "Périmètre de la convention",
               "prefet_hors_qpv": "Règle hors QPV du préfet", "qualite": "Qualité du flux",
               "cil": "Objectifs CIL de l'EPCI", "fragilite": "Fragilité de la résidence"}


class OrientationError(FluxcoreError):
    """A decision that cannot be recorded as asked."""


class OrientationDejaFaiteError(OrientationError):
    """Someone else already oriented this libération."""


@dataclass(frozen=True)
class Classement:
    logement: dict              # the dwelling card (orientation/logement.sql)
    destinations: pd.DataFrame  # destinataire, nom, type, score, rang + one column per component
    composantes: pd.DataFrame   # destinataire, composante, libelle, valeur, poids, contribution,
    #                             explication


def fiche_logement(db: Database, liberation_id: str) -> dict:
    """The dwelling card of a libération; raises OrientationError if unknown."""
    df = db.df(load_sql("orientation/logement"), {"liberation": liberation_id})
    if df.empty:
        raise OrientationError(f"Libération inconnue : « {liberation_id} ».")
    return df.iloc[0].to_dict()


def _clip(x: float) -> float:
    return max(-1.0, min(1.0, x))


def classer_destinations(db: Database, liberation_id: str,
                         aujourdhui: date | None = None) -> Classement:
    """Rank every possible destination of the dwelling of `liberation_id` (deterministic)."""
    s = get_parametres(db)
    lg = fiche_logement(db, liberation_id)
    if lg["hors_flux_motif"] is not None and not pd.isna(lg["hors_flux_motif"]):
        raise OrientationError(
            f"Le logement {lg['logement_id']} est hors flux ({lg['hors_flux_motif']}) : il reste "
            "géré en stock et n'est pas orienté dans le flux.")
    today = aujourdhui or date.today()
    annee = pd.Timestamp(lg["date_liberation"]).year
    p = Perimetre(annee, departement=lg["departement"], aujourdhui=max(
        today, pd.Timestamp(lg["date_liberation"]).date()))
    epci = lg["epci_siren"] if isinstance(lg["epci_siren"], str) else None
    # three independent reads at once: the flux state, the EPCI's CIL follow-up, the
    # résidence's fragility
    etat, cil, frag = en_parallele(
        lambda: db.df(load_sql("orientation/etat"), {
            **p.params(), "nb": int(s["rotation_annees_historique"]),
            "premieres": bool(s["premieres_mises_en_location_dans_flux"]),
            "commune_l": lg["commune_insee"], "epci_l": lg["epci_siren"],
            "typologie": lg["typologie"], "en_qpv": bool(lg["en_qpv"])}),
        lambda: suivi_epci(db, epci, annee, p.date_arret) if epci else {},
        lambda: impact(db, lg["residence_id"], p.date_arret, epci))
    profils = etat[["destinataire", "attributions_24m", "q1_24m"]].rename(
        columns={"attributions_24m": "attributions", "q1_24m": "q1"})
    days = (date(annee, 12, 31) - p.date_debut).days + 1
    fraction = ((p.date_arret - p.date_debut).days + 1) / days
    rows, comps = [], []
    for e in etat.itertuples():
        values = _composantes(e, lg, s, fraction, profils, cil, frag)
        if values is None:
            continue
        weights = s["orientation_poids"]
        score = sum(weights[k] * v for k, (v, _) in values.items())
        rows.append({"destinataire": e.destinataire, "nom": _nom(e), "type": e.type,
                     "score": round(score, 6), "retard_logements": values["retard"][1][1],
                     **{k: v for k, (v, _) in values.items()},
                     **{f"c_{k}": round(weights[k] * v, 6) for k, (v, _) in values.items()}})
        for k, (v, (text, _)) in values.items():
            comps.append({"destinataire": e.destinataire, "composante": k,
                          "libelle": COMPOSANTES[k], "valeur": round(v, 6),
                          "poids": weights[k], "contribution": round(weights[k] * v, 6),
                          "explication": text})
    dest = pd.DataFrame(rows).sort_values(["score", "retard_logements", "destinataire"],
                                          ascending=[False, False, True], ignore_index=True)
    dest.insert(0, "rang", range(1, len(dest) + 1))
    return Classement(lg, dest, pd.DataFrame(comps))


def _nom(e) -> str:
    return e.nom if e.type not in (*INTERNES, "BAILLEUR") else libelle_destination(e.type)


def _composantes(e, lg, s, fraction, profils, cil, frag):
    """{component: (value, (explanation, retard in dwellings))} or None if not possible."""
    internal = e.type in INTERNES
    if internal:
        prevu = 0.0 if pd.isna(e.prevu_interne) else float(e.prevu_interne)
        if prevu - e.orientes <= 0:
            return None  # forecast used up (or none): not a possible destination
        due = prevu * fraction
        retard = due - e.orientes
        txt = (f"Prévision annuelle {fmt_num(prevu)} ; {e.orientes} utilisés, "
               f"{fmt_num(due)} attendus à date.")
    elif e.type == "BAILLEUR":
        due = e.entres - e.du_reservataires
        retard = due - e.orientes
        txt = f"Part non réservée : dû à date {fmt_num(due)}, orientés {e.orientes}."
    else:
        due = e.taux_flux / 100.0 * e.entres
        livres = e.orientes - (0 if s["rendu_bailleur_compte_livre"] else e.rendus)
        retard = due - livres
        txt = (f"Taux {fmt_pct(e.taux_flux, 1)} : dû à date {fmt_num(due)} sur "
               f"{e.entres} logements entrés, livrés {livres}.")
    word = "En retard" if retard > 0 else "En avance"
    txt = f"{word} de {fmt_num(abs(retard))} logement(s). " + txt
    out = {"retard": (_clip(retard / float(s["orientation_echelle_retard"])), (txt, retard))}
    local = e.perimetre is not None and not pd.isna(e.perimetre)
    out["perimetre"] = (1.0 if local else 0.0, (
        "Convention limitée à son territoire, qui couvre ce logement." if local else
        "Destination valable sur tout le département.", 0))
    out["prefet_hors_qpv"] = _prefet_hors_qpv(e, lg, s)
    out["qualite"] = _qualite(e, lg, internal or e.type == "BAILLEUR")
    out["cil"] = _cil(e, lg, profils, cil)
    out["fragilite"] = _fragilite(e, profils, frag, s)
    return out


def _prefet_hors_qpv(e, lg, s):
    if e.type not in TYPES_PREFET:
        return 0.0, ("Sans objet (hors contingent préfectoral).", 0)
    pct, hors = float(s["prefet_hors_qpv_min_pct"]), not bool(lg["en_qpv"])
    if s["lecture_hors_qpv_prefet"] == "A":
        need = minimum_requis(pct, e.orientes + 1) - e.orientes_hors_qpv
        rule = (f"lecture A : {e.orientes_hors_qpv} logements hors QPV sur {e.orientes} "
                f"orientés au préfet, il en faut {fmt_pct(pct)}")
    else:
        # the awaiting dwelling has entered the flux: flux_hors_qpv already counts it
        need = minimum_requis(pct, e.flux_hors_qpv) - e.orientes_hors_qpv
        rule = (f"lecture B : {e.orientes_hors_qpv} logements sur {e.flux_hors_qpv} du flux "
                f"hors QPV, il en faut {fmt_pct(pct)}")
    if need <= 0:
        return 0.0, (f"Règle respectée ({rule}).", 0)
    if hors:
        return 1.0, (f"Le préfet manque de logements hors QPV ({rule}) : celui-ci y aide.", 0)
    return -1.0, (f"Le préfet manque de logements hors QPV ({rule}) : ce logement en QPV "
                  "creuserait l'écart.", 0)


def _share(part: int, total: int) -> float | None:
    return 100.0 * part / total if total else None


def _qualite(e, lg, neutral: bool):
    if neutral:
        return 0.0, ("Sans objet (usage interne ou part du bailleur).", 0)
    if e.orientes == 0:
        return 0.0, ("Aucun logement encore orienté cette année : composition neutre.", 0)
    qpv = "en QPV" if lg["en_qpv"] else "hors QPV"
    parts, texts = [], []
    for label, mine, flux in ((lg["typologie"], e.orientes_meme_typo, e.flux_meme_typo),
                              (qpv, e.orientes_meme_qpv, e.flux_meme_qpv)):
        p_r, p_f = _share(mine, e.orientes), _share(flux, e.entres)
        if p_f is None:
            continue
        parts.append(_clip((p_f - p_r) / max(p_f, 5.0)))
        texts.append(f"{label} : {fmt_pct(p_r)} de ses logements contre {fmt_pct(p_f)} du flux")
    value = sum(parts) / len(parts) if parts else 0.0
    return value, ("; ".join(texts) + "." if texts else "Flux vide : neutre.", 0)


def _cil(e, lg, profils, cil):
    code = "Q234_EN_QPV" if lg["en_qpv"] else "Q1_HORS_QPV"
    ind = cil.get(code)
    if ind is None or ind.base == 0:
        return 0.0, ("Pas encore de bail signé cette année dans l'EPCI : neutre.", 0)
    label = ("quartiles 2 à 4 en QPV" if lg["en_qpv"] else "1er quartile hors QPV")
    state = (f"Objectif {label} : {fmt_pct(ind.pct)} pour une cible de "
             f"{fmt_pct(ind.cible_pct)}")
    if ind.retard == 0:
        return 0.0, (f"{state} : atteint.", 0)
    prof = profils.set_index("destinataire")
    tot = prof["attributions"].sum()
    q1_all = 100.0 * prof["q1"].sum() / tot if tot else 0.0
    if e.destinataire not in prof.index or prof.at[e.destinataire, "attributions"] < 5:
        return 0.0, (f"{state} ; trop peu d'attributions récentes pour ce destinataire.", 0)
    q1_d = 100.0 * prof.at[e.destinataire, "q1"] / prof.at[e.destinataire, "attributions"]
    diff = (q1_d - q1_all) if not lg["en_qpv"] else (q1_all - q1_d)
    value = ind.retard * _clip(diff / max(q1_all, 5.0))
    return value, (f"{state} (il manque {ind.manque} baux) ; {fmt_pct(q1_d)} des ménages "
                   f"logés par ce destinataire sont du 1er quartile contre {fmt_pct(q1_all)} "
                   "en moyenne.", 0)


def _fragilite(e, profils, frag, s):
    """Fragile résidence: favour destinations whose recent households would weigh less on its
    index (share of first-quartile households housed through the destination, 24 months)."""
    state = f"Résidence « {frag['classe']} » (indice {fmt_num(frag['indice'], 2)})"
    if frag["indice"] < float(s["fragilite_seuil_surveiller"]):
        return 0.0, (f"{state} : neutre.", 0)
    prof = profils.set_index("destinataire")
    tot = prof["attributions"].sum()
    p_all = prof["q1"].sum() / tot if tot else 0.0
    if e.destinataire not in prof.index or prof.at[e.destinataire, "attributions"] < 5:
        return 0.0, (f"{state} ; trop peu d'attributions récentes pour ce destinataire.", 0)
    p_d = prof.at[e.destinataire, "q1"] / prof.at[e.destinataire, "attributions"]
    gap = frag["delta_q1"] - frag["delta_autre"]      # extra index of a Q1 household
    expected = (p_d - p_all) * gap
    severity = min(1.0, frag["indice"] / float(s["fragilite_seuil_fragile"]))
    value = _clip(-severity * expected / max(abs(gap), 1e-6))
    return value, (f"{state} : un ménage du 1er quartile y ajoute {fmt_num(gap, 3)} à l'indice "
                   f"par rapport à un autre ménage ; {fmt_pct(100 * p_d)} des ménages logés par "
                   f"ce destinataire sont du 1er quartile contre {fmt_pct(100 * p_all)} en "
                   "moyenne.", 0)


def enregistrer_orientation(db: Database, liberation_id: str, destinataire: str, auteur: str,
                            justification: str, aujourdhui: date | None = None) -> str:
    """Record the decision in one transaction with its audit row; returns the orientation id.

    Refused (nothing written) if the libération is already oriented — by another user in the
    meantime — or if the destination is not one of the ranked possible destinations."""
    exiger(db, "orienter")
    auteur = acteur(db, auteur)
    if not auteur or not auteur.strip():
        raise OrientationError("Indiquez l'auteur de la décision.")
    ranking = classer_destinations(db, liberation_id, aujourdhui)
    dest = ranking.destinations.set_index("destinataire")
    if destinataire not in dest.index:
        raise OrientationError(
            f"« {destinataire} » n'est pas une destination possible pour ce logement "
            f"(possibles : {', '.join(dest.index)}).")
    orientation_id = f"OR-{liberation_id}"
    with db.transaction("orienter") as cur:
        existing = cur.execute(
            "select destinataire, decided_by, date_orientation from orientation "
            "where liberation_id = ?", [liberation_id]).fetchall()
        if existing:
            who, by, when = existing[0]
            raise OrientationDejaFaiteError(
                f"Ce logement a déjà été orienté vers « {who} » par {by or 'un autre utilisateur'}"
                f" le {pd.Timestamp(when).strftime('%d/%m/%Y')} : rien n'a été modifié. "
                "Rechargez la page ; pour changer de destination, utilisez la correction.")
        cur.execute("insert into orientation values (?, ?, ?, ?, 'ORIENTE', ?, ?)",
                    [orientation_id, liberation_id, destinataire,
                     aujourdhui or datetime.now().date(), auteur.strip(),
                     justification.strip() or None])
        row = dest.loc[destinataire]
        audit(cur, auteur.strip(), "orientation.create", "orientation", orientation_id,
              {"liberation_id": liberation_id, "destinataire": destinataire,
               "rang": int(row["rang"]), "score": float(row["score"]),
               "premier": str(ranking.destinations["destinataire"].iloc[0]),
               "justification": justification})
    return orientation_id


def corriger_orientation(db: Database, liberation_id: str, destinataire: str, auteur: str,
                         motif: str) -> None:
    """Change the destination of a not-yet-attributed orientation; the reason is mandatory
    and the audit row keeps the previous destination."""
    exiger(db, "orienter")
    auteur = acteur(db, auteur)
    if not motif or not motif.strip():
        raise OrientationError("Une correction doit être motivée.")
    lg = fiche_logement(db, liberation_id)
    if lg["orientation_id"] is None or pd.isna(lg["orientation_id"]):
        raise OrientationError("Ce logement n'est pas encore orienté : rien à corriger.")
    if lg["statut"] in ("ATTRIBUE", "RENDU_BAILLEUR"):
        raise OrientationError(
            f"L'orientation est au statut « {lg['statut']} » : elle ne peut plus être corrigée.")
    possibles = set(classer_destinations(db, liberation_id).destinations["destinataire"])
    if destinataire not in possibles | {lg["destinataire"]}:
        raise OrientationError(f"« {destinataire} » n'est pas une destination possible.")
    with db.transaction("orienter") as cur:
        cur.execute("update orientation set destinataire = ?, decided_by = ?, "
                    "justification = ? where orientation_id = ?",
                    [destinataire, auteur, motif.strip(), lg["orientation_id"]])
        audit(cur, auteur, "orientation.correct", "orientation", lg["orientation_id"],
              {"avant": lg["destinataire"], "apres": destinataire, "motif": motif.strip()})


def orientations_corrigeables(db: Database, p: Perimetre) -> pd.DataFrame:
    """Orientations still at statut ORIENTE in the territory (the ones a correction may change),
    most recent first: liberation_id, logement_id, typologie, commune, destinataire, nom,
    date_orientation, decided_by."""
    return db.df(
        "select o.liberation_id, b.logement_id, l.typologie,"
        " coalesce(c.nom, r.commune_insee) as commune, o.destinataire,"
        " coalesce(rv.nom, o.destinataire) as nom, o.date_orientation, o.decided_by"
        " from orientation o join liberation b using (liberation_id)"
        " join logement l using (logement_id) join residence r using (residence_id)"
        " left join ref_commune c on c.code_insee = r.commune_insee"
        " left join reservataire rv on rv.reservataire_id = o.destinataire"
        " where o.statut = 'ORIENTE' and ($dep is null or r.departement = $dep)"
        " and ($epci is null or r.epci_siren = $epci)"
        " order by o.date_orientation desc, o.liberation_id limit 200",
        {"dep": p.departement, "epci": p.epci_siren})
