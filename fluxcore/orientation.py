"""Orientation assistant: rank the possible destinations of a vacated dwelling, with reasons,
and record the decision (docs/regles.md#orientation).

The ranking principle (README « Orientation », fluxcore.orientation_ajustements): the deficit
— owed to date minus delivered, in dwellings — leads; the destinations « en retard » (deficit
≥ 1 dwelling) come first, then « à jour », then « en avance » (≤ −1); within a group the
deficit is adjusted, by a bounded amount, by the préfet's hors-QPV rule, the flux quality, the
EPCI's CIL objectives and the résidence's fragility, each only where its evidence suffices;
ties go to the identifier. A decision aid, never an automatic choice: the team records the
destination it picks, with its justification.

Possible destinations: the réservataires with a right covering the dwelling on the day it was
vacated (orientation/etat.sql, the rules of sql/conventions/: its convention in force that day
on a perimeter holding the dwelling, a commune or EPCI only on its territory, the latest signed
of overlapping ones, none once the préfet took its rights back — the préfet then holds them),
the internal uses while their
yearly forecast is not used up, the bailleur. A perimeter gives no bonus: inside it, a
réservataire competes on its deficit like any other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd

from fluxcore import orientation_ajustements as aj
from fluxcore.acces import acteur, exiger
from fluxcore.codes import HORS_FLUX
from fluxcore.db import Database, audit, en_parallele, load_sql
from fluxcore.errors import FluxcoreError
from fluxcore.formats import STATUTS, de, fmt_num, fmt_pct, libelle_destination
from fluxcore.fragilite import impact
from fluxcore.objectifs import suivi_epci
from fluxcore.parametres import get_parametres
from fluxcore.perimetre import Perimetre
from fluxcore.regles import DESTINATIONS_BAILLEUR, INTERNES
from fluxcore.suivi import ConflitError, fixer_date_limite, meme_version, modifie_par

PRINCIPE = aj.PRINCIPE
SITUATIONS = aj.SITUATIONS
COMPOSANTES = {"retard": "Déficit sur le dû", **aj.AJUSTEMENTS}


class OrientationError(FluxcoreError):
    """A decision that cannot be recorded as asked."""


class OrientationDejaFaiteError(OrientationError):
    """Someone else already oriented this libération."""


@dataclass(frozen=True)
class Classement:
    logement: dict              # the dwelling card (orientation/logement.sql)
    destinations: pd.DataFrame  # rang, destinataire, nom, type, situation, deficit,
    #                             ajustements, score, + per component its value and c_<k>
    composantes: pd.DataFrame   # destinataire, composante, libelle, valeur, poids,
    #                             contribution (dwellings), applique, explication


def fiche_logement(db: Database, liberation_id: str) -> dict:
    """The dwelling card of a libération; raises OrientationError if unknown."""
    df = db.df(load_sql("orientation/logement"), {"liberation": liberation_id})
    if df.empty:
        raise OrientationError(f"Libération inconnue : « {liberation_id} ».")
    return df.iloc[0].to_dict()


def classer_destinations(db: Database, liberation_id: str,
                         aujourdhui: date | None = None) -> Classement:
    """Rank every possible destination of the dwelling of `liberation_id` (deterministic)."""
    s = get_parametres(db)
    lg = fiche_logement(db, liberation_id)
    if lg["hors_flux_motif"] is not None and not pd.isna(lg["hors_flux_motif"]):
        raise OrientationError(
            f"Le logement {lg['logement_id']} est hors flux ("
            f"{HORS_FLUX.libelles.get(lg['hors_flux_motif'], lg['hors_flux_motif'])}) : il reste "
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
            "date_l": pd.Timestamp(lg["date_liberation"]).date(),
            "typologie": lg["typologie"], "en_qpv": bool(lg["en_qpv"])}),
        lambda: suivi_epci(db, epci, annee, p.date_arret) if epci else {},
        lambda: impact(db, lg["residence_id"], p.date_arret, epci))
    ctx = {"lg": lg, "s": s, "cil": cil, "frag": frag,
           "profils": etat[["destinataire", "attributions_24m", "q1_24m"]].rename(
               columns={"attributions_24m": "attributions", "q1_24m": "q1"}),
           "pool": aj.pool_prefet(etat, bool(lg["en_qpv"]), s["lecture_hors_qpv_prefet"],
                                  float(s["prefet_hors_qpv_min_pct"])),
           "fraction": ((p.date_arret - p.date_debut).days + 1)
           / ((date(annee, 12, 31) - p.date_debut).days + 1)}
    rows, comps = [], []
    for e in etat.itertuples():
        found = _composantes(e, ctx)
        if found is None:
            continue
        row, lines = _ligne(e, found, s["orientation_poids"])
        rows.append(row)
        comps += lines
    dest = pd.DataFrame(rows)
    if len(dest):
        keys = [aj.cle_tri(r.situation, r.score, r.deficit, r.destinataire)
                for r in dest.itertuples()]
        dest = dest.iloc[sorted(range(len(dest)), key=keys.__getitem__)].reset_index(drop=True)
    dest.insert(0, "rang", range(1, len(dest) + 1))
    return Classement(lg, dest, pd.DataFrame(comps))


def _ligne(e, found: dict, poids: dict) -> tuple[dict, list[dict]]:
    """The destination's row (deficit, adjustments in dwellings, score) and its explanations."""
    deficit, texte = found.pop("retard")
    deficit = aj.arrondi(deficit)
    row = {"destinataire": e.destinataire, "nom": _nom(e), "type": e.type,
           "situation": aj.situation(deficit), "deficit": deficit}
    lines = [{"destinataire": e.destinataire, "composante": "retard",
              "libelle": COMPOSANTES["retard"], "valeur": deficit, "poids": 1.0,
              "contribution": deficit, "applique": True, "explication": texte}]
    for k, c in found.items():
        unit = aj.unite(poids, k)
        adj = aj.arrondi(c.valeur * unit) if c.applique else 0.0
        row[k], row[f"c_{k}"] = round(c.valeur, 6), adj
        lines.append({"destinataire": e.destinataire, "composante": k,
                      "libelle": COMPOSANTES[k], "valeur": round(c.valeur, 6),
                      "poids": round(unit, 6), "contribution": adj, "applique": c.applique,
                      "explication": f"{c.raison} {aj.effet(adj)}"})
    row["ajustements"] = aj.arrondi(sum(row[f"c_{k}"] for k in found))
    row["score"] = aj.arrondi(deficit + row["ajustements"])
    return row, lines


