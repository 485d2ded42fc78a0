"""Legal limits of docs/regles.md#limites measured on the base, per département (R441-5-2):

- the préfet's share day by day against the préfectoral dérogations of the département
  (table `derogation`: an arrêté, its own dates, one year at most, its rates); outside a
  valid dérogation the limits are 30 % and 5 % (settings);
- loan guarantees ≤ 20 %: on the « departement » base, the share of the département's flux
  that actually went to guarantee conventions (dwellings oriented to them ÷ dwellings that
  entered the flux) for a closed year or to date; the forecast only for a year not started.
The « territoire » base stays a check on the signed rates of each commune (exact, no flux).
"""

from __future__ import annotations

import pandas as pd

from fluxcore.db import Database, load_sql
from fluxcore.formats import accord, de_commune, fmt_date, fmt_int, fmt_pct
from fluxcore.geo import noms_departements
from fluxcore.perimetre import Perimetre
from fluxcore.regles import EPS, Controle, Derogation, controles_prefet


def derogations(db: Database, p: Perimetre) -> pd.DataFrame:
    """Dérogations of the territory's départements touching the year, with valide (one year
    at most), jours and fin_maximale (the last day it could cover)."""
    df = db.df(load_sql("jauges/derogations"), p.params())
    objs = en_derogations(df)
    df["valide"] = [d.valide for d in objs]
    df["jours"] = [d.jours for d in objs]
    df["fin_maximale"] = [d.fin_maximale for d in objs]
    return df


def en_derogations(df: pd.DataFrame) -> list[Derogation]:
    """Rows of the `derogation` table as regles.Derogation."""
    return [Derogation(str(r.arrete), _jour(r.date_debut), _jour(r.date_fin),
                       float(r.taux_max),
                       None if pd.isna(r.taux_agents_max) else float(r.taux_agents_max),
                       r.departement, r.derogation_id) for r in df.itertuples()]


def controles_prefet_departements(rates: pd.DataFrame, derogs: pd.DataFrame,
                                  s: dict) -> dict[str, list[Controle]]:
    """The préfet's checks per département from its rates per commune and stretch
    (jauges/taux_par_commune): on each stretch, the highest préfet rate of its communes,
    against the dérogations of the département (rows of `derogations`)."""
    per = rates.groupby(["departement", "du", "au"], as_index=False)[["prefet", "agents"]].max()
    arretes: dict[str, list[Derogation]] = {}
    for d in en_derogations(derogs):
        arretes.setdefault(d.departement, []).append(d)
    periodes: dict[str, list[tuple]] = {}
    for r in per.itertuples(index=False):
        periodes.setdefault(r.departement, []).append(
            (_jour(r.du), _jour(r.au), float(r.prefet), float(r.agents)))
    return {dep: controles_prefet(p, arretes.get(dep, []), float(s["prefet_taux_max_pct"]),
                                  float(s["prefet_fonctionnaires_max_pct"]))
            for dep, p in periodes.items()}


def controle_garantie(p: Perimetre, rates: pd.DataFrame, conv: pd.DataFrame | None,
                      s: dict) -> Controle:
    """Loan-guarantee reservations ≤ 20 %. « territoire »: Σ of the guarantee rates on the
    flux of each commune (the worst). « departement »: `conv` = the département's gauges per
    convention (jauges_conventions); realised share when dwellings entered, else forecast."""
    limit = float(s["garantie_emprunt_max_pct"])
    if s["garantie_emprunt_base"] != "departement" or conv is None:
        worst = rates.loc[rates["garantie"].idxmax()]
        value = float(worst["garantie"])
        return _garantie(value, limit, f"{fmt_pct(value, 1)} du flux {la_commune(worst)}")
    prevu, gar, entres = garantie_departement(conv)
    txt_prevu = fmt_pct(prevu, 1) if prevu is not None else "non calculable"
    if p.date_arret < p.date_debut or entres == 0:
        value = prevu or 0.0
        when = "année non commencée" if p.date_arret < p.date_debut else "aucun logement entré"
        return _garantie(value, limit, f"prévu {txt_prevu} du flux du département ({when})")
    value = 100.0 * gar / entres
    periode = (f"en {p.annee}, réalisé {fmt_pct(value, 1)}" if p.annee_complete else
               f"sur l'année, réalisé {fmt_pct(value, 1)} au {fmt_date(p.date_arret)}")
    return _garantie(value, limit, (
        f"prévu {txt_prevu} du flux du département {periode} ({fmt_int(gar)} des "
        f"{fmt_int(entres)} logements entrés dans le flux sont allés aux conventions de "
        "garantie)"))


def garantie_departement(conv: pd.DataFrame) -> tuple[float | None, int, int]:
    """(forecast share %, dwellings oriented to guarantee conventions, dwellings entered) on
    the département: forecast = Σ rate × forecast flux of each guarantee convention's
    perimeter × the part of the year it covers ÷ forecast flux of the département (None when
    it is not positive)."""
    if conv.empty:
        return None, 0, 0
    whole = conv.loc[conv["perimetre"].isna(), "flux_net_prevu"]
    flux_dep = float(whole.iloc[0]) if len(whole) else float(conv["flux_net_prevu"].max())
    g = conv[conv["garantie_emprunt"].astype(bool)]
    part = g.get("part_annee", 1.0)   # a line covering part of the year
    prevu = (100.0 * float((g["taux_flux"] / 100.0 * g["flux_net_prevu"] * part).sum())
             / flux_dep if flux_dep > 0 else None)
    return prevu, int(g["orientes"].sum()), int(conv["total_entres"].iloc[0])


def la_commune(row) -> str:
    """« de la commune de Reims » for a row with commune_insee and commune_nom (name read
    from the reference), « d'une commune » when the name is unknown."""
    nom = row.get("commune_nom")
    if not isinstance(nom, str) or not nom:
        return "d'une commune"
    return f"de la commune {de_commune(row['commune_insee'], nom)}"


def _garantie(value: float, limit: float, detail: str) -> Controle:
    return Controle("garantie_max", "Garanties d'emprunt", "R441-5-2", value, limit,
                    value <= limit + EPS,
                    f"Réservations en contrepartie de garanties d'emprunt : {detail} pour un "
                    f"maximum de {fmt_pct(limit)}.")


def _jour(value):
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


def derogations_trop_longues(db: Database) -> list[str]:
    """Every stored dérogation longer than one year (R441-5-2), for the integrity report:
    « id (arrêté, du … au …, n jours) »."""
    df = db.df("select derogation_id, departement, arrete, date_debut, date_fin, taux_max, "
               "taux_agents_max from derogation order by derogation_id")
    return [f"{d.derogation_id} ({d.libelle()}, {d.jours} jours)" for d in en_derogations(df)
            if not d.valide]


def textes_derogations(df: pd.DataFrame) -> list[str]:
    """One French line per dérogation of `derogations()`, for the limits panel."""
    out = []
    for d, r in zip(en_derogations(df), df.itertuples()):
        agents = ("" if d.taux_agents_max is None else
                  f", agents de l'État {fmt_pct(d.taux_agents_max, 1)}")
        etat = (accord(d.jours, "jour", "jours") if d.valide else
                f"{d.jours} jours, plus d'un an : non appliquée, limite ordinaire sur ses "
                f"jours (un an au plus : jusqu'au {fmt_date(d.fin_maximale)})")
        dep = noms_departements().get(r.departement, r.departement)
        out.append(f"Dérogation préfectorale (R441-5-2, {dep}) : "
                   f"{d.libelle()} — plafond du préfet {fmt_pct(d.taux_max, 1)}{agents} ; "
                   f"{etat}.")
    return out
