"""Objectifs CIL: per EPCI, the CIA/L441-1 attribution objectives against their targets, the
year's trajectory, prioritaires per réservataire, and what remains to be done."""

from dataclasses import replace

import streamlit as st

import fluxcore.objectifs
import fluxcore.parametres
from fluxcore.formats import accord, fmt_cible, fmt_date
from fluxcore.objectifs import phrase
from fluxcore.reglages import libelle
from ui import objectifs_views as views
from ui import state
from ui.components import show_table, stop_on_error
from ui.data import load
from ui.texte import md

st.title("Objectifs CIL")
path, p, proj = state.db_path(), state.perimetre(), state.projection()
with stop_on_error():
    suivi = load(path, fluxcore.objectifs.suivi, p)
    reglages = load(path, fluxcore.parametres.get_parametres)

st.caption(f"{md(state.libelle_perimetre())} · baux signés en {p.annee} jusqu'au "
           f"{fmt_date(p.date_arret)} · cibles de la CIA (table des objectifs), sinon cibles "
           "légales (L441-1)")
if suivi.empty:
    st.info("Aucun EPCI dans ce périmètre : importez des résidences rattachées à un EPCI.")
    st.stop()

with_leases = suivi.groupby("epci_siren")["base"].max()
shown = suivi[suivi["epci_siren"].isin(with_leases[with_leases > 0].index)]
st.subheader("Où en est chaque EPCI ?")
if shown.empty:
    st.info(f"Aucun bail signé en {p.annee} sur ce périmètre.")
    st.stop()
late = shown.assign(r=shown["manque"] > 0).groupby("epci_siren").agg(
    retards=("r", "sum"), baux=("base", "max")).sort_values(["retards", "baux"],
                                                          ascending=False)
order = list(late.index)
first = 4 if proj else 6
views.cards(shown[shown["epci_siren"].isin(order[:first])], order[:first], 2 if proj else 3)
if len(order) > first:
    with st.expander(f"Les {len(order) - first} autres EPCI"):
        views.cards(shown, order[first:], 2 if proj else 3)
st.caption("✓ cible atteinte · ✗ en retard (« manque » = attributions encore nécessaires "
           "pour atteindre la cible à ce jour, ⌈cible × baux⌉ − réalisé).")

noms = {e: shown.loc[shown["epci_siren"] == e, "nom"].iloc[0] for e in order}
default = list(noms).index(p.epci_siren) if p.epci_siren in noms else 0
epci = st.selectbox("EPCI détaillé", list(noms), index=default, format_func=noms.get,
                    key="cil_epci")
pe = replace(p, epci_siren=epci, commune_insee=None)
with stop_on_error():
    traj = load(path, fluxcore.objectifs.trajectoire, pe)
    reservataires = load(path, fluxcore.objectifs.prioritaires_par_reservataire, pe)
    par_epci = load(path, fluxcore.objectifs.prioritaires_par_epci, pe)

rows = suivi[suivi["epci_siren"] == epci]
st.subheader(f"Ce qu'il reste à faire en {p.annee}")
for r in rows.to_dict("records"):
    st.markdown(f"- **{md(r['libelle'])}** — {md(phrase(r))}")
inconnus = int(rows["quartile_inconnu"].iloc[0])
if inconnus:
    st.warning(f"{accord(inconnus, 'bail', 'baux')} sans quartile connu (ni quartile, ni "
               "ressources par UC face à un seuil) : comptés dans la base, dans aucun "
               "numérateur.")
nb = int(reglages["rotation_annees_historique"])
st.caption(f"Baux attendus d'ici la fin de l'année : parc × rotation observée sur "
           f"{'la dernière année' if nb == 1 else f'les {nb} dernières années'} (paramètre "
           f"« {libelle('rotation_annees_historique')} », Données › Paramètres), au prorata des "
           "jours restants.")

cibles = dict(zip(rows["indicateur"], rows["cible_pct"]))
st.plotly_chart(views.trajectoire(traj, cibles, proj), width="stretch", theme="streamlit")

st.subheader("Publics prioritaires par réservataire")
st.caption(f"Objectif légal (L441-1) apprécié sur chaque convention, c'est-à-dire sur tout le "
           f"département : au moins {fmt_cible(reglages['cible_prioritaires_pct'])} des "
           "attributions de chaque réservataire et de celles du bailleur hors réservation "
           "(logements rendus par un réservataire compris) ; tout le contingent du préfet "
           "(100 %). Agents de l'État, relogements soustraits : sans cible. Les mutations "
           "internes n'entrent dans aucune base (R441-5 : soustraites du flux).")
show_table(*views.table_reservataires(reservataires))
with st.expander(f"Dans {md(noms[epci])} (information, pas un verdict)"):
    st.caption("Part des publics prioritaires dans les baux de l'EPCI ; un « Engagement CIA » "
               "n'apparaît que si la convention intercommunale d'attribution en fixe un pour "
               "ce réservataire (table des objectifs).")
    show_table(*views.table_reservataires(par_epci, epci=True))

st.subheader("Par commune ou par résidence")
niveau = st.radio("Niveau", ["commune", "residence"], horizontal=True, key="cil_niveau",
                  format_func={"commune": "Commune", "residence": "Résidence"}.get)
det = load(path, fluxcore.objectifs.detail, pe, niveau)
show_table(*views.table_detail(det, niveau))
