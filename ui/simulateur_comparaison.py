"""Save the current scenario, compare up to three side by side, hand out XLSX and PDF."""

from __future__ import annotations

import streamlit as st

import fluxcore.simulation
import fluxcore.simulation.stockage
from fluxcore.errors import FluxcoreError
from fluxcore.formats import fmt_num, fmt_pct
from fluxcore.geo import noms_departements
from fluxcore.simulation import simuler
from fluxcore.simulation.comparaison import comparer, formater
from fluxcore.simulation.export import export_pdf, export_xlsx
from fluxcore.simulation.montecarlo import simuler_tirages
from fluxcore.simulation.stockage import charger_scenario, enregistrer_scenario
from ui import auth
from ui.components import choix_multiple, show_table
from ui.data import get_db, load
from ui.texte import md

EN_COURS = "__en_cours__"


def panneau(path: str, e, s, res, mc, projection: bool) -> None:
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    nom = c1.text_input("Nom du scénario", key="sim_nom", placeholder="Ex. : Préfet à 28 %",
                        disabled=not auth.peut("simuler"))
    if c2.button("Enregistrer", icon=":material/save:",
                 disabled=not (nom or "").strip() or not auth.peut("simuler")):
        try:
            s.nom = nom.strip()
            enregistrer_scenario(get_db(path), s, res, resume_mc=mc.to_dict())
            st.toast(f"Scénario « {md(s.nom)} » enregistré.", icon=":material/check_circle:")
        except FluxcoreError as exc:
            st.error(md(str(exc)))
    saved = load(path, fluxcore.simulation.stockage.lister_scenarios)
    options = {EN_COURS: f"Scénario en cours ({s.nom})"}
    deps = noms_departements()
    options.update({r.scenario_id: f"{r.nom} — {deps.get(r.departement, r.departement)}, "
                                   f"{r.annee_debut}–{r.annee_fin}" for r in saved.itertuples()})
    choix = choix_multiple(st, "Comparer (trois au plus)", list(options),
                           format_func=options.get, max_selections=3, key="sim_comparer",
                           placeholder="Choisissez des scénarios")
    if len(choix) < 2:
        st.caption("Choisissez deux ou trois scénarios pour les voir côte à côte et remettre "
                   "le comparatif (classeur ou page PDF).")
        return
    results, draws = [], []
    for sid in choix:
        if sid == EN_COURS:
            results.append(res)
            draws.append(mc)
            continue
        try:
            other = charger_scenario(get_db(path), sid)
            oe = load(path, fluxcore.simulation.charger_entrees, other.departement,
                      other.annee_debut, other.annee_fin)
            r = simuler(oe, other)
        except FluxcoreError as exc:
            st.error(f"{md(options[sid])} : {md(str(exc))}")
            return
        results.append(r)
        draws.append(simuler_tirages(oe, r))
    cartes(results, projection)
    comp = comparer(results, draws)
    texte = formater(comp)
    show_table(texte.rename(columns={"rubrique": "Rubrique", "indicateur": "Indicateur"}))
    titre = "Comparaison de scénarios — " + " / ".join(r.scenario.nom for r in results)
    d1, d2 = st.columns(2)
    d1.download_button("Classeur de comparaison (XLSX)", export_xlsx(comp, results, titre),
                       file_name="comparaison_scenarios.xlsx", icon=":material/table:",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    d2.download_button("Page à remettre (PDF)", export_pdf(comp, titre),
                       file_name="comparaison_scenarios.pdf", mime="application/pdf",
                       icon=":material/picture_as_pdf:")


def cartes(results, projection: bool) -> None:
    """One large card per scenario: conformity, flux net, bailleur's share, failing checks."""
    cols = st.columns(len(results))
    for col, r in zip(cols, results):
        with col.container(border=True):
            ok = r.conforme
            st.markdown(f"### {md(r.scenario.nom)}")
            st.markdown(":blue[**✓ Conforme**]" if ok else ":orange[**✗ Non conforme**]")
            st.metric("Flux net par an", fmt_num(float(r.annees["flux_net"].mean())))
            st.metric("Part du bailleur", fmt_pct(r.part_bailleur_pct, 1))
            bad = r.controles[~r.controles["respecte"]]
            for c in bad.itertuples():
                st.markdown(f"- :orange[{md(c.libelle)}] : {fmt_pct(c.valeur, 1)} "
                            f"(max. {fmt_pct(c.limite)}, {c.article})")
