"""Jauges de flux: per réservataire, owed to date vs oriented and attributed; quality; limits."""

from dataclasses import replace

import streamlit as st

import fluxcore.jauges
import fluxcore.limites
import fluxcore.parametres
import fluxcore.sne
import fluxcore.tableau_de_bord
from fluxcore.formats import accord, fmt_date
from fluxcore.geo import noms_departements
from fluxcore.jauges import DIMENSIONS, regrouper_par_type
from fluxcore.limites import textes_derogations
from ui import figures_flux, state
from ui.components import Numeric, show_table, stop_on_error
from ui.data import load
from ui.sne_views import table_par_reservataire
from ui.tables import table_jauges, table_qualite
from ui.texte import md

st.title("Jauges de flux")
path, p, proj = state.db_path(), state.perimetre(), state.projection()
with stop_on_error():
    communes = load(path, fluxcore.tableau_de_bord.communes_du_territoire, p)
    options = {"": "Toutes les communes"} | dict(zip(communes["code"], communes["nom"]))
    commune = st.selectbox("Commune", list(options), format_func=options.get, key="j_commune")
    p = replace(p, commune_insee=commune or None)
    jauges = load(path, fluxcore.jauges.jauges_reservataires, p)
    remarques = load(path, fluxcore.jauges.remarques_conventions, p)
    controles = load(path, fluxcore.jauges.controles_legaux, p)
    derogations = load(path, fluxcore.limites.derogations, p)
    qualite = load(path, fluxcore.jauges.qualite_flux, p)
    param = load(path, fluxcore.parametres.get_parametres)

st.caption(f"{md(state.libelle_perimetre())}{' · ' + md(options[commune]) if commune else ''} · "
           f"année {p.annee} · flux arrêté au {fmt_date(p.date_arret)} · logements rendus au "
           f"bailleur {'comptés' if param['rendu_bailleur_compte_livre'] else 'non comptés'} "
           "comme livrés")
if jauges["entres"].max() == 0:
    st.info("Aucun logement n'est encore entré dans le flux sur ce périmètre cette année.")
    st.stop()

lecture, deps = param["lecture_hors_qpv_prefet"], noms_departements()
for c in controles[~controles["respecte"]].itertuples():
    st.error(f"**{md(c.libelle)}** ({c.article}, {md(deps.get(c.departement, c.departement))})"
             f" — {md(c.message)}", icon=":material/gavel:")
respectes = accord(int(controles["respecte"].sum()), "contrôle respecté", "contrôles respectés")
arretes = accord(len(derogations), "dérogation préfectorale", "dérogations préfectorales")
with st.expander(f"Limites légales : {respectes} sur {len(controles)} — règle hors QPV du "
                 f"préfet en lecture {lecture}" + (f" — {arretes}" if len(derogations) else "")):
    for texte in textes_derogations(derogations):
        st.markdown(f"- {md(texte)}")
    for c in controles[controles["respecte"]].itertuples():
        st.markdown(f"- **{md(c.libelle)}** ({c.article}, "
                    f"{md(deps.get(c.departement, c.departement))}) : {md(c.message)}")

grouper = st.toggle("Regrouper par type de réservataire", value=not p.departement,
                    help="Une jauge par type (préfet, Action Logement, communes…).")
vue = regrouper_par_type(jauges) if grouper else jauges[jauges["du"] > 0.05]
st.plotly_chart(figures_flux.jauges(vue, proj), width="stretch")
st.caption("Chaque jauge sur sa propre échelle (100 % = droits prévus sur l'année). Barre : "
           "logements livrés (rouge : en retard, vert : à jour, bleu : en avance) ; trait noir : "
           "dû à date (taux × logements entrés dans le flux).")

st.subheader("Écarts par réservataire")
show_table(*table_jauges(vue, proj))
if len(remarques):  # conventions on part of the year, rights taken back by the préfet
    st.markdown("**Conventions sur une partie de l'année et droits repris par le préfet**\n"
                + "\n".join(f"- **{md(r.nom)}** : {md(r.remarque)}"
                            for r in remarques.itertuples()))

if st.toggle("Comparer avec la lecture du SNE", key="j_sne",
             help="Baux signés de l'année par réservataire selon le bailleur et selon les "
                  "radiations enregistrées au SNE (détail : page Rapprochement SNE)."):
    sne = load(path, fluxcore.sne.rapprocher, p)
    if sne.importees == 0:
        st.info("Aucune radiation SNE importée : importez un extrait SNE (Données › Importer).")
    else:
        show_table(*table_par_reservataire(sne.par_reservataire))

st.subheader("Dû et orienté au fil de l'année")
noms = dict(zip(jauges["reservataire_id"], jauges["nom"]))
noms.pop("BAILLEUR", None)
choix = st.selectbox("Réservataire", list(noms), format_func=noms.get, key="j_reservataire")
cumul = load(path, fluxcore.jauges.cumul_mensuel, p, choix)
st.plotly_chart(figures_flux.cumul(cumul, noms[choix], proj), width="stretch")

st.subheader("Qualité du flux")
st.caption("Score d'écart de composition : part des logements d'un réservataire qu'il faudrait "
           "changer pour retrouver la composition du flux de son périmètre (0 = même "
           "composition), moyenne sur typologie, QPV, financement et commune.")
q = qualite.merge(jauges[["reservataire_id", "nom"]], on="reservataire_id")
q = q.sort_values("score", ascending=False, na_position="last")
show_table(*table_qualite(q, proj))
dim = st.radio("Dimension", list(DIMENSIONS), format_func=DIMENSIONS.get, horizontal=True)
compo = load(path, fluxcore.jauges.composition, p)
st.plotly_chart(figures_flux.composition(compo[compo["reservataire_id"] == choix], dim, proj),
                width="stretch")

st.subheader("Répartition du contingent préfectoral par commune")
rep = load(path, fluxcore.jauges.repartition_prefet, p)
st.caption("Règle d'uniformité : le taux du préfet s'applique au flux de chaque commune.")
rep = rep.head(15)
show_table(rep, column_config={
    "commune": "Commune", "flux": Numeric("Flux entré"), "du": Numeric("Dû au préfet", 1),
    "orientes": "Orientés au préfet", "ecart": Numeric("Écart", 1, signed=True)})
