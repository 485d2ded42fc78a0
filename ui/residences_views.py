"""Card and tables of the Résidences page."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from fluxcore.enquete_ops import libelle_enquete, recents
from fluxcore.formats import NNBSP, fmt_int, fmt_num
from ui.components import show_table
from ui.figures_residences import CLASS_LABELS


def _v(x, unit: str = NNBSP + "%") -> str:
    return "–" if x is None or pd.isna(x) else fmt_num(x) + unit


def card(fiche: dict) -> None:
    """Indicators of one résidence against its reference group, with the explanation."""
    r = fiche["residence"]
    st.markdown(f"### {r['nom']} — {r['commune']}")
    cols = st.columns([1.6, 1, 1, 1.2])    # the class label (« Équilibrée ») in full on a projector
    cols[0].metric("Classe", CLASS_LABELS[r["classe"]])
    cols[1].metric("Indice", fmt_num(r["indice"], 2))
    cols[2].metric("Logements", fmt_int(r["logements"]))
    cols[3].metric("Vacants aujourd'hui", fmt_int(r["vacants"]))
    st.markdown(fiche["explication"])
    st.caption(f"{'En QPV' if r['en_qpv'] else 'Hors QPV'} · {libelle_enquete(r)} · "
               f"{fmt_int(r['entrees_24m'])} emménagements en 24 mois · référence : "
               f"{fiche['reference']} ({fiche['taille_reference']} résidences)")
    if (texte := recents(r)) is not None:
        st.caption(texte)
    t = fiche["indicateurs"]
    unit = [" points" if c.startswith("evol_") else NNBSP + "%" for c in t["indicateur"]]
    shown = pd.DataFrame({
        "Indicateur": t["libelle"],
        "Résidence": [_v(x, u) for x, u in zip(t["residence"], unit)],
        "Moyenne de la référence": [_v(x, u) for x, u in zip(t["reference"], unit)],
        "Contribution à l'indice": [None if pd.isna(c) else fmt_num(c, 2)
                                    for c in t["contribution"]]})
    show_table(shown)


def et_si(result) -> None:
    t = result.indicateurs
    changed = t[(t["avant"] - t["apres"]).abs() > 1e-9]
    shown = pd.DataFrame({"Indicateur": changed["libelle"],
                          "Avant": [_v(x, "") for x in changed["avant"]],
                          "Après": [_v(x, "") for x in changed["apres"]]})
    verdict = ("reste" if result.classe_avant == result.classe_apres else "passerait de "
               f"« {result.classe_avant} » à")
    st.markdown(f"L'indice passerait de **{fmt_num(result.indice_avant, 2)}** à "
                f"**{fmt_num(result.indice_apres, 2)}** ; la résidence {verdict} "
                f"« {result.classe_apres} ».")
    show_table(shown)


TABLE = {"nom": "Résidence", "commune": "Commune", "en_qpv": "QPV", "logements": "Logements",
         "classe": "Classe", "indice": "Indice", "niveau_enquete": "Enquête OPS",
         "part_ressources_faibles": "Ress. faibles (%)", "taux_impayes": "Impayés (%)",
         "entrees_q1_pct": "Entrants Q1 (%)", "vacants": "Vacants"}


# numbers stay numbers (the table sorts), shown with the reader's locale (1,65 in French)
TABLE_CONFIG = {label: st.column_config.NumberColumn(label, format="localized")
                for col, label in TABLE.items()
                if col in ("logements", "indice", "part_ressources_faibles", "taux_impayes",
                           "entrees_q1_pct", "vacants")}


def table(df: pd.DataFrame, projection: bool = False) -> pd.DataFrame:
    """All résidences. Projector: the columns that fit 1280 px, numbers as French text with
    fixed decimals (the locale format writes 1,6 next to 1,65)."""
    out = df[list(TABLE)].copy()
    out["classe"] = out["classe"].map(CLASS_LABELS)
    out["en_qpv"] = out["en_qpv"].map({True: "oui", False: "non"})
    out["niveau_enquete"] = out["niveau_enquete"].fillna("aucune")
    if projection:   # the survey level is in the caption above the map
        out = out.drop(columns=["en_qpv", "vacants", "niveau_enquete"])
        out["logements"] = [fmt_int(x) for x in out["logements"]]
        out["indice"] = [fmt_num(x, 2) for x in out["indice"]]
        for col in ("part_ressources_faibles", "taux_impayes", "entrees_q1_pct"):
            out[col] = [fmt_num(x) for x in out[col]]
    return out.round(2).rename(columns=TABLE)
