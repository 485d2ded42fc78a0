"""Cotation de la demande: the EPCI's grid (versioned), the distribution of scores, the ranked
candidates of a vacated dwelling per possible destination, the well-scored demandes left
unsatisfied, and what a demandeur must be told (R441-2-17). ?demande=<id> opens that
demandeur's position (link of the sidebar search)."""

from dataclasses import replace

import streamlit as st

import fluxcore.cotation
import fluxcore.parametres
import fluxcore.tableau_de_bord
from fluxcore.cotation import candidats_contingent
from fluxcore.cotation.candidats import resume
from fluxcore.errors import FluxcoreError
from fluxcore.formats import accord, fmt_date, fmt_int, fmt_num, pluriel
from ui import cotation_views as views
from ui import onglets_cotation, recherche_views, state
from ui.components import show_table, stop_on_error
from ui.data import load
from ui.texte import md

st.title("Cotation")
path, p, proj = state.db_path(), state.perimetre(), state.projection()
today = p.aujourdhui
demande = recherche_views.parametre("demande")
with stop_on_error():
    epcis = load(path, fluxcore.cotation.epcis_cotation, today)
noms = {r.epci_siren: r.nom + ("" if r.nb_versions else " (sans grille)")
        for r in epcis.itertuples()}
if not noms:
    st.info("Aucun EPCI : importez des résidences rattachées à un EPCI (page Données).")
    st.stop()
default = list(noms).index(p.epci_siren) if p.epci_siren in noms else 0
epci = st.selectbox("EPCI (grille de cotation)", list(noms), index=default,
                    format_func=noms.get, key="c_epci")
st.caption("La cotation est une aide à la décision pour désigner les candidats et préparer la "
           "CALEOL ; elle ne décide jamais seule (L441-2-8). Scores au "
           f"{fmt_date(today)}, selon la version de la grille en vigueur à cette date.")

if demande and recherche_views.connu(path, "demande", demande, "La demande"):
    st.session_state.update(c_demande=demande, c_onglet="Demandeur")
onglets = st.tabs(["Scores", "Candidats d'un logement", "Non satisfaites", "Demandeur",
                   "Grille"], key="c_onglet", on_change="rerun")

with onglets[0]:
    dist = load(path, fluxcore.cotation.distribution, today, epci)
    cols = st.columns(4)
    cols[0].metric("Demandes actives", fmt_int(dist["nb"]))
    if dist["notees"]:
        q = dist["quantiles"]
        cols[1].metric("Score médian", fmt_num(q["mediane"], 0))
        cols[2].metric("9e décile", fmt_num(q["d9"], 0))
        cols[3].metric("Score moyen", fmt_num(dist["moyenne"], 1))
        st.plotly_chart(views.histogramme(dist["classes"], proj,
                                          f"Scores des demandes actives – {noms[epci]}"),
                        width="stretch")
        st.caption(f"Quartiles : {fmt_num(q['q1'], 0)} · {fmt_num(q['mediane'], 0)} · "
                   f"{fmt_num(q['q3'], 0)} points ; 1er décile {fmt_num(q['d1'], 0)}, "
                   f"9e décile {fmt_num(q['d9'], 0)} ; de {fmt_num(dist['min'], 0)} à "
                   f"{fmt_num(dist['max'], 0)} points.")
    if dist["sans_grille"]:
        st.warning(f"{accord(dist['sans_grille'], 'demande', 'demandes')} sans grille en vigueur "
                   f"à cette date : {pluriel(dist['sans_grille'], 'classée', 'classées')} par "
                   "ancienneté seulement.")

with onglets[1]:
    vacants = load(path, fluxcore.tableau_de_bord.vacants_en_attente,
                   replace(p, departement=None, epci_siren=epci))
    vacants = vacants[~vacants["hors_flux"]] if len(vacants) else vacants
    if vacants.empty:
        st.success(f"Aucun logement libéré n'attend d'orientation dans {md(noms[epci])}.")
    else:
        labels = {r.liberation_id: f"{r.logement_id} · {r.typologie} {r.financement} · "
                                   f"{r.commune} · {r.jours_attente} j d'attente"
                  for r in vacants.itertuples()}
        c1, c2 = st.columns([2, 1] if proj else [3, 1])
        lib = c1.selectbox("Logement libéré", list(labels), format_func=labels.get,
                           key="c_lib")
        etendue = c2.segmented_control(
            "Demandes souhaitant", ["commune", "epci"], default="commune", key="c_etendue",
            format_func={"commune": "sa commune", "epci": "son EPCI"}.get) or "commune"
        try:
            cand, dest = load(path, fluxcore.cotation.par_destination, lib, today, etendue)
        except FluxcoreError as exc:
            st.error(md(str(exc)))
        else:
            st.markdown(md(resume(cand)))
            excl = cand.exclusions[cand.exclusions["nb"] > 0]
            if len(excl):
                st.caption("Écartées (une demande peut l'être pour plusieurs motifs) : " +
                           " ; ".join(f"{m} {fmt_int(n)}" for m, n in
                                      zip(excl["motif"], excl["nb"])) + ".")
            st.plotly_chart(views.destinations(dest, proj), width="stretch")
            show_table(*views.table_destinations(dest))
            choix = {r.destinataire: f"{r.rang_orientation}. {r.nom}"
                     for r in dest.itertuples() if r.contingent != "hors_cotation"}
            if choix:
                d = st.selectbox("Candidats classés pour la destination", list(choix),
                                 format_func=choix.get, key="c_dest")
                cont = dest.set_index("destinataire").at[d, "contingent"]
                top = candidats_contingent(cand, cont)
                n = 10 if proj else 25
                show_table(*views.table_candidats(top.head(n), proj), max_rows=n)
                st.caption(f"{accord(len(top), 'candidat', 'candidats')} ; classement par score, "
                           "à score égal la demande la plus ancienne d'abord."
                           + (" Détail des ménages masqué en mode projection." if proj else ""))

with onglets[2]:
    ns = load(path, fluxcore.cotation.non_satisfaites, today, epci)
    if not dist["notees"]:
        st.info("Aucune demande n'a de score dans cet EPCI (pas de grille en vigueur).")
    param = load(path, fluxcore.parametres.get_parametres)
    st.markdown(
        f"Demandes dont le score atteint le {fmt_num(param['cotation_rang_bien_cotees_pct'], 0)}"
        "e centile des scores de l'EPCI et qui attendent depuis plus longtemps que les demandes "
        f"comparables satisfaites ces {param['cotation_attente_mois']} derniers mois : à "
        "examiner avec les partenaires.")
    if ns.empty and dist["notees"]:
        st.success("Aucune demande bien cotée n'attend au-delà du délai observé.")
    elif len(ns):
        st.metric("Demandes bien cotées en attente prolongée", fmt_int(len(ns)))
        n = 15 if proj else 200
        show_table(*views.table_non_satisfaites(ns.head(n), proj))

with onglets[3]:
    onglets_cotation.demandeur(path, today, proj)

with onglets[4]:
    onglets_cotation.grille(path, epci, today, proj)
