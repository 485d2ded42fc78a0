"""Live flux gauges per réservataire (docs/regles.md#du, #limites).

For a year and a territory, per convention (or préfet's line for rights it took back:
fluxcore.conventions) then per réservataire:
- droits annuels: rate × the year's flux of its perimeter × the part of the year the line
  covers — the forecast (assiette) while the year runs, never below what already entered; the
  realised flux once the year is complete;
- dû à date: rate × the dwellings that actually entered the flux so far on the line's days
  (libérations of the year not used for a subtracted category);
- orientés, attribués, rendus au bailleur (counted as delivered or not: setting), écart.
The quality of the flux compares each réservataire's mix with the flux of its perimeters.
"""

from __future__ import annotations

import functools

import pandas as pd

from fluxcore.acces import pour_reservataire, sauf_reservataire
from fluxcore.codes import BAILLEUR, DESTINATIONS_BAILLEUR, TYPES_RESERVATAIRE, liste_sql
from fluxcore.conventions import part_annee, remarque
from fluxcore.db import Database, en_parallele, load_sql
from fluxcore.formats import MOIS_COURTS, fmt_pct, libelle_type_reservataire
from fluxcore.limites import (
    controle_garantie,
    controles_prefet_departements,
    derogations,
    la_commune,
)
from fluxcore.parametres import get_parametres
from fluxcore.perimetre import Perimetre
from fluxcore.referentiel import noms
from fluxcore.regles import TYPES_PREFET, Controle, controle_hors_qpv_prefet

DIMENSIONS = {"typologie": "typologie", "qpv": "QPV / hors QPV", "financement": "financement",
              "commune": "commune"}
MIN_ORIENTES_QUALITE = 5  # below this, a mix says nothing


def _params(db: Database, p: Perimetre, settings: dict | None = None) -> dict:
    s = settings or get_parametres(db)
    return {**p.params(), "nb": int(s["rotation_annees_historique"]),
            "premieres": bool(s["premieres_mises_en_location_dans_flux"])}


@pour_reservataire(colonne="reservataire_id",
                   masquer=("total_entres", "total_bailleur", "total_bailleur_attribues"))
def jauges_conventions(db: Database, p: Perimetre, settings: dict | None = None
                       ) -> pd.DataFrame:
    """One row per right in force with any flux dwelling in the territory: each convention
    for its days of the year, and the préfet's line for each convention it took back
    (repris_de). part_annee: share of the year the line covers (its forecast's weight)."""
    s = settings or get_parametres(db)
    df = db.df(load_sql("jauges/par_convention"), _params(db, p, s))
    rate = df["taux_flux"] / 100.0
    df["part_annee"] = [part_annee(pd.Timestamp(d).date(), pd.Timestamp(f).date(), p.annee)
                        for d, f in zip(df["debut"], df["fin"])]
    flux_annuel = df["entres"] if p.annee_complete else (
        df["flux_net_prevu"] * df["part_annee"]).clip(lower=df["entres"])
    df["droits_annuels"] = rate * flux_annuel
    df["du"] = rate * df["entres"]
    compte = bool(s["rendu_bailleur_compte_livre"])
    df["livres"] = df["orientes"] - (0 if compte else df["rendus"])
    df["ecart"] = df["livres"] - df["du"]
    return df


