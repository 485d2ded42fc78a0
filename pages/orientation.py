"""Orientation: a dwelling is vacated — to whom, and why? Ranked, explained, with the
cotation's candidates and the résidence's fragility; recorded. ?liberation=<id> opens a
dwelling (link of the sidebar search)."""

import streamlit as st

import fluxcore.orientation
import fluxcore.parametres
import fluxcore.tableau_de_bord
from fluxcore.avis import a_l_orientation
from fluxcore.errors import FluxcoreError
from fluxcore.formats import accord, fmt_date
from fluxcore.orientation import (
    COMPOSANTES,
    PRINCIPE,
    corriger_orientation,
    enregistrer_orientation,
)
from ui import auth, figures_flux, orientation_views, recherche_views, state
from ui.components import annoncer, fait, show_table, stop_on_error
from ui.data import get_db, load
from ui.texte import md

st.title("Orientation")
path, p, proj = state.db_path(), state.perimetre(), state.projection()
annoncer()
lien = recherche_views.parametre("liberation")
with stop_on_error():
    vacants = load(path, fluxcore.tableau_de_bord.vacants_en_attente, p)
    param = load(path, fluxcore.parametres.get_parametres)
    orientation_views.ouvrir(path, lien, vacants, p.aujourdhui)

if vacants.empty:
    st.success("Aucun logement libéré n'attend d'orientation sur ce territoire.")
else:
    labels = {r.liberation_id: f"{r.logement_id} · {r.typologie} · {r.commune} · "
                               f"{r.jours_attente} j d'attente" for r in vacants.itertuples()}
    st.caption(f"{accord(len(vacants), 'logement libéré', 'logements libérés')} en attente "
               "d'orientation, le plus ancien "
               "en premier.")
    lib = st.selectbox("Logement à orienter", list(labels), format_func=labels.get,
                       key="o_liberation")
    with stop_on_error():
        ranking = load(path, fluxcore.orientation.classer_destinations, lib, p.aujourdhui)
    orientation_views.carte_logement(ranking.logement)
    dest = ranking.destinations
    st.subheader("Destinations possibles, classées")
    st.caption(f"{PRINCIPE} Règle hors QPV du préfet en lecture "
               f"{param['lecture_hors_qpv_prefet']}. Aide à la décision, jamais automatique.")
    show_table(*orientation_views.table_classement(dest))
    st.plotly_chart(figures_flux.classement(dest, COMPOSANTES, proj), width="stretch")
    orientation_views.details(dest, ranking.composantes, top=1 if proj else 3)
    orientation_views.candidats(path, lib, p.aujourdhui, proj)
    orientation_views.fragilite(path, ranking.logement["residence_id"], p.date_arret)

    st.subheader("Décision")
    noms = dict(zip(dest["destinataire"], dest["nom"]))
    if not auth.peut("orienter"):
        auth.refus("enregistrer une orientation")
    else:
        with st.form("decision"):
            choix = st.selectbox("Destination retenue", list(noms), format_func=noms.get,
                                 key="o_destination")
            auteur = st.text_input("Décidé par", value=auth.auteur(), key="o_auteur",
                                   disabled=auth.utilisateur() is not None)
            justification = st.text_area("Justification", placeholder="Motif de la décision",
                                         key="o_justification")
            if st.form_submit_button("Enregistrer l'orientation", type="primary"):
                try:
                    oid = enregistrer_orientation(get_db(path), lib, choix, auteur,
                                                  justification, p.aujourdhui)
                except FluxcoreError as exc:
                    st.error(md(str(exc)))
                else:
                    st.session_state["auteur"] = auteur
                    # the notice of availability: sent now when it can be, else offered below
                    suite = a_l_orientation(get_db(path), oid, auteur)
                    st.session_state["o_derniere"] = {
                        "orientation_id": oid, "liberation_id": lib, "nom": noms[choix],
                        "logement": ranking.logement["logement_id"], **suite}
                    fait(f"Orientation vers « {md(noms[choix])} » enregistrée.")

# the orientation just recorded and its notice of availability, under the form where the
# user stands when the page reruns
orientation_views.derniere(path, st.session_state.get("o_derniere"))

with st.expander("Corriger une orientation (avant toute proposition de candidat)"):
    if not auth.peut("orienter"):
        auth.refus("corriger une orientation")
        st.stop()
    recentes = load(path, fluxcore.orientation.orientations_corrigeables, p)
    if recentes.empty:
        st.info("Aucune orientation au statut « Orienté » à corriger.")
    else:
        lab = {r.liberation_id: f"{r.logement_id} · {r.typologie} · {r.commune} → {r.nom} "
                                f"({fmt_date(r.date_orientation.date())})"
               for r in recentes.itertuples()}
        cible = st.selectbox("Orientation", list(lab), format_func=lab.get, key="c_lib")
        with stop_on_error():
            autres = load(path, fluxcore.orientation.destinations_correction, cible,
                          p.aujourdhui)
        if not autres:
            st.info("Aucune autre destination possible pour ce logement.")
            st.stop()
        if st.session_state.get("c_dest") not in autres:   # another orientation was picked
            st.session_state.pop("c_dest", None)
        nouvelle = st.selectbox("Nouvelle destination", list(autres), format_func=autres.get,
                                key="c_dest", help="Classées comme ci-dessus, la destination "
                                "actuelle exclue.")
        motif = st.text_input("Motif de la correction", key="c_motif")
        if st.button("Corriger", key="c_go"):
            try:
                corriger_orientation(get_db(path), cible, nouvelle, auth.auteur(), motif)
            except FluxcoreError as exc:
                st.error(md(str(exc)))
            else:
                fait(f"Orientation corrigée : nouvelle destination « {md(autres[nouvelle])} ».")
