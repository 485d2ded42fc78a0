"""Rapprochement SNE: before sending the bilan, where the national register's radiations for
attribution disagree with the landlord's orientations, per réservataire, and what to correct
(fluxcore.sne)."""

import streamlit as st

import fluxcore.sne
from fluxcore.formats import fmt_int
from fluxcore.reglages import libelle
from ui import sne_views as views
from ui import state
from ui.components import show_table, stop_on_error
from ui.data import load
from ui.texte import md

st.title("Rapprochement SNE")
path, p, proj = state.db_path(), state.perimetre(), state.projection()
with stop_on_error():
    r = load(path, fluxcore.sne.rapprocher, p)

st.markdown("Avant d'envoyer le bilan : où le SNE diffère des orientations du bailleur."
            if proj else
            "Avant d'envoyer le bilan : les réservataires, l'État et l'EPCI lisent leurs "
            "résultats dans le SNE. Cette page montre où le contingent, le logement, la date ou "
            "la mention DALO enregistrés à la radiation diffèrent des orientations du bailleur, "
            "et ce qu'il faut corriger.")
st.caption(f"{md(state.libelle_perimetre())} · année {p.annee} entière · tolérance de "
           f"{fmt_int(r.tolerance)} jours entre la radiation et la signature du bail (paramètre "
           f"« {libelle('sne_tolerance_jours')} », Données › Paramètres) · "
           f"{fmt_int(r.importees)} radiations "
           "importées (toutes années)")
if r.importees == 0:
    views.sans_radiation()
    st.stop()
if r.lignes.empty:
    st.info(f"Aucune attribution ni radiation en {p.annee} sur ce territoire.")
    st.stop()

views.metrics(r, proj)

st.subheader("Par réservataire")
st.caption("Attributions de l'année comptées pour chaque réservataire : selon le bailleur "
           "(baux signés dont l'orientation le désigne) et selon le SNE (radiations imputées à "
           "son contingent). Concordantes : comptées pour lui des deux côtés, sans rien à "
           "corriger.")
st.plotly_chart(views.figure_par_reservataire(r.par_reservataire, proj), width="stretch")
show_table(*views.table_par_reservataire(r.par_reservataire),
           max_rows=len(r.par_reservataire) if proj else 15)

st.subheader("Par type d'écart")
views.synthese(r, proj)
if proj:  # the lines name households' demandes: never on a projector
    st.caption("Liste des écarts et classeurs masqués en mode projection.")
    st.stop()

st.subheader("Écarts à corriger")
statuts, cle = views.filtres(r)
views.liste_ecarts(r, statuts, cle)
noms = dict(zip(r.par_reservataire["cle"], r.par_reservataire["libelle"]))
views.telechargements(r, cle, noms.get(cle))
st.caption("Chaque classeur : la synthèse, les écarts avec la correction à faire, puis toutes "
           "les lignes ; à envoyer au réservataire ou à traiter dans le SNE.")
