"""The notice of availability of an oriented dwelling (fluxcore.avis, docs/avis.md): the
e-mail preview, sending it or downloading its PDF, and the notices already logged. Drawn by
the page that follows an orientation: `panneau_avis(path, orientation_id)`."""

from __future__ import annotations

from datetime import date

import streamlit as st

import fluxcore.avis
from fluxcore import avis
from fluxcore.errors import FluxcoreError
from fluxcore.formats import fmt_date
from ui import auth, state
from ui.components import show_table
from ui.data import get_db, load
from ui.texte import md

COLONNES = {"horodatage": "Date", "canal": "Canal", "statut": "Statut",
            "destinataire": "Adresse", "cree_par": "Par", "erreur": "Erreur"}


def panneau_avis(path: str, orientation_id: str) -> None:
    """Preview, send or download the notice of `orientation_id`, and its log. Projector
    mode: only the « Avis envoyé le … » lines."""
    if state.projection():
        _lignes_envoyes(path, orientation_id)
        return
    try:
        a = load(path, fluxcore.avis.preparer_avis, orientation_id)
    except avis.DestinationInterneError as exc:
        st.info(md(str(exc)), icon=":material/home_work:")
        return
    except FluxcoreError as exc:
        st.error(md(str(exc)))
        return
    _apercu(a)
    if not auth.peut("orienter"):
        auth.refus("envoyer ou télécharger un avis de mise à disposition")
    else:
        _actions(path, a)
    _journal(path, orientation_id)


def _apercu(a: avis.Avis) -> None:
    adresse = a.destinataire or "adresse non renseignée"
    st.markdown(f"**Destinataire :** {md(a.reservataire_nom)} ({md(adresse)})")
    if a.destinataire is None:
        st.warning(avis.SANS_ADRESSE[0].upper() + avis.SANS_ADRESSE[1:],
                   icon=":material/alternate_email:")
    if a.date_limite < date.today():
        st.warning(f"Le délai de proposition est dépassé depuis le {fmt_date(a.date_limite)}.",
                   icon=":material/event_busy:")
    if not a.contact:
        st.caption("Le contact du bailleur n'est pas renseigné : réglez le paramètre "
                   "« bailleur_contact » (page Données) pour qu'il figure dans l'avis.")
    with st.container(border=True):
        st.markdown(f"**Objet :** {md(a.sujet)}")
        st.code(a.texte, language=None, wrap_lines=True)


def _actions(path: str, a: avis.Avis) -> None:
    oid = a.orientation_id
    erreur = st.session_state.pop(f"avis_erreur_{oid}", None)
    if erreur:
        st.error(md(erreur))
    gauche, droite = st.columns(2)
    if avis.smtp_configure():
        if gauche.button("Envoyer par courriel", type="primary", icon=":material/send:",
                         disabled=a.destinataire is None, key=f"avis_envoyer_{oid}"):
            _envoyer(path, oid)
    else:
        gauche.caption("Envoi par courriel non configuré (variables FLUX_SMTP_…, voir "
                       "docs/avis.md) : téléchargez l'avis et joignez-le à votre message.")
    try:
        pdf = load(path, fluxcore.avis.avis_pdf, oid)
    except FluxcoreError as exc:
        droite.error(md(str(exc)))
        return
    droite.download_button("Télécharger l'avis (PDF)", pdf, avis.nom_fichier(oid),
                           mime="application/pdf", icon=":material/picture_as_pdf:",
                           on_click=_telecharge, args=(path, oid), key=f"avis_pdf_{oid}")


def _envoyer(path: str, oid: str) -> None:
    try:
        row = avis.envoyer_avis(get_db(path), oid, auth.auteur())
    except FluxcoreError as exc:
        st.error(md(str(exc)))
        return
    if row["statut"] == "ENVOYE":
        st.toast(f"Avis envoyé à {md(row['destinataire'])}.", icon=":material/mark_email_read:")
    else:
        st.error(md(row["erreur"], lignes=True), icon=":material/mail_lock:")


def _telecharge(path: str, oid: str) -> None:
    """Download callback: log the download (the file itself is already in the browser)."""
    try:
        avis.telecharger_avis(get_db(path), oid, auth.auteur())
    except FluxcoreError as exc:
        st.session_state[f"avis_erreur_{oid}"] = str(exc)


def _journal(path: str, oid: str) -> None:
    try:
        j = load(path, fluxcore.avis.journal_avis, oid)
    except FluxcoreError as exc:
        st.error(md(str(exc)))
        return
    st.markdown("**Avis déjà enregistrés**")
    if j.empty:
        st.caption("Aucun avis envoyé ni téléchargé pour ce logement.")
    else:
        show_table(j[list(COLONNES)].rename(columns=COLONNES))


def _lignes_envoyes(path: str, oid: str) -> None:
    try:
        j = load(path, fluxcore.avis.journal_avis, oid)
    except FluxcoreError:
        return
    for r in j[j["code_statut"] == "ENVOYE"].itertuples():
        jour, _, heure = r.horodatage.partition(" ")
        st.markdown(f"Avis envoyé le {jour} à {heure}")