def _nom(e) -> str:
    return e.nom if e.type not in DESTINATIONS_BAILLEUR else libelle_destination(e.type)


def _composantes(e, ctx: dict) -> dict | None:
    """{"retard": (deficit, explanation), component: Constat…}, or None if not possible."""
    lg, s = ctx["lg"], ctx["s"]
    internal = e.type in INTERNES
    if internal:
        prevu = 0.0 if pd.isna(e.prevu_interne) else float(e.prevu_interne)
        if prevu - e.orientes <= 0:
            return None  # forecast used up (or none): not a possible destination
        due, livres = prevu * ctx["fraction"], e.orientes
        detail = (f"prévision annuelle {fmt_num(prevu, 2)} × "
                  f"{fmt_pct(100 * ctx['fraction'], 1)} de l'année écoulée ; utilisés {livres}")
    elif e.type == "BAILLEUR":
        due, livres = e.entres - e.du_reservataires, e.orientes
        detail = (f"{e.entres} logements entrés − "
                  f"{fmt_num(e.du_reservataires, 2)} dus aux réservataires ; orientés {livres}")
    else:
        due = float(e.du)
        livres = e.orientes - (0 if s["rendu_bailleur_compte_livre"] else e.rendus)
        detail = f"{_detail_du(e)} ; livrés {livres}"
    deficit = due - livres
    texte = (f"Déficit de {aj.logements(aj.arrondi(deficit))} (dû à date {fmt_num(due, 2)} = "
             f"{detail}) : {_PHRASES[aj.situation(deficit)]}.")
    en_qpv = bool(lg["en_qpv"])
    return {"retard": (deficit, texte),
            "prefet_hors_qpv": aj.prefet_hors_qpv(e.type, en_qpv, ctx["pool"]),
            "qualite": aj.qualite(e, lg, internal or e.type == "BAILLEUR"),
            "cil": aj.cil(e.destinataire, lg, ctx["profils"], ctx["cil"]),
            "fragilite": aj.fragilite(e.destinataire, ctx["profils"], ctx["frag"],
                                      float(s["fragilite_seuil_fragile"]))}


