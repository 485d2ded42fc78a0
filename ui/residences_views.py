"""Card and tables of the Résidences page."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from fluxcore.enquete_ops import libelle_enquete, recents
from fluxcore.formats import NNBSP, accord, fmt_int, fmt_num, pluriel
from fluxcore.neutralisation import csv_octets
from ui.components import MAX_ROWS, Numeric, show_table, table_height
from ui.figures_residences import CLASS_LABELS
from ui.texte import md


def _v(x, unit: str = NNBSP + "%") -> str:
    return "–" if x is None or pd.isna(x) else fmt_num(x) + unit


def _unite(indicateur: str, x) -> str:
    """« % », or « point(s) » for a change (evol_…), agreeing with the value shown (1,5 point,
    2,0 points)."""
    if not indicateur.startswith("evol_"):
        return NNBSP + "%"
    return " " + pluriel(None if x is None or pd.isna(x) else round(float(x), 1), "point",
                         "points")


def card(fiche: dict) -> None:
    """Indicators of one résidence against its reference group, with the explanation."""
    r = fiche["residence"]
    st.markdown(f"### {md(r['nom'])} — {md(r['commune'])}")
    cols = st.columns([1.6, 1, 1, 1.2])    # the class label (« Équilibrée ») in full on a projector
    cols[0].metric("Classe", CLASS_LABELS[r["classe"]])
    cols[1].metric("Indice", fmt_num(r["indice"], 2))
    cols[2].metric("Logements", fmt_int(r["logements"]))
    cols[3].metric("Vacants aujourd'hui", fmt_int(r["vacants"]))
    st.markdown(md(fiche["explication"]))
    st.caption(f"{'En QPV' if r['en_qpv'] else 'Hors QPV'} · {md(libelle_enquete(r))} · "
               f"{accord(r['entrees_24m'], 'emménagement', 'emménagements')} en 24 mois · "
               f"référence : {md(fiche['reference'])} "
               f"({accord(fiche['taille_reference'], 'résidence', 'résidences')})")
    if (texte := recents(r)) is not None:
        st.caption(md(texte))
    t = fiche["indicateurs"]
    shown = pd.DataFrame({
        "Indicateur": t["libelle"],
        "Résidence": [_v(x, _unite(c, x)) for c, x in zip(t["indicateur"], t["residence"])],
        "Moyenne de la référence": [_v(x, _unite(c, x)) for c, x in zip(t["indicateur"],
                                                                          t["reference"])],
        "Contribution à l'indice": t["contribution"]})
    show_table(shown, {"Contribution à l'indice": Numeric(decimals=2)})


def et_si(result) -> None:
    t = result.indicateurs
    changed = t[(t["avant"] - t["apres"]).abs() > 1e-9]
    shown = pd.DataFrame({"Indicateur": changed["libelle"], "Avant": changed["avant"],
                          "Après": changed["apres"]})
    verdict = ("reste" if result.classe_avant == result.classe_apres else "passerait de "
               f"« {result.classe_avant} » à")
    st.markdown(f"L'indice passerait de **{fmt_num(result.indice_avant, 2)}** à "
                f"**{fmt_num(result.indice_apres, 2)}** ; la résidence {verdict} "
                f"« {result.classe_apres} ».")
    show_table(shown, {"Avant": Numeric(decimals=1), "Après": Numeric(decimals=1)})


# « Toutes les résidences »: every column inside 1280 px with the sidebar open (about 820 px
# for the table). Short headers, their meaning in the header's tooltip; the index and its class
# in one column (the class follows from the index). The dwellings vacant today are on each
# résidence's card; the survey level, the same for nearly every résidence, is counted in the
# caption above the map and the exceptions listed under the table (`enquetes`).
TABLE = {"nom": "Résidence", "commune": "Commune", "en_qpv": "QPV", "logements": "Logements",
         "indice": "Fragilité", "part_ressources_faibles": "Ress. faibles",
         "taux_impayes": "Impayés", "entrees_q1_pct": "Entrants Q1"}
POURCENTS = ("part_ressources_faibles", "taux_impayes", "entrees_q1_pct")
AIDE = {
    "en_qpv": "Résidence en quartier prioritaire de la politique de la ville (QPV 2024).",
    "indice": "Indice de fragilité (moyenne pondérée des indicateurs centrés-réduits par "
              "rapport aux résidences de l'EPCI, ou du parc) et sa classe ; le tableau se trie "
              "sur l'indice.",
    "part_ressources_faibles": "Ménages à ressources faibles, en % (enquête OPS).",
    "taux_impayes": "Impayés, en % (enquête OPS ; inconnus au niveau de la commune).",
    "entrees_q1_pct": "Entrants des 24 derniers mois au 1er quartile de ressources, en %.",
}
# pixel widths, 814 in all: the longest names and French numbers of the demo (« Résidence Les
# Marronniers », « Châlons-en-Champagne », « 0,72 · À surveiller »); a longer name is cut
LARGEURS = {"nom": 174, "commune": 150, "en_qpv": 44, "logements": 82, "indice": 120,
            "part_ressources_faibles": 90, "taux_impayes": 66, "entrees_q1_pct": 88}
PROJECTION = ("nom", "commune", "logements", "indice", *POURCENTS)
PLAFOND = 5_000   # résidences drawn in the table (the pandas Styler formats every cell)


def _fragilite(indice, classe) -> str:
    return "–" if indice is None or pd.isna(indice) else \
        f"{fmt_num(indice, 2)} · {CLASS_LABELS.get(classe, classe)}"


def table(df: pd.DataFrame, projection: bool = False) -> pd.DataFrame:
    """All résidences as French text (the projector's static table: no QPV there, the map
    shows it): « 1,72 · Fragile », « 66,3 % », « oui »."""
    cols = list(PROJECTION if projection else TABLE)
    out = pd.DataFrame({c: df[c] for c in cols})
    out["indice"] = [_fragilite(i, c) for i, c in zip(df["indice"], df["classe"])]
    out["logements"] = [fmt_int(x) for x in df["logements"]]
    for col in POURCENTS:
        out[col] = [_v(x) for x in df[col]]
    if "en_qpv" in out:
        out["en_qpv"] = df["en_qpv"].map({True: "oui", False: "non"})
    return out.rename(columns=TABLE)


def tableau(df: pd.DataFrame, projection: bool = False) -> None:
    """Draw « Toutes les résidences ». Normal mode: numbers stay numbers, so that the table
    sorts on them, shown as French text by a pandas Styler (« 66,3 % », « 1,72 · Fragile »:
    fixed decimals where the locale format would write 1,6 next to 1,65). Beyond PLAFOND
    résidences (a whole region, the country), the most fragile PLAFOND are drawn and the
    complete list is downloaded (CSV, written only when asked)."""
    complet = df
    if len(df) > PLAFOND:
        df = df.sort_values(["indice", "residence_id"], ascending=[False, True],
                            na_position="last").head(PLAFOND)
        st.caption(f"Les {fmt_int(PLAFOND)} résidences les plus fragiles sur "
                   f"{fmt_int(len(complet))} : choisissez un territoire plus petit "
                   "(département, EPCI) ou téléchargez la liste complète.")
    if projection:
        show_table(table(df, True))
        return
    st.download_button("Liste complète des résidences (CSV)",
                       lambda: csv_octets(table(complet)), "residences.csv", "text/csv")
    data = df[list(TABLE)].reset_index(drop=True)
    data = data.assign(en_qpv=data["en_qpv"].map({True: "oui", False: "non"}))
    classes = dict(zip(df["indice"], df["classe"]))   # the class follows from the index
    styled = data.style.format({
        "logements": fmt_int, "indice": lambda x: _fragilite(x, classes.get(x)),
        **{c: _v for c in POURCENTS}}, na_rep="–")
    config = {c: (st.column_config.NumberColumn if c in ("logements", "indice", *POURCENTS)
                  else st.column_config.TextColumn)(label, width=LARGEURS[c], help=AIDE.get(c))
              for c, label in TABLE.items()}
    rows = max(min(len(data), MAX_ROWS), 1)
    st.dataframe(styled, hide_index=True, width="stretch", column_config=config,
                 height=table_height(rows, False), placeholder="–")


def enquetes(df: pd.DataFrame) -> pd.DataFrame:
    """The résidences whose indicators do not come from their own OPS survey: name, commune,
    survey level (« commune × QPV », « commune », « aucune »)."""
    autres = df[df["niveau_enquete"] != "résidence"]
    return pd.DataFrame({"Résidence": autres["nom"], "Commune": autres["commune"],
                         "Enquête OPS": autres["niveau_enquete"].fillna("aucune")})
