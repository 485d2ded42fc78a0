"""Tables of the Jauges page (numbers kept as numbers, their display in ui.components.Numeric)
and the household columns never shown on a projector."""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from fluxcore.jauges import statut_ecart
from ui.components import Numeric

# pseudonymous household ids and household details (attribution and demande files): never on a
# projector, even in an import preview
MENAGE_COLUMNS = frozenset({
    "menage_id", "demande_id", "taille_menage", "ressources_uc", "quartile", "prioritaire",
    "dalo", "salarie", "mutation_interne", "relogement", "criteres", "date_depot",
    "commune_souhaitee", "typologie_souhaitee", "date_radiation", "motif_radiation"})


def sans_menages(df: pd.DataFrame) -> pd.DataFrame:
    """`df` without the household columns (projector mode)."""
    return df.drop(columns=[c for c in df.columns if str(c).lower() in MENAGE_COLUMNS])


def table_jauges(df: pd.DataFrame, projection: bool = False) -> tuple[pd.DataFrame, dict]:
    """The gaps table of the Jauges page and its column config (projector: the columns that fit
    1280 px)."""
    out = pd.DataFrame({"Réservataire": df["nom"]})
    if "taux" in df:            # per réservataire only (a type groups several rates)
        out["Taux (%)"] = df["taux"]
    out["Droits de l'année"] = df["droits_annuels"]
    out["Dû à date"] = df["du"]
    out["Orientés"] = df["orientes"]
    if not projection:
        out["dont rendus"] = df["rendus"]
    out["Attribués"] = df["attribues"]
    out["Écart"] = df["ecart"]
    out["Écart (%)"] = df["ecart_pct"]
    out["Situation"] = [statut_ecart(e, u) for e, u in zip(df["ecart"], df["du"])]
    config = {"Taux (%)": Numeric(decimals=1), "Droits de l'année": Numeric(decimals=1),
              "Dû à date": Numeric(decimals=1), "Écart": Numeric(decimals=1, signed=True),
              "Écart (%)": Numeric(decimals=0)}
    return out.reset_index(drop=True), config


_CONSTAT = re.compile(r"^(?P<cat>.+) \([^)]*\) : (?P<a>.+?) de ses logements contre "
                      r"(?P<b>.+?) du flux\.$")


def constat_court(text: str) -> str:
    """« Troyes (commune) : 8 % de ses logements contre 37 % du flux. » → « Troyes : 8 %
    contre 37 % du flux » (fits a projected table); other texts unchanged."""
    m = _CONSTAT.match(text)
    return f"{m['cat']} : {m['a']} contre {m['b']} du flux" if m else text


def table_qualite(q: pd.DataFrame, projection: bool = False) -> tuple[pd.DataFrame, dict]:
    """The flux-quality table of the Jauges page and its column config."""
    out = pd.DataFrame({
        "Réservataire": q["nom"], "Orientés": q["orientes"], "Écart (points)": q["score"],
        "Plus grand écart": [constat_court(c) if projection else c for c in q["constat"]]})
    config = {"Écart (points)": Numeric(decimals=0),
              "Plus grand écart": st.column_config.TextColumn(width="large")}
    return out.reset_index(drop=True), config
