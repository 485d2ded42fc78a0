"""Views of the Simulateur page: hypotheses, the editable table of rates, results, figures."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from fluxcore.formats import USAGES_INTERNES, accord, fmt_num, fmt_pct, libelle_segment
from fluxcore.regles import INTERNES
from fluxcore.simulation.calcul import flux_perimetre
from fluxcore.simulation.resultats import libelle_ligne
from fluxcore.simulation.scenario import (
    METHODES,
    ROTATIONS,
    LigneReservataire,
    Scenario,
    segment_key,
)
from ui.components import Numeric, canvas_key, table_height
from ui.texte import md, plotly_texte
from ui.theme import OKABE_ITO, style

COLONNES = {"reservataire_id": "Code", "nom": "Réservataire", "type": "Type",
            "perimetre": "Code du périmètre", "garantie_emprunt": "Garantie",
            "methode": "Méthode", "taux_pct": "Taux (%)",
            "logements_reserves": "Réservés",
            "droits_uniques": "Droits uniques",
            "annees_restantes": "Années rest."}
INVERSE = {v: k for k, v in COLONNES.items()}
METHODE_CODE = {v: k for k, v in METHODES.items()}


def table_lignes(lignes: list[LigneReservataire], e=None) -> pd.DataFrame:
    """The scenario's lines as the editable table (French headers, method labels, the
    perimeter in words beside its hidden code; `e`: the simulation's Entrees, for names)."""
    df = pd.DataFrame([vars(x) for x in lignes], columns=list(COLONNES))
    df["methode"] = df["methode"].map(METHODES)
    df.insert(df.columns.get_loc("perimetre"), "perimetre_libelle",
              [_perimetre(n, p, e) for n, p in zip(df["nom"], df["perimetre"])])
    for col in ("taux_pct", "logements_reserves", "droits_uniques", "annees_restantes"):
        df[col] = pd.to_numeric(df[col], errors="coerce").astype("float64")  # empty, not None
    return df.rename(columns={**COLONNES, "perimetre_libelle": "Périmètre"})


def _perimetre(nom: str, perimetre, e) -> str:
    """« Tout le département », « Son territoire » (« Commune de Sedan » on Sedan), a name."""
    if not isinstance(perimetre, str):
        return "Tout le département"
    libelle = e.libelle_perimetre(perimetre) if e is not None else perimetre
    return "Son territoire" if libelle_ligne(nom, perimetre, libelle) == nom else libelle


def editer_lignes(df: pd.DataFrame, key: str, projection: bool = False) -> pd.DataFrame:
    """The editable rates. Projector: no perimeter column (the name says it; the codes cut the
    last columns off at 1280 px)."""
    with st.container(key=canvas_key("sim-lignes")):
        return _editeur(df, key, projection)


# normal mode: pixel widths that keep every column inside the 820 px the page has at 1280 px
# (named widths left « Années rest. » past the right edge, behind a scroll bar)
LARGEURS = {"Réservataire": 180, "Périmètre": 125, "Garantie": 82, "Méthode": 105,
            "Taux (%)": 64, "Réservés": 86, "Droits uniques": 78, "Années rest.": 78}
# projector: shorter headers and pixel widths (Streamlit's named widths are pixels sized for
# 14 px text), so that every column fits 1280 px with 21 px text
LARGEURS_PROJECTION = {"Réservataire": 345, "Garantie": 125, "Méthode": 165, "Taux (%)": 100,
                       "Réservés": 130, "Droits uniques": 120, "Années rest.": 115}
TITRES_PROJECTION = {"Taux (%)": "Taux", "Droits uniques": "Uniques", "Années rest.": "Années"}


