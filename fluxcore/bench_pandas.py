"""Plain-pandas baselines of the benchmark: the computations behind several fluxcore calls,
written as an analyst would in a notebook, to compare against the SQL of fluxcore.

`charger` loads every table whole, once (untimed, `select * from <table>` only); each baseline
then uses pandas alone (merges, group-bys, boolean masks) and returns the same figures as the
fluxcore call it mirrors. `BASELINES[key](tables, ...)` takes the business arguments of that
call:
- chiffres_cles(tables, p)                     tableau_de_bord.chiffres_cles(db, p)
- jauges(tables, p)                            jauges.jauges_reservataires(db, p)
- fragilite_indicateurs(tables, arret, epci=None, departement=None)
                                               fragilite.indicateurs(db, arret, ...)
- scores(tables, aujourdhui, epci_siren=None)  cotation.scores(db, aujourdhui, ...)
- suivi_cil(tables, p, prevision=True)         objectifs.suivi(db, p, prevision)
- etat_orientation(tables, liberation_id, aujourdhui=None)
      sql/orientation/etat.sql with the parameters orientation.classer_destinations gives it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

import numpy as np
import pandas as pd

from fluxcore.codes import (
    BAILLEUR,
    DESTINATIONS_BAILLEUR,
    RELOGEMENTS_Q1,
    STATUTS_EN_COURS,
    TYPES_TERRITORIAUX,
)
from fluxcore.imports.spec import PARTS_OPS
from fluxcore.objectifs import DEFAUTS, LIBELLES
from fluxcore.parametres import PARAMETRES
from fluxcore.perimetre import Perimetre
from fluxcore.regles import INTERNES

TABLES = ("residence", "logement", "reservataire", "convention", "liberation", "orientation",
          "attribution", "occupation", "occupation_territoire", "seuil_quartile", "demande",
          "grille_cotation", "objectif", "parametre", "ref_commune", "ref_epci")
ENTREES = STATUTS_EN_COURS.codes  # orientation still in progress
JOUR = pd.Timedelta(days=1)


def charger(db) -> dict[str, pd.DataFrame]:
    """Every table the baselines read, whole (the untimed part of the baseline)."""
    return {t: db.df(f"select * from {t}") for t in TABLES}


# -- shared pieces --------------------------------------------------------------------------
def _reglages(t: dict) -> dict:
    """Settings: the defaults overridden by the parametre table (JSON values)."""
    s = {x.cle: x.defaut for x in PARAMETRES}
    rows = t["parametre"]
    s.update({c: json.loads(v) for c, v in zip(rows["cle"], rows["valeur"]) if c in s})
    return s


def _historique(s: dict) -> tuple[int, bool]:
    """(past years observed for the rotation, first lettings in the flux)."""
    return int(s["rotation_annees_historique"]), bool(s["premieres_mises_en_location_dans_flux"])


def _territoire(res: pd.DataFrame, dep=None, epci=None, commune=None) -> pd.Series:
    """Mask of the résidences in a territory (None = no restriction)."""
    m = pd.Series(True, index=res.index)
    for col, value in (("departement", dep), ("epci_siren", epci), ("commune_insee", commune)):
        if value is not None:
            m &= res[col] == value
    return m


def _observee(b: pd.DataFrame, annee: int, nb: int) -> pd.Series:
    """Libérations counted in the observed rotation: the nb years before `annee`, first
    lettings (motif, or within 31 days of the service date) excluded."""
    dms = b["date_mise_en_service"]
    return (b["date_liberation"].dt.year.between(annee - nb, annee - 1)
            & b["motif"].ne("PREMIERE_LOCATION")
            & (dms.isna() | (b["date_liberation"] > dms + 31 * JOUR)))


def _q1(df: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """(first quartile, unknown): the attribution's quartile when given, else its resources
    per UC below the threshold `seuil_q1_uc`; unknown when neither can be read."""
    known = df["quartile"].notna()
    q1 = df["quartile"].fillna(0).eq(1).astype(bool).where(
        known, df["ressources_uc"] < df["seuil_q1_uc"])
    return q1, ~known & (df["ressources_uc"].isna() | df["seuil_q1_uc"].isna())


def _couvre(conv: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """Convention × rows of its département inside its perimeter (commune, EPCI or all)."""
    m = conv.merge(rows, on="departement")
    return m[m["perimetre"].isna() | (m["perimetre"] == m["commune_insee"])
             | (m["perimetre"] == m["epci_siren"])]


def _lignes(t: dict, p: Perimetre, premieres: bool):
    """The flux of the year in a territory: (log, conv, lib, entree) as in jauges/lignes.sql."""
    res = t["residence"][_territoire(t["residence"], p.departement, p.epci_siren,
                                     p.commune_insee)]
    lo = t["logement"]
    log = lo.loc[lo["hors_flux_motif"].isna(), ["logement_id", "typologie", "financement",
                                                "date_mise_en_service", "residence_id"]].merge(
        res[["residence_id", "en_qpv", "departement", "commune_insee", "epci_siren"]],
        on="residence_id")
    # conventions in force on some day of the year by their dates (date_debut/date_fin, else
    # their years); a commune/EPCI convention takes the réservataire's territory as perimeter
    # and one with neither is left out (sql/conventions/periodes.sql). Not applied here (the
    # bench demo has none): the end of a loan guarantee, the overlap rule, the préfet's
    # reprise lines and counting only the dwellings vacated on a part-year convention's days.
    cv = t["convention"].merge(t["reservataire"][["reservataire_id", "nom", "type",
                                                  "territoire"]], on="reservataire_id")
    debut = pd.to_datetime(cv["date_debut"]).fillna(
        pd.to_datetime(cv["annee_debut"].astype(str) + "-01-01"))
    fin = pd.to_datetime(cv["date_fin"]).fillna(
        pd.to_datetime(cv["annee_fin"].astype(str) + "-12-31"))
    locale = cv["type"].isin(TYPES_TERRITORIAUX)
    cv = cv.assign(perimetre=cv["perimetre"].where(cv["perimetre"].notna() | ~locale,
                                                   cv["territoire"]))
    cv = cv.assign(debut=debut, fin=fin)
    conv = cv[(debut <= pd.Timestamp(p.annee, 12, 31)) & (fin >= pd.Timestamp(p.annee, 1, 1))
              & (cv["perimetre"].notna() | ~locale)].drop(columns="territoire")
    b = t["liberation"]
    b = b[b["date_liberation"].between(pd.Timestamp(p.date_debut), pd.Timestamp(p.date_arret))]
    b = b.merge(log, on="logement_id")
    latest = t["orientation"].merge(b[["liberation_id"]], on="liberation_id").sort_values(
        ["date_orientation", "orientation_id"], ascending=False).drop_duplicates("liberation_id")
    lib = b.merge(latest[["liberation_id", "orientation_id", "destinataire", "statut"]],
                  on="liberation_id", how="left")
    lib["premiere"] = lib["motif"].eq("PREMIERE_LOCATION") | (
        lib["date_liberation"] <= lib["date_mise_en_service"] + 31 * JOUR)
    entree = lib[~lib["destinataire"].isin(INTERNES)]
    if not premieres:
        entree = entree[~entree["premiere"]]
    return log, conv, lib, entree


# -- 1. Tableau de bord: key figures --------------------------------------------------------
def chiffres_cles(t: dict, p: Perimetre) -> dict[str, int]:
    """tableau_de_bord.chiffres_cles: the key figures of the year in a territory."""
    debut, arret, un_an = pd.Timestamp(p.date_debut), pd.Timestamp(p.date_arret), \
        pd.DateOffset(years=1)
    res = t["residence"][_territoire(t["residence"], p.departement, p.epci_siren)]
    log = t["logement"].merge(res[["residence_id"]], on="residence_id")
    dms = log["date_mise_en_service"]
    en_service = dms.isna() | (dms <= arret)
    lib = t["liberation"].merge(log[["logement_id", "hors_flux_motif"]], on="logement_id")
    d = lib["date_liberation"]
    ori = t["orientation"].merge(lib.loc[lib["hors_flux_motif"].isna(), ["liberation_id"]],
                                 on="liberation_id")
    ori = ori[ori["date_orientation"].between(debut, arret)]
    dest = ori["destinataire"]
    att = t["attribution"].merge(log[["logement_id"]], on="logement_id")
    out = {"logements": en_service.sum(),
           "logements_flux": (en_service & log["hors_flux_motif"].isna()).sum(),
           "liberations": d.between(debut, arret).sum(),
           "liberations_n1": d.between(debut - un_an, arret - un_an).sum(),
           "orientations": len(ori),
           "orientations_reservataires": (~dest.isin([*INTERNES, "BAILLEUR"])).sum(),
           "orientations_internes": dest.isin(INTERNES).sum(),
           "orientations_bailleur": (dest == "BAILLEUR").sum(),
           "rendus_bailleur": (ori["statut"] == "RENDU_BAILLEUR").sum(),
           "decisions_caleol": att["date_caleol"].between(debut, arret).sum(),
           "baux_signes": att["date_bail"].between(debut, arret).sum()}
    return {k: int(v) for k, v in out.items()}


# -- 2. Jauges per réservataire -------------------------------------------------------------
def _par_convention(t: dict, p: Perimetre, s: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(one row per convention in force with flux dwellings in the territory, the entries):
    forecast flux of its perimeter, flux entered, oriented, attributed, returned, in progress."""
    nb, prem = _historique(s)
    log, conv, _, entree = _lignes(t, p, prem)
    a, geo, seg = p.annee, ["departement", "commune_insee", "epci_siren"], ["typologie", "en_qpv"]
    dms = log["date_mise_en_service"]
    an = dms.dt.year.fillna(1900)
    parc_c = log.assign(
        parc=dms.isna() | (dms < pd.Timestamp(a, 1, 1)),
        parc_observe=(a - np.maximum(a - nb, an + 1)).clip(0, nb),
        premieres=dms.dt.year == a,
    ).groupby(geo + seg, dropna=False, as_index=False)[["parc", "parc_observe", "premieres"]].sum()
    passe = t["liberation"].merge(log, on="logement_id")     # every libération of the flux
    obs_c = passe[_observee(passe, a, nb)].groupby(["commune_insee", *seg]).size().rename(
        "libs").reset_index()
    passe = passe[passe["date_liberation"].dt.year.between(a - nb, a - 1)].merge(
        t["orientation"][["liberation_id", "destinataire"]], on="liberation_id")
    sous_c = passe[passe["destinataire"].isin(INTERNES)].groupby(
        geo, dropna=False).size().rename("n").reset_index()

    keys = conv[["convention_id", "reservataire_id", "departement", "perimetre"]]
    segs = _couvre(keys, parc_c).merge(obs_c, on=["commune_insee", *seg], how="left")
    segs = segs.fillna({"libs": 0}).groupby(["convention_id", *seg], as_index=False)[
        ["parc", "parc_observe", "premieres", "libs"]].sum()
    tot = segs.groupby("convention_id")[["libs", "parc_observe"]].transform("sum")
    taux = (segs["libs"] / segs["parc_observe"].where(segs["parc_observe"] != 0)).fillna(
        tot["libs"] / tot["parc_observe"].where(tot["parc_observe"] != 0)).fillna(0.0)
    prevu = segs.assign(est=segs["parc"] * taux).groupby("convention_id", as_index=False).agg(
        liberations_est=("est", "sum"), premieres=("premieres", "sum"))
    sous = (_couvre(keys, sous_c).groupby("convention_id")["n"].sum() / nb).rename("soustraits")

    entree_c = entree.groupby([*geo, "destinataire", "statut"], dropna=False).size().rename(
        "n").reset_index()
    r = _couvre(keys, entree_c)
    mine = r["destinataire"] == r["reservataire_id"]
    n = r["n"]
    r = r.assign(entres=n, orientes=n.where(mine, 0),
                 attribues=n.where(mine & (r["statut"] == "ATTRIBUE"), 0),
                 rendus=n.where(mine & (r["statut"] == "RENDU_BAILLEUR"), 0),
                 en_cours=n.where(mine & r["statut"].isin(ENTREES), 0))
    counts = ["entres", "orientes", "attribues", "rendus", "en_cours"]
    realise = r.groupby("convention_id")[counts].sum()

    out = (conv.merge(prevu, on="convention_id").join(sous, on="convention_id")
           .join(realise, on="convention_id"))
    out[counts] = out[counts].fillna(0).astype(int)
    out["flux_net_prevu"] = (out["liberations_est"] + (out["premieres"] if prem else 0)
                             - out["soustraits"].fillna(0.0))
    out = out.sort_values(["departement", "perimetre", "taux_flux", "reservataire_id"],
                          ascending=[True, True, False, True], na_position="first")
    return out.reset_index(drop=True), entree


