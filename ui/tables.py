"""French-formatted display tables (numbers as text with narrow spaces and decimal commas)."""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from fluxcore.formats import fmt_int, fmt_num, fmt_pct, fmt_signe
from fluxcore.jauges import statut_ecart

# pseudonymous household ids and household details (attribution and demande files): never on a
# projector, even in an import preview
MENAGE_COLUMNS = frozenset({
    "menage_id", "demande_id", "taille_menage", "ressources_uc", "quartile", "prioritaire",
    "dalo", "salarie", "mutation_interne", "relogement", "criteres", "date_depot",
    "commune_souhaitee", "typologie_souhaitee", "date_radiation", "motif_radiation"})


def sans_menages(df: pd.DataFrame) -> pd.DataFrame:
    """`df` without the household columns (projector mode)."""
    return df.drop(columns=[c for c in df.columns if str(c).lower() in MENAGE_COLUMNS])


def table_jauges(df: pd.DataFrame, projection: bool = False) -> pd.DataFrame:
    """The gaps table of the Jauges page (projector: the columns that fit 1280 px)."""
    out = pd.DataFrame({"Réservataire": df["nom"]})
    if "taux" in df:            # per réservataire only (a type groups several rates)
        out["Taux"] = [fmt_pct(t, 1) for t in df["taux"]]
    out["Droits de l'année"] = [fmt_num(x) for x in df["droits_annuels"]]
    out["Dû à date"] = [fmt_num(x) for x in df["du"]]
    out["Orientés"] = [fmt_int(x) for x in df["orientes"]]
    if not projection:
        out["dont rendus"] = [fmt_int(x) for x in df["rendus"]]
    out["Attribués"] = [fmt_int(x) for x in df["attribues"]]
    out["Écart"] = [fmt_signe(e) for e in df["ecart"]]
    out["Écart %"] = [fmt_pct(x) for x in df["ecart_pct"]]
    out["Situation"] = [statut_ecart(e, u) for e, u in zip(df["ecart"], df["du"])]
    return out.reset_index(drop=True)


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
        "Réservataire": q["nom"], "Orientés": [fmt_int(x) for x in q["orientes"]],
        "Écart (points)": [fmt_num(s, 0) for s in q["score"]],
        "Plus grand écart": [constat_court(c) if projection else c for c in q["constat"]]})
    config = {"Plus grand écart": st.column_config.TextColumn(width="large")}
    return out.reset_index(drop=True), config


def table_sne(par_reservataire: pd.DataFrame, projection: bool = False) -> pd.DataFrame:
    """Per réservataire, the year's leases according to the landlord and to the SNE
    (fluxcore.sne.Rapprochement.par_reservataire); projector: the counts only."""
    df = par_reservataire
    out = pd.DataFrame({"Réservataire": df["libelle"],
                        "Selon le bailleur": [fmt_int(x) for x in df["selon_bailleur"]],
                        "Selon le SNE": [fmt_int(x) for x in df["selon_sne"]],
                        "Écart (SNE − bailleur)": [fmt_signe(x, 0) for x in df["ecart"]]})
    if not projection:
        out["Lignes à corriger"] = [fmt_int(x) for x in df["a_corriger"]]
    return out.reset_index(drop=True)
