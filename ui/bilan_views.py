"""Views of the Bilan annuel page: cached bilan and documents, French tables, charts, and the
generation of every file with a progress bar."""

from __future__ import annotations

from datetime import date

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from fluxcore.bilan import calculer_bilan, documents
from fluxcore.bilan import statistiques as stats
from fluxcore.bilan.archive import generer
from fluxcore.bilan.classeur import ecrire_xlsx
from fluxcore.bilan.documents import DocumentBilan
from fluxcore.bilan.impression import ecrire_pdf, ecrire_pdf_statistiques
from fluxcore.bilan.textes import TYPES
from fluxcore.formats import fmt_int, fmt_num
from ui.components import Numeric, show_table
from ui.data import get_db
from ui.texte import md, plotly_texte
from ui.theme import COULEURS, OKABE_ITO, style

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# cached per database version and user: the user is part of the key, so a cached bilan is
# only served to the role that computed it (fluxcore checks the role on the computation)
@st.cache_data(ttl=600, show_spinner=False, max_entries=8)
def _bilan(path: str, version: int, user, annee: int, jour: date):
    return calculer_bilan(get_db(path), annee, jour)


@st.cache_data(ttl=600, show_spinner=False, max_entries=64)
def _document(path: str, version: int, user, annee: int, jour: date, genre: str, code: str):
    return documents.document(get_db(path), _bilan(path, version, user, annee, jour), genre,
                              code)


def bilan(path: str, annee: int):
    db = get_db(path)
    return _bilan(path, db.version(), db.utilisateur, annee, date.today())


def document(path: str, annee: int, genre: str, code: str) -> DocumentBilan:
    db = get_db(path)
    return _document(path, db.version(), db.utilisateur, annee, date.today(), genre, code)


def metrics(doc: DocumentBilan, projection: bool) -> None:
    c = doc.chiffres
    cols = st.columns(2 if projection else 4)
    if doc.genre == "epci":
        values = [("Libérés sur le territoire", fmt_int(c["liberes"])),
                  ("Orientés aux réservataires", fmt_int(c["reservataire"])),
                  ("Attributions", fmt_int(c["attribues"])),
                  ("dont prioritaires", fmt_int(c["prioritaires"]))]
    else:
        values = [("Logements proposés", fmt_int(c["logements"])),
                  ("Attribués", fmt_int(c["attribues"])),
                  ("dont prioritaires", fmt_int(c["prioritaires"])),
                  ("Livrés / dû", f"{fmt_int(c['livres'])} / {fmt_num(c['du'])}")]
    for i, (label, value) in enumerate(values):
        cols[i % len(cols)].metric(label, value)


def downloads(doc: DocumentBilan) -> None:
    """XLSX and PDF of the chosen recipient, generated when clicked."""
    left, right = st.columns(2)
    left.download_button("Classeur du destinataire (XLSX)", lambda: ecrire_xlsx(doc),
                         f"{doc.nom_fichier}.xlsx", mime=XLSX, icon=":material/table:",
                         on_click="ignore", key=f"xlsx_{doc.genre}_{doc.code}")
    right.download_button("Bilan imprimable (PDF)", lambda: ecrire_pdf(doc),
                          f"{doc.nom_fichier}.pdf", mime="application/pdf",
                          icon=":material/picture_as_pdf:", on_click="ignore",
                          key=f"pdf_{doc.genre}_{doc.code}")


DECIMALE = Numeric(decimals=1)        # droits, dû, rates and shares: one decimal


