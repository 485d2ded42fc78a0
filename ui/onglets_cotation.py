"""Tabs of the Cotation page that read one demande or edit the grid (kept out of the page
script so that it stays short)."""

from __future__ import annotations

from datetime import date

import streamlit as st

import fluxcore.cotation
from fluxcore.cotation import enregistrer_grille, modele_grille
from fluxcore.errors import FluxcoreError
from ui import auth
from ui import cotation_views as views
from ui.components import show_table
from ui.data import get_db, load
from ui.texte import md


def demandeur(path: str, today: date, proj: bool) -> None:
    """What a demandeur must be told (R441-2-17); hidden in projector mode."""
    if proj:
        st.info("La consultation d'un demandeur est masquée en mode projection (identifiant "
                "pseudonyme et situation du ménage).")
    else:
        did = st.text_input("Identifiant pseudonyme de la demande", key="c_demande",
                            placeholder="ex. DEM100004539").strip()
        if did:
            try:
                pos = load(path, fluxcore.cotation.position_demandeur, did, today)
            except FluxcoreError as exc:
                st.error(md(str(exc)))
            else:
                st.subheader("Ce que le demandeur doit pouvoir connaître (R441-2-17)")
                st.markdown("\n".join(f"- {md(x)}" for x in pos.phrases))
                if len(pos.detail):
                    show_table(*views.table_detail(pos.detail))
                if pos.comparables:
                    st.plotly_chart(views.histogramme(
                        pos.comparables["classes"], proj,
                        f"Scores des demandes comparables ({pos.comparables['libelle']})",
                        float(pos.demande["score"]), "cette demande"), width="stretch")


def grille(path: str, epci: str, today: date, proj: bool) -> None:
    """The EPCI's grid by version, its history, and (outside projector mode) a new version."""
    versions = load(path, fluxcore.cotation.versions_grille, epci, today)
    derniere = int(versions["version"].max()) if len(versions) else 0
    if versions.empty:
        st.info("Aucune grille de cotation pour cet EPCI : saisissez sa première version "
                "(modèle : critères usuels à 0 point, 1 point par mois d'ancienneté).")
        base = modele_grille()
    else:
        vig = versions.loc[versions["en_vigueur"], "version"]
        courante = int(vig.iloc[0]) if len(vig) else derniere
        opts = versions["version"].tolist()
        v = st.selectbox("Version", opts, index=opts.index(courante), key="c_version",
                         format_func=lambda x: f"Version {x}" + (
                             " (en vigueur)" if len(vig) and x == courante else ""))
        g = load(path, fluxcore.cotation.grille, epci, v)
        show_table(*views.table_grille(g), max_rows=len(g))
        show_table(views.table_versions(versions))
        base = load(path, fluxcore.cotation.grille, epci, derniere)
    if proj:
        return
    if not auth.peut("coter"):
        auth.refus("modifier une grille de cotation")
        return
    with st.expander("Nouvelle version de la grille" if derniere else "Première grille",
                     expanded=not derniere):
        st.caption("Une version enregistrée ne change plus : la nouvelle s'applique à partir "
                   "de sa date d'effet (aujourd'hui au plus tôt) ; l'écart avec la précédente "
                   "est inscrit au journal. Codes spéciaux : ANCIENNETE_MOIS (points par mois "
                   "complet), REFUS (points par refus d'un logement adapté, négatif)."
                   + (f" Modification à partir de la dernière version ({derniere})."
                      if derniere else ""))
        edited = st.data_editor(base[["critere", "libelle", "points"]], num_rows="dynamic",
                                hide_index=True, key=f"c_editeur_{epci}", column_config={
                                    "critere": "Code", "libelle": "Critère",
                                    "points": st.column_config.NumberColumn(
                                        "Points", format="localized")})
        c1, c2 = st.columns(2)
        effet = c1.date_input("Applicable à partir du", value=today, min_value=today,
                              format="DD/MM/YYYY", key="c_effet")
        auteur = c2.text_input("Modifiée par", key="c_auteur", value=auth.auteur(),
                               disabled=auth.utilisateur() is not None)
        if st.button("Enregistrer la nouvelle version", type="primary", key="c_save"):
            try:
                num = enregistrer_grille(get_db(path), epci, edited, effet, auteur, derniere,
                                         today)
            except FluxcoreError as exc:
                st.error(md(str(exc)))
            else:
                st.session_state["auteur"] = auteur
                st.toast(f"Version {num} de la grille enregistrée.")
                st.rerun()
