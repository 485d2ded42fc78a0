"""Per-dwelling vacancy probability for the year to forecast (scikit-learn).

A logistic regression on the dwelling × year history of the département (was the dwelling
vacated that year?) with typologie, financement, QPV, surface, rent per m², age of the
building and the résidence's own past rotation (leave-one-out: the dwelling's own departures
are not in its feature). Why a model and not the segment rate alone: the Monte Carlo needs
each dwelling's chance, and a résidence that turns over fast, or an old cheap T1, does not
leave like the segment's average.

Calibration is reported honestly on a temporal hold-out (fit on the older years, scored on
the last observed year): Brier score against the constant base rate, AUC, and predicted vs
observed frequency per decile. The model is then refitted on every observed year.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd

from fluxcore.db import Database, bind, load_sql
from fluxcore.formats import fmt_int, fmt_pct

CATEGORIELLES = ["typologie", "financement"]
NUMERIQUES = ["surface_m2", "loyer_m2", "age", "rotation_residence"]
ECHANTILLON = 40_000  # rows a fit uses at most (seeded sample): ~20 coefficients need no more
LIBELLES = {"surface_m2": "Surface (m²)", "loyer_m2": "Loyer au m²", "age": "Âge du bâtiment",
            "rotation_residence": "Rotation passée de la résidence", "en_qpv": "En QPV"}


@dataclass
class ModeleVacance:
    """The fitted model, its calibration and the probability of each dwelling."""

    estime: bool
    message: str
    predictions: pd.DataFrame   # logement_id, commune_insee, epci_siren, typologie, en_qpv, p
    n_apprentissage: int = 0
    annees_observees: list[int] = field(default_factory=list)
    taux_moyen: float = 0.0
    brier: float | None = None
    brier_reference: float | None = None
    auc: float | None = None
    calibration: pd.DataFrame = field(default_factory=pd.DataFrame)  # decile, n, predit, observe
    coefficients: pd.DataFrame = field(default_factory=pd.DataFrame)  # variable, coef, odds


def _features(df: pd.DataFrame) -> pd.DataFrame:
    """Model features, computed in place; the résidence's rotation is that of its other
    dwellings over the observed years (the dwelling's own departures left out)."""
    df["loyer_m2"] = df["loyer_mensuel"] / df["surface_m2"].where(df["surface_m2"] > 0)
    built = df["annee_construction"].fillna(df["annee_service"])
    df["age"] = (df["annee"] - built).clip(lower=0)
    train = df["libere"].notna()
    y = df["libere"].fillna(False).astype(float)
    res = pd.DataFrame({"residence_id": df["residence_id"], "y": y.where(train, 0.0),
                        "n": train.astype(float)})
    res["logement_id"] = df["logement_id"]
    tot = res.groupby("residence_id")[["y", "n"]].transform("sum")
    own = res.groupby("logement_id")[["y", "n"]].transform("sum")
    # the other dwellings of the résidence over the observed years (leave-one-out)
    den = tot["n"] - own["n"]
    df["rotation_residence"] = (tot["y"] - own["y"]) / den.where(den > 0)
    df["en_qpv"] = df["en_qpv"].astype(bool).astype(float)
    return df


def _pipeline():
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    pre = ColumnTransformer([
        ("cat", OneHotEncoder(handle_unknown="ignore", drop="first", sparse_output=False),
         CATEGORIELLES),
        ("num", Pipeline([("imp", SimpleImputer(strategy="median")),
                          ("std", StandardScaler())]), NUMERIQUES),
        ("qpv", "passthrough", ["en_qpv"]),
    ])
    return Pipeline([("pre", pre), ("lr", LogisticRegression(max_iter=1000, C=1.0))])


def estimer_modele(db: Database, departement: str, annee: int, nb: int) -> ModeleVacance:
    """Fit the model on the nb years before `annee` and predict each dwelling of `annee`
    (the simulator reads the one kept with the base: fluxcore.simulation.modele_stocke)."""
    return ajuster(historique(db, departement, annee, nb), annee)


def historique(con: Database | duckdb.DuckDBPyConnection, departement: str, annee: int,
               nb: int) -> pd.DataFrame:
    """The history rows of the model (historique_logements.sql), from the base or from a
    transaction's cursor."""
    sql = load_sql("simulation/historique_logements")
    p = {"dep": departement, "annee": annee, "nb": nb}
    return con.df(sql, p) if isinstance(con, Database) else con.execute(sql, bind(sql, p)).df()


def ajuster(df: pd.DataFrame, annee: int) -> ModeleVacance:
    """The model from history rows (see historique_logements.sql); pure, for tests."""
    df = _features(df.copy())
    train, pred = df[df["annee"] < annee], df[df["annee"] == annee]
    keep = ["logement_id", "commune_insee", "epci_siren", "typologie", "en_qpv"]
    out = pred[keep].assign(en_qpv=pred["en_qpv"].astype(bool)).reset_index(drop=True)
    y = train["libere"].astype(bool).to_numpy()
    years = sorted(int(a) for a in train["annee"].unique())
    base = float(y.mean()) if len(y) else 0.0
    if len(y) < 50 or y.sum() < 5 or (~y).sum() < 5:
        seg = train.groupby(["typologie", "en_qpv"])["libere"].mean()
        keys = pd.MultiIndex.from_arrays([pred["typologie"].to_numpy(),
                                          pred["en_qpv"].astype(bool).astype(float).to_numpy()])
        # each dwelling its segment's rate (the whole history's rate for a segment not seen)
        out["p"] = np.where(keys.isin(seg.index), seg.reindex(keys).to_numpy(float), base)
        return ModeleVacance(False, "Historique trop court pour estimer le modèle : chaque "
                             "logement reçoit la rotation observée de son segment.", out,
                             len(y), years, base)
    cols = [*CATEGORIELLES, *NUMERIQUES, "en_qpv"]
    m = ModeleVacance(True, "", out, len(y), years, base)
    if len(years) >= 2:
        _calibrer(m, train, cols, years[-1])
    fit = _echantillon(train)
    model = _pipeline().fit(fit[cols], fit["libere"].astype(bool))
    out["p"] = model.predict_proba(pred[cols])[:, 1] if len(pred) else []
    m.coefficients = _coefficients(model)
    m.message = (f"Régression logistique estimée sur {fmt_int(len(y))} logements-années "
                 f"({years[0]}–{years[-1]}), taux de départ moyen {fmt_pct(100 * base, 1)}.")
    return m


def _calibrer(m: ModeleVacance, train: pd.DataFrame, cols: list[str], last: int) -> None:
    from sklearn.metrics import brier_score_loss, roc_auc_score

    fit, test = _echantillon(train[train["annee"] < last]), train[train["annee"] == last]
    y_fit, y_test = fit["libere"].astype(bool), test["libere"].astype(bool).to_numpy()
    if y_fit.nunique() < 2 or len(set(y_test)) < 2:
        return
    p = _pipeline().fit(fit[cols], y_fit).predict_proba(test[cols])[:, 1]
    m.brier = float(brier_score_loss(y_test, p))
    m.brier_reference = float(brier_score_loss(y_test, np.full(len(y_test), y_fit.mean())))
    m.auc = float(roc_auc_score(y_test, p))
    dec = pd.qcut(pd.Series(p).rank(method="first"), 10, labels=False) + 1
    m.calibration = pd.DataFrame({"decile": dec, "p": p, "y": y_test}).groupby(
        "decile", as_index=False).agg(n=("p", "size"), predit=("p", "mean"),
                                      observe=("y", "mean"))


def _echantillon(df: pd.DataFrame) -> pd.DataFrame:
    """At most ECHANTILLON rows, drawn with a fixed seed (same data → same model)."""
    return df if len(df) <= ECHANTILLON else df.sample(ECHANTILLON, random_state=0)


def _coefficients(model) -> pd.DataFrame:
    names = model.named_steps["pre"].get_feature_names_out()
    coef = model.named_steps["lr"].coef_[0]
    rows = []
    for n, c in zip(names, coef):
        group, _, var = n.partition("__")
        if group == "cat":
            col, _, val = var.partition("_")
            label = f"{'Typologie' if col == 'typologie' else 'Financement'} {val}"
        else:
            label = LIBELLES.get(var, var) + (" (+1 écart-type)" if group == "num" else "")
        rows.append({"variable": label, "coef": float(c), "odds_ratio": float(np.exp(c))})
    return pd.DataFrame(rows).sort_values("coef", key=abs, ascending=False, ignore_index=True)
