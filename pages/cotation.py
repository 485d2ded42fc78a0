"""Cotation de la demande: the EPCI's grid (versioned), the distribution of scores, the ranked
candidates of a vacated dwelling per possible destination, the well-scored demandes left
unsatisfied, and what a demandeur must be told (R441-2-17)."""

import getpass
from dataclasses import replace
from datetime import date

import streamlit as st

from fluxcore.cotation import candidats_contingent, enregistrer_grille
from fluxcore.cotation.candidats import resume
from fluxcore.errors import FluxcoreError
from fluxcore.formats import fmt_date, fmt_int, fmt_num
from ui import cotation_views as views
from ui import state
from ui.components import table_height
from ui.data import get_db, load

st.title("Cotation")
path, p, proj = state.db_path(), state.perimetre(), state.projection()
today = p.aujourdhui
try:
    epcis = load(path, "fluxcore.cotation.epcis_cotation", today)
except FluxcoreError as exc:
    st.error(str(exc))
    st.stop()
if epcis.empty:
    st.info("Aucune grille de cotation : importez la table grille_cotation (page Données) ou "
            "saisissez la première grille d'un EPCI ci-dessous.")
noms = dict(zip(epcis["epci_siren"], epcis["nom"]))
if not noms:
    st.stop()
default = list(noms).index(p.epci_siren) if p.epci_siren in noms else 0
epci = st.selectbox("EPCI (grille de cotation)", list(noms), index=default,
                    format_func=noms.get, key="c_epci")
st.caption("La cotation est une aide à la décision pour désigner les candidats et préparer la "
           "CALEOL ; elle ne décide jamais seule (L441-2-8). Scores au "
           f"{fmt_date(today)}, selon la version de la grille en vigueur à cette date.")

onglets = st.tabs(["Scores", "Candidats d'un logement", "Non satisfaites", "Demandeur",
                   "Grille"])

with onglets[0]:
    dist = load(path, "fluxcore.cotation.distribution", today, epci)
    cols = st.columns(4)
    cols[0].metric("Demandes actives", fmt_int(dist["nb"]))
    if dist["notees"]:
        q = dist["quantiles"]
        cols[1].metric("Score médian", fmt_num(q["mediane"], 0))
        cols[2].metric("9e décile", fmt_num(q["d9"], 0))
        cols[3].metric("Score moyen", fmt_num(dist["moyenne"], 1))
        st.plotly_chart(views.histogramme(dist["classes"], proj,
                                          f"Scores des demandes actives – {noms[epci]}"),
                        width="stretch")
        st.caption(f"Quartiles : {fmt_num(q['q1'], 0)} · {fmt_num(q['mediane'], 0)} · "
                   f"{fmt_num(q['q3'], 0)} points ; 1er décile {fmt_num(q['d1'], 0)}, "
                   f"9e décile {fmt_num(q['d9'], 0)} ; de {fmt_num(dist['min'], 0)} à "
                   f"{fmt_num(dist['max'], 0)} points.")
    if dist["sans_grille"]:
        st.warning(f"{fmt_int(dist['sans_grille'])} demande(s) sans grille en vigueur à cette "
                   "date : classées par ancienneté seulement.")

with onglets[1]:
    vacants = load(path, "fluxcore.tableau_de_bord.vacants_en_attente",
                   replace(p, departement=None, epci_siren=epci))
    vacants = vacants[~vacants["hors_flux"]] if len(vacants) else vacants
    if vacants.empty:
        st.success(f"Aucun logement libéré n'attend d'orientation dans {noms[epci]}.")
    else:
        labels = {r.liberation_id: f"{r.logement_id} · {r.typologie} {r.financement} · "
                                   f"{r.commune} · {r.jours_attente} j d'attente"
                  for r in vacants.itertuples()}
        c1, c2 = st.columns([3, 1])
        lib = c1.selectbox("Logement libéré", list(labels), format_func=labels.get,
                           key="c_lib")
        etendue = c2.segmented_control(
            "Demandes souhaitant", ["commune", "epci"], default="commune", key="c_etendue",
            format_func={"commune": "sa commune", "epci": "son EPCI"}.get) or "commune"
        try:
            cand, dest = load(path, "fluxcore.cotation.par_destination", lib, today, etendue)
        except FluxcoreError as exc:
            st.error(str(exc))
        else:
            st.markdown(resume(cand))
            excl = cand.exclusions[cand.exclusions["nb"] > 0]
            if len(excl):
                st.caption("Écartées (une demande peut l'être pour plusieurs motifs) : " +
                           " ; ".join(f"{m} {fmt_int(n)}" for m, n in
                                      zip(excl["motif"], excl["nb"])) + ".")
            st.plotly_chart(views.destinations(dest, proj), width="stretch")
            st.dataframe(views.table_destinations(dest), hide_index=True, width="stretch")
            choix = {r.destinataire: f"{r.rang_orientation}. {r.nom}"
                     for r in dest.itertuples() if r.contingent != "hors_cotation"}
            if choix:
                d = st.selectbox("Candidats classés pour la destination", list(choix),
                                 format_func=choix.get, key="c_dest")
                cont = dest.set_index("destinataire").at[d, "contingent"]
                top = candidats_contingent(cand, cont)
                n = 10 if proj else 25
                st.dataframe(views.table_candidats(top.head(n), proj), hide_index=True,
                             width="stretch", height=table_height(min(n, max(len(top), 1))))
                st.caption(f"{fmt_int(len(top))} candidat(s) ; classement par score, à score "
                           "égal la demande la plus ancienne d'abord.")

