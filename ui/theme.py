"""Look of the app: projector mode CSS and one plotly style for every figure."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from fluxcore.formats import NNBSP

# Okabe–Ito colour-blind-safe palette
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
             "#000000"]
# one meaning per colour across pages
COULEURS = {"liberations": "#56B4E9", "orientations": "#0072B2", "attribuees": "#009E73",
            "en_cours": "#E69F00", "rendus": "#D55E00", "neutre": "#0072B2",
            "alerte": "#D55E00"}
PROJECTOR_CSS = """
<style>
html, body, [data-testid="stAppViewContainer"] { font-size: 21px; }
[data-testid="stMainBlockContainer"] { padding-top: 2rem; }
[data-testid="stMarkdownContainer"] p,
[data-testid="stMarkdownContainer"] li { font-size: 1.15rem; }
[data-testid="stMetricValue"], [data-testid="stMetricValue"] * {
    font-size: 3.2rem !important; font-weight: 700; line-height: 1.1; }
[data-testid="stMetricLabel"], [data-testid="stMetricLabel"] * { font-size: 1.15rem !important; }
[data-testid="stMetricDelta"], [data-testid="stMetricDelta"] * { font-size: 1.05rem !important; }
h1 { font-size: 2.6rem !important; } h2, h3 { font-size: 1.9rem !important; }
[data-testid="stAppViewContainer"] { color: #000; }
</style>
"""


def apply(projection: bool) -> None:
    """Inject the projector stylesheet when projector mode is on."""
    if projection:
        st.markdown(PROJECTOR_CSS, unsafe_allow_html=True)


def style(fig: go.Figure, projection: bool, height: int | None = None) -> go.Figure:
    """French separators, readable fonts, Okabe–Ito colours, thicker lines in projector mode."""
    size = 20 if projection else 14
    fig.update_layout(
        separators="," + NNBSP, colorway=OKABE_ITO, font={"size": size},
        legend={"font": {"size": size}, "orientation": "h", "y": 1.0, "yanchor": "bottom",
                "x": 0, "title": None},
        margin={"l": 10, "r": 10, "t": 90, "b": 10}, hoverlabel={"font_size": size},
        title={"font": {"size": size + 4}}, height=height or (520 if projection else 400))
    axis = {"automargin": True,  # keeps axis titles inside the figure (were clipped at left)
            "title_font": {"size": size, "color": "#111"},
            "tickfont": {"size": size, "color": "#222"}, "gridcolor": "#ddd"}
    fig.update_xaxes(**axis)
    fig.update_yaxes(**axis)
    if projection:
        fig.update_traces(selector={"type": "scatter"}, line={"width": 5}, marker={"size": 12})
    return fig
