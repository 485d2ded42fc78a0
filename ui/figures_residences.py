"""Offline map of résidences: local GeoJSON layers (communes, EPCI, QPV 2024 of the territory
shown, wherever in France) over a blank style, markers coloured by fragility class and sized by
number of dwellings."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from fluxcore.geo import commune_mere, map_layer, noms_departements
from ui.theme import style

CLASS_COLOURS = {"fragile": "#D55E00", "à surveiller": "#E69F00", "équilibrée": "#0072B2"}
CLASS_LABELS = {"fragile": "Fragile", "à surveiller": "À surveiller",
                "équilibrée": "Équilibrée"}


def _zoom(df: pd.DataFrame) -> float:
    span = max(df["longitude"].max() - df["longitude"].min(),
               (df["latitude"].max() - df["latitude"].min()) * 1.5, 0.05)
    return max(5.5, min(12.0, math.log2(360 / span) - 0.1))


def _cadre(pts: pd.DataFrame, selection: str | None) -> tuple[pd.DataFrame, list[str]]:
    """The résidences to frame: a base spread over métropole and overseas départements is
    framed on the part holding the chosen résidence (else the most dwellings); returns them
    and the names of the parts left out of the frame."""
    part = pts["departement"].where(pts["departement"].str.startswith("97"), "métropole")
    if part.nunique() <= 1:
        return pts, []
    chosen = pts["residence_id"] == selection
    main = part[chosen].iloc[0] if chosen.any() else \
        pts["logements"].groupby(part).sum().idxmax()
    names = noms_departements()
    others = sorted({names.get(p, p) for p in part.unique() if p != main})
    return pts[part == main], others


def territory_layers(pts: pd.DataFrame, projection: bool) -> list[dict]:
    """Background layers of the territory the résidences of `pts` cover: the QPV 2024 of their
    départements, the outlines of their communes and of their EPCI (an arrondissement
    municipal is drawn with its commune)."""
    deps = tuple(sorted(pts["departement"].dropna().unique()))
    communes = tuple(sorted(set(commune_mere(pts["commune_insee"].dropna().to_numpy()))))
    epcis = tuple(sorted(pts["epci_siren"].dropna().unique()))
    return [
        {"source": map_layer("qpv", deps), "type": "fill", "color": "#CC79A7",
         "opacity": 0.35, "below": "traces"},
        {"source": map_layer("communes", deps, communes), "type": "line", "color": "#BBBBBB",
         "line": {"width": 0.6}, "below": "traces"},
        {"source": map_layer("epci", deps, epcis), "type": "line", "color": "#555555",
         "line": {"width": 2.0 if projection else 1.4}, "below": "traces"},
    ]


def carte(df: pd.DataFrame, projection: bool, selection: str | None = None) -> go.Figure:
    """Map of the résidences of `df` (fragilite.fragilite output)."""
    pts = df.dropna(subset=["latitude", "longitude"])
    fig = go.Figure()
    biggest = max(float(pts["logements"].max()) if len(pts) else 1.0, 1.0)
    for cls, colour in CLASS_COLOURS.items():
        d = pts[pts["classe"] == cls]
        fig.add_scattermap(
            lat=d["latitude"], lon=d["longitude"], mode="markers",
            name=f"{CLASS_LABELS[cls]} ({len(d)})",
            marker={"color": colour, "size": 8 + 22 * (d["logements"] / biggest) ** 0.5,
                    "opacity": 0.85},
            customdata=d[["nom", "commune", "logements", "indice"]],
            hovertemplate="<b>%{customdata[0]}</b><br>%{customdata[1]}<br>"
                          "%{customdata[2]} logements<br>Indice %{customdata[3]:+.2f}"
                          "<extra>" + CLASS_LABELS[cls] + "</extra>")
    if selection is not None and selection in set(pts["residence_id"]):
        s = pts[pts["residence_id"] == selection]
        fig.add_scattermap(lat=s["latitude"], lon=s["longitude"], mode="markers",
                           name="Résidence choisie", hoverinfo="skip",
                           marker={"size": 34, "color": "#000000", "opacity": 0.35})
    layers = territory_layers(pts, projection)
    cadre, ailleurs = _cadre(pts, selection)
    center = ({"lat": float(cadre["latitude"].mean()), "lon": float(cadre["longitude"].mean())}
              if len(cadre) else {"lat": 46.6, "lon": 2.5})
    title = ("Résidences par classe de fragilité (QPV 2024 en violet, contours des EPCI en "
             "gris foncé)")
    if ailleurs:
        title += f"<br><sup>Hors du cadre : {', '.join(ailleurs)} (choisir le territoire)</sup>"
    fig.update_layout(map={"style": "white-bg", "layers": layers, "center": center,
                           "zoom": _zoom(cadre) if len(cadre) else 4.5}, title=title)
    fig = style(fig, projection, height=720 if projection else 620)
    fig.update_layout(legend={"orientation": "h", "y": -0.02, "yanchor": "top", "x": 0},
                      margin={"t": 60, "b": 10, "l": 0, "r": 0})
    return fig
