"""Plotly builders of the pages (French titles and hover texts, one meaning per colour)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from fluxcore.formats import fmt_int
from ui.texte import plotly_texte
from ui.theme import COULEURS, style


def orientations_par_categorie(df: pd.DataFrame, projection: bool) -> go.Figure:
    """Horizontal stacked bars: per category, attributed / in progress / returned."""
    d = df.iloc[::-1]
    fig = go.Figure()
    parts = (("attribuees", "Attribuées", COULEURS["attribuees"]),
             ("en_cours", "En cours", COULEURS["en_cours"]),
             ("rendus_bailleur", "Rendues au bailleur", COULEURS["rendus"]))
    y = d["categorie"].map(plotly_texte)
    for col, label, colour in parts:
        fig.add_bar(y=y, x=d[col], name=label, orientation="h",
                    marker_color=colour,
                    hovertemplate="%{y}<br>" + label + " : %{x:,d}<extra></extra>")
    fig.update_layout(barmode="stack", title="Orientations de l'année par destination",
                      xaxis_title="Logements orientés", yaxis_title=None)
    return style(fig, projection, height=max(420, 46 * len(d) + 160) if projection else None)


def flux_mensuel(df: pd.DataFrame, projection: bool) -> go.Figure:
    """Grouped bars per month: libérations, orientations, signed leases."""
    fig = go.Figure()
    for col, label, colour in (("liberations", "Libérations", COULEURS["liberations"]),
                               ("orientations", "Orientations", COULEURS["orientations"]),
                               ("baux_signes", "Baux signés", COULEURS["attribuees"])):
        fig.add_bar(x=df["libelle_mois"], y=df[col], name=label, marker_color=colour,
                    hovertemplate="%{x} : %{y:,d} " + label.lower() + "<extra></extra>")
    fig.update_layout(barmode="group", title="Mois par mois", xaxis_title=None,
                      yaxis_title="Logements")
    return style(fig, projection)


def vacants_par_anciennete(df: pd.DataFrame, projection: bool) -> go.Figure:
    """Bars of waiting dwellings per waiting-time band, with the count above each bar."""
    top = max(int(df["logements"].max()), 1)
    fig = go.Figure(go.Bar(x=df["tranche"], y=df["logements"], marker_color=COULEURS["neutre"],
                           text=[fmt_int(n) for n in df["logements"]],
                           textposition="outside", cliponaxis=False,
                           hovertemplate="%{x} : %{y:,d} logements<extra></extra>"))
    fig.update_layout(title="Vacants sans orientation", xaxis_title="Attente depuis la "
                      "libération", yaxis_title="Logements", showlegend=False)
    fig.update_yaxes(range=[0, top * 1.25])
    fig.update_xaxes(tickangle=0)
    return style(fig, projection)
