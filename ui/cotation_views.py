"""Views of the Cotation page: score distribution, candidates per destination, tables."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from fluxcore.cotation.grille import LIBELLES
from fluxcore.formats import accord, fmt_date, fmt_int
from ui.components import Numeric
from ui.texte import plotly_texte
from ui.theme import OKABE_ITO, style

NON_OUI = {True: "oui", False: "non"}


def libelle_critere(code: str, libelle=None) -> str:
    """A criterion in words: the grid's own label, else the usual one (fluxcore.criteres, the
    special codes of fluxcore.cotation.grille), else the code read as words (« ACCUEIL_FAMILIAL »
    → « Accueil familial »): a code never stands where a label belongs."""
    if isinstance(libelle, str) and libelle.strip() and libelle.strip() != code:
        return libelle.strip()
    if code in LIBELLES:
        return LIBELLES[code]
    mots = str(code).replace("_", " ").strip().lower()
    return mots[:1].upper() + mots[1:]


def histogramme(classes: pd.DataFrame, projection: bool, titre: str,
                repere: float | None = None, repere_nom: str = "") -> go.Figure:
    """Demandes per band of points; an optional vertical mark (a demandeur's score).
    `titre` and `repere_nom` are text (an EPCI's name), never plotly HTML."""
    fig = go.Figure()
    fig.add_bar(x=classes["debut"] + (classes["fin"] - classes["debut"]) / 2, y=classes["nb"],
                width=(classes["fin"] - classes["debut"]) * 0.92,
                marker_color=OKABE_ITO[0],
                customdata=[f"{lib} points : {accord(n, 'demande', 'demandes')}"
                            for lib, n in zip(classes["libelle"], classes["nb"])],
                hovertemplate="%{customdata}<extra></extra>")
    if repere is not None:
        fig.add_vline(x=repere, line={"color": OKABE_ITO[5], "width": 5 if projection else 3,
                                      "dash": "dash"})
        fig.add_annotation(x=repere, y=1, yref="paper", text=plotly_texte(repere_nom),
                           showarrow=False, xanchor="left", yanchor="bottom",
                           font={"color": OKABE_ITO[5]})
    fig.update_layout(title=plotly_texte(titre), xaxis_title="Score (points)",
                      yaxis_title="Demandes actives", bargap=0, showlegend=False)
    return style(fig, projection)


def destinations(dest: pd.DataFrame, projection: bool) -> go.Figure:
    """Eligible candidates per possible destination, in the orientation ranking's order."""
    d = dest.iloc[::-1]
    labels = [plotly_texte(f"{r.rang_orientation}. {r.nom}") for r in d.itertuples()]
    colors = [OKABE_ITO[7] if c == "hors_cotation" else OKABE_ITO[0] for c in d["contingent"]]
    fig = go.Figure(go.Bar(
        x=d["nb_candidats"], y=labels, orientation="h", marker_color=colors,
        text=[fmt_int(n) if c != "hors_cotation" else "hors cotation"
              for n, c in zip(d["nb_candidats"], d["contingent"])],
        textposition="outside",
        customdata=[plotly_texte(f"{accord(n, 'candidat', 'candidats')} ({c})")
                    for n, c in zip(d["nb_candidats"], d["libelle_contingent"])],
        hovertemplate="%{y} : %{customdata}<extra></extra>"))
    fig.update_layout(title="Candidats éligibles par destination possible (rang d'orientation)",
                      xaxis_title="Demandes éligibles", yaxis_title=None, showlegend=False)
    if d["nb_candidats"].max() <= 10:  # whole candidates only on the axis
        fig.update_xaxes(dtick=1)
    fig.update_xaxes(range=[0, max(1, d["nb_candidats"].max()) * 1.15])
    n = len(d)
    return style(fig, projection, height=max(300, (58 if projection else 40) * n + 140))


def table_destinations(dest: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """The possible destinations with their eligible demandes (none counted for a destination
    outside the cotation) and best score."""
    return pd.DataFrame({
        "Rang d'orientation": dest["rang_orientation"], "Destination": dest["nom"],
        "Contingent": dest["libelle_contingent"],
        "Éligibles": dest["nb_candidats"].where(dest["contingent"] != "hors_cotation"),
        "Meilleur score": dest["meilleur_score"]}), {"Meilleur score": Numeric()}


SCORE = Numeric("Score", help="Vide : aucune grille de cotation en vigueur pour la demande.")
MENAGE = "Ménage (personnes)"


def table_candidats(df: pd.DataFrame, projection: bool) -> tuple[pd.DataFrame, dict]:
    """Ranked candidates; in projector mode neither the pseudonymous id nor any detail of the
    household (date of the demande, size, effort rate, priority, DALO) is shown."""
    out = pd.DataFrame({"Rang": df["rang_contingent"]})
    if not projection:
        out["Demande"] = df["demande_id"]
    out["Score"] = df["score"]
    out["Ancienneté (mois)"] = df["anciennete_mois"]
    if not projection:
        out["Dépôt"] = [fmt_date(pd.Timestamp(d).date()) for d in df["date_depot"]]
    out["Typologie souhaitée"] = df["typologie_souhaitee"]
    if not projection:
        out[MENAGE] = df["taille_menage"]
        out["Taux d'effort (%)"] = df["taux_effort"]
        out["Prioritaire"] = df["prioritaire"].map(NON_OUI)
        out["DALO"] = df["dalo"].map(NON_OUI)
    return out, {"Score": SCORE, "Ancienneté (mois)": Numeric(),
                 "Taux d'effort (%)": Numeric(decimals=1)}


def table_non_satisfaites(df: pd.DataFrame, projection: bool) -> tuple[pd.DataFrame, dict]:
    """Well-scored demandes waiting too long; projector: no id, no household size or criteria."""
    out = pd.DataFrame({"Rang dans l'EPCI": df["rang_epci"]})
    if not projection:
        out["Demande"] = df["demande_id"]
    out["Commune souhaitée"] = df["commune"].fillna(df["commune_souhaitee"])
    out["Typologie"] = df["typologie_souhaitee"]
    if not projection:
        out[MENAGE] = df["taille_menage"]
    out["Score"] = df["score"]
    out["Ancienneté (mois)"] = df["anciennete_mois"]
    out["Attente observée (mois)"] = df["attente_mois"]
    out["Logements libérés depuis le dépôt"] = df["logements_liberes"]
    if not projection:
        out["Attente mesurée sur"] = df["niveau_attente"].map(
            {"commune": "la commune", "epci": "l'EPCI", "typologie": "tout le territoire"})
        out["Critères"] = [", ".join(libelle_critere(c) for c in crit)
                           for crit in df["criteres"]]
    return out, {"Score": SCORE, "Ancienneté (mois)": Numeric(),
                 "Attente observée (mois)": Numeric(decimals=1),
                 "Logements libérés depuis le dépôt": Numeric()}


def table_detail(detail: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    return pd.DataFrame({
        "Critère": [libelle_critere(c, lib) for c, lib in zip(detail["critere"],
                                                               detail["libelle"])],
        "Quantité": detail["quantite"], "Points par unité": detail["points_unitaires"],
        "Points": detail["points"]}), {"Points par unité": Numeric(decimals=1),
                                       "Points": Numeric(decimals=1)}


def table_grille(g: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """The grid as read: each criterion by its French label and its points (the codes, keys
    of the demandes' files, are in the editor of a new version)."""
    return pd.DataFrame({"Critère": [libelle_critere(c, lib) for c, lib in
                                     zip(g["critere"], g["libelle"])],
                         "Points": g["points"]}), {"Points": Numeric(decimals=1)}


def table_versions(v: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "Version": v["version"],
        "Applicable depuis": [fmt_date(pd.Timestamp(d).date()) if pd.notna(d) else "—"
                              for d in v["date_effet"]],
        "Critères": v["nb_criteres"], "En vigueur": v["en_vigueur"].map(NON_OUI),
        "Enregistrée par": v["auteur"].fillna("import"),
        "Le": [fmt_date(pd.Timestamp(d).date()) if pd.notna(d) else "—"
               for d in v["enregistre_le"]]})