def _editeur(df: pd.DataFrame, key: str, projection: bool) -> pd.DataFrame:
    w = LARGEURS_PROJECTION if projection else LARGEURS
    t = TITRES_PROJECTION           # short headers in both modes (they fit their column)
    return st.data_editor(
        df, key=key, hide_index=True, width="stretch", num_rows="fixed", placeholder="(base)",
        disabled=["Code", "Réservataire", "Type", "Périmètre", "Code du périmètre"],
        column_config={
            "Code": None, "Type": None, "Code du périmètre": None,
            **({"Périmètre": None} if projection else
               {"Périmètre": st.column_config.TextColumn(width=w["Périmètre"])}),
            "Méthode": st.column_config.SelectboxColumn(options=list(METHODES.values()),
                                                        required=True, width=w["Méthode"]),
            "Réservataire": st.column_config.TextColumn(width=w["Réservataire"]),
            "Garantie": st.column_config.CheckboxColumn(
                width=w["Garantie"], help="Réservation en contrepartie d'une garantie d'emprunt."),
            "Taux (%)": st.column_config.NumberColumn(
                t.get("Taux (%)"), min_value=0.0, max_value=100.0, step=0.5, format="localized",
                width=w.get("Taux (%)"), help="Taux négocié (méthode « Taux négocié »)."),
            "Réservés": st.column_config.NumberColumn(
                min_value=0, step=1, format="localized", width=w.get("Réservés"),
                help="Logements réservés (droits de suite) ; vide : le stock de la base."),
            "Droits uniques": st.column_config.NumberColumn(
                t.get("Droits uniques"), min_value=0, step=1, format="localized",
                width=w.get("Droits uniques"),
                help="Droits uniques restants ; vide : ceux de la base."),
            "Années rest.": st.column_config.NumberColumn(
                t.get("Années rest."), min_value=0.5, step=0.5, format="localized",
                width=w.get("Années rest."),
                help="Années restantes des droits uniques ; vide : d'après les dates de fin de "
                "la base."),
        })


def lignes_depuis_table(df: pd.DataFrame) -> list[LigneReservataire]:
    out = []
    for row in df.drop(columns=["Périmètre"], errors="ignore").rename(
            columns=INVERSE).to_dict("records"):
        row = {k: (None if isinstance(v, float) and pd.isna(v) else v) for k, v in row.items()}
        row["perimetre"] = None if row["perimetre"] in ("", None) else str(row["perimetre"])
        row["methode"] = METHODE_CODE.get(row["methode"], "negocie")
        row["garantie_emprunt"] = bool(row["garantie_emprunt"])
        for k in ("taux_pct", "logements_reserves", "droits_uniques", "annees_restantes"):
            row[k] = None if row[k] is None else float(row[k])
        out.append(LigneReservataire(**row))
    return out


def hypotheses(e, reglages: dict, projection: bool = False) -> dict:
    """Widgets of the hypotheses (three columns); returns the Scenario fields they set."""
    base = Scenario(e.departement, e.annee_debut, e.annee_fin)
    f = flux_perimetre(e, base, None)
    out: dict = {}
    c1, c2, c3 = st.columns([0.95, 1.05, 1.5] if projection else [1, 0.9, 1.5], gap="medium")
    mode = c1.radio("Rotation", list(ROTATIONS), format_func=ROTATIONS.get, key="sim_rot_mode",
                    help="Observée : départs des années précédentes par typologie et QPV.")
    out["rotation_mode"] = mode
    observed = 100.0 * f.liberations[:, 0].sum() / max(f.parc[:, 0].sum(), 1)
    if mode == "globale":   # a select_slider shows « 9,4 % » (a slider prints « 9.4 »)
        out["rotation_pct"] = c1.select_slider(
            "Taux de rotation", [x / 10 for x in range(20, 201)], key="sim_rot_pct",
            value=min(max(round(observed, 1), 2.0), 20.0), format_func=lambda v: fmt_pct(v, 1))
    c1.caption(f"Rotation moyenne observée : {fmt_pct(observed, 1)}")
    known = float(f.premieres[:, 0].sum())
    prem = c2.number_input("Premières mises en location par an", 0, value=round(known),
                           step=1, key="sim_prem_n", help="Par défaut : les programmes connus "
                           "de la base pour la première année.")
    # short labels: a toggle or checkbox label is cut with « … » instead of wrapping
    out["premieres_dans_flux"] = c2.toggle(
        "Comptées dans le flux", key="sim_prem_in",
        value=bool(reglages["premieres_mises_en_location_dans_flux"]),
        help="Les premières mises en location des programmes neufs entrent dans le flux.")
    if abs(prem - known) > 0.5:
        out["premieres_par_an"] = float(prem)
    out["lecture_hors_qpv"] = c2.radio(
        "Règle hors QPV du préfet", ["A", "B"],
        index=0 if reglages["lecture_hors_qpv_prefet"] == "A" else 1,
        key="sim_lecture",
        format_func={"A": "A : part de ses logements", "B": "B : taux sur le flux hors QPV"}.get)
    observed_sous = f.sous[:, :, 0].sum(axis=1)
    table = pd.DataFrame({"Soustraits": [USAGES_INTERNES[c] for c in INTERNES],
                          "Prévu par an": observed_sous.round(1)})
    edited = c3.container(key=canvas_key("sim-soustraits")).data_editor(
        table, key=f"sim_sous_{e.departement}_{e.annee_debut}", hide_index=True,
        width="stretch", disabled=["Soustraits"],
        column_config={"Prévu par an": st.column_config.NumberColumn(
            min_value=0.0, step=1.0, format="localized")})
    out["soustraits"] = {cat: float(v) for cat, v, o in zip(
        INTERNES, edited["Prévu par an"], table["Prévu par an"])
        if not pd.isna(v) and abs(float(v) - float(o)) > 1e-9}
    c3.caption("Valeurs de départ : moyenne par an des années précédentes.")
    if mode == "segments":    # full width: in the first column its last column was hidden
        out["rotation_segments"] = _rotation_segments(st.container(), f)
    return out


