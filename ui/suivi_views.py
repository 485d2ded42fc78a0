"""Pieces of the Suivi des logements page: the lists (deadlines, orientations in progress),
the choice of a dossier (deep link ?liberation=<id>) and the dossier itself. The forms that
change a dossier are in ui.suivi_actions."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import fluxcore.parametres
import fluxcore.suivi
from fluxcore.formats import STATUTS, fmt_date, fmt_int, fmt_num
from fluxcore.suivi.commun import EN_ATTENTE
from ui import auth, suivi_actions
from ui.components import show_table
from ui.data import load
from ui.texte import md

PARAM_LIEN = "liberation"     # ?liberation=<id> opens that dossier
ORIGINES = {"BAILLEUR": "bailleur", "RESERVATAIRE": "réservataire"}


def _jour(d) -> str:
    return "—" if d is None or pd.isna(d) else fmt_date(pd.Timestamp(d).date())


def delai(jours) -> str:
    """Days left before the proposal deadline, in words: « J-3 », « aujourd'hui »,
    « 4 j de retard »."""
    if jours is None or pd.isna(jours):
        return "—"
    jours = int(jours)
    if jours > 0:
        return f"J-{fmt_int(jours)}"
    return "aujourd'hui" if jours == 0 else f"{fmt_int(-jours)} j de retard"


def _delai_utile(statut: str, jours) -> str:
    """The deadline only matters while candidates are awaited."""
    return delai(jours) if statut in EN_ATTENTE else "—"


def libelle(r, destination: bool = True) -> str:
    """One line naming an orientation in a list or a selector (no household data)."""
    texte = (f"{r.logement_id} · {r.typologie} · {r.commune}"
             + (f" → {r.destinataire_nom}" if destination else "") + f" · {r.statut_libelle}")
    return texte + (f" · {delai(r.jours_restants)}" if r.statut in EN_ATTENTE
                    and pd.notna(r.jours_restants) else "")


def table_suivi(df: pd.DataFrame) -> pd.DataFrame:
    """The orientations as French text, one line each (lists « Échéances » and « En cours »)."""
    return pd.DataFrame({
        "Logement": df["logement_id"], "Typologie": df["typologie"], "Commune": df["commune"],
        "Destination": df["destinataire_nom"], "Statut": df["statut_libelle"],
        "Orienté le": [_jour(d) for d in df["date_orientation"]],
        "Échéance": [_jour(d) for d in df["date_limite"]],
        "Délai": [_delai_utile(s, j) for s, j in zip(df["statut"], df["jours_restants"])],
        "Candidats": [f"{fmt_int(n)}/{fmt_int(m)}"
                      for n, m in zip(df["nb_candidats"], df["nb_candidats_max"])]})


def filtres(encours: pd.DataFrame, proj: bool) -> pd.DataFrame:
    """Statut, réservataire and commune filters above the list « En cours »."""
    cols = st.columns(1 if proj else 3)
    statuts = {k: v for k, v in STATUTS.items() if k in set(encours["statut"])}
    noms = dict(zip(encours["destinataire"], encours["destinataire_nom"]))
    communes = sorted(encours["commune"].dropna().unique())
    s = cols[0].multiselect("Statut", list(statuts), format_func=statuts.get, key="s_f_statut",
                            placeholder="Tous", select_all=False)
    r = cols[1 % len(cols)].multiselect(
        "Destination", sorted(noms, key=noms.get), format_func=noms.get, key="s_f_reserv",
        placeholder="Toutes", select_all=False)
    c = cols[2 % len(cols)].multiselect("Commune", communes, key="s_f_commune",
                                        placeholder="Toutes", select_all=False)
    keep = pd.Series(True, index=encours.index)
    for column, chosen in (("statut", s), ("destinataire", r), ("commune", c)):
        if chosen:
            keep &= encours[column].isin(chosen)
    return encours[keep]


def choisir_dossier(liste: pd.DataFrame) -> str | None:
    """The dossier to open: picked in the list, or given by ?liberation=<id> (opened once, even
    when the dwelling is not in the list: finished, or outside the filters). The address then
    follows the choice, so that it can be shared."""
    lien = st.query_params.get(PARAM_LIEN)
    if lien and st.session_state.get("s_lien") != lien:
        st.session_state["s_lien"] = lien
        st.session_state["s_liberation"] = lien
    # stable labels (no statut, no delay): a label that changes with an action would no longer
    # match the option the browser sends back on the next submit
    labels = {r.liberation_id: f"{r.logement_id} · {r.typologie} · {r.commune} → "
                               f"{r.destinataire_nom}" for r in liste.itertuples()}
    courant = st.session_state.get("s_liberation")
    if courant and courant not in labels:
        labels = {courant: f"Libération {courant}", **labels}
    lib = st.selectbox("Ouvrir le dossier d'un logement", list(labels), index=None,
                       format_func=labels.get, key="s_liberation",
                       placeholder="Choisir un logement en cours…")
    if lib:
        st.query_params[PARAM_LIEN] = lib
        st.session_state["s_lien"] = lib
    elif PARAM_LIEN in st.query_params:
        del st.query_params[PARAM_LIEN]
    return lib


def entete(dos: dict, proj: bool) -> None:
    """The dwelling, its orientation and its deadline (no household data)."""
    lg, o = dos["logement"], dos["orientation"] or {}
    st.markdown(f"### {md(lg['typologie'])} · {md(lg['residence'])} · {md(lg['commune'])}")
    statut = o.get("statut_libelle", "Non orienté")
    st.markdown(f"**{statut}**" + (f" · destination : **{md(o['destinataire_nom'])}**"
                                   if o else ""))
    if o:
        c = st.columns(3)
        limite = o["date_limite"]
        attente = limite is not None and o["statut"] in EN_ATTENTE
        c[0].metric("Fin du délai de proposition", _jour(limite),
                    delta=delai(o["jours_restants"]) if attente else None, delta_arrow="off",
                    delta_color="red" if attente and o["jours_restants"] < 0 else "off")
        c[1].metric("Candidats en lice", f"{fmt_int(o['nb_candidats'])} / "
                    f"{fmt_int(o['nb_candidats_max'])}",
                    help="Candidats proposés, ajournés ou retenus, sur le nombre que la "
                         "convention (ou le paramètre nb_candidats_max) autorise.")
        c[2].metric("Orienté le", _jour(o["date_orientation"]))
    etage = ("rez-de-chaussée" if lg["etage"] == 0 else "1er étage" if lg["etage"] == 1
             else f"{fmt_int(lg['etage'])}e étage")
    qpv = "en QPV" if lg["en_qpv"] else "hors QPV"
    texte = (f"Logement {md(lg['logement_id'])} · {md(lg['financement'])} · "
             f"{fmt_num(lg['surface_m2'], 0)} m² · loyer {fmt_int(lg['loyer_mensuel'])} € · "
             f"{etage} · {qpv} · libéré le {_jour(lg['date_liberation'])}")
    if o:
        texte += f" · orienté par {md(o['decided_by'] or '—')}"
    st.caption(texte)


def etapes(dos: dict, proj: bool) -> None:
    """The history of the dossier, oldest first; projector: without the details (they name
    the pseudonymous demandes)."""
    rows = dos["etapes"]
    table = pd.DataFrame({"Date": [_jour(e["date"]) for e in rows],
                          "Étape": [e["etape"] for e in rows],
                          "Par": [e["qui"] or "—" for e in rows]})
    if not proj:
        table["Détail"] = [e["detail"] or "—" for e in rows]
    show_table(table)


def candidatures(dos: dict, proj: bool) -> None:
    """The candidates with their statut; projector: how many of each statut only."""
    cand = dos["candidatures"]
    if cand.empty:
        st.info("Aucun candidat proposé pour l'instant.")
        return
    if proj:
        compte = cand["statut_libelle"].value_counts(sort=False)
        st.markdown("\n".join(f"- {s} : **{fmt_int(n)}**" for s, n in compte.items()))
        return
    show_table(pd.DataFrame({
        "Rang": cand["rang"], "Demande": cand["demande_id"], "Statut": cand["statut_libelle"],
        "Proposé le": [_jour(d) for d in cand["date_proposition"]],
        "Par": cand["propose_par"], "Origine": cand["origine"].map(ORIGINES),
        "Décision le": [_jour(d) for d in cand["date_decision"]], "Motif": cand["motif"]}))


def echeances(path: str, ech: pd.DataFrame, jours: int, compte_livre: bool, proj: bool,
              peut_ecrire: bool) -> None:
    """Dwellings whose proposal deadline is past (first) or within `jours` days, and one form
    giving the selected ones back to the bailleur."""
    # the versions the user saw on the previous run: a dossier changed since is refused
    vus = st.session_state.get("s_vu_echeances", {})
    st.session_state["s_vu_echeances"] = dict(zip(ech["orientation_id"], ech["modifie_le"]))
    if ech.empty:
        st.success(f"Aucun délai de proposition n'expire dans les {fmt_int(jours)} jours.")
        return
    show_table(table_suivi(ech))
    if proj or not peut_ecrire:
        return
    labels = {r.orientation_id: f"{r.logement_id} · {r.commune} · {delai(r.jours_restants)}"
              for r in ech.itertuples()}
    retard = [r.orientation_id for r in ech.itertuples() if r.en_retard]
    with st.form("s_form_rendre"):
        choix = st.multiselect("Logements à rendre au bailleur", list(labels), default=retard,
                               format_func=labels.get, key="s_rendre",
                               help="Par défaut : ceux dont le délai est dépassé.",
                               select_all=False)
        motif = st.text_input("Motif", value="Délai de proposition dépassé",
                              key="s_rendre_motif")
        sur = st.checkbox("Je confirme rendre ces logements au bailleur", key="s_rendre_sur")
        st.caption("Un logement rendu " + ("reste compté comme livré à son réservataire"
                                           if compte_livre else
                                           "ne compte plus comme livré à son réservataire")
                   + " (paramètre rendu_bailleur_compte_livre, page Données).")
        if st.form_submit_button("Rendre au bailleur", type="primary", key="s_rendre_ok"):
            if not choix:
                st.error("Choisissez au moins un logement.")
            elif not sur:
                st.error("Cochez la confirmation pour rendre ces logements au bailleur.")
            else:
                suivi_actions.rendre(path, choix, motif, compte_livre,
                                     {o: vus[o] for o in choix if o in vus})


def bandeau_echeances(nb: dict, jours: int) -> None:
    """Dashboard line: proposal deadlines past and near, with a link to the Suivi page."""
    retard, proches = nb["en_retard"], nb["proches"]
    texte = (f"Délais de proposition des réservataires : {fmt_int(retard)} "
             f"dépassé{'s' * (retard > 1)}, {fmt_int(proches)} arrivant à échéance sous "
             f"{fmt_int(jours)} jours.")
    gauche, droite = st.columns([3, 1], vertical_alignment="center")
    with gauche:
        if nb["en_retard"]:
            st.warning(texte, icon=":material/event_busy:")
        elif nb["proches"]:
            st.info(texte, icon=":material/event_upcoming:")
        else:
            st.caption(f":material/event_available: {texte}")
    droite.page_link("pages/suivi.py", label="Voir le suivi des logements",
                     icon=":material/event_upcoming:")


def propositions_reservataire(path: str, p, rid: str, proj: bool) -> None:
    """Espace réservataire: when the bailleur allows it (reservataire_propose_candidats), the
    dwellings put at the réservataire's disposal that still await candidates, and a form to
    propose them (fluxcore checks the account proposes only for its own dwellings)."""
    if not load(path, fluxcore.parametres.get_parametres)["reservataire_propose_candidats"]:
        st.markdown("Le bailleur enregistre les candidats des logements mis à votre "
                    "disposition : adressez-lui vos propositions dans le délai prévu par "
                    "votre convention.")
        return
    encours = load(path, fluxcore.suivi.en_cours, p)
    attente = encours[(encours["destinataire"] == rid) & encours["statut"].isin(EN_ATTENTE)
                      & (encours["nb_candidats"] < encours["nb_candidats_max"])]
    vus = st.session_state.get("r_vu", {})
    st.session_state["r_vu"] = dict(zip(attente["orientation_id"], attente["modifie_le"]))
    if attente.empty:
        st.info("Aucun logement mis à votre disposition n'attend de candidat.")
        return
    show_table(table_suivi(attente).drop(columns="Destination"))
    user = auth.utilisateur()
    if proj or not (auth.peut("orienter") or (user and user.role == "reservataire")):
        return
    labels = {r.orientation_id: libelle(r, False) for r in attente.itertuples()}
    with st.form("r_form_proposer"):
        oid = st.selectbox("Logement", list(labels), format_func=labels.get, key="r_logement")
        texte = st.text_input("Numéros des demandes proposées, par ordre de préférence",
                              key="r_demandes", placeholder="ex. DEM100004539, DEM100004540")
        if st.form_submit_button("Proposer ces candidats", type="primary", key="r_proposer"):
            suivi_actions.proposer(path, oid, suivi_actions.numeros(texte), p.aujourdhui,
                                   vus.get(oid))