def _detail_du(e) -> str:
    """« taux 25,0 % × 100 logements entrés sur son périmètre » for one right; with several
    (successive conventions, rights taken back by the préfet) one term per right."""
    droits = list(e.droits) if isinstance(e.droits, (list, tuple)) or hasattr(
        e.droits, "__len__") else []
    if len(droits) == 1 and not isinstance(droits[0]["repris_de_nom"], str) \
            and droits[0]["entres"] == e.entres:
        return (f"taux {fmt_pct(e.taux_flux, 1)} × {e.entres} logements entrés sur son "
                f"périmètre")
    termes = [f"{fmt_pct(d['taux'], 1)} × {d['entres']} logements entrés"
              + (f" sur les droits repris {de(d['repris_de_nom'])}"
                 if isinstance(d["repris_de_nom"], str) else " sur son périmètre")
              for d in droits]
    return " + ".join(termes)


_PHRASES = {"en retard": "en retard d'au moins un logement, classé avant les autres groupes",
            "à jour": "à jour à moins d'un logement près",
            "en avance": "en avance d'au moins un logement, classé après les autres groupes"}


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
            f"(possibles : {', '.join(dest['nom'])}).")
    orientation_id = f"OR-{liberation_id}"
    with db.transaction("orienter") as cur:
        existing = cur.execute(
            "select o.destinataire, o.decided_by, o.date_orientation, r.nom from orientation o "
            "left join reservataire r on r.reservataire_id = o.destinataire "
            "where o.liberation_id = ?", [liberation_id]).fetchall()
        if existing:
            who, by, when, nom = existing[0]
            nom = nom or libelle_destination(who)
            raise OrientationDejaFaiteError(
                f"Ce logement a déjà été orienté vers « {nom} » par {by or 'un autre utilisateur'}"
                f" le {pd.Timestamp(when).strftime('%d/%m/%Y')} : rien n'a été modifié. "
                "Rechargez la page ; pour changer de destination, utilisez la correction.")
        cur.execute("insert into orientation (orientation_id, liberation_id, destinataire, "
                    "date_orientation, statut, decided_by, justification) "
                    "values (?, ?, ?, ?, 'ORIENTE', ?, ?)",
                    [orientation_id, liberation_id, destinataire,
                     aujourdhui or datetime.now().date(), auteur.strip(),
                     justification.strip() or None])
        row = dest.loc[destinataire]
        audit(cur, auteur.strip(), "orientation.create", "orientation", orientation_id,
              {"liberation_id": liberation_id, "destinataire": destinataire,
               "rang": int(row["rang"]), "score": float(row["score"]),
               "premier": str(ranking.destinations["destinataire"].iloc[0]),
               "justification": justification})
        fixer_date_limite(cur, orientation_id)   # the deadline of its convention (suivi)
    return orientation_id


