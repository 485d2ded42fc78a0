"""Uncertainty views of the Simulateur: the Monte Carlo question and the vacancy model."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from fluxcore.formats import accord, fmt_num, fmt_pct
from ui.components import Numeric, choix_multiple, show_table
from ui.theme import OKABE_ITO, style


def question(res, mc, projection: bool = False) -> None:
    """« At least k T3+ outside QPV for réservataire X »: the Monte Carlo's answer."""
    t = res.reservataires
    options = {"": "Tout le flux net"}
    for r in t.itertuples():   # key: id and perimeter code (never shown)
        key = f"{r.reservataire_id}|{r.perimetre if isinstance(r.perimetre, str) else ''}"
        options[key] = r.libelle
    c = st.columns([1.6, 2.8, 1.3, 1] if projection else [2, 2, 1.4, 1])  # 4 typologies fit
    choix = c[0].selectbox("Pour", list(options), format_func=options.get, key="sim_q_qui")
    typ = choix_multiple(c[1], "Typologies", ["T1", "T2", "T3", "T4", "T5", "T6"],
                         default=["T3", "T4", "T5", "T6"], key="sim_q_typ",
                         placeholder="Choisissez des typologies")
    qpv = c[2].radio("Situation", ["hors", "en", "tous"], key="sim_q_qpv",
                     format_func={"hors": "Hors QPV", "en": "En QPV", "tous": "Partout"}.get)
    rid, _, perim = choix.partition("|")
    en_qpv = {"hors": False, "en": True, "tous": None}[qpv]
    ref = mc.probabilite(typ, en_qpv, 0, rid or None, perim or None)
    k = c[3].number_input("Au moins", 0, value=round(ref["p50"]), step=1, key="sim_q_k")
    ans = mc.probabilite(typ, en_qpv, int(k), rid or None, perim or None)
    ou = {False: " hors QPV", True: " en QPV", None: ""}[en_qpv]
    st.metric(f"Chance d'au moins {accord(int(k), 'logement', 'logements')} "
              f"{', '.join(typ) or '–'}{ou} en {mc.annee}",
              fmt_pct(100 * ans["probabilite"], 0))
    st.caption(f"Attendu : {fmt_num(ans['esperance'])} ; 8 chances sur 10 entre "
               f"{fmt_num(ans['p10'], 0)} et {fmt_num(ans['p90'], 0)}.")


def modele(m, projection: bool) -> None:
    if m is None:
        st.info("Modèle non chargé.")
        return
    st.markdown(m.message)
    st.markdown(
        "Chaque logement du parc reçoit une probabilité de départ dans l'année, estimée par "
        "une **régression logistique** sur l'historique du département (typologie, "
        "financement, QPV, surface, loyer au m², âge du bâtiment, rotation passée des autres "
        "logements de la résidence). Le Monte-Carlo tire les départs avec ces probabilités, "
        "ramenées par segment à la rotation du scénario.")
    if not m.estime:
        return
    if m.brier is not None:
        gain = 100 * (1 - m.brier / m.brier_reference) if m.brier_reference else 0.0
        c = st.columns(3)
        c[0].metric("Score de Brier", fmt_num(m.brier, 4))
        c[1].metric("Référence (taux moyen)", fmt_num(m.brier_reference, 4))
        c[2].metric("AUC", fmt_num(m.auc, 2))
        st.caption(f"Évalué sur la dernière année observée, modèle estimé sur les années "
                   f"antérieures : gain de {fmt_pct(gain, 1)} sur le taux moyen. Une AUC "
                   "proche de 0,5 signifie que les départs sont peu prévisibles logement par "
                   "logement : la fourchette repose alors surtout sur le hasard des départs.")
        st.plotly_chart(figure_calibration(m, projection), width="stretch", theme="streamlit")
    coef = m.coefficients.head(8)
    effet = "Effet sur la chance de départ (×)"
    show_table(pd.DataFrame({"Variable": coef["variable"], effet: coef["odds_ratio"]}),
               {effet: Numeric(decimals=2)})


def figure_calibration(m, projection: bool) -> go.Figure:
    c = m.calibration
    fig = go.Figure()
    top = float(max(c["predit"].max(), c["observe"].max())) * 100 * 1.15
    fig.add_scatter(x=[0, top], y=[0, top], mode="lines", name="Calibration parfaite",
                    line={"dash": "dash", "color": "#777"}, hoverinfo="skip")
    fig.add_scatter(x=100 * c["predit"], y=100 * c["observe"], mode="lines+markers",
                    name="Déciles du modèle", line={"color": OKABE_ITO[5], "width": 3},
                    hovertemplate="prédit %{x:.1f}\u202f% · observé %{y:.1f}\u202f%<extra></extra>")
    fig.update_layout(title="Calibration sur la dernière année observée",
                      xaxis_title="Probabilité prédite (%)",
                      yaxis_title="Fréquence observée (%)")
    return style(fig, projection, height=420)
