"""French-formatted display tables (numbers as text with narrow spaces and decimal commas)."""

from __future__ import annotations

import pandas as pd

from fluxcore.formats import fmt_int, fmt_num, fmt_pct
from fluxcore.jauges import statut_ecart


def table_jauges(df: pd.DataFrame) -> pd.DataFrame:
    """The gaps table of the Jauges page."""
    return pd.DataFrame({
        "Réservataire": df["nom"],
        "Taux": [fmt_pct(t, 1) for t in df["taux"]] if "taux" in df else "",
        "Droits de l'année": [fmt_num(x) for x in df["droits_annuels"]],
        "Dû à date": [fmt_num(x) for x in df["du"]],
        "Orientés": [fmt_int(x) for x in df["orientes"]],
        "dont rendus": [fmt_int(x) for x in df["rendus"]],
        "Attribués": [fmt_int(x) for x in df["attribues"]],
        "Écart": [("+" if e > 0 else "") + fmt_num(e) for e in df["ecart"]],
        "Écart %": [fmt_pct(x) for x in df["ecart_pct"]],
        "Situation": [statut_ecart(e, u) for e, u in zip(df["ecart"], df["du"])],
    })
