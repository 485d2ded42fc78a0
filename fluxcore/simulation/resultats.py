"""Run a scenario: flux per year, droits per réservataire, expected mix, legal checks."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np
import pandas as pd

from fluxcore.formats import de_commune, fmt_pct
from fluxcore.limites import en_derogations
from fluxcore.regles import (
    INTERNES,
    TYPES_PREFET,
    Controle,
    controle_hors_qpv_prefet,
    controles_prefet,
)
from fluxcore.simulation.calcul import (
    SEGMENTS,
    cube,
    droits_eteints,
    est_prefet,
    flux_perimetre,
    lignes_initiales,
    part_annee,
    resoudre_taux,
)
from fluxcore.simulation.entrees import Entrees
from fluxcore.simulation.scenario import Scenario, valider

COLONNES_ANNEE = ["parc", "liberations", "premieres", "premieres_flux", "flux_brut",
                  *[f"soustraits_{c}" for c in INTERNES], "soustraits", "flux_net"]


@dataclass
class Resultats:
    """Everything a scenario gives; `to_dict` is the JSON documented in the README."""

    scenario: Scenario
    annees: pd.DataFrame            # per year: département flux, droits, part bailleur
    reservataires: pd.DataFrame     # per line: rate, how it was obtained, droits over period
    droits: pd.DataFrame            # per line and year: flux of its perimeter, droits
    mix: pd.DataFrame               # per line and segment: expected dwellings over period
    controles: pd.DataFrame         # legal checks: code, libelle, article, valeur, limite, …
    prefet_par_commune: pd.DataFrame
    avertissements: list[str] = field(default_factory=list)

    @property
    def conforme(self) -> bool:
        return bool(self.controles["respecte"].all()) if len(self.controles) else True

    @property
    def part_bailleur_pct(self) -> float:
        net = float(self.annees["flux_net"].sum())
        return 100.0 * float(self.annees["part_bailleur"].sum()) / net if net > 0 else 0.0

    def to_dict(self) -> dict:
        def records(df: pd.DataFrame) -> list[dict]:
            return [{k: _plain(v) for k, v in r.items()} for r in df.to_dict("records")]

        return {"scenario": self.scenario.to_dict(), "conforme": self.conforme,
                "part_bailleur_pct": round(self.part_bailleur_pct, 4),
                "annees": records(self.annees), "reservataires": records(self.reservataires),
                "droits": records(self.droits), "mix": records(self.mix),
                "controles": records(self.controles),
                "prefet_par_commune": records(self.prefet_par_commune),
                "avertissements": list(self.avertissements)}


def ligne(df: pd.DataFrame, reservataire_id: str, perimetre) -> pd.DataFrame:
    """Rows of a per-line table (reservataires, droits, Monte Carlo) for one line: a
    réservataire on a perimeter (None or NaN = the département)."""
    key = perimetre if isinstance(perimetre, str) else ""
    return df[(df["reservataire_id"] == reservataire_id) & (df["perimetre"].fillna("") == key)]


def _plain(v):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    if hasattr(v, "item"):
        v = v.item()
    return round(v, 6) if isinstance(v, float) else v


def simuler(e: Entrees, s: Scenario) -> Resultats:
    """The deterministic result of scenario `s` on inputs `e` (no database access)."""
    valider(s)
    s = resoudre_reglages(e, s)
    lignes = s.reservataires or lignes_initiales(e)
    perims = [None, *sorted({ligne.perimetre for ligne in lignes} - {None})]
    flux = {p: flux_perimetre(e, s, p) for p in perims}
    alertes: list[str] = [f"Le périmètre « {p} » ne contient aucune commune du département : "
                          "droits nuls." for p in perims[1:] if not cube(e).masque(p).any()]
    alertes += droits_eteints(e)
    par_an = {p: f.par_an(e.annees).set_index("annee") for p, f in flux.items()}
    rows, droits = [], []
    for ligne in lignes:
        an = par_an[ligne.perimetre]
        taux, base, a = resoudre_taux(e, s, ligne, float(an["flux_net"].clip(lower=0).mean()))
        alertes += a + _fin_droits(ligne, s)
        for annee, net in an["flux_net"].items():
            droits.append({"reservataire_id": ligne.reservataire_id, "perimetre": ligne.perimetre,
                           "annee": int(annee), "flux_perimetre": max(0.0, float(net)),
                           "droits": taux / 100.0 * max(0.0, float(net))
                           * part_annee(ligne.fin_droits, int(annee),
                                        ligne.debut_droits)})
        total = sum(d["droits"] for d in droits[-len(an):])
        rows.append({"reservataire_id": ligne.reservataire_id, "nom": ligne.nom or
                     ligne.reservataire_id, "type": ligne.type, "perimetre": ligne.perimetre,
                     "garantie_emprunt": ligne.garantie_emprunt, "methode": ligne.methode,
                     "taux_pct": taux, "base": base, "droits_total": total,
                     "droits_par_an": total / len(an), "fin_droits": ligne.fin_droits,
                     "debut_droits": ligne.debut_droits})
    res = pd.DataFrame(rows, columns=["reservataire_id", "nom", "type", "perimetre",
                                      "garantie_emprunt", "methode", "taux_pct", "base",
                                      "droits_total", "droits_par_an", "fin_droits",
                                      "debut_droits"])
    res["perimetre_libelle"] = [e.libelle_perimetre(p) for p in res["perimetre"]]
    res["libelle"] = [libelle_ligne(n, p, lib) for n, p, lib in
                      zip(res["nom"], res["perimetre"], res["perimetre_libelle"])]
    dr = pd.DataFrame(droits, columns=["reservataire_id", "perimetre", "annee",
                                       "flux_perimetre", "droits"])
    annees = par_an[None].reset_index()[["annee", *COLONNES_ANNEE]]
    for p, f in par_an.items():
        if (f["flux_net"] < 0).any():
            where = ("du département" if p is None
                     else f"du périmètre « {e.libelle_perimetre(p)} »")
            alertes.append(f"Les soustraits dépassent le flux brut {where} : flux net ramené "
                           "à zéro pour les droits.")
    annees["droits_reservataires"] = annees["annee"].map(dr.groupby("annee")["droits"].sum()
                                                         ).fillna(0.0)
    annees["part_bailleur"] = annees["flux_net"].clip(lower=0) - annees["droits_reservataires"]
    annees["part_bailleur_pct"] = (100.0 * annees["part_bailleur"]
                                   / annees["flux_net"].where(annees["flux_net"] > 0))
    mix = _mix(flux, lignes, res)
    ctrl = controles(e, s, res, annees, mix, flux[None], dr)
    return Resultats(s, annees, res, dr, mix, ctrl, prefet_par_commune(e, s, res, flux[None]),
                     alertes)


def libelle_ligne(nom: str, perimetre, perimetre_libelle: str) -> str:
    """A line's name for people: the réservataire's name, with its perimeter when the name
    does not already say it (« Commune de Sedan » on Sedan, « Action Logement Services – CU du
    Grand Reims »)."""
    if not isinstance(perimetre, str) or perimetre_libelle in nom or nom in perimetre_libelle:
        return nom
    return f"{nom} – {perimetre_libelle}"


def resoudre_reglages(e: Entrees, s: Scenario) -> Scenario:
    """The scenario with the base's settings where it leaves them open (None)."""
    changes = {}
    if s.premieres_dans_flux is None:
        changes["premieres_dans_flux"] = bool(e.reglages["premieres_mises_en_location_dans_flux"])
    if s.lecture_hors_qpv is None:
        changes["lecture_hors_qpv"] = str(e.reglages["lecture_hors_qpv_prefet"])
    if s.derogations is None:
        changes["derogations"] = en_derogations(e.derogations)
    return replace(s, **changes) if changes else s


