"""Plotly builders of the pages (French titles and hover texts)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ui.theme import OKABE_ITO, style


def orientations_par_categorie(df: pd.DataFrame, projection: bool) -> go.Figure:
    """Horizontal stacked bars: per category, attributed / in progress / returned."""
    d = df.iloc[::-1]
    fig = go.Figure()
    parts = (("attribuees", "Attribuées", OKABE_ITO[0]), ("en_cours", "En cours", OKABE_ITO[1]),
             ("rendus_bailleur", "Rendues au bailleur", OKABE_ITO[5]))
    for col, label, colour in parts:
        fig.add_bar(y=d["categorie"], x=d[col], name=label, orientation="h",
                    marker_color=colour,
                    hovertemplate="%{y}<br>" + label + " : %{x:,d}<extra></extra>")
    fig.update_layout(barmode="stack", title="Orientations de l'année par destination",
                      xaxis_title="Logements orientés", yaxis_title=None)
    return style(fig, projection, height=max(360, 46 * len(d) + 140) if projection else None)


def flux_mensuel(df: pd.DataFrame, projection: bool) -> go.Figure:
    """Grouped bars per month: libérations, orientations, signed leases."""
    fig = go.Figure()
    for col, label in (("liberations", "Libérations"), ("orientations", "Orientations"),
                       ("baux_signes", "Baux signés")):
        fig.add_bar(x=df["libelle_mois"], y=df[col], name=label,
                    hovertemplate="%{x} : %{y:,d} " + label.lower() + "<extra></extra>")
    fig.update_layout(barmode="group", title="Mois par mois", xaxis_title=None,
                      yaxis_title="Logements")
    return style(fig, projection)


def vacants_par_anciennete(df: pd.DataFrame, projection: bool) -> go.Figure:
    colours = [OKABE_ITO[2], OKABE_ITO[1], OKABE_ITO[5], OKABE_ITO[7]]
    fig = go.Figure(go.Bar(x=df["tranche"], y=df["logements"], marker_color=colours,
                           text=df["logements"], textposition="outside",
                           hovertemplate="%{x} : %{y:,d} logements<extra></extra>"))
    fig.update_layout(title="Logements libérés en attente d'orientation",
                      xaxis_title="Attente depuis la libération", yaxis_title="Logements")
    return style(fig, projection)