def jauges(t: dict, p: Perimetre) -> pd.DataFrame:
    """jauges.jauges_reservataires: the gauges per réservataire plus the bailleur's part."""
    s = _reglages(t)
    conv, entree = _par_convention(t, p, s)
    rate = conv["taux_flux"] / 100.0
    flux_annuel = conv["entres"] if p.annee_complete else conv["flux_net_prevu"].clip(
        lower=conv["entres"])
    conv["droits_annuels"] = rate * flux_annuel
    conv["du"] = rate * conv["entres"]
    conv["livres"] = conv["orientes"] - (0 if s["rendu_bailleur_compte_livre"] else conv["rendus"])
    conv["ecart"] = conv["livres"] - conv["du"]
    cols = ["droits_annuels", "du", "orientes", "attribues", "rendus", "en_cours", "livres",
            "ecart", "entres"]
    g = conv.groupby(["reservataire_id", "nom", "type"], as_index=False)[cols].sum()
    nominal = g["reservataire_id"].map(conv.groupby("reservataire_id")["taux_flux"].mean())
    g["taux"] = (100.0 * g["du"] / g["entres"].where(g["entres"] > 0)).fillna(nominal)

    entres = len(entree)
    au_bailleur = entree["destinataire"] == "BAILLEUR"
    n_b = int(au_bailleur.sum())
    du_b = entres - float(g["du"].sum())
    prevu_total = float(conv.drop_duplicates("departement")["flux_net_prevu"].sum())
    bailleur = {"reservataire_id": "BAILLEUR", "nom": DESTINATIONS_BAILLEUR.groupes[BAILLEUR],
                "type": "BAILLEUR", "du": du_b, "orientes": n_b,
                "attribues": int((au_bailleur & (entree["statut"] == "ATTRIBUE")).sum()),
                "rendus": 0, "en_cours": 0, "livres": n_b, "ecart": n_b - du_b,
                "entres": entres, "taux": 100.0 * du_b / entres if entres else float("nan"),
                "droits_annuels": du_b if p.annee_complete else max(
                    du_b, prevu_total - float(g["droits_annuels"].sum()))}
    out = pd.concat([g, pd.DataFrame([bailleur])], ignore_index=True)
    out["ecart_pct"] = 100.0 * out["ecart"] / out["du"].where(out["du"] > 0)
    return out.sort_values("reservataire_id", ignore_index=True)[
        ["reservataire_id", "nom", "type", "taux", *cols[:-1], "ecart_pct", "entres"]]