def corriger_orientation(db: Database, liberation_id: str, destinataire: str, auteur: str,
                         motif: str, modifie_le_attendu=None) -> None:
    """Change the destination of an orientation still ORIENTE (before any candidate is
    proposed), to one of destinations_correction(); the reason is mandatory
    and the audit row keeps the previous destination; the deadline is recomputed from the
    new destination's convention. ConflitError (nothing written) if the orientation changed
    since it was read here, or since `modifie_le_attendu` (its modifie_le as the caller saw
    it, e.g. fluxcore.suivi.dossier) when given."""
    exiger(db, "orienter")
    auteur = acteur(db, auteur)
    if not motif or not motif.strip():
        raise OrientationError("Une correction doit être motivée.")
    lg = fiche_logement(db, liberation_id)
    if lg["orientation_id"] is None or pd.isna(lg["orientation_id"]):
        raise OrientationError("Ce logement n'est pas encore orienté : rien à corriger.")
    possibles = destinations_correction(db, liberation_id)
    if destinataire not in possibles and destinataire != lg["destinataire"]:
        raise OrientationError(
            f"« {destinataire} » n'est pas une destination possible pour ce logement "
            f"(possibles : {', '.join(possibles.values()) or 'aucune autre'}).")
    oid = lg["orientation_id"]
    with db.transaction("orienter") as cur:
        now = cur.execute("select destinataire, statut, modifie_le from orientation "
                          "where orientation_id = ?", [oid]).fetchone()
        seen = (lg["destinataire"], lg["statut"])
        if now is None or now[:2] != seen or (modifie_le_attendu is not None and not
                                              meme_version(modifie_le_attendu, now[2])):
            raise ConflitError(
                f"L'orientation du logement {lg['logement_id']} a été modifiée "
                f"{modifie_par(cur, oid, now[2] if now else None)} : rechargez la page (rien "
                "n'a été corrigé).")
        if lg["statut"] != "ORIENTE":
            raise OrientationError(
                f"L'orientation est au statut « {STATUTS[lg['statut']]} » : elle ne peut plus "
                "être corrigée (une correction se fait avant toute proposition de candidat ; "
                "retirez d'abord les candidats proposés, page Suivi des logements).")
        cur.execute("update orientation set destinataire = ?, decided_by = ?, "
                    "justification = ? where orientation_id = ?",
                    [destinataire, auteur, motif.strip(), oid])
        fixer_date_limite(cur, oid)
        audit(cur, auteur, "orientation.correct", "orientation", oid,
              {"avant": lg["destinataire"], "apres": destinataire, "motif": motif.strip()})


def destinations_correction(db: Database, liberation_id: str,
                            aujourdhui: date | None = None) -> dict[str, str]:
    """The destinations an oriented dwelling may be corrected to, best ranked first, as
    {code: name} — its current destination excluded (an empty dict if it has none other)."""
    lg = fiche_logement(db, liberation_id)
    dest = classer_destinations(db, liberation_id, aujourdhui).destinations
    dest = dest[dest["destinataire"] != lg["destinataire"]]
    return dict(zip(dest["destinataire"], dest["nom"]))


def orientations_corrigeables(db: Database, p: Perimetre) -> pd.DataFrame:
    """Orientations still at statut ORIENTE in the territory (the ones a correction may change;
    not a dwelling outside the flux, which has no ranking to correct against),
    most recent first: liberation_id, logement_id, typologie, commune, destinataire, nom,
    date_orientation, decided_by."""
    df = db.df(
        "select o.liberation_id, b.logement_id, l.typologie,"
        " coalesce(c.nom, r.commune_insee) as commune, o.destinataire,"
        " coalesce(rv.nom, o.destinataire) as nom, o.date_orientation, o.decided_by"
        " from orientation o join liberation b using (liberation_id)"
        " join logement l using (logement_id) join residence r using (residence_id)"
        " left join ref_commune c on c.code_insee = r.commune_insee"
        " left join reservataire rv on rv.reservataire_id = o.destinataire"
        " where o.statut = 'ORIENTE' and l.hors_flux_motif is null"
        " and ($dep is null or r.departement = $dep)"
        " and ($epci is null or r.epci_siren = $epci)"
        " order by o.date_orientation desc, o.liberation_id limit 200",
        {"dep": p.departement, "epci": p.epci_siren})
    internes = df["destinataire"].isin(INTERNES)      # « Bailleur (non réservé) », not a code
    df.loc[internes, "nom"] = df.loc[internes, "destinataire"].map(libelle_destination)
    return df
