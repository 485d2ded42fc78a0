"""Text and JSON reports of a simulation (CLI), and loading scenario files."""

from __future__ import annotations

import json
from pathlib import Path

from fluxcore.formats import fmt_num, fmt_pct
from fluxcore.simulation.comparaison import texte_derogations
from fluxcore.simulation.modele import ModeleVacance
from fluxcore.simulation.montecarlo import MonteCarlo
from fluxcore.simulation.resultats import Resultats, ligne
from fluxcore.simulation.scenario import METHODES, Scenario, ScenarioError, from_dict


def lire_scenarios(path: str | Path) -> list[Scenario]:
    """One scenario (a JSON object) or several (a JSON list) from a file; French errors
    name the file, line and column."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise ScenarioError(f"Fichier de scénario introuvable : {p}") from None
    except json.JSONDecodeError as exc:
        raise ScenarioError(f"{p.name}, ligne {exc.lineno}, colonne {exc.colno} : JSON "
                            f"illisible ({exc.msg}).") from None
    items = data if isinstance(data, list) else [data]
    out = []
    for i, item in enumerate(items, start=1):
        try:
            out.append(from_dict(item))
        except ScenarioError as exc:
            where = f"{p.name}" + (f", scénario n° {i}" if len(items) > 1 else "")
            raise ScenarioError(f"{where} : {exc}") from None
    return out


def modele_dict(m: ModeleVacance | None) -> dict | None:
    if m is None:
        return None
    return {"estime": m.estime, "message": m.message, "n_apprentissage": m.n_apprentissage,
            "annees_observees": m.annees_observees, "taux_moyen": m.taux_moyen,
            "brier": m.brier, "brier_reference": m.brier_reference, "auc": m.auc,
            "calibration": m.calibration.to_dict("records"),
            "coefficients": m.coefficients.to_dict("records")}


def texte(r: Resultats, mc: MonteCarlo | None = None) -> str:
    """A plain French summary: flux per year, each line's rate and droits, the checks."""
    s = r.scenario
    lines = [f"Scénario « {s.nom} » — département {s.departement}, "
             f"{s.annee_debut}–{s.annee_fin}",
             f"Dérogations préfectorales (R441-5-2) : {texte_derogations(r)}", ""]
    lines.append("Année   parc  libérations  premières  flux brut  soustraits  flux net  "
                 "part bailleur")
    for a in r.annees.itertuples():
        lines.append(f"{a.annee}  {a.parc:6.0f}  {a.liberations:11.1f}  {a.premieres_flux:9.1f}"
                     f"  {a.flux_brut:9.1f}  {a.soustraits:10.1f}  {a.flux_net:8.1f}  "
                     f"{a.part_bailleur:8.1f} ({fmt_pct(a.part_bailleur_pct, 1)})")
    lines += ["", "Réservataires (taux, droits par an, méthode)"]
    for t in r.reservataires.itertuples():
        perim = f" [{t.perimetre_libelle}]" if t.libelle != t.nom else ""
        band = ""
        if mc is not None:
            sel = ligne(mc.reservataires, t.reservataire_id, t.perimetre)
            if len(sel):
                band = (f", P10–P90 {s.annee_debut} : {fmt_num(sel['p10'].iloc[0])} – "
                        f"{fmt_num(sel['p90'].iloc[0])}")
        lines.append(f"  - {t.nom}{perim} : {fmt_pct(t.taux_pct, 1)}, "
                     f"{fmt_num(t.droits_par_an)} par an{band} — {METHODES[t.methode]}"
                     + ("." if t.methode == "negocie" else f" : {t.base}"))
    lines.append(f"  Part du bailleur : {fmt_pct(r.part_bailleur_pct, 1)} du flux net.")
    lines += ["", "Contrôles légaux"]
    for c in r.controles.itertuples():
        lines.append(f"  [{'OK' if c.respecte else 'NON CONFORME'}] {c.libelle} "
                     f"({c.article}) : {c.message}")
    for w in r.avertissements:
        lines.append(f"  Attention : {w}")
    return "\n".join(lines).replace("\u202f", " ")
