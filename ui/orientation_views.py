"""Pieces of the Orientation page: deep link, dwelling card, ranking table and the reasons,
the cotation's candidates and the résidence's fragility card."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

import fluxcore.cotation
import fluxcore.fragilite
import fluxcore.recherche
from fluxcore.cotation import candidats_contingent
from fluxcore.cotation.candidats import resume
from fluxcore.errors import FluxcoreError
from fluxcore.formats import accord, fmt_date, fmt_int, fmt_num, fmt_signe
from fluxcore.recherche import lien
from ui import avis_views, cotation_views, recherche_views, residences_views
from ui.components import Numeric, show_table
from ui.cotation_views import NON_OUI
from ui.data import load
from ui.texte import md


def carte_logement(lg: dict) -> None:
    """Dwelling card: what the team needs to know to orient it (no household data)."""
    qpv = f"QPV {lg['qpv'] or lg['qpv_code'] or ''}".strip() if lg["en_qpv"] else "Hors QPV"
    attente = (pd.Timestamp.today().normalize() - pd.Timestamp(lg["date_liberation"])).days
    st.markdown(f"### {md(lg['typologie'])} · {md(lg['residence'])} · {md(lg['commune'])}")
    c = st.columns(4)
    c[0].metric("Surface", f"{fmt_num(lg['surface_m2'])} m²")
    c[1].metric("Loyer mensuel", f"{fmt_int(lg['loyer_mensuel'])} €")
    c[2].metric("Financement", md(lg["financement"]))
    c[3].metric("Vacant depuis", f"{fmt_int(max(attente, 0))} j")
    etage = "rez-de-chaussée" if lg["etage"] == 0 else f"{lg['etage']}e étage"
    ascenseur = "avec ascenseur" if lg["ascenseur"] else "sans ascenseur"
    st.caption(f"Logement {md(lg['logement_id'])} · {etage}, {ascenseur}"
               f"{' · accessible PMR' if lg['accessible_pmr'] else ''} · {md(qpv)} · "
               f"{md(lg['epci'])} · construit en {lg['annee_construction']} · libéré le "
               f"{fmt_date(pd.Timestamp(lg['date_liberation']).date())}")


def table_classement(dest: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """The ranking: the deficit first, then what adjusts it (dwellings, signed)."""
    logements = Numeric(decimals=2, signed=True)
    return pd.DataFrame({
        "Rang": dest["rang"], "Destination": dest["nom"], "Situation": dest["situation"],
        "Déficit (logements)": dest["deficit"], "Ajustements": dest["ajustements"],
        "Déficit ajusté": dest["score"]}), {
        c: logements for c in ("Déficit (logements)", "Ajustements", "Déficit ajusté")}


def details(dest: pd.DataFrame, comps: pd.DataFrame, top: int = 3) -> None:
    """One expander per destination: its deficit, then each adjustment with its reason."""
    for r in dest.itertuples():
        rows = comps[comps["destinataire"] == r.destinataire]
        title = (f"{r.rang}. {md(r.nom)} — {md(r.situation)}, déficit {fmt_signe(r.deficit, 2)}, "
                 f"ajusté {fmt_signe(r.score, 2)}")
        with st.expander(title, expanded=r.rang <= top):
            # st.table reads Markdown in its cells: the reasons name réservataires
            st.table(pd.DataFrame({
                "Composante": rows["libelle"].map(md),
                "Logements": [md(fmt_signe(v, 2)) if a else "—"
                              for v, a in zip(rows["contribution"], rows["applique"])],
                "Pourquoi": rows["explication"].map(md)}).set_index("Composante"))


def ouvrir(path: str, lib: str | None, vacants: pd.DataFrame, aujourdhui: date) -> None:
    """Deep link ?liberation=: select the dwelling when it awaits an orientation here; else
    say where it stands, with a link to « Suivi des logements » once it is oriented."""
    if lib is None:
        return
    if lib in set(vacants["liberation_id"]):
        st.session_state["o_liberation"] = lib
        return
    etat = load(path, fluxcore.recherche.etat_liberation, lib, aujourdhui)
    if etat is None:
        st.warning(f"Libération inconnue : « {md(lib)} ». Vérifiez le lien ou cherchez le logement "
                   "dans la barre latérale.")
        return
    quoi = f"Le logement {md(etat['logement_id'])}"
    if etat["etat"] == "attente":
        st.warning(f"{quoi} (libération {md(lib)}) {recherche_views.HORS_TERRITOIRE}")
    elif etat["etat"] == "preavis":
        st.info(f"{quoi} n'attend pas encore d'orientation : {md(etat['situation'])}.")
    else:
        st.info(f"{quoi} n'attend plus d'orientation : {md(etat['situation'])}.")
        recherche_views.lien(etat["lien"], "Voir ce logement dans le suivi des logements",
                             ":material/event_upcoming:")


def table_candidats(df: pd.DataFrame, projection: bool) -> tuple[pd.DataFrame, dict]:
    """Best candidates of one destination: score first; projector: no pseudonymous id and no
    household detail (their counts are in the caption)."""
    out = pd.DataFrame({"Rang": df["rang_contingent"]})
    if not projection:
        out["Demande"] = df["demande_id"]
    out["Score"] = df["score"]
    out["Typologie souhaitée"] = df["typologie_souhaitee"]
    out["Ancienneté (mois)"] = df["anciennete_mois"]
    if not projection:
        out["Prioritaire"] = df["prioritaire"].map(NON_OUI)
        out["DALO"] = df["dalo"].map(NON_OUI)
    return out, {"Score": cotation_views.SCORE, "Ancienneté (mois)": Numeric()}


def candidats(path: str, lib: str, aujourdhui: date, projection: bool) -> None:
    """The cotation's eligible demandes for this dwelling: per destination (count, best
    score), then the best ones for the destination picked (fluxcore.cotation.par_destination)."""
    st.subheader("Candidats de la cotation")
    try:
        cand, dest = load(path, fluxcore.cotation.par_destination, lib, aujourdhui)
    except FluxcoreError as exc:
        st.warning(md(str(exc)))
        return
    st.caption(md(resume(cand)) + " Aide à la désignation des candidats, jamais automatique.")
    show_table(*cotation_views.table_destinations(dest))
    choix = {r.destinataire: f"{r.rang_orientation}. {r.nom}"
             for r in dest.itertuples() if r.contingent != "hors_cotation"}
    if not choix:
        st.info("Aucune destination possible ne désigne ses candidats par la cotation "
                "(usages internes, bailleur).")
        return
    if st.session_state.get("o_candidats") not in choix:   # another dwelling was picked
        st.session_state.pop("o_candidats", None)
    d = st.selectbox("Meilleurs candidats pour", list(choix), format_func=choix.get,
                     key="o_candidats")
    top = candidats_contingent(cand, dest.set_index("destinataire").at[d, "contingent"])
    n = 5 if projection else 10
    show_table(*table_candidats(top.head(n), projection), max_rows=n)
    st.caption(f"{accord(len(top), 'candidat éligible', 'candidats éligibles')} pour ce "
               f"contingent, dont {accord(top['prioritaire'].sum(), 'prioritaire', 'prioritaires')}"
               " et "
               f"{fmt_int(top['dalo'].sum())} DALO ; classement par score, à score égal la "
               "demande la plus ancienne d'abord."
               + (" Identifiants des demandes masqués en mode projection." if projection
                  else " Détail et position de chaque demande : page Cotation."))


def fragilite(path: str, residence_id: str, arret: date) -> None:
    """The résidence's fragility card, the one of the Résidences page."""
    st.subheader("Fragilité de la résidence")
    try:
        fiche = load(path, fluxcore.fragilite.fiche, residence_id, arret)
    except FluxcoreError as exc:
        st.warning(md(str(exc)))
        return
    residences_views.card(fiche)
    recherche_views.lien(lien("residences", residence=residence_id),
                         "Voir la résidence sur la carte", ":material/map:")