# -- 3. Fragilité: indicators of every résidence --------------------------------------------
def _ops_communes(t: dict, res: pd.DataFrame, annee: int) -> pd.DataFrame:
    """The commune-level OPS wave of each résidence and population: its side of the QPV line
    first, its commune's code before the parent commune's (arrondissement), then the latest."""
    o = t["occupation_territoire"]
    o = o[o["annee"] <= annee].sort_values(["commune_insee", "secteur", "population", "annee"])
    g = o.groupby(["commune_insee", "secteur", "population"])
    o = o.assign(prev_ressources_faibles=g["part_ressources_faibles"].shift(),
                 prev_sans_emploi=g["part_sans_emploi"].shift())
    parent = t["ref_commune"].set_index("code_insee")["commune_parent"].dropna()
    k = res[["residence_id", "commune_insee", "en_qpv"]]
    k = pd.concat([k.assign(code=k["commune_insee"], rang=0),
                   k.assign(code=k["commune_insee"].map(parent), rang=1).dropna(
                       subset=["code"])])
    c = k.drop(columns="commune_insee").merge(o, left_on="code", right_on="commune_insee")
    side = c["en_qpv"].map({True: "QPV", False: "HORS_QPV"})
    c = c[(c["secteur"] == "ENSEMBLE") | (c["secteur"] == side)]
    c = c.assign(ensemble=c["secteur"] == "ENSEMBLE").sort_values(
        ["residence_id", "population", "ensemble", "rang", "annee"],
        ascending=[True, True, True, True, False]).drop_duplicates(
        ["residence_id", "population"])
    noms = t["ref_commune"].set_index("code_insee")["nom"]
    return c.assign(niveau=np.where(c["ensemble"], "commune", "commune × QPV"),
                    nom_commune=c["commune_insee"].map(noms).fillna(c["commune_insee"]))


