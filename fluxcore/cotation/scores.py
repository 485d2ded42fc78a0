"""Scores of the demandes (SQL, one query for the whole base), their distribution per EPCI,
the observed waiting times and the review list of well-scored demandes left unsatisfied."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from fluxcore.db import Database, load_sql
from fluxcore.parametres import get_parametres
from fluxcore.referentiel import noms

LARGEUR_CLASSE = 10  # points per bar of the score distribution


def scores(db: Database, aujourdhui: date, epci_siren: str | None = None) -> pd.DataFrame:
    """Every active demande with its score at `aujourdhui` (sql/cotation/scores.sql), ranked
    within its EPCI (rang_epci: score, then the older demande, then the id)."""
    return db.df(
        "select s.*, case when s.score is not null then row_number() over ("
        " partition by s.epci_siren, s.score is null"
        " order by s.score desc, s.date_depot, s.demande_id) end as rang_epci"
        " from (" + load_sql("cotation/scores") + ") s"
        " where $epci is null or s.epci_siren = $epci order by s.epci_siren, rang_epci",
        {"date": aujourdhui, "epci": epci_siren})


def nombre_scores(db: Database, aujourdhui: date) -> int:
    """How many active demandes get a score (the benchmark's « score every demande »)."""
    return int(db.scalar("select count(score) from (" + load_sql("cotation/scores") + ")",
                         {"date": aujourdhui, "epci": None}))


def distribution(db: Database, aujourdhui: date, epci_siren: str) -> dict:
    """Scores of an EPCI's active demandes: nb, sans_grille (no grid in force), the mean,
    quartiles and deciles, and the counts per band of LARGEUR_CLASSE points
    (classes: DataFrame debut, fin, nb, libelle)."""
    df = db.df(
        "select score from (" + load_sql("cotation/scores") + ") where epci_siren = $epci",
        {"date": aujourdhui, "epci": epci_siren})
    s = df["score"].dropna().to_numpy(dtype=float)
    out = {"nb": len(df), "notees": len(s), "sans_grille": int(df["score"].isna().sum())}
    if not len(s):
        return out | {"moyenne": None, "quantiles": {}, "classes": pd.DataFrame(
            columns=["debut", "fin", "nb", "libelle"])}
    q = quantiles(s)
    return out | {"moyenne": float(s.mean()), "min": float(s.min()), "max": float(s.max()),
                  "quantiles": q, "classes": classes(s)}


def quantiles(v) -> dict:
    """Deciles and quartiles as scores that exist: the smallest score with at least that share
    of the demandes at or below it (so « 9 sur 10 au plus X » is exact)."""
    v = np.asarray(v, dtype=float)
    return {k: float(np.quantile(v, p, method="inverted_cdf")) for k, p in (
        ("d1", .1), ("q1", .25), ("mediane", .5), ("q3", .75), ("d9", .9))}


def classes(values) -> pd.DataFrame:
    """Counts of scores per band [debut, fin) of LARGEUR_CLASSE points."""
    v = np.asarray(values, dtype=float)
    if not len(v):
        return pd.DataFrame(columns=["debut", "fin", "nb", "libelle"])
    lo = int(np.floor(v.min() / LARGEUR_CLASSE) * LARGEUR_CLASSE)
    hi = int(np.floor(v.max() / LARGEUR_CLASSE) * LARGEUR_CLASSE)
    starts = np.arange(lo, hi + LARGEUR_CLASSE, LARGEUR_CLASSE)
    idx = ((v - lo) // LARGEUR_CLASSE).astype(int)
    counts = np.bincount(idx, minlength=len(starts))
    return pd.DataFrame({"debut": starts, "fin": starts + LARGEUR_CLASSE, "nb": counts,
                         "libelle": [f"{a} à {a + LARGEUR_CLASSE - 1}" for a in starts]})


def attentes(db: Database, aujourdhui: date) -> pd.DataFrame:
    """Median complete months from filing to attribution of the demandes satisfied in the
    last `cotation_attente_mois` months, per level (commune, epci, typologie)."""
    mois = int(get_parametres(db)["cotation_attente_mois"])
    return db.df(load_sql("cotation/attente"), {"date": aujourdhui, "mois": mois})


def non_satisfaites(db: Database, aujourdhui: date, epci_siren: str | None = None
                    ) -> pd.DataFrame:
    """Well-scored demandes waiting longer than similar demandes waited (sql/cotation/
    non_satisfaites.sql), with the wished commune's name and the dwellings vacated since."""
    s = get_parametres(db)
    df = db.df(load_sql("cotation/non_satisfaites"), {
        "date": aujourdhui, "epci": epci_siren, "mois": int(s["cotation_attente_mois"]),
        "min": int(s["cotation_min_comparables"]),
        "centile": float(s["cotation_rang_bien_cotees_pct"])})
    names = noms(db, "ref_commune", df["commune_souhaitee"]).rename("commune")
    return df.merge(names, left_on="commune_souhaitee", right_index=True, how="left")
