"""The scenario's préfectoral dérogations (R441-5-2): arrêtés with their own dates (one year at
most) and rates, prefilled with those of the base for the département and period."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from fluxcore.formats import accord, fmt_date, fmt_pct
from fluxcore.limites import en_derogations
from ui.components import canvas_key
from ui.texte import md

COLONNES = {"arrete": "Arrêté", "date_debut": "Début", "date_fin": "Fin",
            "taux_max": "Plafond préfet (%)", "taux_agents_max": "Plafond agents (%)"}
INVERSE = {v: k for k, v in COLONNES.items()}


def table_derogations(e) -> pd.DataFrame:
    """The base's dérogations touching the period, as the editable table."""
    df = e.derogations.reindex(columns=list(COLONNES)).copy()
    for col in ("date_debut", "date_fin"):
        df[col] = pd.to_datetime(df[col]).dt.date
    for col in ("taux_max", "taux_agents_max"):
        df[col] = pd.to_numeric(df[col], errors="coerce").astype("float64")
    df["arrete"] = df["arrete"].astype("string")
    return df.rename(columns=COLONNES).reset_index(drop=True)


def editer(e, key: str, projection: bool = False) -> list[dict]:
    """Editable arrêtés; returns the scenario's `derogations` (rows without both dates and a
    rate are ignored)."""
    n = len(e.derogations)
    titre = (f"Dérogations préfectorales au plafond du préfet ({n} dans la base)" if n else
             "Dérogations préfectorales au plafond du préfet (aucune dans la base)")
    with st.expander(titre, expanded=bool(n)):
        base = fmt_pct(e.reglages["prefet_taux_max_pct"])
        agents = fmt_pct(e.reglages["prefet_fonctionnaires_max_pct"])
        st.caption(f"Un arrêté préfectoral (R441-5-2) relève le plafond de {base} pour un an "
                   "au plus, à ses propres dates ; hors de ces dates, chaque année de la "
                   f"période est contrôlée à {base} (agents : {agents}, sauf plafond agents "
                   "de l'arrêté).")
        with st.container(key=canvas_key("sim-derogations")):
            edited = _editeur(table_derogations(e), key, projection)
        out = lignes(edited)
        for d in en_derogations(pd.DataFrame(out).assign(
                departement=e.departement, derogation_id=None)) if out else []:
            if d.date_fin < d.date_debut:
                continue            # said by the scenario's validation
            if not d.valide:
                st.warning(f"{md(d.libelle())} : {d.jours} jours, plus d'un an — non appliquée "
                           f"(un an au plus : jusqu'au {fmt_date(d.fin_maximale)}).")
            else:
                st.caption(f"✓ {md(d.libelle())} : plafond {fmt_pct(d.taux_max, 1)}, "
                           f"{accord(d.jours, 'jour', 'jours')}.")
    return out


# projector: pixel widths and short headers so that every column fits 1280 px at 21 px text
LARGEURS_PROJECTION = {"Arrêté": 400, "Début": 150, "Fin": 150, "Plafond préfet (%)": 140,
                       "Plafond agents (%)": 140}
TITRES_PROJECTION = {"Plafond préfet (%)": "Préfet", "Plafond agents (%)": "Agents"}


# normal mode: every column inside the ~790 px of the expander at 1280 px (row markers too)
LARGEURS = {"Arrêté": 250, "Début": 110, "Fin": 110, "Plafond préfet (%)": 130,
            "Plafond agents (%)": 130}
TITRES = {"Plafond préfet (%)": "Préfet (%)", "Plafond agents (%)": "Agents (%)"}


def _editeur(df: pd.DataFrame, key: str, projection: bool) -> pd.DataFrame:
    w = LARGEURS_PROJECTION if projection else LARGEURS
    t = TITRES_PROJECTION if projection else TITRES
    return st.data_editor(
        df, key=key, hide_index=True, width="stretch", num_rows="dynamic", placeholder="–",
        column_config={
            "Arrêté": st.column_config.TextColumn(
                width=w["Arrêté"],
                help="Référence de l'arrêté, ex. « Arrêté préfectoral n° 2025-0412 »."),
            "Début": st.column_config.DateColumn(format="DD/MM/YYYY", width=w.get("Début")),
            "Fin": st.column_config.DateColumn(format="DD/MM/YYYY", width=w.get("Fin")),
            "Plafond préfet (%)": st.column_config.NumberColumn(
                t.get("Plafond préfet (%)"), min_value=0.0, max_value=100.0, step=0.5,
                format="localized", width=w.get("Plafond préfet (%)"),
                help="Plafond du préfet (prioritaires et agents) pendant l'arrêté."),
            "Plafond agents (%)": st.column_config.NumberColumn(
                t.get("Plafond agents (%)"), min_value=0.0, max_value=100.0, step=0.5,
                format="localized", width=w.get("Plafond agents (%)"),
                help="Vide : les agents de l'État restent à 5 %."),
        })


def lignes(df: pd.DataFrame) -> list[dict]:
    """Rows of the editor as scenario dérogations (dicts, ISO dates)."""
    out = []
    for row in df.rename(columns=INVERSE).to_dict("records"):
        row = {k: (None if v is None or (not isinstance(v, str) and pd.isna(v)) else v)
               for k, v in row.items()}
        if row["date_debut"] is None or row["date_fin"] is None or row["taux_max"] is None:
            continue
        out.append({"arrete": (row["arrete"] or "").strip() or "Arrêté sans référence",
                    "date_debut": pd.Timestamp(row["date_debut"]).date().isoformat(),
                    "date_fin": pd.Timestamp(row["date_fin"]).date().isoformat(),
                    "taux_max": float(row["taux_max"]),
                    "taux_agents_max": None if row["taux_agents_max"] is None
                    else float(row["taux_agents_max"])})
    return out
