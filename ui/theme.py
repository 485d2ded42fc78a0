"""Look of the app: projector mode CSS and one plotly style for every figure."""

from __future__ import annotations

import time

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

# Root font size in projector mode: Streamlit sizes text, widgets and spacing in rem. Not
# st.dataframe's canvas, which reads the root size once, when it mounts, often before this
# stylesheet is rendered (and CSS zoom on the canvas breaks its width and hit-testing): projector
# mode draws static HTML tables instead (ui.components.show_table).
PROJECTOR_ROOT_PX = 24
NORMAL_ROOT_PX = 16

# Every rule applies only while the sidebar's « Mode projection » toggle (key "projection") is
# checked in the page: the stylesheet is always there and the page changes size the instant the
# toggle is clicked, before the rerun.
ON = ':root:has(.st-key-projection input:checked)'
_RULES = (
    ("", f"font-size: {PROJECTOR_ROOT_PX}px;"),
    (' [data-testid="stAppViewContainer"]', "color: #000;"),
    (' [data-testid="stMainBlockContainer"]', "padding: 3rem 2.5rem 3rem 2.5rem;"),
    (' [data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li',
     "font-size: 1rem;"),
    (' [data-testid="stCaptionContainer"]', "opacity: 1;"),   # Streamlit fades captions (0.6)
    (' [data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] *',
     "color: #333 !important; font-size: 0.85rem;"),
    (' [data-testid="stMetricValue"], [data-testid="stMetricValue"] *',
     "font-size: 2.7rem !important; font-weight: 700; line-height: 1.1;"),
    (' [data-testid="stMetricLabel"], [data-testid="stMetricLabel"] *',
     "font-size: 1rem !important;"),
    (' [data-testid="stMetricDelta"], [data-testid="stMetricDelta"] *',
     "font-size: 0.9rem !important;"),
    (" h1", "font-size: 2.3rem !important;"),
    (" h2, h3", "font-size: 1.6rem !important;"),
    (' [data-testid="stTable"] th, [data-testid="stTable"] td',
     "font-size: 0.9rem; color: #000 !important; padding: 0.3rem 0.5rem;"),
    (' [data-testid="stTable"] [data-testid="stMarkdownContainer"] p',
     "font-size: inherit;"),
    (' [data-testid="stTable"] th', "font-weight: 600;"),
)


def _scoped(selectors: str) -> str:
    return ", ".join(ON + (" " + s.strip() if s.strip() else "") for s in selectors.split(","))


PROJECTOR_CSS = "<style>\n" + "\n".join(f"{_scoped(sel)} {{ {decl} }}"
                                        for sel, decl in _RULES) + "\n</style>"


def uploader_css() -> str:
    """French texts for the file uploader's built-in English ones (« Upload », « 200MB per
    file »); `st.html` with only <style> takes no room in the page."""
    mo = st.get_option("server.maxUploadSize")
    return f"""
<style>
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p {{
    font-size: 0 !important; }}
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p::after {{
    content: "Parcourir"; font-size: 0.875rem; }}
[data-testid="stFileUploaderDropzoneInstructions"] span {{ font-size: 0 !important; }}
[data-testid="stFileUploaderDropzoneInstructions"] span::after {{
    content: "ou déposez les fichiers ici ({mo}{NNBSP}Mo au plus par fichier)";
    font-size: 0.875rem; }}
</style>
"""


def apply(projection: bool) -> None:
    """Put the projector stylesheet in the page, in both modes: it follows the sidebar toggle,
    whose state `projection` is. In the sidebar, it leaves no gap at the top of the page.

    Projector mode: pause a moment, so that the server sends the stylesheet at once instead of
    with the page's first tables, while the page computes. A canvas (st.data_editor) measures the
    root size once, when it mounts, and kept the small size when both arrived together.
    """
    st.sidebar.markdown(PROJECTOR_CSS, unsafe_allow_html=True)
    if projection:
        time.sleep(0.1)


def root_px(projection: bool) -> int:
    return PROJECTOR_ROOT_PX if projection else NORMAL_ROOT_PX


def _thicker(fig: go.Figure) -> None:
    """Projector: lines twice as thick, markers at least 12 px (explicit symbols kept)."""
    for trace in fig.data:
        if trace.type != "scatter":
            continue
        mode = trace.mode or "lines+markers"
        if "lines" in mode:
            trace.line.width = 2 * max(trace.line.width or 2.5, 2.5)
        size = trace.marker.size
        if "markers" in mode and trace.marker.symbol is None and (
                size is None or (isinstance(size, int | float) and 4 <= size < 12)):
            trace.marker.size = 12


def style(fig: go.Figure, projection: bool, height: int | None = None) -> go.Figure:
    """French separators, readable fonts, Okabe–Ito colours, thicker lines in projector mode."""
    size = 20 if projection else 14
    fig.update_layout(
        separators="," + NNBSP, colorway=OKABE_ITO, font={"size": size, "color": "#111"},
        legend={"font": {"size": size}, "orientation": "h", "y": 1.0, "yanchor": "bottom",
                "x": 0, "title": None},
        margin={"l": 10, "r": 10, "t": 90, "b": 10}, hoverlabel={"font_size": size},
        title={"font": {"size": size + 4}}, height=height or (520 if projection else 400))
    axis = {"automargin": True,  # keeps axis titles inside the figure (were clipped at left)
            "title_font": {"size": size, "color": "#111"},
            "tickfont": {"size": size, "color": "#222"}, "gridcolor": "#ddd"}
    fig.update_xaxes(**axis)
    fig.update_yaxes(**axis)
    # counts written above bars: dark and as large as the ticks (were small and grey)
    fig.update_traces(selector={"type": "bar"}, outsidetextfont={"size": size, "color": "#111"})
    if projection:
        _thicker(fig)
    return fig