def _fin_droits(ligne, s: Scenario) -> list[str]:
    if ligne.fin_droits is None or ligne.fin_droits > f"{s.annee_fin}-12-31":
        return []
    jour = date.fromisoformat(ligne.fin_droits).strftime("%d/%m/%Y")
    return [f"{ligne.nom or ligne.reservataire_id} : droits éteints le {jour} (garantie "
            "d'emprunt) : comptés au prorata de l'année, nuls ensuite."]


def _mix(flux: dict, lignes, res: pd.DataFrame) -> pd.DataFrame:
    """Expected dwellings per line and segment over the period: its droits spread like the
    net flux of its perimeter (orientation uniform across segments)."""
    out = []
    for ligne, total in zip(lignes, res["droits_total"]):
        comp = flux[ligne.perimetre].net.sum(1).clip(min=0)
        if comp.sum() <= 0:
            continue
        for (typ, qpv), sh in zip(SEGMENTS, comp / comp.sum()):
            if sh > 0:
                out.append({"reservataire_id": ligne.reservataire_id,
                            "perimetre": ligne.perimetre, "typologie": typ, "en_qpv": qpv,
                            "logements": float(total) * float(sh)})
    return pd.DataFrame(out, columns=["reservataire_id", "perimetre", "typologie", "en_qpv",
                                      "logements"])


