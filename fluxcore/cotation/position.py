"""What a demandeur is owed (R441-2-17): the criteria and points behind his score, his rank,
the scores of similar demandes, the observed waiting time, the effect of a refusal, and
whether his demande is prioritaire (L441-1 or DALO, on which criteria) — as figures and as
plain French sentences that can be checked by hand."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from fluxcore.cotation.grille import ANCIENNETE, REFUS, SPECIAUX, grille
from fluxcore.cotation.scores import attentes, classes, filtres, quantiles
from fluxcore.criteres import ARTICLES, LIBELLES, criteres_prioritaires
from fluxcore.db import Database, en_parallele, load_sql
from fluxcore.errors import CotationError
from fluxcore.formats import de, fmt_date, fmt_int, fmt_num
from fluxcore.parametres import get_parametres

STATUTS_DEMANDE = {"ATTRIBUEE": "satisfaite (logement attribué)", "RADIEE": "radiée"}
NIVEAUX = {1: "commune", 2: "epci", 3: "epci_toutes"}  # levels of sql/cotation/position.sql
_TEXTES = ("demande_id", "commune_souhaitee", "typologie_souhaitee", "epci_siren")


@dataclass
class Position:
    demande: dict                 # the demande's row of cotation/scores + commune, epci names
    detail: pd.DataFrame          # critere, libelle, quantite, points_unitaires, points
    grille_version: int | None
    grille_date_effet: date | None
    rang_epci: int | None
    nb_epci: int
    comparables: dict             # niveau, libelle, nb, rang, part_inferieure, quantiles, classes
    attente: dict                 # niveau, libelle, nb, mediane_mois (None: no attribution)
    refus: dict                   # points, score_apres, rang_apres
    phrases: list[str] = field(default_factory=list)
    # prioritaire (bool), criteres: [{code, libelle, article}] — L441-1 publics and DALO
    prioritaire: dict = field(default_factory=dict)


def _typ(d: dict) -> str:
    t = d.get("typologie_souhaitee")
    return t if isinstance(t, str) and t else "typologie non précisée"


def _lieu(niveau: str, d: dict) -> str:
    typ = _typ(d)
    if niveau == "commune":
        return f"{typ} à {d['commune']}"
    if niveau == "epci":
        return f"{typ} dans {d['epci']}"
    if niveau == "epci_toutes":
        return f"toutes typologies dans {d['epci']}"
    return f"{typ} sur tout le territoire"


def position_demandeur(db: Database, demande_id: str, aujourdhui: date) -> Position:
    """The position of an active demande at `aujourdhui`; CotationError in French if the
    demande is unknown or no longer active."""
    row, s = en_parallele(lambda: db.one(
        "select d.statut, d.date_radiation, c.epci_siren, d.typologie_souhaitee, c.nom,"
        " e.nom, v.version from demande d"
        " left join ref_commune c on c.code_insee = d.commune_souhaitee"
        " left join ref_epci e on e.epci_siren = c.epci_siren"
        " left join (" + load_sql("cotation/versions") + ") v on v.epci_siren = c.epci_siren"
        " where d.demande_id = $id", {"id": demande_id, "date": aujourdhui}),
        lambda: get_parametres(db))
    if row is None:
        raise CotationError(f"Demande inconnue : « {demande_id} ».")
    if row[0] != "ACTIVE":
        quand = f" le {fmt_date(pd.Timestamp(row[1]).date())}" if row[1] is not None else ""
        raise CotationError(f"La demande {demande_id} n'est plus active : "
                            f"{STATUTS_DEMANDE.get(row[0], row[0])}{quand}.")
    epci, typ, nom_commune, nom_epci, version = row[2:]

    def lecture():
        # its grid (and the points of a refusal), then its row and the comparison with the
        # scored demandes of its EPCI (sql/cotation/position.sql); without EPCI, itself only
        g = grille(db, epci, version) if version is not None else None
        refus = float(g.loc[g["critere"] == REFUS, "points"].sum()) if g is not None else 0.0
        df = db.df(load_sql("cotation/position"), filtres(
            aujourdhui, epci or None, demande=None if epci else demande_id) | {
            "id": demande_id, "refus": refus})
        return g, refus, df

    (g, pts_refus, df), att = en_parallele(
        lecture, lambda: attentes(db, aujourdhui, typ) if isinstance(typ, str) else None)
    if df.empty:  # filed after the date
        raise CotationError(f"La demande {demande_id} est déposée après le "
                            f"{fmt_date(aujourdhui)}.")
    comp_cols = list(df.columns[df.columns.get_loc("rang_epci") + 1:])
    d = df.drop(columns=comp_cols).iloc[0].to_dict()
    for k in _TEXTES:  # as in the table of every score: a missing text is NaN
        if d[k] is None:
            d[k] = np.nan
    stats = df[comp_cols].iloc[0]
    d["commune"] = nom_commune or d["commune_souhaitee"]
    d["epci"] = (nom_epci or epci if epci else "hors EPCI connu")
    detail = _detail(d, g)
    score = None if pd.isna(d["score"]) else float(d["score"])
    minimum = int(s["cotation_min_comparables"])
    comp, rang_apres = _comparables(stats, d, score, minimum) if score is not None else ({}, None)
    att = _attente(att, d, minimum)
    refus = {"points": pts_refus, "score_apres": None, "rang_apres": None}
    if score is not None:
        refus["score_apres"] = score + pts_refus
        refus["rang_apres"] = rang_apres
    pos = Position(
        d, detail, version, None if g is None else pd.Timestamp(g["date_effet"].iloc[0]).date()
        if g["date_effet"].notna().any() else None,
        None if pd.isna(d.get("rang_epci")) else int(d["rang_epci"]),
        int(stats["nb_3"]) if score is not None else 0, comp, att, refus)
    pos.prioritaire = priorite(d["criteres"], s["cotation_criteres_prioritaires"], g)
    pos.phrases = phrases(pos, int(s["cotation_attente_mois"]))
    return pos


def priorite(criteres, prioritaires: list[str], g: pd.DataFrame | None = None) -> dict:
    """Whether the demande is prioritaire (a criterion of the setting's list, or DALO), and on
    which criteria: code, label (the grid's, else the usual one), article."""
    lib = dict(zip(g["critere"], g["libelle"])) if g is not None else {}
    codes = criteres_prioritaires(criteres, prioritaires)
    return {"prioritaire": bool(codes),
            "criteres": [{"code": c, "libelle": lib.get(c) or LIBELLES.get(c, c),
                          "article": ARTICLES.get(c)} for c in codes]}


def _phrase_priorite(p: Position) -> str:
    if not p.prioritaire.get("prioritaire"):
        return ("Demande non prioritaire : aucun de ses critères ne relève des publics "
                "prioritaires de l'article L441-1 du CCH ni du DALO.")
    quoi = " ; ".join(f"{c['libelle']} ({c['article']})" if c["article"] else c["libelle"]
                      for c in p.prioritaire["criteres"])
    return (f"Demande prioritaire (article L441-1 du CCH), candidate sur le contingent du "
            f"préfet et comptée dans l'objectif de 25 % d'attributions aux publics "
            f"prioritaires, au titre de : {quoi}.")


def _detail(d: dict, g: pd.DataFrame | None) -> pd.DataFrame:
    cols = ["critere", "libelle", "quantite", "points_unitaires", "points"]
    if g is None:
        return pd.DataFrame(columns=cols)
    pts = dict(zip(g["critere"], g["points"]))
    lib = dict(zip(g["critere"], g["libelle"]))
    rows = []
    for code in dict.fromkeys(d["criteres"]):
        if code in SPECIAUX:
            continue
        if code in pts:
            rows.append((code, lib[code], 1, pts[code], pts[code]))
        else:
            rows.append((code, f"{code} (critère absent de la grille)", 1, 0.0, 0.0))
    rows.sort(key=lambda r: (-r[4], r[0]))
    rows.append((ANCIENNETE, lib.get(ANCIENNETE, SPECIAUX[ANCIENNETE]), d["anciennete_mois"],
                 pts.get(ANCIENNETE, 0.0), d["points_anciennete"]))
    rows.append((REFUS, lib.get(REFUS, SPECIAUX[REFUS]), d["nb_refus"], pts.get(REFUS, 0.0),
                 d["points_refus"]))
    out = pd.DataFrame(rows, columns=cols)
    out["quantite"] = out["quantite"].astype(int)
    return out


def _comparables(stats: pd.Series, d: dict, score: float, minimum: int
                 ) -> tuple[dict, int]:
    """Scores of similar demandes (same grid): same typologie and commune; below `minimum`
    demandes, same typologie in the EPCI; below again, the whole EPCI (`stats`: the counts of
    sql/cotation/position.sql). Also its rank there after one more refusal."""
    n = next((k for k in (1, 2) if stats[f"nb_{k}"] >= max(minimum, 1)), 3)
    niveau = NIVEAUX[n]
    v = np.asarray(stats[f"scores_{n}"], dtype=float)
    return {"niveau": niveau, "libelle": _lieu(niveau, d), "nb": len(v),
            "rang": int(stats[f"avant_{n}"]) + 1,
            "part_inferieure": 100.0 * float(stats[f"moins_{n}"]) / len(v),
            "quantiles": quantiles(v), "classes": classes(v)}, int(
        stats[f"apres_refus_{n}"]) + 1


def _attente(a: pd.DataFrame, d: dict, minimum: int) -> dict:
    """Median seniority at attribution of similar demandes: commune + typologie, else EPCI +
    typologie, else the typologie on the whole base (first level with `minimum` demandes)."""
    if not isinstance(d["typologie_souhaitee"], str):
        return {"niveau": None, "libelle": _lieu("typologie", d), "nb": 0,
                "mediane_mois": None}
    typ = a[a["typologie_souhaitee"] == d["typologie_souhaitee"]]
    levels = (("commune", typ[(typ["niveau"] == "commune")
                             & (typ["commune_souhaitee"] == d["commune_souhaitee"])]),
              ("epci", typ[(typ["niveau"] == "epci") & (typ["epci_siren"] == d["epci_siren"])]),
              ("typologie", typ[typ["niveau"] == "typologie"]))
    for niveau, row in levels:
        if len(row) and (int(row["nb"].iloc[0]) >= minimum or niveau == "typologie"):
            return {"niveau": niveau, "libelle": _lieu(niveau, d), "nb": int(row["nb"].iloc[0]),
                    "mediane_mois": float(row["mediane_mois"].iloc[0])}
    return {"niveau": None, "libelle": _lieu("typologie", d), "nb": 0, "mediane_mois": None}


def _pts(x: float) -> str:
    return f"{fmt_num(x, 0 if float(x).is_integer() else 1)} point" + ("s" if abs(x) >= 2 else "")


def phrases(p: Position, mois_attente: int) -> list[str]:
    """The plain French explanation owed to the demandeur (R441-2-17)."""
    d = p.demande
    taille = d["taille_menage"]
    menage = ("taille du ménage non précisée" if taille is None or pd.isna(taille) else
              f"ménage de {fmt_int(taille)} personne{'s' if taille > 1 else ''}")
    quoi = (f"un {d['typologie_souhaitee']}" if isinstance(d["typologie_souhaitee"], str)
            else "un logement (typologie non précisée)")
    out = [f"Demande déposée le {fmt_date(pd.Timestamp(d['date_depot']).date())} pour {quoi} "
           f"à {d['commune']}, {menage}.", _phrase_priorite(p)]
    if p.grille_version is None:
        ou = (f"pour {d['epci']}" if d["epci_siren"] else
              "pour cette commune (rattachée à aucun EPCI connu)")
        out.append(f"Aucune grille de cotation n'est en vigueur {ou} : la demande n'a pas de "
                   "score ; elle est examinée dans l'ordre d'ancienneté.")
        out.append(_phrase_attente(p, mois_attente))
        out.append(CALEOL)
        return out
    depuis = (f" en vigueur depuis le {fmt_date(p.grille_date_effet)}"
              if p.grille_date_effet else "")
    out.append(f"Elle est cotée selon la grille {de(d['epci'])}, version {p.grille_version}"
               f"{depuis}.")
    parts = [f"{r.libelle} : {_pts(r.points)}" for r in p.detail.itertuples()
             if r.critere not in SPECIAUX and r.points != 0]
    anc = p.detail[p.detail["critere"] == ANCIENNETE].iloc[0]
    parts.append(f"ancienneté : {fmt_int(anc.quantite)} mois × {_pts(anc.points_unitaires)} = "
                 f"{_pts(anc.points)}")
    ref = p.detail[p.detail["critere"] == REFUS].iloc[0]
    if ref.quantite:
        parts.append(f"refus : {fmt_int(ref.quantite)} × {_pts(ref.points_unitaires)} = "
                     f"{_pts(ref.points)}")
    out.append(f"Score : {_pts(float(d['score']))} ({' ; '.join(parts)}).")
    c = p.comparables
    if c:
        q = c["quantiles"]
        out.append(
            f"Parmi les {fmt_int(c['nb'])} demandes actives comparables ({c['libelle']}), elle "
            f"est au rang {fmt_int(c['rang'])} ; la moitié de ces demandes ont au plus "
            f"{_pts(q['mediane'])}, 9 sur 10 au plus {_pts(q['d9'])}. Dans tout l'EPCI, elle "
            f"est au rang {fmt_int(p.rang_epci)} sur {fmt_int(p.nb_epci)}.")
    out.append(_phrase_attente(p, mois_attente))
    r = p.refus
    if r["points"] == 0:
        out.append("Refuser un logement adapté ne change pas le score selon cette grille.")
    else:
        rang = ""
        if c and r["rang_apres"] is not None:
            rang = (f" ; elle resterait au rang {fmt_int(c['rang'])} parmi les demandes "
                    "comparables" if r["rang_apres"] == c["rang"] else
                    f" et son rang parmi les demandes comparables passerait de "
                    f"{fmt_int(c['rang'])} à {fmt_int(r['rang_apres'])}")
        out.append(f"Refuser un logement adapté retirerait {_pts(-r['points'])} : le score "
                   f"passerait de {_pts(float(d['score']))} à {_pts(r['score_apres'])}{rang}.")
    out.append(CALEOL)
    return out


CALEOL = ("La cotation est une aide à la décision : elle ne donne pas droit à un logement "
          "déterminé ; la commission d'attribution (CALEOL) examine les candidatures.")


def _phrase_attente(p: Position, mois_attente: int) -> str:
    a, d = p.attente, p.demande
    if a["mediane_mois"] is None:
        if not isinstance(d["typologie_souhaitee"], str):
            return ("Typologie souhaitée non précisée : pas de délai d'attente observé pour des "
                    "demandes comparables.")
        return (f"Aucune demande comparable ({a['libelle']}) n'a été satisfaite ces "
                f"{mois_attente} derniers mois : pas de délai d'attente observé.")
    return (f"Délai d'attente observé : les demandes satisfaites ces {mois_attente} derniers "
            f"mois ({a['libelle']}, {fmt_int(a['nb'])} attributions) avaient une ancienneté "
            f"médiane de {fmt_num(a['mediane_mois'], 1)} mois ; cette demande a "
            f"{fmt_int(d['anciennete_mois'])} mois d'ancienneté.")
