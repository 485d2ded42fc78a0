"""Forms of a dossier in the Suivi des logements page: only the actions fluxcore allows now
(`suivi.dossier()["actions"]`), each in its own st.form. Every write passes the version of
the dossier the user saw (modifie_le of the previous run): if someone changed it meanwhile,
fluxcore refuses (ConflitError) and the French message says so. A success is announced by a
toast on the next run, after a rerun that shows the dossier as it now is."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import NamedTuple

import pandas as pd
import streamlit as st

import fluxcore.cotation
import fluxcore.orientation
import fluxcore.parametres
from fluxcore import suivi
from fluxcore.cotation import candidats_contingent
from fluxcore.errors import FluxcoreError
from fluxcore.formats import fmt_int, fmt_num
from fluxcore.orientation import corriger_orientation
from fluxcore.suivi.commun import A_DECIDER, EN_JEU
from ui import auth
from ui.components import fait
from ui.data import get_db, load
from ui.texte import md

DECISIONS = ("RETENU", "REFUSE_CALEOL", "AJOURNE")


def _essayer(func, *args, **kwargs) -> tuple[bool, object]:
    """Run a fluxcore write; a refusal is shown in French (nothing was written)."""
    try:
        return True, func(*args, **kwargs)
    except suivi.ConflitError as exc:
        st.error(md(str(exc)), icon=":material/sync_problem:")
    except FluxcoreError as exc:
        st.error(md(str(exc)))
    return False, None


def vu(lib: str):
    """modifie_le of the dossier as drawn on the previous run (None: not drawn yet)."""
    return st.session_state.get(f"s_vu_{lib}")


class Write(NamedTuple):
    """What a dossier's form writes when submitted: fluxcore's `func(db, *args, **options)`, to
    which the form adds the author and the version of the dossier the user saw; then the
    toast `message`."""
    func: Callable
    args: tuple
    options: dict
    message: str


def _form(path: str, lib: str, name: str, button: str, fields: Callable[[], Write],
          primary: bool = False, button_key: str | None = None) -> None:
    """The shape of a dossier's form: st.form « s_form_<name>_<lib> » holding the widgets that
    `fields()` draws (it returns the Write they make), then the submit button
    « s_ok_<button_key or name>_<lib> ». On submit: the write (a refusal shows fluxcore's
    French message, see _essayer), then the toast and a rerun (ui.components.fait)."""
    with st.form(f"s_form_{name}_{lib}"):
        write = fields()
        if st.form_submit_button(button, type="primary" if primary else "secondary",
                                 key=f"s_ok_{button_key or name}_{lib}"):
            ok, _ = _essayer(write.func, get_db(path), *write.args, auteur=auth.auteur(),
                             modifie_le_attendu=vu(lib), **write.options)
            if ok:
                fait(write.message)


def formulaires(path: str, dos: dict, lib: str, today: date, proj: bool) -> None:
    """One expander per action allowed now, the first one open."""
    if not dos["actions"]:
        st.caption("Aucune action possible sur ce dossier à ce stade.")
    for i, code in enumerate(dos["actions"]):
        with st.expander(suivi.ACTIONS_DOSSIER[code], expanded=i == 0):
            FORMULAIRES[code](path, dos, lib, today, proj)


def _candidat(cand: pd.DataFrame, statuts, proj: bool, key: str) -> str | None:
    """A candidate picked by its rank, with its pseudonymous id outside projector mode."""
    cand = cand[cand["statut"].isin(statuts)]
    labels = {r.candidature_id: f"Candidat {r.rang}" + ("" if proj else f" · {r.demande_id}")
              + f" ({r.statut_libelle.lower()})" for r in cand.itertuples()}
    return st.selectbox("Candidat", list(labels), format_func=labels.get, key=key)


def classement(path: str, dos: dict, lib: str, today: date) -> tuple[pd.DataFrame, str]:
    """The demandes the cotation ranks for this dwelling within its destination's contingent
    (fluxcore.cotation.par_destination), without those already candidates; and a sentence
    saying which contingent (or why there is no ranking)."""
    o = dos["orientation"]
    vide = pd.DataFrame(columns=["demande_id", "score", "rang_contingent"])
    try:
        cand, dest = load(path, fluxcore.cotation.par_destination, lib, today)
    except FluxcoreError as exc:
        return vide, f"Pas de classement de la cotation : {exc}"
    row = dest[dest["destinataire"] == o["destinataire"]]
    contingent = row["contingent"].iloc[0] if len(row) else "tous"
    if contingent == "hors_cotation":
        return vide, "Destination hors cotation : indiquez les demandes à proposer."
    top = candidats_contingent(cand, contingent)
    actives = dos["candidatures"]
    actives = set(actives.loc[actives["statut"] != "RETIRE", "demande_id"])
    texte = row["libelle_contingent"].iloc[0] if len(row) else "toute demande éligible"
    top = top[~top["demande_id"].isin(actives)]
    if top.empty:
        return top, (f"Aucune autre demande éligible dans le classement de la cotation "
                     f"(contingent : {texte}) : indiquez les demandes à proposer.")
    return top, f"Classement de la cotation (contingent : {texte})."


def _proposer(path, dos, lib, today, proj):
    o = dos["orientation"]
    place = max(int(o["nb_candidats_max"]) - int(o["nb_candidats"]), 0)
    top, texte = classement(path, dos, lib, today)
    labels = {r.demande_id: f"{r.rang_contingent}. " + ("" if proj else f"{r.demande_id} · ")
              + ("sans score" if pd.isna(r.score) else f"{fmt_num(r.score, 0)} points")
              for r in top.head(max(20, place)).itertuples()}
    with st.form(f"s_form_proposer_{lib}"):
        st.caption(f"{md(texte)} Encore {fmt_int(place)} candidat{'s' * (place > 1)} au plus.")
        # the limit stays the same from run to run, so that the widget keeps its choice
        # when the ranking changes meanwhile (fluxcore refuses too many candidates)
        choix = [] if not labels else st.multiselect(
            "Candidats classés", list(labels), format_func=labels.get,
            max_selections=int(o["nb_candidats_max"]), key=f"s_proposer_{lib}",
            placeholder="Choisir dans le classement", select_all=False)
        autres = "" if proj else st.text_input(
            "Autres demandes (numéros séparés par des virgules)", key=f"s_autres_{lib}",
            help="Demandes désignées hors du classement ci-dessus.")
        jour = st.date_input("Date de la proposition", value=today, format="DD/MM/YYYY",
                             key=f"s_date_prop_{lib}")
        if st.form_submit_button("Proposer", type="primary", key=f"s_ok_proposer_{lib}"):
            proposer(path, o["orientation_id"], list(choix) + numeros(autres), jour, vu(lib))


def numeros(texte: str) -> list[str]:
    """Demande numbers typed in a field, separated by commas, semicolons or spaces."""
    return [x for x in re.split(r"[,;\s]+", texte or "") if x]


def proposer(path: str, orientation_id: str, demande_ids: list[str], jour: date, attendu):
    """Propose candidates (the dossier's form, the réservataire's space)."""
    ok, faits = _essayer(suivi.proposer_candidats, get_db(path), orientation_id, demande_ids,
                         auteur=auth.auteur(), date_proposition=jour,
                         modifie_le_attendu=attendu)
    if ok:
        fait(f"{fmt_int(len(faits))} candidat{'s' * (len(faits) > 1)} proposé"
              f"{'s' * (len(faits) > 1)}.")


def _retirer(path, dos, lib, today, proj):
    def fields() -> Write:
        cid = _candidat(dos["candidatures"], A_DECIDER, proj, f"s_cand_retirer_{lib}")
        motif = st.text_input("Motif du retrait", key=f"s_motif_retirer_{lib}")
        return Write(suivi.retirer_candidat, (cid,), {"motif": motif, "date_retrait": today},
                     "Candidat retiré.")
    _form(path, lib, "retirer", "Retirer ce candidat", fields)


def _caleol(path, dos, lib, today, proj):
    def fields() -> Write:
        jour = st.date_input("Date de la CALEOL", value=today, format="DD/MM/YYYY",
                             key=f"s_date_caleol_{lib}")
        return Write(suivi.passer_en_caleol, (dos["orientation"]["orientation_id"], jour), {},
                     "Dossier présenté à la CALEOL.")
    _form(path, lib, "caleol", "Passer en CALEOL", fields, primary=True)


def _decider(path, dos, lib, today, proj):
    def fields() -> Write:
        cid = _candidat(dos["candidatures"], A_DECIDER, proj, f"s_cand_decider_{lib}")
        decision = st.radio("Décision", DECISIONS, horizontal=True, key=f"s_decision_{lib}",
                            format_func=suivi.STATUTS_CANDIDATURE.get)
        motif = st.text_input("Motif (obligatoire pour un refus)", key=f"s_motif_dec_{lib}")
        jour = st.date_input("Date de la décision", value=today, format="DD/MM/YYYY",
                             key=f"s_date_dec_{lib}")
        texte = suivi.STATUTS_CANDIDATURE[decision]
        return Write(suivi.decision_caleol, (cid, decision, jour), {"motif": motif},
                     f"Décision enregistrée : {texte[:1].lower()}{texte[1:]}.")
    _form(path, lib, "decider", "Enregistrer la décision", fields, primary=True)


def _refus_menage(path, dos, lib, today, proj):
    def fields() -> Write:
        cid = _candidat(dos["candidatures"], EN_JEU, proj, f"s_cand_refus_{lib}")
        motif = st.text_input("Motif du refus", key=f"s_motif_refus_{lib}")
        jour = st.date_input("Date du refus", value=today, format="DD/MM/YYYY",
                             key=f"s_date_refus_{lib}")
        st.caption("Le refus est compté à la demande (règle de refus de la cotation).")
        return Write(suivi.refus_menage, (cid, motif), {"date_refus": jour},
                     "Refus du ménage enregistré.")
    _form(path, lib, "refus", "Enregistrer le refus", fields)


def _signer_bail(path, dos, lib, today, proj):
    def fields() -> Write:
        jour = st.date_input("Date de signature du bail", value=today, format="DD/MM/YYYY",
                             key=f"s_date_bail_{lib}")
        autres = dos["candidatures"]["statut"].isin(A_DECIDER).any()
        return Write(suivi.signer_bail, ((dos["attribution"] or {}).get("attribution_id"), jour),
                     {}, "Bail enregistré : le logement est attribué"
                     + (" ; les autres candidats sont retirés." if autres else "."))
    _form(path, lib, "bail", "Enregistrer le bail", fields, primary=True)


def rendre(path: str, orientation_ids: list[str], motif: str, compte_livre: bool,
           vus: dict | None = None) -> None:
    """Give dwellings back to the bailleur; the toast says how many and how they count."""
    ok, n = _essayer(suivi.rendre_au_bailleur, get_db(path), orientation_ids,
                     auteur=auth.auteur(), motif=motif, modifie_le_attendu=vus)
    if ok:
        compte = ("ils restent comptés comme livrés à leur réservataire" if compte_livre else
                  "ils ne comptent pas comme livrés à leur réservataire")
        fait(f"{fmt_int(n)} logement{'s' * (n > 1)} rendu{'s' * (n > 1)} au bailleur : "
              f"{compte} (paramètre rendu_bailleur_compte_livre).")


def _rendre(path, dos, lib, today, proj):
    compte = bool(load(path, fluxcore.parametres.get_parametres)[
        "rendu_bailleur_compte_livre"])
    with st.form(f"s_form_rendre_{lib}"):
        motif = st.text_input("Motif", value="Délai de proposition dépassé",
                              key=f"s_motif_rendre_{lib}")
        sur = st.checkbox("Je confirme rendre ce logement au bailleur", key=f"s_sur_{lib}")
        if st.form_submit_button("Rendre au bailleur", key=f"s_ok_rendre_{lib}"):
            if not sur:
                st.error("Cochez la confirmation pour rendre le logement au bailleur.")
            else:
                oid = dos["orientation"]["orientation_id"]
                rendre(path, [oid], motif, compte, {oid: vu(lib)} if f"s_vu_{lib}"
                       in st.session_state else None)


def _corriger(path, dos, lib, today, proj):
    try:
        noms = load(path, fluxcore.orientation.destinations_correction, lib, today)
    except FluxcoreError as exc:
        st.warning(md(str(exc)))
        return
    if not noms:
        st.caption("Aucune autre destination possible pour ce logement.")
        return

    def fields() -> Write:
        st.caption("Tant qu'aucun candidat n'est proposé, la destination peut être changée ; "
                   "le délai de proposition repart de la convention de la nouvelle "
                   "destination. Destinations classées comme sur la page Orientation.")
        dest = st.selectbox("Nouvelle destination", list(noms), format_func=noms.get,
                            key=f"s_dest_corriger_{lib}")
        motif = st.text_input("Motif de la correction", key=f"s_motif_corriger_{lib}")
        return Write(corriger_orientation, (lib, dest), {"motif": motif},
                     f"Orientation corrigée : nouvelle destination « {md(noms[dest])} ».")
    _form(path, lib, "corriger", "Corriger la destination", fields)


def _attribuer_bailleur(path, dos, lib, today, proj):
    def fields() -> Write:
        st.caption("Le logement a été rendu au bailleur : indiquez la demande que la CALEOL "
                   "a retenue parmi les candidats du bailleur. L'attribution compte pour le "
                   "bailleur ; le logement reste compté pour le réservataire selon le paramètre "
                   "rendu_bailleur_compte_livre.")
        demande = st.text_input("Demande retenue (numéro)", key=f"s_demande_attr_{lib}",
                                type="password" if proj else "default")
        jour = st.date_input("Date de la CALEOL", value=today, format="DD/MM/YYYY",
                             key=f"s_date_attr_{lib}")
        return Write(suivi.attribuer_apres_rendu,
                     (dos["orientation"]["orientation_id"], demande, jour), {},
                     "Attribution enregistrée : reste à enregistrer la signature du bail.")
    _form(path, lib, "attribuer", "Enregistrer l'attribution", fields, primary=True,
          button_key="attr")


FORMULAIRES = {"PROPOSER": _proposer, "RETIRER": _retirer, "CALEOL": _caleol,
               "DECIDER": _decider, "REFUS_MENAGE": _refus_menage,
               "SIGNER_BAIL": _signer_bail, "RENDRE": _rendre, "CORRIGER": _corriger,
               "ATTRIBUER_BAILLEUR": _attribuer_bailleur}