def fragilite_indicateurs(t: dict, arret: date, epci: str | None = None,
                          departement: str | None = None) -> pd.DataFrame:
    """fragilite.indicateurs (sql/fragilite/indicateurs.sql): survey, recent move-ins,
    rotation and vacancy of every résidence of the scope at `arret`."""
    arret = pd.Timestamp(arret)
    res = t["residence"][_territoire(t["residence"], departement, epci)][
        ["residence_id", "nom", "commune_insee", "epci_siren", "departement", "en_qpv",
         "latitude", "longitude"]]
    log = t["logement"][["logement_id", "residence_id"]].merge(
        res[["residence_id", "epci_siren"]], on="residence_id")

    occ = t["occupation"].merge(res[["residence_id"]], on="residence_id")
    occ = occ[occ["annee"] <= arret.year]
    occ = occ.sort_values(["residence_id", "annee"], ascending=[True, False])
    rang = occ.groupby("residence_id").cumcount()
    last, prev = occ[rang == 0].set_index("residence_id"), occ[rang == 1].set_index("residence_id")
    survey = last.drop(columns="annee").assign(
        niveau_enquete="résidence", annee_enquete=last["annee"],
        evol_ressources_faibles=last["part_ressources_faibles"] - prev["part_ressources_faibles"],
        evol_sans_emploi=last["part_sans_emploi"] - prev["part_sans_emploi"])
    terr = _ops_communes(t, res, arret.year)
    ens = terr[terr["population"] == "ENSEMBLE"].set_index("residence_id")
    ens = ens[~ens.index.isin(survey.index)]
    survey = pd.concat([survey, ens[list(PARTS_OPS)].assign(
        niveau_enquete=ens["niveau"], commune_enquete=ens["commune_insee"],
        nom_commune_enquete=ens["nom_commune"], annee_enquete=ens["annee"],
        evol_ressources_faibles=ens["part_ressources_faibles"] - ens["prev_ressources_faibles"],
        evol_sans_emploi=ens["part_sans_emploi"] - ens["prev_sans_emploi"])])
    rec = terr[terr["population"] == "EMMENAGES_RECENTS"].set_index("residence_id")
    recents = pd.DataFrame({"niveau_recents": rec["niveau"],
                            "nom_commune_recents": rec["nom_commune"],
                            "annee_recents": rec["annee"], "recents_menages": rec["nb_menages"],
                            **{"recents_" + c[5:]: rec[c] for c in PARTS_OPS}})

    a = t["attribution"].merge(log, on="logement_id")
    a = a[(a["date_bail"] > arret - 730 * JOUR) & (a["date_bail"] <= arret)]
    a = a.assign(annee=a["date_bail"].dt.year).merge(t["seuil_quartile"],
                                                     on=["epci_siren", "annee"], how="left")
    e = a.assign(q1=_q1(a)[0], prio=a["prioritaire"] | a["dalo"],
                 grandes=a["taille_menage"] >= 6, seules=a["taille_menage"] == 1).groupby(
        "residence_id").agg(entrees_24m=("q1", "size"), q1=("q1", "sum"), prio=("prio", "sum"),
                            dalo=("dalo", "sum"), grandes=("grandes", "sum"),
                            seules=("seules", "sum"))
    for col, name in (("q1", "q1"), ("prio", "prioritaires"), ("dalo", "dalo"),
                      ("grandes", "grandes"), ("seules", "seules")):
        e[f"entrees_{name}_pct"] = 100.0 * e[col] / e["entrees_24m"]

    b = t["liberation"].merge(log[["logement_id", "residence_id"]], on="logement_id")
    b = b[(b["date_liberation"] <= arret) & (b["date_liberation"] > arret - 365 * JOUR)]
    baux = t["attribution"].loc[t["attribution"]["date_bail"] <= arret, ["logement_id",
                                                                         "date_bail"]]
    pairs = b[["liberation_id", "logement_id", "date_liberation"]].merge(baux, on="logement_id")
    reloue = (pairs["date_bail"] >= pairs["date_liberation"]).groupby(
        pairs["liberation_id"]).any().rename("reloue")
    b = b.join(reloue, on="liberation_id")
    m = b.assign(vacant=b["reloue"].ne(True)).groupby("residence_id").agg(
        liberations_12m=("liberation_id", "size"), vacants=("vacant", "sum"))

    noms = t["ref_commune"].set_index("code_insee")["nom"]
    out = res.assign(commune=res["commune_insee"].map(noms).fillna(res["commune_insee"]))
    out = out.join(log.groupby("residence_id").size().rename("logements"), on="residence_id")
    out = out.join(survey, on="residence_id").join(e, on="residence_id").join(
        m, on="residence_id").join(recents, on="residence_id")
    out[["logements", "entrees_24m", "liberations_12m", "vacants"]] = out[
        ["logements", "entrees_24m", "liberations_12m", "vacants"]].fillna(0).astype(int)
    par_log = out["logements"].where(out["logements"] > 0)
    out["rotation_12m_pct"] = 100.0 * out["liberations_12m"] / par_log
    out["vacants_pct"] = 100.0 * out["vacants"] / par_log
    return out.sort_values("residence_id", ignore_index=True)[[
        *res.columns, "commune", "logements", "niveau_enquete", "commune_enquete",
        "nom_commune_enquete", "annee_enquete", *last.columns.drop("annee"),
        "evol_ressources_faibles", "evol_sans_emploi", "entrees_24m", "entrees_q1_pct",
        "entrees_prioritaires_pct", "entrees_dalo_pct", "entrees_grandes_pct",
        "entrees_seules_pct", "liberations_12m", "rotation_12m_pct", "vacants", "vacants_pct",
        *recents.columns]]