@pour_reservataire(colonne="reservataire_id")
def jauges_reservataires(db: Database, p: Perimetre, settings: dict | None = None
                         ) -> pd.DataFrame:
    """Per réservataire (conventions of several départements added up), plus the bailleur.

    Columns: reservataire_id, nom, type, taux (effective: dû / flux entered on its
    perimeters), droits_annuels, du, orientes, attribues, rendus, en_cours, livres, ecart,
    ecart_pct (écart / dû, %), entres.
    """
    s = settings or get_parametres(db)
    conv = jauges_conventions(db, p, s)
    cols = ["droits_annuels", "du", "orientes", "attribues", "rendus", "en_cours", "livres",
            "ecart", "entres"]
    g = conv.groupby(["reservataire_id", "nom", "type"], as_index=False)[cols].sum()
    # flux entered on its own perimeters: a préfet's reprise line covers a place its own
    # convention already counts (only without one of its own do those lines count)
    own = conv["repris_de"].isna()
    entres = conv[own].groupby("reservataire_id")["entres"].sum()
    g["entres"] = g["reservataire_id"].map(entres).fillna(
        g["reservataire_id"].map(conv.groupby("reservataire_id")["entres"].max()))
    nominal = g["reservataire_id"].map(conv.groupby("reservataire_id")["taux_flux"].mean())
    g["taux"] = (100.0 * g["du"] / g["entres"].where(g["entres"] > 0)).fillna(nominal)
    if len(conv):
        first = conv.iloc[0]
        b = {"entres": first["total_entres"], "bailleur": first["total_bailleur"],
             "bailleur_attribues": first["total_bailleur_attribues"]}
    else:  # no convention in force: everything is the bailleur's
        b = db.df(load_sql("jauges/bailleur"), _params(db, p, s)).iloc[0]
    du_b = float(b["entres"]) - float(g["du"].sum())
    prevu_total = float(conv.drop_duplicates("departement")["flux_net_prevu"].sum()) if len(
        conv) else 0.0
    bailleur = {"reservataire_id": BAILLEUR, "nom": DESTINATIONS_BAILLEUR.groupes[BAILLEUR],
                "type": BAILLEUR, "du": du_b, "orientes": int(b["bailleur"]),
                "attribues": int(b["bailleur_attribues"]), "rendus": 0, "en_cours": 0,
                "livres": int(b["bailleur"]), "ecart": int(b["bailleur"]) - du_b,
                "entres": int(b["entres"]),
                "taux": 100.0 * du_b / b["entres"] if b["entres"] else float("nan"),
                "droits_annuels": (du_b if p.annee_complete else max(
                    du_b, prevu_total - float(g["droits_annuels"].sum())))}
    out = pd.concat([g, pd.DataFrame([bailleur])], ignore_index=True)
    out["ecart_pct"] = 100.0 * out["ecart"] / out["du"].where(out["du"] > 0)
    out = out.sort_values(["type", "du"], ascending=[True, False], key=_type_order)
    return out.reset_index(drop=True)[["reservataire_id", "nom", "type", "taux",
                                       "droits_annuels", "du", "orientes", "attribues",
                                       "rendus", "en_cours", "livres", "ecart", "ecart_pct",
                                       "entres"]]


@pour_reservataire(colonne="reservataire_id")
def remarques_conventions(db: Database, p: Perimetre, settings: dict | None = None
                          ) -> pd.DataFrame:
    """The gauge lines that are not a plain whole-year convention, said in French: a
    convention covering part of the year, rights the préfet took back (on the préfet's gauge:
    « dont droits repris de … » with the share it adds; on the réservataire's: from when).
    Columns: reservataire_id, nom, remarque."""
    cols = ["reservataire_id", "nom", "remarque"]
    if not db.scalar(load_sql("conventions/particulieres"), p.params()):
        return pd.DataFrame(columns=cols)   # the usual case: one cheap query
    conv = jauges_conventions(db, p, settings)
    rows = [{"reservataire_id": c.reservataire_id, "nom": c.nom,
             "remarque": remarque(c, p.annee)} for c in conv.itertuples()]
    df = pd.DataFrame(rows, columns=cols)
    return df.dropna(subset=["remarque"]).drop_duplicates().reset_index(drop=True)


def _type_order(col: pd.Series) -> pd.Series:
    if col.name != "type":
        return col
    order = [*TYPES_RESERVATAIRE, BAILLEUR]      # the registry's order, the bailleur last
    return col.map({t: i for i, t in enumerate(order)}).fillna(len(order))


@pour_reservataire(colonne="reservataire_id")
def composition(db: Database, p: Perimetre, settings: dict | None = None) -> pd.DataFrame:
    """Long table: reservataire_id, type, dimension, categorie (label), flux, orientes, du
    (owed: Σ rate of its lines over that flux), and the shares part_flux / part_orientes (%)
    within the réservataire's perimeters."""
    df = db.df(load_sql("jauges/composition"), _params(db, p, settings))
    is_com = df["dimension"] == "commune"
    names = noms(db, "ref_commune", df.loc[is_com, "categorie"])
    df.loc[is_com, "categorie"] = df.loc[is_com, "categorie"].map(names).fillna(
        df.loc[is_com, "categorie"])
    tot = df.groupby(["reservataire_id", "dimension"])[["flux", "orientes"]].transform("sum")
    df["part_flux"] = 100.0 * df["flux"] / tot["flux"].where(tot["flux"] > 0)
    df["part_orientes"] = 100.0 * df["orientes"] / tot["orientes"].where(tot["orientes"] > 0)
    return df