def _arrondi(x: float) -> int:
    return math.floor(x + 0.5)


def couverture(e: Entrees, res: pd.DataFrame) -> pd.DataFrame:
    """Per commune of the département, the sum of the rates of the lines covering it, and of
    the loan-guarantee lines among them."""
    c = cube(e)
    cover = np.array([c.masque(None if pd.isna(p) else p) for p in res["perimetre"]],
                     dtype=bool).reshape(len(res), len(c.communes))
    taux = res["taux_pct"].to_numpy(float)
    gar = taux * res["garantie_emprunt"].astype(bool).to_numpy()
    return pd.DataFrame({"commune_insee": c.communes, "total": taux @ cover,
                         "garantie": gar @ cover})


def controles(e: Entrees, s: Scenario, res: pd.DataFrame, annees: pd.DataFrame,
              mix: pd.DataFrame, flux_dep: pd.DataFrame, dr: pd.DataFrame) -> pd.DataFrame:
    """Every legal limit of docs/regles.md#limites, on the period's expected figures; the préfet's
    year by year against the scenario's dated dérogations."""
    g = e.reglages
    net = float(annees["flux_net"].clip(lower=0).sum())
    pref = res.loc[res["type"].map(est_prefet).astype(bool)]

    def share(rows: pd.DataFrame) -> float:
        return 100.0 * float(rows["droits_total"].sum()) / net if net > 0 else float(
            rows.loc[rows["perimetre"].isna(), "taux_pct"].sum())

    checks: list[Controle] = controles_prefet(
        parts_prefet(res, annees, dr), s.derogations or [], float(g["prefet_taux_max_pct"]),
        float(g["prefet_fonctionnaires_max_pct"]))
    pm = mix[mix["reservataire_id"].isin(pref["reservataire_id"])]
    c = controle_hors_qpv_prefet(
        s.lecture_hors_qpv, _arrondi(float(pm["logements"].sum())),
        _arrondi(float(pm.loc[~pm["en_qpv"], "logements"].sum())),
        _arrondi(float(flux_dep.net[[not q for _, q in SEGMENTS]].clip(min=0).sum())),
        g["prefet_hors_qpv_min_pct"])
    checks.append(Controle(c.code, c.libelle, c.article, c.valeur, c.limite, c.respecte,
                           c.message.replace("logements orientés au préfet",
                                             "logements attendus pour le préfet sur la période")))
    cov = couverture(e, res)
    limit = float(g["garantie_emprunt_max_pct"])
    if g["garantie_emprunt_base"] == "departement":
        gar = share(res.loc[res["garantie_emprunt"].astype(bool)])
        where = "du flux net du département"
    else:
        worst = cov.loc[cov["garantie"].idxmax()] if len(cov) else None
        gar = float(worst["garantie"]) if worst is not None else 0.0
        where = (f"du flux de la commune la plus engagée, "
                 f"{_commune(e, worst['commune_insee'])}," if worst is not None else "du flux")
    checks.append(Controle(
        "garantie_max", "Garanties d'emprunt", "R441-5-2", gar, limit, gar <= limit + 1e-9,
        f"Réservations en contrepartie de garanties d'emprunt : {fmt_pct(gar, 1)} {where} "
        f"pour un maximum de {fmt_pct(limit)}."))
    worst = cov.loc[cov["total"].idxmax()] if len(cov) else None
    total = float(worst["total"]) if worst is not None else 0.0
    checks.append(Controle(
        "somme_taux", "Somme des taux", "R441-5", total, 100.0, total <= 100.0 + 1e-9,
        f"Somme des taux de {fmt_pct(total, 1)} au plus"
        + (f" (commune {de_commune(worst['commune_insee'], _commune(e, worst['commune_insee']))})"
           if worst is not None else "") + " pour un maximum de 100 %."))
    return pd.DataFrame([c.__dict__ for c in checks])


