"""Scores of the demandes (SQL, one query for the whole base), their distribution per EPCI,
the observed waiting times and the review list of well-scored demandes left unsatisfied."""

from __future__ import annotations

import warnings
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa

from fluxcore.db import Database, _traduite, bind, load_sql
from fluxcore.parametres import get_parametres

LARGEUR_CLASSE = 10  # points per bar of the score distribution

# rang_epci: within the EPCI, by score, then the older demande, then the id; the demandes
# without a score (no grid) after them, oldest first, then by id
ORDRE_EPCI = "s.epci_siren, s.score desc nulls last, s.date_depot, s.demande_id"


def filtres(aujourdhui: date, epci: str | None = None, commune: str | None = None,
            demande: str | None = None) -> dict:
    """Parameters of sql/cotation/scores: the date and the optional filters (None: all)."""
    return {"date": aujourdhui, "epci": epci, "commune": commune, "demande": demande}


def lire(db: Database, sql: str, params: dict) -> pd.DataFrame:
    """What db.df(sql, params) returns, read through Arrow: through .df() every string of a
    table of tens of thousands of demandes becomes a Python object (most of its cost); here
    the text, list, integer, boolean, date and double columns are converted from Arrow with
    the types DuckDB gives them (_colonne), any other column by DuckDB itself."""
    cur = db._read_cursor(sql)  # a read: the role's read rule applies
    try:
        cur.execute(sql, bind(sql, params))
        with warnings.catch_warnings():  # the rows are copied once more: a few ms, against
            warnings.filterwarnings(      # planning the query twice through cur.sql()
                "ignore", "Arrow output on a DB-API result", UserWarning)
            table = cur.to_arrow_table()
        cols = {name: _colonne(col) for name, col in zip(table.column_names, table.columns)}
        autres = [name for name, col in cols.items() if col is None]
        if autres:
            cols.update(cur.from_arrow(table.select(autres)).df().items())
    except Exception as exc:
        raise _traduite(exc, ecriture=False) from exc
    finally:
        cur.close()
    return pd.DataFrame(cols, index=pd.RangeIndex(table.num_rows))


def _colonne(col: pa.ChunkedArray) -> pd.Series | None:
    """A column as DuckDB's .df() types it (text: str, NaN if missing — object when none is
    there; list of texts: numpy arrays; integers and booleans: numpy, or pandas' nullable
    types when one is missing; dates: datetime64[us]; doubles: float64, NaN if missing), or
    None for any other case (left to DuckDB)."""
    kind, nuls = col.type, col.null_count
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return col.to_pandas() if nuls < len(col) else None
    if pa.types.is_list(kind) and pa.types.is_string(kind.value_type):
        return col.to_pandas() if len(col) and not nuls else None
    if kind in (pa.int32(), pa.int64(), pa.bool_()):
        if not nuls:
            return pd.Series(col.to_numpy())
        values, mask = col.fill_null(False if kind == pa.bool_() else 0).to_numpy(), \
            col.is_null().to_numpy()
        return pd.Series(pd.arrays.BooleanArray(values, mask) if kind == pa.bool_()
                         else pd.arrays.IntegerArray(values, mask))
    if kind == pa.date32():
        return pd.Series(col.cast(pa.timestamp("us")).to_numpy())
    if kind == pa.float64():
        return pd.Series(col.to_numpy())
    return None


def scores(db: Database, aujourdhui: date, epci_siren: str | None = None) -> pd.DataFrame:
    """Every active demande with its score at `aujourdhui` (sql/cotation/scores.sql), ranked
    within its EPCI (rang_epci: score, then the older demande, then the id), in the order of
    ORDRE_EPCI."""
    df = lire(db, "select * from (" + load_sql("cotation/scores") + ") s order by "
              + ORDRE_EPCI, filtres(aujourdhui, epci_siren))
    df["rang_epci"] = rangs(df["epci_siren"], df["score"].notna().to_numpy())
    return df


def rangs(epci: pd.Series, note: np.ndarray) -> np.ndarray | pd.arrays.IntegerArray:
    """rang_epci of rows in ORDRE_EPCI order (`note`: has a score): 1, 2… within each EPCI's
    run of scored rows, NA for a row without score — int64 when every row has one, Int64
    otherwise, as DuckDB returns a BIGINT column."""
    codes = pd.factorize(epci, use_na_sentinel=True)[0]
    debut = np.ones(len(codes), dtype=bool)
    debut[1:] = codes[1:] != codes[:-1]
    pos = np.arange(len(codes), dtype=np.int64)
    rang = pos - np.maximum.accumulate(np.where(debut, pos, 0)) + 1
    if note.all():
        return rang
    return pd.arrays.IntegerArray(rang, ~note)


def nombre_scores(db: Database, aujourdhui: date) -> int:
    """How many active demandes get a score (the benchmark's « score every demande »)."""
    return int(db.scalar("select count(score) from (" + load_sql("cotation/scores") + ")",
                         filtres(aujourdhui)))


def distribution(db: Database, aujourdhui: date, epci_siren: str) -> dict:
    """Scores of an EPCI's active demandes: nb, sans_grille (no grid in force), the mean,
    quartiles and deciles, and the counts per band of LARGEUR_CLASSE points
    (classes: DataFrame debut, fin, nb, libelle)."""
    df = db.df(
        "select score from (" + load_sql("cotation/scores") + ") where epci_siren = $epci",
        filtres(aujourdhui, epci_siren))
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


def attentes(db: Database, aujourdhui: date, typologie: str | None = None) -> pd.DataFrame:
    """Median complete months from filing to attribution of the demandes satisfied in the
    last `cotation_attente_mois` months, per level (commune, epci, typologie); those of one
    typologie only if given."""
    mois = int(get_parametres(db)["cotation_attente_mois"])
    return db.df(load_sql("cotation/attente"), {"date": aujourdhui, "mois": mois,
                                                "typologie": typologie})


def non_satisfaites(db: Database, aujourdhui: date, epci_siren: str | None = None
                    ) -> pd.DataFrame:
    """Well-scored demandes waiting longer than similar demandes waited (sql/cotation/
    non_satisfaites.sql), with the wished commune's name and the dwellings vacated since."""
    s = get_parametres(db)
    return lire(db, load_sql("cotation/non_satisfaites"), filtres(aujourdhui, epci_siren) | {
        "mois": int(s["cotation_attente_mois"]), "typologie": None,
        "min": int(s["cotation_min_comparables"]),
        "centile": float(s["cotation_rang_bien_cotees_pct"])})
