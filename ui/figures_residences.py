"""Offline map of résidences: local GeoJSON layers (communes, EPCI, QPV 2024 of the territory
shown, wherever in France) over a blank style, markers coloured by fragility class and sized by
number of dwellings."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from fluxcore.geo import commune_mere, map_layer, noms_departements
from ui.texte import plotly_texte
from ui.theme import style

CLASS_COLOURS = {"fragile": "#D55E00", "à surveiller": "#E69F00", "équilibrée": "#0072B2"}
CLASS_LABELS = {"fragile": "Fragile", "à surveiller": "À surveiller",
                "équilibrée": "Équilibrée"}


# the map's drawing area at 1280 px (sidebar open; projector: sidebar folded, larger margins)
TAILLE_CARTE = {False: (800, 520), True: (1140, 600)}
MARGE = 0.08          # share of the frame left around the résidences on each side


def _y(lat: float) -> float:
    """Web Mercator ordinate of a latitude (radians of the projected plane)."""
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def cadrage(pts: pd.DataFrame, projection: bool) -> tuple[dict, float]:
    """Centre and zoom that fit the résidences of `pts` in the map drawn at 1280 px: the
    centre of their bounding box in Web Mercator (not their mean, which a dense town pulls
    aside), the largest zoom that keeps the box inside the frame with a margin (MapLibre:
    a world 512 px wide at zoom 0), between 4 and 14."""
    width, height = TAILLE_CARTE[projection]
    west, east = float(pts["longitude"].min()), float(pts["longitude"].max())
    south, north = float(pts["latitude"].min()), float(pts["latitude"].max())
    y_mid = (_y(south) + _y(north)) / 2
    lat_mid = math.degrees(2 * math.atan(math.exp(y_mid)) - math.pi / 2)
    usable = 1 - 2 * MARGE
    span_x = max(east - west, 0.01) / 360                          # share of the world
    span_y = max(_y(north) - _y(south), 0.0002) / (2 * math.pi)
    zoom = min(math.log2(width * usable / (512 * span_x)),
               math.log2(height * usable / (512 * span_y)))
    return {"lat": lat_mid, "lon": (west + east) / 2}, max(4.0, min(14.0, zoom))


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
            customdata=d[["nom", "commune", "logements", "indice"]].assign(
                nom=d["nom"].map(plotly_texte), commune=d["commune"].map(plotly_texte)),
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
    center, zoom = cadrage(cadre, projection) if len(cadre) else ({"lat": 46.6, "lon": 2.5},
                                                                   4.5)
    title = ("Résidences par classe de fragilité (QPV 2024 en violet, contours des EPCI en "
             "gris foncé)")
    if ailleurs:
        title += (f"<br><sup>Hors du cadre : {plotly_texte(', '.join(ailleurs))} (choisir le "
                  "territoire)</sup>")
    fig.update_layout(map={"style": "white-bg", "layers": layers, "center": center,
                           "zoom": zoom}, title=title)
    fig = style(fig, projection, height=720 if projection else 620)
    fig.update_layout(legend={"orientation": "h", "y": -0.02, "yanchor": "top", "x": 0},
                      margin={"t": 60, "b": 10, "l": 0, "r": 0})
    return fig