# -- 4. Cotation: score of every active demande ---------------------------------------------
def scores(t: dict, aujourdhui: date, epci_siren: str | None = None) -> pd.DataFrame:
    """cotation.scores: every active demande's score under its EPCI's grid in force, and its
    rank within the EPCI (score, then the older demande, then the id)."""
    jour = pd.Timestamp(aujourdhui)
    d = t["demande"]
    d = d[(d["statut"] == "ACTIVE") & (d["date_depot"] <= jour)].drop(
        columns=["statut", "date_radiation", "motif_radiation"])
    d = d.join(t["ref_commune"].set_index("code_insee")["epci_siren"], on="commune_souhaitee")
    if epci_siren is not None:
        d = d[d["epci_siren"] == epci_siren]
    dd = d["date_depot"]
    # complete months, as DuckDB's date_sub('month', ...): a month-end counts as a full month
    borrow = (dd.dt.day > jour.day) & (not jour.is_month_end)
    d = d.assign(anciennete_mois=12 * (jour.year - dd.dt.year) + jour.month - dd.dt.month
                 - borrow.astype(int))

    g = t["grille_cotation"]
    vig = g[g["date_effet"].isna() | (g["date_effet"] <= jour)].groupby(
        "epci_siren", as_index=False)["version"].max()
    grille = g.merge(vig, on=["epci_siren", "version"])
    par_epci = vig.set_index("epci_siren")
    for col, code in (("pts_mois", "ANCIENNETE_MOIS"), ("pts_refus", "REFUS")):
        par_epci[col] = grille[grille["critere"] == code].groupby("epci_siren")["points"].max()
    par_epci = par_epci.fillna({"pts_mois": 0.0, "pts_refus": 0.0})

    crit = d[["demande_id", "epci_siren", "criteres"]].explode("criteres").dropna(
        subset=["criteres", "epci_siren"]).drop_duplicates(["demande_id", "criteres"])
    crit = crit.astype({"criteres": "str"}).merge(
        grille.loc[~grille["critere"].isin(["ANCIENNETE_MOIS", "REFUS"]),
                   ["epci_siren", "critere", "points"]],
        left_on=["epci_siren", "criteres"], right_on=["epci_siren", "critere"])
    points = crit.groupby("demande_id")["points"].sum()

    out = d.join(par_epci, on="epci_siren")
    graded = out["version"].notna()
    pc = out["demande_id"].map(points).fillna(0.0)
    out["points_criteres"] = pc.where(graded)
    out["points_anciennete"] = out["pts_mois"] * out["anciennete_mois"]
    out["points_refus"] = out["pts_refus"] * out["nb_refus"] + 0.0
    out["score"] = pc + out["points_anciennete"] + out["points_refus"]
    ranked = out[out["score"].notna()].sort_values(["score", "date_depot", "demande_id"],
                                                   ascending=[False, True, True])
    out["rang_epci"] = ranked.groupby("epci_siren", dropna=False).cumcount() + 1
    return out.drop(columns=["pts_mois", "pts_refus"]).sort_values(
        ["epci_siren", "rang_epci"], ignore_index=True)


