"""Bilan annuel (R441-5-1): per réservataire and per EPCI, the year's proposed and attributed
dwellings by category, subtracted dwellings, the forecast, and the annual statistics on
reservations per type of réservataire (arrêté du 28 novembre 2011) — previewed, exported."""

from datetime import date

import streamlit as st

import fluxcore.parametres
import fluxcore.tableau_de_bord
from fluxcore.bilan import DIMENSIONS
from fluxcore.formats import fmt_date, fmt_int
from ui import bilan_views as views
from ui import state
from ui.components import bandeau_echeance_bilan, show_table, stop_on_error
from ui.data import load
from ui.texte import md

st.title("Bilan annuel")
path, proj = state.db_path(), state.projection()
with stop_on_error():
    param = load(path, fluxcore.parametres.get_parametres)
    annees = load(path, fluxcore.tableau_de_bord.annees_disponibles)
if not annees:
    st.info("Aucune libération dans la base : importez les données de l'année pour produire "
            "le bilan.")
    st.stop()

today = date.today()
bandeau_echeance_bilan(today, param)

# the last complete year by default (the one whose bilan is due next February)
default = today.year - 1 if today.year - 1 in annees else annees[0]
annee = st.selectbox("Année du bilan", annees, index=annees.index(default), key="bilan_annee",
                     help="Le bilan porte sur l'année choisie ; le prévisionnel sur la suivante.")
with stop_on_error():
    b = views.bilan(path, annee)
if not b.complet:
    st.info(f"L'année {annee} n'est pas terminée : bilan provisoire arrêté au "
            f"{fmt_date(b.arret)}.", icon=":material/hourglass_top:")
st.caption(f"{md(b.bailleur)} · du 01/01/{annee} au {fmt_date(b.arret)} · "
           f"{fmt_int(len(b.logements))} logements libérés · prévisionnel {annee + 1}")

c1, c2 = st.columns([1, 2])
genres = {"reservataire": "Réservataire", "epci": "EPCI"}
genre = c1.radio("Destinataire", list(genres), format_func=genres.get, horizontal=True,
                 key="bilan_genre")
dest = b.destinataires[b.destinataires["genre"] == genre]
noms = dict(zip(dest["code"], dest["nom"]))
if not noms:
    st.info("Aucun destinataire de ce type pour cette année.")
    st.stop()
code = c2.selectbox(genres[genre], list(noms), format_func=noms.get, key=f"bilan_{genre}")
doc = views.document(path, annee, genre, code)

st.subheader(doc.titre)
views.metrics(doc, proj)
views.downloads(doc)

st.markdown("**Synthèse**")
synthese, config = views.table_synthese(doc)
if synthese.empty:
    st.info(f"Aucune convention de ce destinataire ne couvre un logement du bailleur en "
            f"{annee}.")
else:
    show_table(synthese, config)

dim = st.segmented_control("Répartition par", list(DIMENSIONS), format_func=DIMENSIONS.get,
                           default="typologie", key="bilan_dimension") or "typologie"
label = DIMENSIONS[dim]
st.plotly_chart(views.figure_croisement(doc, dim, label, proj), width="stretch",
                theme="streamlit")
if genre == "reservataire":
    st.plotly_chart(views.figure_qualite(doc, dim, label, proj), width="stretch",
                    theme="streamlit")
show_table(*views.table_croisement(doc, dim))

st.markdown(f"**Logements soustraits : réalisés en {annee}, prévus en {annee + 1}**")
show_table(*views.table_soustraits(doc))
st.markdown(f"**Prévisionnel {annee + 1} : droits par convention**")
show_table(*views.table_prevision(doc))
with st.expander("Méthode et paramètres appliqués"):
    st.markdown("\n".join(f"- {md(line)}" for line in doc.notes))

st.subheader("Statistiques annuelles des réservations")
st.caption("Par type de réservataire, les agents de l'État à part (arrêté du 28 novembre 2011 ; "
           "contingents du SNE) : logements mis à disposition, imputés au contingent, "
           "attributions, baux, refus, mutations.")
views.statistiques(b)

st.subheader("Tous les fichiers")
st.caption(f"Un classeur XLSX et un PDF pour chacun des {len(b.destinataires)} destinataires "
           "(réservataires et EPCI), un récapitulatif avec les rapprochements des totaux et "
           "les statistiques des réservations (aussi en CSV et PDF), le tout dans une archive "
           "ZIP.")
views.generation(path, annee)
