"""The audit journal of the Données page: filters, the French journal, CSV and XLSX exports."""

from __future__ import annotations

from datetime import date

import streamlit as st

import fluxcore.journal
from fluxcore.formats import accord, fmt_int
from fluxcore.journal import (
    COLONNES,
    TABLES,
    Filtres,
    journal_csv,
    journal_xlsx,
    libelle_action,
)
from ui.components import choix_multiple, show_table
from ui.data import load

LIMITE = 500


def _filtres(options: dict) -> Filtres:
    # Default period: the first event to today; it follows new events (a write, midnight)
    # as long as the user has not chosen another period.
    aujourdhui = date.today()
    defaut = (options["debut"] or aujourdhui, max(options["fin"] or aujourdhui, aujourdhui))
    if st.session_state.get("j_periode") in (None, st.session_state.get("j_periode_defaut")):
        st.session_state["j_periode"] = defaut
    st.session_state["j_periode_defaut"] = defaut
    c = st.columns([1.7, 1, 1.4, 1.3])
    periode = c[0].date_input("Période", format="DD/MM/YYYY", key="j_periode")
    acteurs = choix_multiple(c[1], "Utilisateur", options["acteurs"], key="j_acteurs",
                             placeholder="Tous")
    actions = choix_multiple(c[2], "Type d'action", options["actions"], key="j_actions",
                             format_func=libelle_action, placeholder="Toutes")
    tables = choix_multiple(c[3], "Table", options["tables"], key="j_tables",
                            format_func=lambda t: TABLES.get(t, t), placeholder="Toutes")
    jours = tuple(periode) if isinstance(periode, (tuple, list)) else (periode,)
    return Filtres(debut=jours[0] if jours else None,
                   fin=jours[-1] if len(jours) > 1 else (jours[0] if jours else None),
                   acteurs=tuple(acteurs) or None, actions=tuple(actions) or None,
                   tables=tuple(tables) or None)


def journal_panel(path: str, total: int, projection: bool) -> None:
    """Filters, the journal (the details hidden on a projector: they may name a demande) and
    its exports."""
    options = load(path, fluxcore.journal.options_filtres)
    filtres = _filtres(options)
    df = load(path, fluxcore.journal.journal, filtres, LIMITE)
    if df.empty:
        st.info("Aucun événement ne correspond à ces filtres.")
        return
    # the table is in the filters and the exports: here every column fits 820 px, the details
    # wrap on three lines (rows taller than 4 rem wrap their texts)
    shown = df.drop(columns=["code", "table", *(["details"] if projection else [])])
    show_table(shown, row_height=None if projection else 66, column_config={
        **COLONNES, "horodatage": st.column_config.TextColumn(COLONNES["horodatage"], width=135),
        "utilisateur": st.column_config.TextColumn(COLONNES["utilisateur"], width=85),
        "action": st.column_config.TextColumn(COLONNES["action"], width=170),
        "element": st.column_config.TextColumn(COLONNES["element"], width=120),
        "details": st.column_config.TextColumn(COLONNES["details"], width=300)})
    plafond = " (les plus récents)" if len(df) == LIMITE else ""
    st.caption(f"{accord(len(df), 'événement affiché', 'événements affichés')}{plafond} sur "
               f"{fmt_int(total)} {'enregistré' if total < 2 else 'enregistrés'} au journal.")
    left, right = st.columns(2)
    left.download_button("Exporter le journal (CSV)", journal_csv(df), "journal.csv",
                         "text/csv", width="stretch", icon=":material/download:",
                         on_click="ignore")
    right.download_button("Exporter le journal (XLSX)", journal_xlsx(df), "journal.xlsx",
                          width="stretch", icon=":material/table:", on_click="ignore",
                          mime="application/vnd.openxmlformats-officedocument.spreadsheetml."
                               "sheet")