# -- 5. Objectifs CIL per EPCI --------------------------------------------------------------
def suivi_cil(t: dict, p: Perimetre, prevision: bool = True) -> pd.DataFrame:
    """objectifs.suivi: per EPCI and CIL indicator, achieved, target, missing, forecast."""
    s, a = _reglages(t), p.annee
    debut, arret = pd.Timestamp(p.date_debut), pd.Timestamp(p.date_arret)
    res = t["residence"]
    res = res[res["epci_siren"].notna() & _territoire(res, p.departement, p.epci_siren)]
    cols = ["residence_id", "epci_siren", "en_qpv"]
    att = t["attribution"]
    b = att[att["date_bail"].between(debut, arret)].merge(
        t["logement"][["logement_id", "residence_id"]], on="logement_id").merge(
        res[cols], on="residence_id").merge(
        t["orientation"][["orientation_id", "destinataire"]], on="orientation_id", how="left")
    # an internal mutation is in no prioritaires base (objectifs/baux.sql)
    mutation = b["mutation_interne"].astype(bool) | (b["destinataire"] == "MUTATION")
    seuil = t["seuil_quartile"]
    b = b.merge(seuil.loc[seuil["annee"] == a, ["epci_siren", "seuil_q1_uc"]], on="epci_siren",
                how="left")
    q1, inconnu = _q1(b)
    qpv = b["en_qpv"]
    agg = pd.DataFrame({
        "epci_siren": b["epci_siren"], "baux": 1, "baux_hors_qpv": ~qpv,
        "q1_hors_qpv": ~qpv & (q1 | b["relogement"].isin(RELOGEMENTS_Q1.codes)),
        "baux_qpv": qpv, "q234_qpv": qpv & ~q1 & ~inconnu,
        "baux_hors_mutation": ~mutation,
        "prioritaires": (b["prioritaire"] | b["dalo"]) & ~mutation, "quartile_inconnu": inconnu,
    }).groupby("epci_siren").sum()
    e = pd.DataFrame({"epci_siren": res["epci_siren"].unique()}).join(agg, on="epci_siren")
    e = e.fillna(0).join(t["ref_epci"].set_index("epci_siren")["nom"], on="epci_siren")
    e["nom"] = e["nom"].fillna("EPCI " + e["epci_siren"])
    e = e.sort_values("nom", kind="stable", ignore_index=True)

    rest = pd.DataFrame(0.0, index=e["epci_siren"], columns=["hors", "qpv"])
    if prevision:
        log = t["logement"][["logement_id", "residence_id", "date_mise_en_service"]].merge(
            res[cols], on="residence_id")
        an = log["date_mise_en_service"].dt.year.fillna(1900)
        nb = int(s["rotation_annees_historique"])
        parc = log.assign(pa=(a - an - 1).clip(0, nb)).groupby(
            ["epci_siren", "en_qpv"]).agg(parc=("pa", "size"), pa=("pa", "sum"))
        h = t["liberation"].merge(log, on="logement_id")
        parc["n"] = h[_observee(h, a, nb)].groupby(["epci_siren", "en_qpv"]).size()
        jours = (date(a, 12, 31) - p.date_arret).days, (date(a, 12, 31) - date(a, 1, 1)).days + 1
        restant = (parc["parc"] * parc["n"].fillna(0) / parc["pa"].where(parc["pa"] != 0)
                   * jours[0] / jours[1])
        rest = restant.fillna(0.0).unstack("en_qpv").reindex(columns=[False, True]).set_axis(
            ["hors", "qpv"], axis=1).reindex(e["epci_siren"]).fillna(0.0)

    o = t["objectif"]
    o = o[(o["annee"] == a) & o["reservataire_id"].isna()].drop_duplicates(
        ["epci_siren", "indicateur"], keep="last").set_index(["epci_siren", "indicateur"])
    parts = []
    for code, real, base, restant in (
            ("Q1_HORS_QPV", "q1_hors_qpv", "baux_hors_qpv", rest["hors"]),
            ("Q234_EN_QPV", "q234_qpv", "baux_qpv", rest["qpv"]),
            ("PRIORITAIRES", "prioritaires", "baux_hors_mutation",
             rest["hors"] + rest["qpv"])):
        x = pd.DataFrame({"epci_siren": e["epci_siren"], "nom": e["nom"], "indicateur": code,
                          "libelle": LIBELLES[code], "realise": e[real].astype(int),
                          "base": e[base].astype(int), "restant": restant.to_numpy(),
                          "quartile_inconnu": e["quartile_inconnu"].astype(int)})
        x["cible_pct"] = x.join(o["cible_pct"], on=["epci_siren", "indicateur"])[
            "cible_pct"].fillna(float(s[DEFAUTS[code]]))
        parts.append(x)
    x = pd.concat(parts).sort_index(kind="stable").reset_index(drop=True)

    c, real, base, restant = x["cible_pct"], x["realise"], x["base"], x["restant"]
    avec_base = base.where(base > 0)
    x["pct"] = 100.0 * real / avec_base
    x["manque"] = (np.ceil((c / 100.0 * base).round(9)) - real).clip(lower=0).astype(int)
    pace = real / avec_base
    x["projection_pct"] = 100.0 * (real + pace * restant) / (base + restant).where(
        base + restant != 0)
    attendus = restant.round()
    besoin = (np.ceil((c * (base + attendus) / 100.0).round(9)) - real).clip(lower=0)
    x["besoin_fin_annee"] = besoin.astype(int)
    x["part_restante_pct"] = 100.0 * besoin / attendus.where(attendus != 0)
    return x[["epci_siren", "nom", "indicateur", "libelle", "realise", "base", "pct",
              "cible_pct", "manque", "restant", "projection_pct", "besoin_fin_annee",
              "part_restante_pct", "quartile_inconnu"]]