def table_synthese(doc: DocumentBilan) -> tuple[pd.DataFrame, dict]:
    s = doc.synthese
    config = {c: DECIMALE for c in ("Taux effectif (%)", "Taux (%)", "Dû", "Écart livrés − dû")}
    if doc.genre == "epci":
        return pd.DataFrame({
            "Destination": s["nom"], "Type": s["type"].map(TYPES).fillna(s["type"]),
            "Taux effectif (%)": s["taux"], "Dû": s["du"], "Proposés": s["logements"],
            "Attribués": s["attribues"], "dont prioritaires": s["prioritaires"],
            "dont 1er quartile": s["q1"], "Rendus": s["rendus"],
            "Écart livrés − dû": s["ecart"]}), config
    return pd.DataFrame({
        "Convention (périmètre)": s["perimetre_libelle"], "Taux (%)": s["taux_flux"],
        "Flux entré": s["entres"], "Dû": s["du"], "Proposés": s["orientes"],
        "Attribués": s["attribues"], "Rendus": s["rendus"],
        "Écart livrés − dû": s["ecart"]}), config


def table_croisement(doc: DocumentBilan, dim: str) -> tuple[pd.DataFrame, dict]:
    t = doc.croisements[dim]
    out = pd.DataFrame({
        "Catégorie": t["categorie"],
        "Proposés" if doc.genre == "reservataire" else "Libérés": t["logements"],
        "Attribués": t["attribues"], "dont prioritaires": t["prioritaires"],
        "dont 1er quartile": t["q1"], "Rendus": t["rendus"], "Part (%)": t["part"]})
    if doc.genre == "reservataire":
        out["Part du flux de son périmètre (%)"] = t["part_flux"]
    return out, {"Part (%)": DECIMALE, "Part du flux de son périmètre (%)": DECIMALE}


def table_soustraits(doc: DocumentBilan) -> tuple[pd.DataFrame, dict]:
    s = doc.soustraits
    prevus = f"Prévus {doc.annee + 1}"
    return pd.DataFrame({"Catégorie": s["libelle"], f"Réalisés {doc.annee}": s["realise"],
                         prevus: s["prevision"]}), {prevus: DECIMALE}


def table_prevision(doc: DocumentBilan) -> tuple[pd.DataFrame, dict]:
    p = doc.prevision
    first = p["nom"] if doc.genre == "epci" else p["perimetre_libelle"]
    return pd.DataFrame({"Réservataire" if doc.genre == "epci" else "Périmètre": first,
                         "Taux (%)": p["taux_flux"], "Flux net prévu": p["flux_net_prevu"],
                         "Droits prévus": p["droits_prevus"]}), {
        c: DECIMALE for c in ("Taux (%)", "Flux net prévu", "Droits prévus")}


def figure_croisement(doc: DocumentBilan, dim: str, label: str, projection: bool) -> go.Figure:
    """Proposed (or vacated) and attributed per category; for a réservataire, its share of
    dwellings against the share of its perimeter's flux on a second chart row."""
    t = doc.croisements[dim]
    if dim == "commune" and len(t) > 15:
        t = t.nlargest(15, "logements")
    first = "Proposés" if doc.genre == "reservataire" else "Libérés"
    fig = go.Figure()
    x = [plotly_texte(c) for c in t["categorie"]]
    fig.add_bar(x=x, y=t["logements"], name=first,
                marker_color=COULEURS["orientations"], text=[fmt_int(x) for x in t["logements"]],
                textposition="outside", cliponaxis=False,
                hovertemplate="%{x} : %{y:,d} " + first.lower() + "<extra></extra>")
    fig.add_bar(x=x, y=t["attribues"], name="Attribués",
                marker_color=COULEURS["attribuees"], text=[fmt_int(x) for x in t["attribues"]],
                textposition="outside", cliponaxis=False,
                hovertemplate="%{x} : %{y:,d} attribués<extra></extra>")
    fig.update_layout(barmode="group", title=f"{label} : {first.lower()} et attribués en "
                      f"{doc.annee}", yaxis_title="Logements", xaxis_title=None)
    fig.update_yaxes(range=[0, max(1, int(t["logements"].max() if len(t) else 1)) * 1.2])
    return style(fig, projection)


