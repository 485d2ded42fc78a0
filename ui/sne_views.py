"""Views of the Rapprochement SNE page: metrics, the per-réservataire chart and table, the list
of discrepancies and the workbooks. Every figure comes from fluxcore.sne; here, only French
formatting."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from fluxcore import sne
from fluxcore.formats import accord, fmt_int, fmt_pct
from fluxcore.imports.sne import ENTETES
from ui.components import Numeric, show_table
from ui.texte import md, plotly_texte
from ui.theme import COULEURS, style

NBSP = "\u00a0"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# the two sides of the chart (one meaning per colour: the landlord's orientations in blue)
BAILLEUR = ("selon_bailleur", "Selon le bailleur", COULEURS["orientations"])
SNE = ("selon_sne", "Selon le SNE", COULEURS["en_cours"])
ENTETE_PX, LIGNE_PX = 35, 68    # list of discrepancies: three lines of text per row
MAX_LIGNES = 5000               # lines sent to the browser at once


def sans_radiation() -> None:
    """What to do when the base holds no SNE radiation at all."""
    def cite(texte: str) -> str:            # no line break inside the guillemets
        return f"«{NBSP}{texte.replace(' ', NBSP)}{NBSP}»"

    exemples = ", ".join(cite(ENTETES[c][0]) for c in ("numero_unique", "date_radiation",
                                                       "logement_rpls", "contingent"))
    usuels = ", ".join(cite(h) for h in ("NUR", "N° RPLS")
                       if h in ENTETES["numero_unique"] + ENTETES["logement_rpls"])
    st.info(
        "Aucune radiation du SNE dans la base : le rapprochement compare les radiations pour "
        "attribution enregistrées au SNE avec les attributions et les orientations de l'outil."
        "\n\nImportez un extrait du SNE (fichier CSV ou XLSX, une ligne par radiation) dans "
        "**Données › Importer**. L'extrait est reconnu à ses en-têtes : un numéro de demande, "
        f"une date et le logement ou le contingent, par exemple {exemples} (et les graphies "
        f"usuelles des extraits : {usuels}…). Un fichier aux en-têtes différents s'importe "
        "avec une correspondance de colonnes (même onglet).",
        icon=":material/upload_file:")


def metrics(r: sne.Rapprochement, projection: bool) -> None:
    """Lines, concordant share, lines to correct, and the radiations set aside for each of
    their two reasons."""
    ecartees = r.ecartees
    values = [
        ("Lignes rapprochées", fmt_int(len(r.lignes)),
         "Une ligne par attribution de l'outil ou radiation du SNE de l'année sur le "
         "territoire, appariées quand elles désignent le même ménage ou le même logement."),
        ("Concordantes", fmt_pct(r.concordance_pct, 1),
         "Part des lignes où le SNE et l'outil disent la même chose : même logement, contingent "
         f"attendu, dates à {r.tolerance} jours au plus, même année, même mention DALO."),
        ("Lignes à corriger", fmt_int(len(r.ecarts)),
         "Lignes où le SNE et l'outil diffèrent : chacune dit quoi corriger, et où."),
        ("Écartées : autre motif", fmt_int(ecartees.get("autre_motif", 0)),
         "Radiations de l'année (toute la base, tous territoires) pour un autre motif que "
         "l'attribution d'un logement : hors du rapprochement."),
        ("Écartées : autre SIREN", fmt_int(ecartees.get("autre_bailleur", 0)),
         "Radiations de l'année (toute la base, tous territoires) enregistrées par un autre "
         "organisme que le bailleur (paramètre « SIREN du bailleur ») : hors du "
         "rapprochement."),
    ]
    # projector: three then two, in large type (as on the Tableau de bord)
    cols = (*st.columns(3), *st.columns(3)[:2]) if projection else st.columns(5)
    for col, (label, value, aide) in zip(cols, values):
        col.metric(label, value, help=None if projection else aide)


def figure_par_reservataire(par: pd.DataFrame, projection: bool) -> go.Figure:
    """Grouped horizontal bars: the attributions each side counts for a réservataire (top row =
    first of the table), the count written at the end of each bar."""
    d = par.iloc[::-1]
    fig = go.Figure()
    for col, label, colour in (SNE, BAILLEUR):   # reversed: the bailleur's bar on top
        fig.add_bar(y=d["libelle"].map(plotly_texte), x=d[col], name=label, orientation="h",
                    marker_color=colour,
                    text=[fmt_int(x) for x in d[col]], textposition="outside",
                    constraintext="none", cliponaxis=False,  # counts as large as the ticks
                    hovertemplate="%{y}<br>" + label + " : %{x:,d}<extra></extra>")
    top = max(int(par[["selon_bailleur", "selon_sne"]].max().max()) if len(par) else 1, 1)
    fig.update_layout(barmode="group", title="Attributions de l'année par réservataire",
                      xaxis_title="Attributions", yaxis_title=None, bargap=0.25,
                      legend={"traceorder": "reversed"})
    fig.update_xaxes(range=[0, top * 1.12])
    height = max(400, (64 if projection else 38) * len(d) + 170)
    return style(fig, projection, height=height)


def table_par_reservataire(par: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Per réservataire, the year's leases according to the landlord and to the SNE
    (sne.Rapprochement.par_reservataire), as on the SNE page and the Jauges page; and its column
    config."""
    out = pd.DataFrame({
        "Réservataire": par["libelle"], "Selon le bailleur": par["selon_bailleur"],
        "Selon le SNE": par["selon_sne"], "Écart (SNE − bailleur)": par["ecart"],
        "Concordantes": par["concordantes"], "Lignes à corriger": par["a_corriger"]})
    return out.reset_index(drop=True), {"Écart (SNE − bailleur)": Numeric(signed=True)}


