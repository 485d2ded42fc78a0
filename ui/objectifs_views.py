"""Views of the Objectifs CIL page: one card per EPCI, the trajectory chart, tables."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from fluxcore.formats import (
    MOIS,
    MOIS_COURTS,
    fmt_cible,
    fmt_int,
    fmt_part,
    shown_number,
    shown_part,
)
from fluxcore.geo import noms_departements
from ui.components import Numeric
from ui.texte import md
from ui.theme import OKABE_ITO, style

ATTEINT, RETARD = OKABE_ITO[0], OKABE_ITO[5]      # blue / vermillion (colour-blind safe)
COURTS = {"Q1_HORS_QPV": "Q1 hors QPV", "Q234_EN_QPV": "Q2–Q4 en QPV",
          "PRIORITAIRES": "Prioritaires"}


def _line(r) -> str:
    """One indicator of a card: status mark (shape and colour), share against target."""
    if not r.base:
        return f"○ **{COURTS[r.indicateur]}** : aucun bail (cible {fmt_cible(r.cible_pct)})"
    ok = r.manque == 0
    mark = ":blue[**✓**]" if ok else ":orange[**✗**]"
    tail = "" if ok else f" — :orange[**manque {fmt_int(r.manque)}**]"
    shown = fmt_part(r.pct, r.cible_pct)      # 24,8 % never shown as « 25 % » when late
    return (f"{mark} **{COURTS[r.indicateur]}** : {shown} pour {fmt_cible(r.cible_pct)}"
            f" ({fmt_int(r.realise)}/{fmt_int(r.base)}){tail}")


def cards(suivi: pd.DataFrame, epcis: list[str], per_row: int) -> None:
    """A bordered card per EPCI (in the given order) with its three indicators."""
    for start in range(0, len(epcis), per_row):
        cols = st.columns(per_row)
        for col, epci in zip(cols, epcis[start:start + per_row]):
            rows = suivi[suivi["epci_siren"] == epci]
            with col.container(border=True):
                st.markdown(f"**{md(rows['nom'].iloc[0])}**")
                st.markdown("  \n".join(_line(r) for r in rows.itertuples()))


def trajectoire(df: pd.DataFrame, cibles: dict[str, float], projection: bool) -> go.Figure:
    """Cumulative monthly shares of Q1 hors QPV and Q2–4 in QPV, with their target lines."""
    # short month names on the axis (« septembre octobre novembre » overlapped at 1280 px)
    months = [MOIS_COURTS[m - 1] for m in df["mois"]]
    fig = go.Figure()
    for col, code, label, colour in (
            ("pct_q1", "Q1_HORS_QPV", "Premier quartile hors QPV", OKABE_ITO[0]),
            ("pct_q234", "Q234_EN_QPV", "Quartiles 2 à 4 en QPV", OKABE_ITO[1])):
        fig.add_scatter(x=months, y=df[col], name=label, mode="lines+markers",
                        line={"color": colour, "width": 3},
                        customdata=[MOIS[m - 1] for m in df["mois"]],
                        hovertemplate="%{customdata} : %{y:.1f}\u202f%<extra>" + label
                        + "</extra>")
        fig.add_scatter(x=months, y=[cibles[code]] * len(months), mode="lines",
                        name=f"Cible : {label} ({fmt_cible(cibles[code])})",
                        line={"color": colour, "dash": "dash", "width": 2}, hoverinfo="skip")
    fig.update_layout(title="Trajectoire de l'année (part cumulée depuis janvier)",
                      yaxis_title="Part des baux signés (%)", xaxis_title=None)
    fig.update_yaxes(range=[0, 100], ticksuffix="\u202f%")
    fig = style(fig, projection, height=560 if projection else 460)
    fig.update_layout(legend={"orientation": "h", "y": -0.12, "yanchor": "top", "x": 0},
                      margin={"t": 60, "b": 10})
    return fig


RES_COLUMNS = {"departement": "Département", "nom": "Destination",
               "baux": "Baux signés (hors mutations)", "prioritaires": "Prioritaires",
               "pct": "Part (%)", "cible_pct": "Cible (%)", "manque": "Manque",
               "mutations": "Mutations internes (hors base)"}
# a share with the decimals it needs, never rounded up to its target (fluxcore.formats.fmt_part)
PART = Numeric(decimals=None)


def table_reservataires(df: pd.DataFrame, epci: bool = False) -> tuple[pd.DataFrame, dict]:
    """The verdict per convention (réservataire × département), or with `epci=True` the
    per-EPCI information (its « Cible » is the CIA's commitment, when there is one)."""
    cols = RES_COLUMNS | ({"cible_pct": "Engagement CIA (%)"} if epci else {})
    out = df[list(cols)].copy()
    out["pct"] = [shown_part(v, None if pd.isna(c) else c)
                  for v, c in zip(out["pct"], out["cible_pct"])]
    out["cible_pct"] = [shown_number(v, 2) for v in out["cible_pct"]]
    deps = noms_departements()
    out["departement"] = [deps.get(d, d) for d in out["departement"]]
    if epci:
        out = out.drop(columns="departement")
    return out.rename(columns=cols), {cols["pct"]: PART, cols["cible_pct"]: PART}


def table_detail(df: pd.DataFrame, niveau: str) -> tuple[pd.DataFrame, dict]:
    cols = {"commune": "Commune"} | ({"residence": "Résidence"} if niveau == "residence" else {})
    cols |= {"baux": "Baux", "baux_hors_qpv": "Baux hors QPV", "pct_q1_hors_qpv": "dont Q1 (%)",
             "baux_qpv": "Baux en QPV", "pct_q234_qpv": "dont Q2–Q4 (%)",
             "pct_prioritaires": "Prioritaires (%)"}
    parts = ("pct_q1_hors_qpv", "pct_q234_qpv", "pct_prioritaires")
    out = df[list(cols)].copy()
    for c in parts:
        out[c] = [shown_part(v) for v in out[c]]
    return out.rename(columns=cols), {cols[c]: PART for c in parts}