ICONES_AVIS = {"ENVOYE": ":material/mark_email_read:", "ECHEC": ":material/error:",
               "INTERNE": ":material/home_work:"}


def derniere(path: str, info: dict | None) -> None:
    """The orientation just recorded: what became of its notice of availability
    (fluxcore.avis.a_l_orientation) and, when it was not sent, the notice to download or
    send; a link to its dossier."""
    if not info:
        return
    with st.container(border=True):
        st.markdown(f"**Orientation enregistrée :** logement {md(info['logement'])} → "
                    f"{md(info['nom'])}.")
        icone = ICONES_AVIS.get(info["issue"], ":material/outgoing_mail:")
        if info["issue"] == "ECHEC":
            st.error(md(info["message"]), icon=icone)
        elif info["issue"] in ("ENVOYE", "INTERNE"):
            st.success(md(info["message"]), icon=icone)
        else:
            st.warning(md(info["message"]), icon=icone)
        if info["issue"] not in ("ENVOYE", "INTERNE"):
            with st.expander("Avis de mise à disposition", expanded=True):
                avis_views.panneau_avis(path, info["orientation_id"])
        gauche, droite = st.columns([3, 1])
        with gauche:
            recherche_views.lien(lien("suivi", liberation=info["liberation_id"]),
                                 "Suivre ce logement (candidats, CALEOL, bail)",
                                 ":material/event_upcoming:")
        if droite.button("Masquer", key="o_derniere_masquer"):
            st.session_state.pop("o_derniere", None)
            st.rerun()
