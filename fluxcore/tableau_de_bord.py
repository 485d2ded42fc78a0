"""Figures of the Tableau de bord: where the year stands and what needs attention."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from fluxcore.acces import pour_reservataire
from fluxcore.db import Database, load_sql
from fluxcore.formats import MOIS_COURTS, libelle_destination
from fluxcore.perimetre import Perimetre

# waiting-time bands of vacated dwellings without orientation (days, label)
TRANCHES_ATTENTE = ((0, 15, "< 15 j"), (15, 30, "15–29 j"), (30, 60, "30–59 j"),
                    (60, 10**6, "≥ 60 j"))


def chiffres_cles(db: Database, p: Perimetre) -> dict[str, int]:
    """Key figures of the year (see sql/tableau_de_bord/chiffres_cles.sql)."""
    row = db.df(load_sql("tableau_de_bord/chiffres_cles"), p.params())
    return {k: int(v) for k, v in row.iloc[0].items()}


def orientations_par_destinataire(db: Database, p: Perimetre) -> pd.DataFrame:
    """Orientations of the year per destinataire, with counts by outcome."""
    return db.df(load_sql("tableau_de_bord/orientations_par_destinataire"), p.params())


def orientations_par_categorie(db: Database, p: Perimetre) -> pd.DataFrame:
    """Orientations of the year per category of destination (French label), largest first."""
    df = orientations_par_destinataire(db, p)
    if df.empty:
        return pd.DataFrame(columns=["categorie", "orientations", "attribuees", "en_cours"])
    df["categorie"] = [libelle_destination(d, t) for d, t in zip(df["destinataire"], df["type"])]
    out = df.groupby("categorie", as_index=False)[["orientations", "attribuees",
                                                   "rendus_bailleur", "en_cours"]].sum()
    return out.sort_values(["orientations", "categorie"], ascending=[False, True],
                           ignore_index=True)


def flux_mensuel(db: Database, p: Perimetre) -> pd.DataFrame:
    """Libérations, orientations and signed leases per month up to the reference date."""
    df = db.df(load_sql("tableau_de_bord/flux_mensuel"), p.params())
    df["libelle_mois"] = [MOIS_COURTS[m - 1] for m in df["mois"]]
    return df


def vacants_en_attente(db: Database, p: Perimetre) -> pd.DataFrame:
    """Vacated dwellings with no orientation as of the reference date, oldest first."""
    params = {"dep": p.departement, "epci": p.epci_siren,
              "aujourdhui": p.aujourdhui or date.today()}
    return db.df(load_sql("tableau_de_bord/vacants_en_attente"), params)


def vacants_par_anciennete(vacants: pd.DataFrame) -> pd.DataFrame:
    """Count of waiting dwellings per waiting-time band (every band present, in order)."""
    rows = []
    for lo, hi, label in TRANCHES_ATTENTE:
        mask = (vacants["jours_attente"] >= lo) & (vacants["jours_attente"] < hi)
        rows.append({"tranche": label, "logements": int(mask.sum())})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class EcheanceBilan:
    echeance: date        # next deadline of the bilan
    annee_bilan: int      # the year the bilan covers (N-1)
    jours_restants: int
    alerte: bool          # inside the warning window (from `alerte` to the deadline)


def echeance_bilan(aujourdhui: date, echeance: str = "02-28",
                   alerte: str = "02-01") -> EcheanceBilan:
    """Next bilan deadline (R441-5-1: before 28 February, for the previous year)."""
    mois, jour = (int(x) for x in echeance.split("-"))
    due = date(aujourdhui.year, mois, jour)
    if aujourdhui > due:
        due = date(aujourdhui.year + 1, mois, jour)
    amois, ajour = (int(x) for x in alerte.split("-"))
    start = date(due.year, amois, ajour)
    return EcheanceBilan(due, due.year - 1, (due - aujourdhui).days,
                         start <= aujourdhui <= due)


@pour_reservataire()
def annees_disponibles(db: Database) -> list[int]:
    """Years that have libérations, most recent first."""
    df = db.df("select distinct year(date_liberation) as annee from liberation order by 1 desc")
    return [int(a) for a in df["annee"]]


@pour_reservataire()
def territoires(db: Database) -> pd.DataFrame:
    """Départements and EPCI of the patrimoine: niveau, code, nom, logements."""
    return db.df(
        "select 'departement' as niveau, r.departement as code,"
        " coalesce(d.nom, r.departement) as nom, count(*) as logements"
        " from residence r join logement l using (residence_id)"
        " left join ref_departement d on d.departement = r.departement group by all"
        " union all "
        "select 'epci', r.epci_siren, coalesce(e.nom, r.epci_siren), count(*)"
        " from residence r join logement l using (residence_id)"
        " left join ref_epci e on e.epci_siren = r.epci_siren"
        " where r.epci_siren is not null group by all"
        " order by niveau, code")


@pour_reservataire()
def communes_du_territoire(db: Database, p: Perimetre) -> pd.DataFrame:
    """Communes of the patrimoine in the territory (code, nom, logements), largest first."""
    return db.df(
        "select r.commune_insee as code, coalesce(c.nom, r.commune_insee) as nom,"
        " count(*) as logements from residence r join logement l using (residence_id)"
        " left join ref_commune c on c.code_insee = r.commune_insee"
        " where ($dep is null or r.departement = $dep) and ($epci is null or"
        " r.epci_siren = $epci) group by all order by logements desc, nom",
        {"dep": p.departement, "epci": p.epci_siren})