def parts_prefet(res: pd.DataFrame, annees: pd.DataFrame, dr: pd.DataFrame) -> list[tuple]:
    """Per year of the period: (1 January, 31 December, préfet's share %, agents' share %)
    of the département's net flux (the rates of its département-wide lines when the flux
    is nil)."""
    kinds = res[["reservataire_id", "perimetre", "type"]].assign(
        perimetre=res["perimetre"].fillna(""))
    d = dr.assign(perimetre=dr["perimetre"].fillna("")).merge(kinds, how="left",
                                                               on=["reservataire_id",
                                                                   "perimetre"])
    out = []
    for a in annees.itertuples():
        y, net = int(a.annee), max(0.0, float(a.flux_net))
        rows = d[d["annee"] == y]
        pref = rows[rows["type"].map(est_prefet).astype(bool)]
        agents = rows[(rows["type"] == "PREFET_FONCTIONNAIRES").astype(bool)]
        if net > 0:
            parts = [100.0 * float(x["droits"].sum()) / net for x in (pref, agents)]
        else:
            parts = [float(res.loc[res["type"].isin(types) & res["perimetre"].isna(),
                                   "taux_pct"].sum())
                     for types in (TYPES_PREFET, ("PREFET_FONCTIONNAIRES",))]
        out.append((date(y, 1, 1), date(y, 12, 31), round(parts[0], 9), round(parts[1], 9)))
    return out


def _commune(e: Entrees, code: str) -> str:
    """A commune's name (its code when the reference does not know it)."""
    return e.communes.get(code) or code


def prefet_par_commune(e: Entrees, s: Scenario, res: pd.DataFrame,
                       flux_dep) -> pd.DataFrame:
    """The préfet's droits spread uniformly over the communes (R441-5-2), first year: each
    segment's net flux shared between communes pro rata of their expected entries (parc ×
    the département's rotation + first lettings), times the préfet's rate."""
    rate = float(res.loc[(res["type"].map(est_prefet).astype(bool)
                          & res["perimetre"].isna()).astype(bool), "taux_pct"].sum())
    c = cube(e)
    entrees = c.parc[:, :, 0] * flux_dep.rotation[None, :] + (
        c.premieres[:, :, 0] if s.premieres_dans_flux else 0.0)
    tot = entrees.sum(0, keepdims=True)
    share = np.divide(entrees, tot, out=np.zeros_like(entrees), where=tot > 0)
    flux = (share * flux_dep.net[:, 0].clip(min=0)[None, :]).sum(1)
    out = pd.DataFrame({"commune_insee": c.communes,
                        "nom": [e.communes.get(x, x) for x in c.communes], "flux": flux})
    out["du_prefet"] = rate / 100.0 * out["flux"]
    return out[out["flux"] > 0].sort_values(["flux", "commune_insee"], ascending=[False, True],
                                            ignore_index=True)
