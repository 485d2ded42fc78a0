"""Résidences: fragility of each résidence on an offline map, its card, and « et si… ».
?residence=<id> opens that résidence's card (link of the sidebar search)."""

import streamlit as st

import fluxcore.fragilite
from fluxcore.enquete_ops import resume_niveaux
from fluxcore.formats import accord, fmt_date, fmt_int, fmt_num, fmt_pct, fmt_signe, pluriel
from fluxcore.fragilite import LIBELLES
from ui import recherche_views, state
from ui import residences_views as views
from ui.components import show_table, stop_on_error
from ui.data import load
from ui.figures_residences import CLASS_LABELS, carte
from ui.texte import md

st.title("Résidences")
path, p, proj = state.db_path(), state.perimetre(), state.projection()
arret = p.date_arret
lien = recherche_views.parametre("residence")
with stop_on_error():
    df = load(path, fluxcore.fragilite.fragilite, arret, p.epci_siren, p.departement)

st.caption(f"{md(state.libelle_perimetre())} · situation au {fmt_date(arret)} · indice = moyenne "
           "pondérée des indicateurs centrés-réduits par rapport aux résidences de l'EPCI "
           "(poids et seuils dans Données › Paramètres)")
if df.empty:
    st.info("Aucune résidence sur ce périmètre.")
    st.stop()
st.caption(resume_niveaux(df))

counts = df["classe"].value_counts()
cols = st.columns(3)
for col, cls in zip(cols, CLASS_LABELS):
    col.metric(CLASS_LABELS[cls], fmt_int(counts.get(cls, 0)),
               help="Nombre de résidences de la classe sur le périmètre")

labels = {r.residence_id: f"{r.nom} — {r.commune} ({CLASS_LABELS[r.classe]}, "
          f"{fmt_signe(r.indice, 2)})" for r in df.itertuples()}
recherche_views.preselectionner(path, "residence", lien, labels, "r_residence", "La résidence")
choice = st.selectbox("Résidence", list(labels), format_func=labels.get, key="r_residence")
st.plotly_chart(carte(df, proj, choice), width="stretch", theme="streamlit",
                config={"scrollZoom": True})

with stop_on_error():
    fiche = load(path, fluxcore.fragilite.fiche, choice, arret)
views.card(fiche)

with st.expander("Et si… un ménage emménageait dans cette résidence ?"):
    c1, c2, c3 = st.columns(3)
    quartile = c1.selectbox("Quartile de ressources", [1, 2, 3, 4], key="r_quartile",
                            format_func=lambda q: f"{q}{'er' if q == 1 else 'e'} quartile")
    taille = c2.number_input("Taille du ménage", 1, 12, 3, key="r_taille")
    prioritaire = c3.checkbox("Public prioritaire", key="r_prioritaire")
    views.et_si(load(path, fluxcore.fragilite.et_si, choice, arret, quartile, prioritaire,
                     int(taille)))

st.subheader("Toutes les résidences")
views.tableau(df, proj)
if len(sans := views.enquetes(df)):
    with st.expander(f"{accord(len(sans), 'résidence', 'résidences')} sans enquête OPS à "
                     f"{pluriel(len(sans), 'son', 'leur')} niveau"):
        show_table(sans)

with st.expander("Contrôle de l'indice par analyse en composantes principales"):
    diag = load(path, fluxcore.fragilite.diagnostic, arret)
    if diag["variance_expliquee"] is None:
        st.info("Trop peu de résidences pour l'analyse.")
    else:
        st.markdown(
            f"Le premier axe de l'analyse en composantes principales explique "
            f"**{fmt_pct(100 * diag['variance_expliquee'])}** de la variance des indicateurs ; "
            f"sa corrélation avec l'indice pondéré est de "
            f"**{fmt_num(diag['correlation_indice'], 2)}**. Chargements : "
            + " ; ".join(f"{LIBELLES.get(k, k).split(' (')[0].lower()} {fmt_signe(v, 2)}"
                         for k, v in diag["chargements"].items()) + ".")
