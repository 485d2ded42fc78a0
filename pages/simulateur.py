"""Simulateur: what if the rotation, the subtractions, a rate or the conversion method change?
Every legal limit and every réservataire's droits at once; scenarios saved and compared."""


import streamlit as st

import fluxcore.parametres
import fluxcore.simulation
import fluxcore.tableau_de_bord
from fluxcore.formats import fmt_num, fmt_pct
from fluxcore.simulation import Scenario, modele_stocke, simuler
from fluxcore.simulation.calcul import lignes_initiales
from fluxcore.simulation.montecarlo import simuler_tirages
from ui import simulateur_comparaison as comparaison
from ui import simulateur_derogations as derogations
from ui import simulateur_incertitude as incertitude
from ui import simulateur_views as views
from ui import state
from ui.components import show_table, stop_on_error
from ui.data import load
from ui.texte import md

st.title("Simulateur")
path, p, proj = state.db_path(), state.perimetre(), state.projection()
with stop_on_error():
    terr = load(path, fluxcore.tableau_de_bord.territoires)
    reglages = load(path, fluxcore.parametres.get_parametres)
deps = terr[terr["niveau"] == "departement"]
if deps.empty:
    st.info("Aucun logement dans la base : importez le patrimoine (page Données).")
    st.stop()
noms = dict(zip(deps["code"], deps["nom"]))
c1, c2, c3 = st.columns([2, 1, 1])
dep = c1.selectbox("Département", list(noms), format_func=lambda d: f"{noms[d]} ({d})",
                   index=list(noms).index(p.departement) if p.departement in noms else 0,
                   key="sim_dep")
debut = c2.number_input("Première année", 2020, 2100, value=modele_stocke.annees_par_defaut()[0],
                        step=1,
                        key="sim_debut")
duree = c3.select_slider("Durée (ans)", [3, 4, 5], value=3, key="sim_duree")
fin = int(debut) + int(duree) - 1
with stop_on_error():
    e = load(path, fluxcore.simulation.charger_entrees, dep, int(debut), fin)

st.subheader("Hypothèses")
hyp = views.hypotheses(e, reglages, proj)
hyp["derogations"] = derogations.editer(e, f"sim_derog_{dep}_{debut}_{fin}", proj)
st.subheader("Réservataires et taux")
st.caption("Partez des conventions actuelles ; changez un taux ou la méthode de conversion "
           "(part du stock réservé, droits uniques). Les résultats suivent.")
edited = views.editer_lignes(views.table_lignes(lignes_initiales(e), e),
                             key=f"sim_lignes_{dep}_{debut}_{fin}", projection=proj)
with stop_on_error():
    s = Scenario(dep, int(debut), fin, nom=st.session_state.get("sim_nom") or "Scénario",
                 reservataires=views.lignes_depuis_table(edited), **hyp)
    res = simuler(e, s)
    mc = simuler_tirages(e, res)
views.alerte(res)
k = st.columns(4)
k[0].metric("Flux brut par an", fmt_num(res.annees["flux_brut"].mean()))
k[1].metric("Soustraits par an", fmt_num(res.annees["soustraits"].mean()))
k[2].metric("Flux net par an", fmt_num(res.annees["flux_net"].mean()))
k[3].metric("Part du bailleur", fmt_pct(res.part_bailleur_pct, 1))
for w in res.avertissements:
    st.warning(md(w))

st.plotly_chart(views.figure_droits(res, mc, proj), width="stretch", theme="streamlit")
st.caption(f"Barres : droits moyens par an sur {s.annee_debut}–{s.annee_fin} (taux × flux net "
           f"du périmètre). Traits : 8 chances sur 10 que les droits de {mc.annee} tombent "
           f"dans la fourchette ({fmt_num(mc.tirages, 0)} tirages, graine {mc.graine}).")
show_table(*views.table_reservataires(res))

st.subheader("Contrôles légaux")
show_table(*views.table_controles(res))
with st.expander("Flux par année"):
    show_table(*views.table_annees(res))
with st.expander("Composition attendue des droits (typologie × QPV)"):
    st.plotly_chart(views.figure_mix(res, proj), width="stretch", theme="streamlit")
with st.expander("Préfet : répartition uniforme par commune (première année)"):
    show_table(*views.table_prefet(res))

st.subheader(f"Quelle chance d'obtenir… ? ({mc.annee})")
incertitude.question(res, mc, proj)
with st.expander("Le modèle de vacance : comment il est construit, est-il fiable ?"):
    incertitude.modele(e.modele, proj)

st.subheader("Enregistrer et comparer")
comparaison.panneau(path, e, s, res, mc, proj)