def synthese(r: sne.Rapprochement, projection: bool) -> None:
    """Lines per type of discrepancy (the types that occur), and where each is corrected."""
    s = r.synthese
    s = s[(s["lignes"] > 0) | (s["statut"] == "CONFORME")]
    table = pd.DataFrame({"Type d'écart": s["libelle"], "Lignes": s["lignes"]})
    if projection:
        show_table(table, max_rows=len(table))
        return
    left, right = st.columns([2, 3], gap="large")
    with left:
        show_table(table, max_rows=len(table))
    right.markdown(
        "**Où corriger.** Dans le SNE : le contingent imputé ou le réservataire, l'identifiant "
        "RPLS du logement, la date de radiation, la mention DALO, ou la radiation qui manque "
        "(« Absente du SNE »). Dans l'outil : l'attribution ou l'orientation qui manque, la "
        "date du bail."
        f"\n\nDates éloignées : plus de {fmt_int(r.tolerance)} jours entre la radiation et "
        "le bail (paramètre « Tolérance de date du rapprochement SNE »). Année différente : "
        "dans la tolérance, mais "
        "comptée sur deux années.")


def filtres(r: sne.Rapprochement) -> tuple[list[str], str | None]:
    """Type of discrepancy (the types that occur; every discrepancy by default) and
    réservataire (all by default)."""
    lignes = dict(zip(r.synthese["statut"], r.synthese["lignes"]))
    types = [s for s in sne.STATUTS if lignes.get(s, 0) > 0]
    choix = st.session_state.get("sne_statuts")
    if choix is None:
        st.session_state["sne_statuts"] = [s for s in types if s != "CONFORME"]
    elif any(s not in types for s in choix):          # another year or territory
        st.session_state["sne_statuts"] = [s for s in choix if s in types]
    statuts = st.multiselect(
        "Type d'écart", types, key="sne_statuts", wrap=True, select_all=False,
        format_func=lambda s: f"{sne.STATUTS[s][0]} ({fmt_int(lignes[s])})",
        placeholder="Choisissez un ou plusieurs types")
    noms = {"": "Tous les réservataires"} | dict(zip(r.par_reservataire["cle"],
                                                     r.par_reservataire["libelle"]))
    if st.session_state.get("sne_reservataire") not in noms:   # another year or territory
        st.session_state["sne_reservataire"] = ""
    cle = st.columns([3, 2])[0].selectbox(
        "Réservataire", list(noms), format_func=noms.get, key="sne_reservataire",
        help="Ses lignes, qu'il figure du côté de l'outil ou du SNE.")
    return statuts, cle or None


def liste_ecarts(r: sne.Rapprochement, statuts: list[str], cle: str | None) -> None:
    """The lines of the chosen types and réservataire, the correction first (as in the XLSX)."""
    lignes = sne.lignes_export(r, cle)
    lignes = lignes[r.lignes.loc[lignes.index, "statut"].isin(statuts)]
    total = len(lignes)
    if not total:
        st.success("Aucune ligne de ce type pour cette sélection.", icon=":material/check:")
        return
    lignes = lignes.head(MAX_LIGNES)   # a national year: the browser gets the first ones only
    ecart = "Écart (jours)"
    dates = {c: st.column_config.DateColumn(c, format="DD/MM/YYYY")
             for c in ("Date de radiation (SNE)", "Bail (outil)")}
    # rows taller than 4 rem: Streamlit wraps their texts, so the correction is read whole
    st.dataframe(lignes.reset_index(drop=True), hide_index=True, width="stretch",
                 placeholder="—", row_height=LIGNE_PX,
                 height=ENTETE_PX + LIGNE_PX * min(total, 10) + 3, column_config={
                     "Écart": st.column_config.TextColumn("Écart", width=150),
                     "Correction à faire": st.column_config.TextColumn(
                         "Correction à faire", width=430),
                     ecart: Numeric(ecart).column(), **dates})
    shown_n = (accord(total, "ligne", "lignes") if total <= MAX_LIGNES else
               f"Les {fmt_int(MAX_LIGNES)} premières lignes sur {fmt_int(total)} : choisissez "
               "un type d'écart ou un réservataire, ou téléchargez le classeur")
    st.caption(f"{shown_n}. Colonnes « (SNE) » : ce que dit l'extrait ; « (outil) » : ce que "
               "dit l'outil.")


def telechargements(r: sne.Rapprochement, cle: str | None, libelle: str | None) -> None:
    """Workbooks generated when clicked (the ZIP can be heavy on a national patrimoine)."""
    p = r.perimetre
    stem = "_".join(["rapprochement_sne", str(p.annee)]
                    + [c for c in (p.departement, p.epci_siren, p.commune_insee) if c])
    cols = st.columns(3)
    if cle is not None:
        nom = cle.replace(":", "_")
        cols[0].download_button(
            f"Classeur de {md(libelle)} (XLSX)", lambda: sne.classeur_xlsx(r, cle),
            f"{stem}_{nom}.xlsx", mime=XLSX, icon=":material/table:",
            on_click="ignore", key=f"sne_xlsx_{nom}")
    else:
        cols[0].caption("Choisissez un réservataire pour télécharger son seul classeur.")
    cols[1].download_button(
        "Tout le rapprochement (XLSX)", lambda: sne.classeur_xlsx(r),
        f"{stem}.xlsx", mime=XLSX, icon=":material/table_view:",
        on_click="ignore", key="sne_xlsx_tout")
    cols[2].download_button(
        "Un classeur par réservataire (ZIP)", lambda: sne.classeurs_zip(r),
        f"{stem}.zip", mime="application/zip", icon=":material/folder_zip:",
        on_click="ignore", key="sne_zip")