@pour_reservataire(colonne="reservataire_id")
def qualite_flux(db: Database, p: Perimetre, settings: dict | None = None) -> pd.DataFrame:
    """Imbalance of each réservataire's flux: per dimension, the share of its dwellings that
    would have to be of another kind to match the flux of its perimeters (0 = same mix,
    100 = nothing in common), the overall score (mean of dimensions) and the largest gap in
    words. NaN when fewer than 5 dwellings were oriented to it."""
    comp = composition(db, p, settings)
    comp = comp.assign(diff=comp["part_orientes"].fillna(0) - comp["part_flux"].fillna(0))
    comp["ecart_abs"] = comp["diff"].abs()
    n = comp[comp["dimension"] == "typologie"].groupby("reservataire_id")["orientes"].sum()
    scores = (0.5 * comp.pivot_table(index="reservataire_id", columns="dimension",
                                     values="ecart_abs", aggfunc="sum")).reindex(
        columns=list(DIMENSIONS), fill_value=0.0).add_prefix("score_")
    worst = comp.loc[comp.groupby("reservataire_id")["ecart_abs"].idxmax()].set_index(
        "reservataire_id")
    out = scores.assign(orientes=n.reindex(scores.index).fillna(0).astype(int))
    out["score"] = scores.mean(axis=1)
    out["constat"] = [
        f"{w.categorie} ({DIMENSIONS[w.dimension]}) : {fmt_pct(w.part_orientes)} de ses "
        f"logements contre {fmt_pct(w.part_flux)} du flux." for w in worst.reindex(
            out.index).itertuples()]
    few = out["orientes"] < MIN_ORIENTES_QUALITE
    out.loc[few, [*scores.columns, "score"]] = float("nan")
    out.loc[few, "constat"] = "Trop peu de logements orientés pour juger."
    out = out.reset_index()[["reservataire_id", "orientes", *scores.columns, "score",
                             "constat"]]
    out.columns.name = None
    return out


@sauf_reservataire
def repartition_prefet(db: Database, p: Perimetre, settings: dict | None = None
                       ) -> pd.DataFrame:
    """The préfet's uniform spread (R441-5-2): per commune, flux entered, owed (rate × flux
    on the days of its rights, rights taken back included), oriented to the préfet
    (prioritaires and agents together), gap."""
    comp = composition(db, p, settings)
    com = comp[(comp["dimension"] == "commune") & comp["type"].isin(TYPES_PREFET)]
    out = com.groupby("categorie", as_index=False).agg(flux=("flux", "max"), du=("du", "sum"),
                                                       orientes=("orientes", "sum"))
    out = out.rename(columns={"categorie": "commune"})
    out["ecart"] = out["orientes"] - out["du"]
    return out.sort_values(["du", "commune"], ascending=[False, True], ignore_index=True)