# -- 6. Orientation: where every destination of one vacated dwelling stands -----------------
def etat_orientation(t: dict, liberation_id: str, aujourdhui: date | None = None
                     ) -> pd.DataFrame:
    """sql/orientation/etat.sql for the dwelling of `liberation_id`, with the parameters
    orientation.classer_destinations gives it: one row per possible destination."""
    s = _reglages(t)
    nb, prem = _historique(s)
    lg = t["liberation"][t["liberation"]["liberation_id"] == liberation_id].merge(
        t["logement"], on="logement_id").merge(t["residence"], on="residence_id")
    if lg.empty:
        raise ValueError(f"Libération inconnue : « {liberation_id} ».")
    lg = lg.iloc[0]
    if pd.notna(lg["hors_flux_motif"]):
        raise ValueError(f"Le logement {lg['logement_id']} est hors flux : il n'est pas orienté.")
    annee, jour_lib = lg["date_liberation"].year, lg["date_liberation"].date()
    p = Perimetre(annee, departement=lg["departement"],
                  aujourdhui=max(aujourdhui or date.today(), jour_lib))
    arret = pd.Timestamp(p.date_arret)
    typo, qpv = lg["typologie"], bool(lg["en_qpv"])
    log, conv, lib, entree = _lignes(t, p, prem)

    couvre = conv[(conv["departement"] == p.departement) & (
        conv["perimetre"].isna() | (conv["perimetre"] == lg["commune_insee"])
        | (conv["perimetre"] == lg["epci_siren"]))
        & conv["debut"].le(lg["date_liberation"]) & conv["fin"].ge(lg["date_liberation"])]
    cl = _couvre(conv[["convention_id", "reservataire_id", "taux_flux", "departement",
                       "perimetre"]], entree)
    x = couvre.merge(cl[["convention_id", "liberation_id", "destinataire", "statut",
                         "typologie", "en_qpv"]], on="convention_id", how="left")
    mine, typ, q, hors = (x["destinataire"] == x["reservataire_id"], x["typologie"] == typo,
                          x["en_qpv"] == qpv, x["en_qpv"] == False)  # noqa: E712 (NaN: no)
    flags = pd.DataFrame({
        "entres": x["liberation_id"].notna(), "orientes": mine,
        "rendus": mine & (x["statut"] == "RENDU_BAILLEUR"), "flux_meme_typo": typ,
        "orientes_meme_typo": mine & typ, "flux_meme_qpv": q, "orientes_meme_qpv": mine & q,
        "orientes_hors_qpv": mine & hors, "flux_hors_qpv": hors})
    keys = ["reservataire_id", "nom", "type", "perimetre", "taux_flux"]
    res = flags.groupby([x[k] for k in keys], dropna=False).sum().reset_index().rename(
        columns={"reservataire_id": "destinataire"})

    dests = [*INTERNES, "BAILLEUR"]
    li = lib[lib["destinataire"].isin(dests)]
    autres = pd.DataFrame({"destinataire": li["destinataire"], "orientes": 1,
                           "orientes_meme_typo": li["typologie"] == typo,
                           "orientes_meme_qpv": li["en_qpv"] == qpv,
                           "orientes_hors_qpv": ~li["en_qpv"]}).groupby("destinataire").sum()
    autres = autres.reindex(dests, fill_value=0).rename_axis("destinataire").reset_index()
    autres = autres.assign(
        nom=autres["destinataire"], type=autres["destinataire"], perimetre=np.nan,
        taux_flux=np.nan, entres=len(entree), rendus=0,
        flux_meme_typo=int((entree["typologie"] == typo).sum()),
        flux_meme_qpv=int((entree["en_qpv"] == qpv).sum()),
        flux_hors_qpv=int((~entree["en_qpv"]).sum()))

    h = t["liberation"].merge(log[["logement_id"]], on="logement_id")
    h = h[h["date_liberation"].dt.year.between(annee - nb, annee - 1)].merge(
        t["orientation"][["liberation_id", "destinataire"]], on="liberation_id")
    hist = (h[h["destinataire"].isin(INTERNES)].groupby("destinataire").size() / nb).rename(
        "prevu_interne")

    at = t["attribution"].merge(t["orientation"][["orientation_id", "destinataire",
                                                  "date_orientation"]], on="orientation_id")
    at = at.merge(log[["logement_id", "epci_siren"]], on="logement_id")
    at["d"] = at["date_caleol"].fillna(at["date_orientation"])
    at = at[(at["d"] > arret - 730 * JOUR) & (at["d"] <= arret)]
    at = at.assign(annee=at["d"].dt.year).merge(t["seuil_quartile"],
                                                on=["epci_siren", "annee"], how="left")
    profil = at.assign(q1=_q1(at)[0]).groupby("destinataire").agg(
        attributions_24m=("q1", "size"), q1_24m=("q1", "sum"))

    # owed to date: rate × its flux (one right per réservataire, whole year, on the demo)
    res["du"] = res["taux_flux"] / 100.0 * res["entres"]
    autres["du"] = np.nan
    out = pd.concat([res, autres], ignore_index=True)
    out["du_reservataires"] = cl["taux_flux"].sum() / 100.0
    out = out.join(hist, on="destinataire").join(profil, on="destinataire")
    out[["attributions_24m", "q1_24m"]] = out[["attributions_24m", "q1_24m"]].fillna(0).astype(
        int)
    cols = ["entres", "orientes", "rendus", "flux_meme_typo", "orientes_meme_typo",
            "flux_meme_qpv", "orientes_meme_qpv", "orientes_hors_qpv", "flux_hors_qpv"]
    out[cols] = out[cols].astype(int)
    out["perimetre"] = out["perimetre"].astype("str")
    return out.sort_values("destinataire", ignore_index=True)[
        ["destinataire", "nom", "type", "perimetre", "taux_flux", *cols, "du", "du_reservataires",
         "prevu_interne", "attributions_24m", "q1_24m"]]


BASELINES: dict[str, Callable[..., object]] = {
    "chiffres_cles": chiffres_cles,
    "jauges": jauges,
    "fragilite_indicateurs": fragilite_indicateurs,
    "scores": scores,
    "suivi_cil": suivi_cil,
    "etat_orientation": etat_orientation,
}
