"""Two or three scenarios side by side.

`comparer` gives one row per indicator (numbers stay numbers, `format` says how to show
them); `formater` turns it into French text; `export` writes the files handed out.
"""

from __future__ import annotations

import pandas as pd

from fluxcore.formats import USAGES_INTERNES, accord, fmt_num, fmt_pct
from fluxcore.geo import noms_departements
from fluxcore.simulation.montecarlo import MonteCarlo
from fluxcore.simulation.resultats import Resultats, ligne
from fluxcore.simulation.scenario import METHODES, ROTATIONS

FIXES = ["rubrique", "indicateur", "format"]
HYP, FLUX, CTRL = "Hypothèses", "Flux annuel moyen (logements)", "Contrôles légaux"
RESERVATAIRES = "Réservataires : taux · droits par an (P10–P90 la 1re année)"


def noms_uniques(resultats: list[Resultats]) -> list[str]:
    out: list[str] = []
    for r in resultats:
        nom, k = r.scenario.nom or "Scénario", 2
        if nom in FIXES:
            nom = f"{nom} (scénario)"
        while nom in out:
            nom, k = f"{r.scenario.nom} ({k})", k + 1
        out.append(nom)
    return out


def _rotation(r: Resultats) -> str:
    s = r.scenario
    if s.rotation_mode == "globale":
        return f"{fmt_pct(s.rotation_pct, 1)} pour tous les segments"
    if s.rotation_mode == "segments":
        fixes = accord(len(s.rotation_segments), "fixé", "fixés")
        return f"Par segment ({fixes}, les autres observés)"
    return ROTATIONS[s.rotation_mode]


def texte_derogations(r: Resultats) -> str:
    """« Arrêté n° … du 01/03/2027 au 29/02/2028 : 35 % » for each arrêté, or « aucune »."""
    d = r.scenario.derogations or []
    return " ; ".join(f"{x.libelle()} : {fmt_pct(x.taux_max, 1)}"
                      + ("" if x.valide else " (plus d'un an : non appliquée)")
                      for x in d) or "aucune"


def comparer(resultats: list[Resultats],
             tirages: list[MonteCarlo | None] | None = None) -> pd.DataFrame:
    """Indicators of each scenario (columns named after the scenarios)."""
    noms = noms_uniques(resultats)
    tirages = tirages or [None] * len(resultats)
    rows: list[dict] = []

    def add(rubrique, indicateur, fmt, values):
        rows.append({"rubrique": rubrique, "indicateur": indicateur, "format": fmt,
                     **dict(zip(noms, values))})

    hyp = HYP
    deps = noms_departements()
    add(hyp, "Département", "texte", [deps.get(r.scenario.departement, r.scenario.departement)
                                       for r in resultats])
    add(hyp, "Période", "texte",
        [f"{r.scenario.annee_debut}–{r.scenario.annee_fin}" for r in resultats])
    add(hyp, "Rotation", "texte", [_rotation(r) for r in resultats])
    add(hyp, "Premières mises en location", "texte",
        ["dans le flux" if r.scenario.premieres_dans_flux else "hors flux" for r in resultats])
    add(hyp, "Règle hors QPV du préfet", "texte",
        [f"lecture {r.scenario.lecture_hors_qpv}" for r in resultats])
    add(hyp, "Dérogations préfectorales (R441-5-2)", "texte",
        [texte_derogations(r) for r in resultats])
    flux = FLUX
    for col, label in (("parc", "Parc au 1er janvier"),
                       ("liberations", "Libérations estimées"),
                       ("premieres_flux", "Premières mises en location (dans le flux)"),
                       ("flux_brut", "Flux brut"), ("soustraits", "Soustraits")):
        add(flux, label, "num", [float(r.annees[col].mean()) for r in resultats])
    for cat, label in USAGES_INTERNES.items():
        if cat != "BAILLEUR":
            add(flux, f"  dont {label[0].lower()}{label[1:]}", "num",
                [float(r.annees[f"soustraits_{cat}"].mean()) for r in resultats])
    add(flux, "Flux net", "num", [float(r.annees["flux_net"].mean()) for r in resultats])
    add(flux, "Part du bailleur", "num",
        [float(r.annees["part_bailleur"].mean()) for r in resultats])
    add(flux, "Part du bailleur (% du flux net)", "pct",
        [r.part_bailleur_pct for r in resultats])
    keys: list[tuple] = []
    for r in resultats:
        for t in r.reservataires.itertuples():
            key = (t.reservataire_id, t.perimetre if isinstance(t.perimetre, str) else None)
            if key not in keys:
                keys.append(key)
    rubriques: list[str] = []
    for rid, perim in keys:
        found = [_ligne(r, rid, perim) for r in resultats]
        rub = next(f.get("libelle") or f["nom"] for f in found if f is not None)
        if rub in rubriques or rub in (HYP, FLUX, CTRL):
            rub = f"{rub} [{rid}]"
        rubriques.append(rub)
        add(rub, "Méthode", "texte",
            [METHODES[f["methode"]] if f is not None else "–" for f in found])
        add(rub, "Taux", "pct", [f["taux_pct"] if f is not None else None for f in found])
        add(rub, "Droits par an", "num",
            [f["droits_par_an"] if f is not None else None for f in found])
        if any(m is not None for m in tirages):
            add(rub, "Droits la 1re année : fourchette P10–P90", "texte",
                [_fourchette(m, rid, perim) for m in tirages])
    ctrl = CTRL
    codes = []
    for r in resultats:
        codes += [c for c in r.controles["code"] if c not in codes]
    for code in codes:
        found = [r.controles[r.controles["code"] == code] for r in resultats]
        first = next(f.iloc[0] for f in found if len(f))
        add(ctrl, f"{first['libelle']} ({first['article']})", "texte",
            [_verdict(f.iloc[0]) if len(f) else "–" for f in found])
    return pd.DataFrame(rows)


def _ligne(r: Resultats, rid: str, perim: str | None) -> dict | None:
    sel = ligne(r.reservataires, rid, perim)
    return None if sel.empty else sel.iloc[0].to_dict()


def _fourchette(m: MonteCarlo | None, rid: str, perim: str | None) -> str:
    if m is None:
        return "–"
    sel = ligne(m.reservataires, rid, perim)
    if sel.empty:
        return "–"
    return f"{fmt_num(sel['p10'].iloc[0])} – {fmt_num(sel['p90'].iloc[0])}"


def _verdict(c: pd.Series) -> str:
    return (f"{'Conforme' if c['respecte'] else 'Non conforme'} "
            f"({fmt_pct(c['valeur'], 1)} / {fmt_pct(c['limite'])})")


def formater(comp: pd.DataFrame) -> pd.DataFrame:
    """The comparison as French text (for the page and the PDF)."""
    out = comp.copy()
    for col in [c for c in comp.columns if c not in FIXES]:
        out[col] = [_fmt(v, f) for v, f in zip(comp[col], comp["format"])]
    return out.drop(columns="format")


def _fmt(value, fmt: str) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "–"
    if fmt == "pct":
        return fmt_pct(float(value), 1)
    if fmt == "num":
        return fmt_num(float(value), 1)
    return str(value)