with onglets[2]:
    ns = load(path, "fluxcore.cotation.non_satisfaites", today, epci)
    param = load(path, "fluxcore.parametres.get_parametres")
    st.markdown(
        f"Demandes dont le score atteint le {fmt_num(param['cotation_rang_bien_cotees_pct'], 0)}"
        "e centile des scores de l'EPCI et qui attendent depuis plus longtemps que les demandes "
        f"comparables satisfaites ces {param['cotation_attente_mois']} derniers mois : à "
        "examiner avec les partenaires.")
    if ns.empty:
        st.success("Aucune demande bien cotée n'attend au-delà du délai observé.")
    else:
        st.metric("Demandes bien cotées en attente prolongée", fmt_int(len(ns)))
        n = 15 if proj else 200
        st.dataframe(views.table_non_satisfaites(ns.head(n), proj), hide_index=True,
                     width="stretch", height=table_height(min(n, len(ns), 15)))

with onglets[3]:
    if proj:
        st.info("La consultation d'un demandeur est masquée en mode projection (identifiant "
                "pseudonyme et situation du ménage).")
    else:
        did = st.text_input("Identifiant pseudonyme de la demande", key="c_demande",
                            placeholder="ex. DEM100004539").strip()
        if did:
            try:
                pos = load(path, "fluxcore.cotation.position_demandeur", did, today)
            except FluxcoreError as exc:
                st.error(str(exc))
            else:
                st.subheader("Ce que le demandeur doit pouvoir connaître (R441-2-17)")
                st.markdown("\n".join(f"- {x}" for x in pos.phrases))
                if len(pos.detail):
                    st.dataframe(views.table_detail(pos.detail), hide_index=True)
                if pos.comparables:
                    st.plotly_chart(views.histogramme(
                        pos.comparables["classes"], proj,
                        f"Scores des demandes comparables ({pos.comparables['libelle']})",
                        float(pos.demande["score"]), "cette demande"), width="stretch")

with onglets[4]:
    versions = load(path, "fluxcore.cotation.versions_grille", epci, today)
    vig = versions.loc[versions["en_vigueur"], "version"]
    opts = versions["version"].tolist()
    v = st.selectbox("Version", opts, index=opts.index(int(vig.iloc[0])) if len(vig) else
                     len(opts) - 1, key="c_version",
                     format_func=lambda x: f"Version {x}" + (" (en vigueur)" if len(vig) and
                                                             x == int(vig.iloc[0]) else ""))
    g = load(path, "fluxcore.cotation.grille", epci, v)
    st.dataframe(views.table_grille(g), hide_index=True, width="stretch",
                 height=table_height(len(g)))
    st.dataframe(views.table_versions(versions), hide_index=True)
    if not proj:
        with st.expander("Nouvelle version de la grille"):
            st.caption("Une version enregistrée ne change plus : la nouvelle s'applique à partir "
                       "de sa date d'effet ; l'écart avec la précédente est inscrit au journal. "
                       "Codes spéciaux : ANCIENNETE_MOIS (points par mois complet), REFUS "
                       "(points par refus d'un logement adapté, négatif).")
            edited = st.data_editor(g[["critere", "libelle", "points"]], num_rows="dynamic",
                                    hide_index=True, key="c_editeur", column_config={
                                        "critere": "Code", "libelle": "Critère",
                                        "points": st.column_config.NumberColumn("Points")})
            c1, c2 = st.columns(2)
            effet = c1.date_input("Applicable à partir du", value=date.today(),
                                  format="DD/MM/YYYY", key="c_effet")
            auteur = c2.text_input("Modifiée par", key="c_auteur",
                                   value=st.session_state.get("auteur", getpass.getuser()))
            if st.button("Enregistrer la nouvelle version", type="primary", key="c_save"):
                try:
                    num = enregistrer_grille(get_db(path), epci, edited, effet, auteur)
                except FluxcoreError as exc:
                    st.error(str(exc))
                else:
                    st.session_state["auteur"] = auteur
                    st.toast(f"Version {num} de la grille enregistrée.")
                    st.rerun()