def _rotation_segments(col, f) -> dict[str, float]:
    rows = [(t, q) for t in ("T1", "T2", "T3", "T4", "T5", "T6") for q in (False, True)]
    parc = f.parc[:, 0]
    table = pd.DataFrame({"Segment": [libelle_segment(t, q) for t, q in rows],
                          "Observée (%)": (100 * f.rotation).round(1),
                          "Scénario (%)": (100 * f.rotation).round(1)},
                         index=[segment_key(t, q) for t, q in rows])[parc > 0]
    col.caption("Taux de rotation par segment (typologie × QPV) : changez ceux du scénario.")
    edited = col.container(key=canvas_key("sim-rotation")).data_editor(
        table, key="sim_rot_seg", hide_index=True, width="stretch",
        height=table_height(len(table)),
        disabled=["Segment", "Observée (%)"],
        column_config={"Observée (%)": st.column_config.NumberColumn(format="localized"),
                       "Scénario (%)": st.column_config.NumberColumn(
                           min_value=0.0, max_value=100.0, format="localized")})
    return {k: float(v) for k, v, o in zip(table.index, edited["Scénario (%)"],
                                           table["Scénario (%)"])
            if not pd.isna(v) and abs(float(v) - float(o)) > 1e-9}


def alerte(res) -> None:
    bad = res.controles[~res.controles["respecte"]]
    if bad.empty:
        st.success("Tous les contrôles légaux sont respectés (R441-5, R441-5-2).",
                   icon=":material/check_circle:")
        return
    lines = "\n".join(f"- **{md(c.libelle)}** ({md(c.article)}) : {md(c.message)}"
                      for c in bad.itertuples())
    depasse = accord(len(bad), "limite légale dépassée", "limites légales dépassées")
    st.error(f"**Convention irrégulière en l'état** : {depasse}.\n{lines}",
             icon=":material/gavel:")


def figure_droits(res, mc, projection: bool) -> go.Figure:
    """Droits per year of each line (bars), with the first year's P10–P90 when drawn."""
    t = res.reservataires.sort_values("droits_par_an")
    labels = [plotly_texte(v) for v in _libelles(t)]
    text = [f"{fmt_num(v)} ({fmt_pct(r, 1)})" for v, r in zip(t["droits_par_an"],
                                                           t["taux_pct"])]
    fig = go.Figure(go.Bar(
        x=t["droits_par_an"], y=labels, orientation="h", marker_color=OKABE_ITO[0],
        name="Droits par an (taux)", showlegend=False,
        hovertemplate="%{y} : %{x:.1f} logements par an<extra></extra>"))
    end = t["droits_par_an"].to_numpy()
    if mc is not None:
        m = t.merge(mc.reservataires[["reservataire_id", "perimetre", "p10", "p90"]],
                    on=["reservataire_id", "perimetre"], how="left")
        fig.add_scatter(x=(m["p10"] + m["p90"]) / 2, y=labels, mode="markers",
                        marker={"size": 1, "color": "rgba(0,0,0,0)"}, showlegend=False,
                        error_x={"type": "data", "symmetric": True,
                                 "array": (m["p90"] - m["p10"]) / 2, "color": "#222",
                                 "thickness": 3 if projection else 2, "width": 8},
                        hovertemplate="%{y} : fourchette %{customdata}<extra></extra>",
                        customdata=[f"{fmt_num(a)} – {fmt_num(b)}" for a, b in
                                    zip(m["p10"], m["p90"])])
        end = m[["p90"]].to_numpy().ravel().clip(min=end)
    end = end + 0.015 * float(end.max() if len(end) else 0)
    fig.add_scatter(x=end, y=labels, mode="text", text=text, textposition="middle right",
                    showlegend=False, hoverinfo="skip",
                    textfont={"size": 19 if projection else 13, "color": "#111"})
    fig.update_xaxes(range=[0, float(end.max()) * 1.3 if len(end) else 1])
    fig.update_layout(title="Droits par an et par réservataire (logements)",
                      xaxis_title="Logements par an", yaxis_title=None, bargap=0.25)
    height = (60 if projection else 34) * len(t) + 140
    return style(fig, projection, height=height)