def controles_legaux(db: Database, p: Perimetre, settings: dict | None = None) -> pd.DataFrame:
    """Legal limits of docs/regles.md#limites for each département of the territory (the préfet's
    against the dated dérogations, guarantees: fluxcore.limites)."""
    s = settings or get_parametres(db)
    # independent reads at once, each on its own cursor; then each département's conventions
    rates, derog, comp = en_parallele(
        lambda: db.df(load_sql("jauges/taux_par_commune"), p.params()),
        lambda: derogations(db, p), lambda: composition(db, p, s))
    rates["commune_nom"] = rates["commune_insee"].map(noms(db, "ref_commune",
                                                           rates["commune_insee"]))
    prefet = controles_prefet_departements(rates, derog, s)
    qpv = comp[(comp["dimension"] == "qpv") & comp["type"].isin(TYPES_PREFET)]
    deps = sorted(rates["departement"].unique())
    convs = (en_parallele(*(functools.partial(
        jauges_conventions, db, Perimetre(p.annee, departement=dep, aujourdhui=p.aujourdhui),
        s) for dep in deps)) if s["garantie_emprunt_base"] == "departement"
        else [None] * len(deps))
    rows: list[tuple[str, Controle]] = []
    for (dep, r), conv in zip(rates.groupby("departement", sort=True), convs):
        rows += [(dep, c) for c in prefet[dep]]
        rows.append((dep, controle_garantie(p, r, conv, s)))
        worst_t = r.loc[r["total"].idxmax()]
        rows.append((dep, Controle(
            "somme_taux", "Somme des taux", "R441-5", float(worst_t["total"]), 100.0,
            worst_t["total"] <= 100.0,
            f"Somme des taux au plus de {fmt_pct(worst_t['total'], 1)} sur le flux "
            f"{la_commune(worst_t)} pour un maximum de 100 %.")))
        q = qpv[qpv["reservataire_id"].isin(_prefets_of(db, dep))]
        total = int(q["orientes"].sum())
        hors = int(q.loc[q["categorie"] == "Hors QPV", "orientes"].sum())
        hors_rows = q.loc[q["categorie"] == "Hors QPV", "flux"]
        flux_hors = int(hors_rows.max()) if len(hors_rows) else 0
        rows.append((dep, controle_hors_qpv_prefet(s["lecture_hors_qpv_prefet"], total, hors,
                                                   flux_hors, s["prefet_hors_qpv_min_pct"])))
    return pd.DataFrame([{"departement": d, **c.__dict__} for d, c in rows])


def _prefets_of(db: Database, dep: str) -> list[str]:
    df = db.df("select distinct c.reservataire_id from convention c join reservataire r "
               "using (reservataire_id) where c.departement = ? and r.type in "
               f"{liste_sql('types_prefet')}", [dep])
    return df["reservataire_id"].tolist()


@pour_reservataire(argument="reservataire_id")
def cumul_mensuel(db: Database, p: Perimetre, reservataire_id: str,
                  settings: dict | None = None) -> pd.DataFrame:
    """Month by month for one réservataire: owed (cumulative) and oriented (cumulative)."""
    params = {**_params(db, p, settings), "reservataire": reservataire_id}
    df = db.df(load_sql("jauges/cumul_mensuel"), params)
    df["du_cumule"] = df["du"].cumsum()
    df["orientes_cumule"] = df["orientes"].cumsum()
    df["libelle_mois"] = [MOIS_COURTS[m - 1] for m in df["mois"]]
    return df


@pour_reservataire(argument="reservataire_id")
def logements_reservataire(db: Database, p: Perimetre, reservataire_id: str,
                           settings: dict | None = None) -> pd.DataFrame:
    """The year's dwellings oriented to one réservataire and what became of them (attributed,
    still open, handed back), without household data: what a réservataire account sees."""
    params = {**_params(db, p, settings), "reservataire": reservataire_id}
    return db.df(load_sql("jauges/logements_reservataire"), params)


# short labels of the lines adding up a type (codes: `court`)
TYPE_GROUPES = {**TYPES_RESERVATAIRE.courts, BAILLEUR: DESTINATIONS_BAILLEUR.courts[BAILLEUR]}


def regrouper_par_type(jauges: pd.DataFrame) -> pd.DataFrame:
    """Gauges added up per type of réservataire (for the projector view of a whole parc);
    `nom` becomes the type's label, écart % is recomputed on the sums."""
    cols = ["droits_annuels", "du", "orientes", "attribues", "rendus", "en_cours", "livres",
            "ecart", "entres"]
    g = jauges.groupby("type", as_index=False, sort=False)[cols].sum()
    g["nom"] = [TYPE_GROUPES.get(t) or libelle_type_reservataire(t, groupe=True)
                for t in g["type"]]
    g["reservataire_id"] = g["type"]
    g["ecart_pct"] = 100.0 * g["ecart"] / g["du"].where(g["du"] > 0)
    return g


def statut_ecart(ecart: float, du: float) -> str:
    """'en retard', 'à jour' or 'en avance': within one dwelling or 5 % of the owed is à jour."""
    tolerance = max(1.0, 0.05 * du)
    if ecart < -tolerance:
        return "en retard"
    if ecart > tolerance:
        return "en avance"
    return "à jour"
