"""Espace réservataire: one réservataire's own gauge, month by month, flux quality, the dwellings
oriented to it, those awaiting its candidates (proposed here when the bailleur allows it) and its
annual bilan. A réservataire account sees only this page, with its own
figures (enforced by fluxcore); the team can preview what a réservataire sees."""

from datetime import date

import streamlit as st

import fluxcore.bilan
import fluxcore.jauges
import fluxcore.tableau_de_bord
from fluxcore.formats import STATUTS, fmt_date, fmt_int, fmt_num
from ui import auth, bilan_views, figures_flux, state, suivi_views
from ui.components import annoncer, show_table, stop_on_error
from ui.data import load
from ui.tables import table_jauges
from ui.texte import md

st.title("Espace réservataire")
path, p, proj = state.db_path(), state.perimetre(), state.projection()
user = auth.utilisateur()
annoncer()
with stop_on_error():
    jauges = load(path, fluxcore.jauges.jauges_reservataires, p)

if user is not None and user.role == "reservataire":
    rid = user.reservataire_id
else:
    noms = dict(zip(jauges["reservataire_id"], jauges["nom"]))
    noms.pop("BAILLEUR", None)
    if not noms:
        st.info("Aucune convention de réservation en vigueur cette année.")
        st.stop()
    rid = st.selectbox("Réservataire", list(noms), format_func=noms.get, key="r_reservataire",
                       help="Aperçu de ce que voit le compte de ce réservataire.")
ligne = jauges[jauges["reservataire_id"] == rid]
if ligne.empty:
    st.info(f"Aucune convention de « {md(rid)} » ne couvre un logement de ce périmètre en "
            f"{p.annee}.")
    st.stop()
row = ligne.iloc[0]
st.caption(f"{md(row['nom'])} · {md(state.libelle_perimetre())} · année {p.annee} · flux arrêté au "
           f"{fmt_date(p.date_arret)}")
remarques = load(path, fluxcore.jauges.remarques_conventions, p)
for texte in remarques.loc[remarques["reservataire_id"] == rid, "remarque"]:
    st.markdown(f"**{md(texte[0].upper() + texte[1:])}**")  # part of the year, rights taken back

c = st.columns(2 if proj else 4)
for i, (label, value) in enumerate([
        ("Droits de l'année", fmt_num(row["droits_annuels"])), ("Dû à date", fmt_num(row["du"])),
        ("Livrés", fmt_int(row["livres"])), ("Attribués", fmt_int(row["attribues"]))]):
    c[i % len(c)].metric(label, value)
st.plotly_chart(figures_flux.jauges(ligne, proj), width="stretch")
if not proj:  # the metrics above say it in large type
    show_table(*table_jauges(ligne))

st.subheader("Dû et orienté au fil de l'année")
cumul = load(path, fluxcore.jauges.cumul_mensuel, p, rid)
st.plotly_chart(figures_flux.cumul(cumul, row["nom"], proj), width="stretch")
qualite = load(path, fluxcore.jauges.qualite_flux, p)
q = qualite[qualite["reservataire_id"] == rid]
if len(q) and isinstance(q.iloc[0]["constat"], str):
    st.markdown(f"**Qualité du flux reçu** : {md(q.iloc[0]['constat'])}")

st.subheader("Logements orientés")
logs = load(path, fluxcore.jauges.logements_reservataire, p, rid)
if logs.empty:
    st.info("Aucun logement orienté vers ce réservataire sur la période.")
else:
    vue = logs.assign(
        date_liberation=[fmt_date(d) for d in logs["date_liberation"]],
        date_bail=[fmt_date(d) for d in logs["date_bail"]],
        en_qpv=logs["en_qpv"].map({True: "oui", False: "non"}),
        statut=logs["statut"].map(STATUTS).fillna(logs["statut"]))
    st.caption(f"{fmt_int(len(logs))} logements, dont "
               f"{fmt_int((logs['statut'] == 'ATTRIBUE').sum())} attribués.")
    show_table(vue[["date_liberation", "logement_id", "commune", "typologie", "financement",
                    "en_qpv", "statut", "date_bail"]], max_rows=12,
               column_config={"date_liberation": "Libéré le", "logement_id": "Logement",
                              "commune": "Commune", "typologie": "Typologie",
                              "financement": "Financement", "en_qpv": "En QPV",
                              "statut": "Statut", "date_bail": "Bail signé le"})

st.subheader("Candidats à proposer")
suivi_views.propositions_reservataire(path, p, rid, proj)

st.subheader("Bilan annuel")
annees = [a for a in load(path, fluxcore.tableau_de_bord.annees_disponibles)
          if a < date.today().year] or [date.today().year]
annee = st.selectbox("Année du bilan", annees, key="r_bilan_annee")
with stop_on_error(st.info):
    doc = load(path, fluxcore.bilan.bilan_reservataire, annee, rid, date.today())
bilan_views.metrics(doc, proj)
bilan_views.downloads(doc)
