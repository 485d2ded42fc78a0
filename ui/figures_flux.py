"""Plotly builders of the flux pages: gauges, cumulative curve, quality, ranking."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from fluxcore.formats import accord, fmt_int, fmt_pct
from fluxcore.jauges import statut_ecart
from ui.texte import plotly_texte
from ui.theme import COULEURS, style

STATUT_COULEUR = {"en retard": COULEURS["rendus"], "à jour": COULEURS["attribuees"],
                  "en avance": COULEURS["orientations"]}


def echelle(pct) -> float:
    """Right end of the gauges' axis, in % of the droits: the largest bar, unless it would
    squeeze the others (more than half as far again as the 80th percentile of the bars —
    the bar at or below it, so that a few bars still give a mark — and at least 100 %): then
    that mark; the bars beyond it are cut there and say their value."""
    values = [float(v) for v in pct if v == v]
    if not values:
        return 100.0
    cap = max(100.0, float(np.percentile(values, 80, method="lower"))) * 1.5
    return max(100.0, max(values)) if max(values) <= cap else cap


def jauges(df: pd.DataFrame, projection: bool) -> go.Figure:
    """Bullet gauge per réservataire on its own scale (100 % = its droits of the year):
    delivered (bar, coloured by status) and owed to date (black tick); absolute counts as text.
    An outlier does not stretch the axis: its bar stops at the axis end (`echelle`), marked
    by a chevron and its value."""
    d = df[df["droits_annuels"] > 0].iloc[::-1]
    base = d["droits_annuels"]
    statut = [statut_ecart(e, u) for e, u in zip(d["ecart"], d["du"])]
    pct = 100 * d["livres"] / base
    fin = echelle(pct)
    hors = pct > fin
    nom = d["nom"].map(plotly_texte)       # a name from the data, never plotly HTML
    text = [f"{accord(liv, 'livré', 'livrés')} · dû {fmt_int(du)}"
            + (f" ({fmt_pct(v)} des droits)" if h else "")
            for liv, du, v, h in zip(d["livres"], d["du"], pct, hors)]
    fig = go.Figure()
    fig.add_bar(y=nom, x=[100] * len(d), orientation="h",
                name="Droits de l'année (100\u202f%)",
                marker_color="#e3e3e3", width=0.8, customdata=base,
                hovertemplate="%{y}<br>Droits de l'année : %{customdata:,.1f}<extra></extra>")
    fig.add_bar(y=nom, x=pct.clip(upper=fin), orientation="h", name="Livrés",
                marker_color=[STATUT_COULEUR[s] for s in statut], width=0.45,
                customdata=list(zip(d["livres"], d["du"], statut, pct)),
                hovertemplate="%{y}<br>Livrés : %{customdata[0]:,d} · dû à date "
                              "%{customdata[1]:,.1f} (%{customdata[2]}) · "
                              "%{customdata[3]:.0f}\u202f% des droits<extra></extra>")
    fig.add_scatter(y=nom, x=100 * d["du"] / base, mode="markers", name="Dû à date",
                    marker={"symbol": "line-ns", "size": 34 if projection else 24,
                            "line": {"width": 5 if projection else 3, "color": "#000"}},
                    hovertemplate="%{y}<br>Dû à date : %{x:.0f}\u202f% des droits<extra></extra>")
    if hors.any():     # the cut bars: a chevron at the axis end
        fig.add_scatter(y=nom[hors], x=[fin] * int(hors.sum()), mode="markers",
                        name="Au-delà de l'échelle", hoverinfo="skip",
                        marker={"symbol": "triangle-right", "size": 18 if projection else 13,
                                "color": "#111"})
    fig.add_scatter(y=nom, x=[max(100.0, min(v, fin)) + 2 for v in pct], mode="text",
                    text=text, textposition="middle right", showlegend=False,
                    hoverinfo="skip", textfont={"color": "#111", "size": 20 if projection else 13})
    fig.update_layout(barmode="overlay", title="Livrés et dû à date, en % des droits de l'année",
                      xaxis_title="% des droits de l'année", yaxis_title=None,
                      uniformtext={"minsize": 12, "mode": "show"})
    room = 75 if hors.any() else 55        # the text of a cut bar is longer
    fig.update_xaxes(range=[0, fin + room], ticksuffix="\u202f%")
    height = max(380, (62 if projection else 36) * len(d) + 170)
    return style(fig, projection, height=height)


def cumul(df: pd.DataFrame, nom: str, projection: bool) -> go.Figure:
    """Cumulative owed (rate × flux entered) against cumulative oriented, month by month."""
    fig = go.Figure()
    fig.add_scatter(x=df["libelle_mois"], y=df["du_cumule"], name="Dû (cumul)",
                    mode="lines+markers", line={"color": "#000", "dash": "dash"},
                    hovertemplate="%{x} : dû %{y:,.1f}<extra></extra>")
    fig.add_scatter(x=df["libelle_mois"], y=df["orientes_cumule"], name="Orientés (cumul)",
                    mode="lines+markers", line={"color": COULEURS["orientations"]},
                    hovertemplate="%{x} : %{y:,d} orientés<extra></extra>")
    fig.update_layout(title=f"{plotly_texte(nom)} : dû et orienté depuis janvier",
                      xaxis_title=None,
                      yaxis_title="Logements (cumul)")
    return style(fig, projection)


def composition(df: pd.DataFrame, dimension: str, projection: bool) -> go.Figure:
    """Share of each category in the réservataire's dwellings vs in the flux of its perimeter."""
    d = df[df["dimension"] == dimension].sort_values("part_flux", ascending=False).head(12)
    fig = go.Figure()
    x = d["categorie"].map(plotly_texte)
    fig.add_bar(x=x, y=d["part_flux"], name="Flux du périmètre",
                marker_color="#bbbbbb",
                hovertemplate="%{x} : %{y:.0f}\u202f% du flux<extra></extra>")
    fig.add_bar(x=x, y=d["part_orientes"], name="Ses logements",
                marker_color=COULEURS["orientations"],
                hovertemplate="%{x} : %{y:.0f}\u202f% de ses logements<extra></extra>")
    fig.update_layout(barmode="group", title="Composition comparée au flux",
                      yaxis_title="Part (%)", xaxis_title=None)
    return style(fig, projection)