DECIMALE = Numeric(decimals=1)        # dwellings per year: one decimal
# a rate or a legal limit with the decimals it has (22,5 stays 22,5)
TAUX = Numeric(decimals=None)


def table_reservataires(res) -> tuple[pd.DataFrame, dict]:
    t = res.reservataires
    return pd.DataFrame({
        "Réservataire": _libelles(t),
        "Méthode": t["methode"].map(METHODES), "Taux (%)": t["taux_pct"].round(2),
        "Droits par an": t["droits_par_an"], "Sur la période": t["droits_total"],
        "Comment le taux est obtenu": t["base"]}), {
        "Taux (%)": TAUX, "Droits par an": DECIMALE, "Sur la période": DECIMALE}


def table_controles(res) -> tuple[pd.DataFrame, dict]:
    c = res.controles
    return pd.DataFrame({
        "Contrôle": c["libelle"], "Article": c["article"],
        "Résultat": ["✓ respecté" if ok else "✗ NON RESPECTÉ" for ok in c["respecte"]],
        "Valeur (%)": c["valeur"], "Limite (%)": c["limite"].round(2),
        "Détail": c["message"]}), {"Valeur (%)": DECIMALE, "Limite (%)": TAUX}


def table_annees(res) -> tuple[pd.DataFrame, dict]:
    a = res.annees
    cols = {"annee": "Année", "parc": "Parc au 1er janvier", "liberations": "Libérations",
            "premieres_flux": "Premières (dans le flux)", "flux_brut": "Flux brut",
            "soustraits": "Soustraits", "flux_net": "Flux net",
            "droits_reservataires": "Droits des réservataires", "part_bailleur": "Bailleur"}
    out = a[list(cols)].rename(columns=cols)
    return out, {"Année": Numeric(grouped=False),
                 **{col: DECIMALE for col in list(cols.values())[1:]}}


def _libelles(t: pd.DataFrame) -> list[str]:
    """A line's name, with its perimeter when the name does not say it (resultats.libelle)."""
    return t["libelle"].tolist()


def figure_mix(res, projection: bool) -> go.Figure:
    """Per line, the share of its expected dwellings by typologie, split QPV / hors QPV."""
    m = res.mix.copy()
    noms = res.reservataires.assign(ligne=_libelles(res.reservataires))
    m = m.merge(noms[["reservataire_id", "perimetre", "ligne"]],
                on=["reservataire_id", "perimetre"], how="left")
    m["ligne"] = m["ligne"].fillna(m["reservataire_id"])
    tot = m.groupby("ligne")["logements"].transform("sum")
    m["part"] = 100 * m["logements"] / tot.where(tot > 0)
    fig = go.Figure()
    for i, typ in enumerate(sorted(m["typologie"].unique())):
        for qpv, pattern in ((False, ""), (True, "/")):
            d = m[(m["typologie"] == typ) & (m["en_qpv"] == qpv)]
            if d.empty:
                continue
            label = libelle_segment(typ, qpv)
            fig.add_bar(y=d["ligne"].map(plotly_texte), x=d["part"], orientation="h", name=label,
                        marker={"color": OKABE_ITO[i % len(OKABE_ITO)],
                                "pattern": {"shape": pattern}},
                        hovertemplate="%{y} : %{x:.1f}\u202f%<extra>" + label + "</extra>")
    fig.update_layout(barmode="stack", title="Composition attendue (orientation uniforme)",
                      xaxis_title="Part des logements attendus (%)", yaxis_title=None)
    fig.update_xaxes(ticksuffix="\u202f%")
    fig = style(fig, projection, height=(48 if projection else 30) * m["ligne"].nunique()
                + 260)
    # many legend entries: below the bars, in the bars' order (they hid the title above)
    fig.update_layout(legend={"orientation": "h", "y": -0.15, "yanchor": "top", "x": 0,
                              "traceorder": "normal"}, margin={"t": 60, "b": 10})
    return fig


def table_prefet(res) -> tuple[pd.DataFrame, dict]:
    t = res.prefet_par_commune
    return pd.DataFrame({"Commune": t["nom"], "Flux net": t["flux"],
                         "Dû au préfet": t["du_prefet"]}), {"Flux net": DECIMALE,
                                                            "Dû au préfet": DECIMALE}