def figure_qualite(doc: DocumentBilan, dim: str, label: str, projection: bool) -> go.Figure:
    t = doc.croisements[dim]
    if dim == "commune" and len(t) > 15:
        t = t.nlargest(15, "flux")
    fig = go.Figure()
    x = [plotly_texte(c) for c in t["categorie"]]
    for col, name, colour in (("part", "Ses logements", OKABE_ITO[0]),
                              ("part_flux", "Flux de son périmètre", OKABE_ITO[1])):
        fig.add_bar(x=x, y=t[col], name=name, marker_color=colour,
                    hovertemplate="%{x} : %{y:.1f}\u202f%<extra>" + name + "</extra>")
    fig.update_layout(barmode="group", title=f"Qualité du flux — {label.lower()} : sa part "
                      "comparée au flux de son périmètre", yaxis_title="Part (%)",
                      xaxis_title=None)
    fig.update_yaxes(ticksuffix="\u202f%")
    return style(fig, projection)


def statistiques(b) -> None:
    """The annual statistics on reservations per type of réservataire (arrêté du 28 novembre
    2011): a département or the whole patrimoine, the definitions, CSV and PDF."""
    deps = sorted(b.statistiques["departement"].unique()) if len(b.statistiques) else []
    noms = {"": "Tout le patrimoine", **{d: b.departements.get(d, d) for d in deps}}
    dep = st.selectbox("Département", list(noms), format_func=noms.get, key="bilan_stat_dep")
    t = stats.tableau(b.statistiques, dep or None)
    show_table(pd.DataFrame({"Type de réservataire": t["libelle"], **{
        label: t[code] for code, label in stats.INDICATEURS.items()}}), max_rows=len(t))
    with st.expander("Définitions"):
        st.markdown("\n".join(f"- {line}" for line in stats.notes(
            bool(b.reglages["rendu_bailleur_compte_livre"]))))
    left, right = st.columns(2)
    stem = f"bilan_{b.annee}_statistiques_reservations"
    left.download_button("Statistiques (CSV)", lambda: stats.texte_csv(
        b.statistiques, b.departements).encode(), f"{stem}.csv", mime="text/csv",
        icon=":material/csv:", on_click="ignore", key="bilan_stat_csv")
    right.download_button("Statistiques (PDF)", lambda: ecrire_pdf_statistiques(b),
                          f"{stem}.pdf", mime="application/pdf",
                          icon=":material/picture_as_pdf:", on_click="ignore",
                          key="bilan_stat_pdf")


def generation(path: str, annee: int) -> None:
    """Button → every file with a progress bar → the ZIP to download and the checks."""
    key = f"bilan_zip_{path}_{get_db(path).version()}_{annee}"
    if st.button("Générer tous les fichiers", icon=":material/folder_zip:", type="primary",
                 key="bilan_generer"):
        b = bilan(path, annee)
        bar = st.progress(0.0, text="Préparation…")

        def progress(i: int, n: int, nom: str) -> None:
            bar.progress(i / n, text=f"{i} / {n} — {md(nom)}")

        paquet = generer(get_db(path), b, progression=progress)
        bar.progress(1.0, text=f"{len(paquet.fichiers)} fichiers prêts.")
        st.session_state[key] = (paquet.zip(), paquet.rapprochements.to_dict("records"),
                                 len(paquet.fichiers))
    if key in st.session_state:
        data, records, n = st.session_state[key]
        checks = pd.DataFrame(records)
        st.download_button(f"Télécharger l'archive ({n} fichiers, ZIP)", data,
                           f"bilan_{annee}.zip", mime="application/zip",
                           icon=":material/download:", on_click="ignore")
        ok = bool(checks["ok"].all())
        (st.success if ok else st.error)(
            "Les totaux concordent entre tous les fichiers." if ok else
            "Des totaux ne concordent pas : voir les rapprochements.")
        show_table(pd.DataFrame({"Contrôle": checks["controle"],
                                 "Valeur": checks["valeur"], "Référence": checks["reference"],
                                 "Concordant": checks["ok"].map({True: "oui", False: "NON"})}))
