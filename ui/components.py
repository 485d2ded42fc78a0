"""Small reusable view pieces."""

from __future__ import annotations

from datetime import date

import streamlit as st

from fluxcore.formats import fmt_date_longue
from fluxcore.tableau_de_bord import EcheanceBilan, echeance_bilan
from ui import state


def table_height(rows: int) -> int:
    """Pixel height showing every row of an st.dataframe (rows are taller in projector mode)."""
    return (46 if state.projection() else 36) * (rows + 1) + 4


def bandeau_echeance_bilan(aujourdhui: date, param: dict) -> EcheanceBilan:
    """The bilan deadline (R441-5-1): a warning from the alert date, else a caption."""
    ech = echeance_bilan(aujourdhui, param["bilan_echeance"], param["bilan_alerte_debut"])
    texte = (f"Bilan {ech.annee_bilan} à envoyer à chaque réservataire et à chaque EPCI avant "
             f"le {fmt_date_longue(ech.echeance)} (article R441-5-1) : J-{ech.jours_restants}.")
    if ech.alerte:
        st.warning(texte, icon=":material/event:")
    else:
        st.caption(f":material/event: {texte}")
    return ech
