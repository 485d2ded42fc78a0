"""Tableau de bord: where do we stand this year, and what needs attention?"""

import streamlit as st

import fluxcore.parametres
import fluxcore.suivi
import fluxcore.tableau_de_bord
from fluxcore import tableau_de_bord as tdb
from fluxcore.formats import fmt_date, fmt_int
from ui import figures, state, suivi_views
from ui.components import Numeric, bandeau_echeance_bilan, show_table, stop_on_error
from ui.data import load
from ui.texte import md

st.title("Tableau de bord")
path, p, proj = state.db_path(), state.perimetre(), state.projection()
with stop_on_error():
    chiffres = load(path, fluxcore.tableau_de_bord.chiffres_cles, p)
    categories = load(path, fluxcore.tableau_de_bord.orientations_par_categorie, p)
    mensuel = load(path, fluxcore.tableau_de_bord.flux_mensuel, p)
    vacants = load(path, fluxcore.tableau_de_bord.vacants_en_attente, p)
    param = load(path, fluxcore.parametres.get_parametres)
    echeances = load(path, fluxcore.suivi.nombre_echeances, p)

st.caption(f"{md(state.libelle_perimetre())} · année {p.annee} · données arrêtées au "
           f"{fmt_date(p.date_arret)}")

tranches = tdb.vacants_par_anciennete(vacants)
bandeau_echeance_bilan(p.aujourdhui, param)
suivi_views.bandeau_echeances(echeances, int(param["echeance_alerte_jours"]))

c1, c2, c3, c4, c5 = st.columns(5) if not proj else (*st.columns(3), *st.columns(3)[:2])
c1.metric("Logements du flux", fmt_int(chiffres["logements_flux"]),
          help=f"{fmt_int(chiffres['logements'] - chiffres['logements_flux'])} logements "
               "hors flux (défense, sécurité intérieure, santé) restent gérés en stock.")
delta = chiffres["liberations"] - chiffres["liberations_n1"]
# ASCII sign: Streamlit picks the arrow from a leading "-"
c2.metric("Libérations", fmt_int(chiffres["liberations"]),
          delta=f"{'+' if delta >= 0 else '-'}{fmt_int(abs(delta))} sur un an",
          delta_color="off", help="Depuis le 1er janvier, comparé à la même période de "
                                  "l'année précédente.")
c3.metric("Orientations", fmt_int(chiffres["orientations"]),
          help=f"Dont {fmt_int(chiffres['orientations_reservataires'])} vers les réservataires, "
               f"{fmt_int(chiffres['orientations_internes'])} pour usages internes (soustraits) "
               f"et {fmt_int(chiffres['orientations_bailleur'])} au bailleur.")
c4.metric("Baux signés", fmt_int(chiffres["baux_signes"]),
          help=f"{fmt_int(chiffres['decisions_caleol'])} décisions de CALEOL sur la période.")
seuil = int(param["vacance_alerte_jours"])
anciens = int((vacants["jours_attente"] >= seuil).sum()) if len(vacants) else 0
c5.metric("Vacants à orienter", fmt_int(len(vacants)),
          delta=f"{fmt_int(anciens)} à {seuil} j et plus", delta_color="inverse"
          if anciens else "off", help="Logements libérés sans orientation à ce jour.")

if categories.empty:
    st.info("Aucune orientation sur la période et le territoire choisis.")
else:
    st.plotly_chart(figures.orientations_par_categorie(categories, proj), width="stretch")

left, right = st.columns([2, 3]) if not proj else (st.container(), st.container())
with left:
    st.plotly_chart(figures.vacants_par_anciennete(tranches, proj), width="stretch")
with right:
    if mensuel.empty:
        st.info("Pas encore de mouvement enregistré cette année.")
    else:
        st.plotly_chart(figures.flux_mensuel(mensuel, proj), width="stretch")

st.subheader("Logements vacants en attente d'orientation")
if vacants.empty:
    st.success("Tous les logements libérés ont été orientés.")
else:
    top = vacants.head(15)
    table = top.assign(date_liberation=[fmt_date(d) for d in top["date_liberation"]],
                       en_qpv=top["en_qpv"].map({True: "QPV", False: "hors QPV"}))
    cols = ["jours_attente", "typologie", "commune", "en_qpv", "residence", "date_liberation"]
    show_table(
        table[cols if proj else [cols[0], "logement_id", *cols[1:], "financement"]],
        column_config={"logement_id": "Logement", "typologie": "Typologie",
                       "financement": "Financement", "residence": "Résidence",
                       "commune": "Commune", "en_qpv": "Quartier",
                       "date_liberation": "Libéré le",
                       "jours_attente": Numeric("Jours d'attente")})
    if len(vacants) > 15:
        st.caption(f"Les 15 plus anciens sur {fmt_int(len(vacants))}.")
