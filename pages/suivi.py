"""Suivi des logements: the chargé d'attribution's daily screen — the proposal deadlines to
watch, the orientations in progress, and one dwelling's dossier (history, candidates, and the
actions allowed now). ?liberation=<id> opens a dossier."""

import streamlit as st

import fluxcore.parametres
import fluxcore.suivi
from fluxcore.formats import accord, fmt_int
from ui import auth, avis_views, state, suivi_actions
from ui import suivi_views as views
from ui.components import annoncer, show_table, stop_on_error
from ui.data import load
from ui.texte import md

st.title("Suivi des logements")
path, p, proj = state.db_path(), state.perimetre(), state.projection()
annoncer()
with stop_on_error():
    param = load(path, fluxcore.parametres.get_parametres)
    encours = load(path, fluxcore.suivi.en_cours, p)

st.caption(f"{md(state.libelle_perimetre())} · orientations en cours et délais laissés aux "
           "réservataires pour proposer leurs candidats.")
jours = st.number_input("Échéances à moins de (jours)", min_value=0, max_value=90, step=1,
                        value=int(param["echeance_alerte_jours"]), key="s_jours",
                        help="Par défaut : paramètre echeance_alerte_jours (page Données).")
ech = fluxcore.suivi.echeances_de(encours, int(jours))
retard = int(ech["en_retard"].sum()) if len(ech) else 0
c = st.columns(3)
c[0].metric("Délais dépassés", fmt_int(retard))
c[1].metric(f"Échéance sous {fmt_int(jours)} j", fmt_int(len(ech) - retard))
c[2].metric("Orientations en cours", fmt_int(len(encours)))

onglets = st.tabs(["Échéances", "En cours"])
with onglets[0]:
    views.echeances(path, ech, int(jours), bool(param["rendu_bailleur_compte_livre"]), proj,
                    auth.peut("orienter"))
with onglets[1]:
    liste = views.filtres(encours, proj) if len(encours) else encours
    if liste.empty:
        st.info("Aucune orientation en cours" + (" pour ces filtres." if len(encours) else "."))
    else:
        show_table(views.table_suivi(liste))
        st.caption(f"{accord(len(liste), 'orientation', 'orientations')} sur "
                   f"{fmt_int(len(encours))}.")

st.subheader("Dossier")
lib = views.choisir_dossier(liste)
if lib is None:
    st.info("Choisissez un logement pour ouvrir son dossier : historique, candidats et "
            "actions possibles.")
    st.stop()
with stop_on_error():
    dos = load(path, fluxcore.suivi.dossier, lib, p.aujourdhui)
views.entete(dos, proj)
st.markdown("**Candidats**")
views.candidatures(dos, proj)
st.markdown("**Historique**")
views.etapes(dos, proj)
if dos["orientation"] is not None:
    st.markdown("**Actions possibles**")
    if dos["actions"] or auth.peut("orienter"):
        suivi_actions.formulaires(path, dos, lib, p.aujourdhui, proj)
    else:
        auth.refus("faire avancer un dossier")
    with st.expander("Avis de mise à disposition"):
        avis_views.panneau_avis(path, dos["orientation"]["orientation_id"])
    # the version of the dossier the user now sees: a write made meanwhile by someone else
    # is refused (ui.suivi_actions)
    st.session_state[f"s_vu_{lib}"] = dos["orientation"]["modifie_le"]
else:
    st.info("Ce logement n'est pas encore orienté : décidez sa destination sur la page "
            "Orientation.")