def classement(dest: pd.DataFrame, composantes: dict[str, str], projection: bool) -> go.Figure:
    """The deficit of each destination (coloured by its group) and the adjustments stacked on
    it, in dwellings; the diamond is the adjusted score. Top row = rank 1."""
    d = dest.iloc[::-1]
    y = [plotly_texte(f"{r.rang}. {r.nom}") for r in d.itertuples()]
    fig = go.Figure()
    for situation, colour in STATUT_COULEUR.items():   # one trace per group: its legend
        mask = (d["situation"] == situation).to_numpy()
        fig.add_bar(y=[v for v, m in zip(y, mask) if m], x=d.loc[mask, "deficit"],
                    orientation="h", name=f"Déficit, {situation}", marker_color=colour,
                    hovertemplate="%{y}<br>Déficit en logements : %{x:+.2f}, " + situation
                                  + "<extra></extra>")
    palette = [COULEURS["liberations"], COULEURS["en_cours"], "#CC79A7", "#999999"]
    for (code, label), colour in zip(
            [(k, v) for k, v in composantes.items() if k != "retard"], palette):
        fig.add_bar(y=y, x=d[f"c_{code}"], orientation="h", name=label, marker_color=colour,
                    hovertemplate="%{y}<br>" + label + " (en logements) : %{x:+.2f}"
                                  "<extra></extra>")
    fig.add_scatter(y=y, x=d["score"], mode="markers", name="Déficit ajusté",
                    marker={"symbol": "diamond", "size": 16 if projection else 11,
                            "color": "#000"},
                    hovertemplate="%{y}<br>Déficit ajusté : %{x:+.2f}<extra></extra>")
    fig.update_layout(barmode="relative", title="Déficit et ajustements, en logements",
                      xaxis_title=None, yaxis_title=None,
                      yaxis={"categoryorder": "array", "categoryarray": y})
    fig = style(fig, projection, height=max(360, (60 if projection else 40) * len(d) + 170))
    # six entries: below the bars, where they do not cover the title
    return fig.update_layout(legend={"y": -0.1, "yanchor": "top", "x": 0})
