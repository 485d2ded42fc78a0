"""Fragility of résidences (docs/regles.md#fragilite): occupation survey, recent move-ins, rotation,
vacancy and arrears, summed up in an index a manager can explain in a CALEOL.

Index: each indicator of the setting `fragilite_poids` is standardised (z-score, in numpy)
against the résidences of the same EPCI, or the whole parc when the EPCI has
fewer than `fragilite_min_residences` surveyed résidences; the index is the weighted mean of
these z-scores (weights renormalised to 1), so a résidence's index says "how many standard
deviations more fragile than its territory", and each indicator's contribution is its weight
× its z-score. A missing indicator counts as the territory's mean (z = 0). Classes: fragile
(index ≥ `fragilite_seuil_fragile`), à surveiller (≥ `fragilite_seuil_surveiller`),
équilibrée. A principal component analysis of the same z-scores (`diagnostic`) checks that the
weighted index follows the main axis of the data. Everything is deterministic.

Survey level (`niveau_enquete`, sql/fragilite/indicateurs.sql). The OPS survey a landlord or
EPCI receives is mostly aggregated per commune, QPV and hors QPV apart (`occupation_territoire`);
a résidence-level survey (`occupation`) is better when the landlord has one. Each résidence
takes the finest level it has at the reference year: « résidence » (its own latest wave, even
older than the commune's: it describes its households, the commune figure only its
surroundings), else « commune × QPV » (its commune's row on its side of the QPV line, after
`en_qpv`; an arrondissement municipal tries its own code, then its commune), else « commune »
(secteur ENSEMBLE), else none. A commune-level résidence takes the commune's shares as the best
estimate of its own; the rates only a résidence survey gives (rotation, vacance, impayés) stay
unknown (z = 0), `nb_menages` stays empty (the « et si » then weighs one move-in against the
résidence's dwellings, not the commune's thousands of households) and the trend is the
commune × secteur's since its previous wave. Such a résidence counts as surveyed for the
reference group. Commune figures vary less than résidence ones (an average), so these
résidences sit nearer the mean: the page says how many résidences each level fed.

Recent movers of the OPS (population EMMENAGES_RECENTS) are chosen by the same rules and
returned apart (`niveau_recents`, `recents_*`), shown on the card, but never feed the
`entrees_*` indicators, even for a résidence without lease signed in 24 months: those count
the résidence's own leases and the EPCI's first quartile, while the OPS counts a whole
commune × secteur against the PLUS ceilings (not the same households nor the same threshold);
a résidence with no lease in 24 months had no newcomer to describe (or its leases are not
imported), and lending it the commune's newcomers would invent them; and they would count the
commune twice beside its ENSEMBLE shares.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA

from fluxcore.db import Database, load_sql
from fluxcore.formats import fmt_num, fmt_signe
from fluxcore.parametres import get_parametres

LIBELLES = {
    "part_ressources_faibles": "Ménages à ressources faibles (%)",
    "part_sans_emploi": "Titulaires sans emploi (%)",
    "part_monoparentales": "Familles monoparentales (%)",
    "taux_impayes": "Impayés (%)",
    "taux_vacance": "Vacance (%)",
    "taux_rotation": "Rotation (%)",
    "entrees_q1_pct": "Entrants récents au 1er quartile (%)",
    "evol_ressources_faibles": "Évolution des ressources faibles (points)",
    "part_personnes_seules": "Personnes seules (%)",
    "part_grandes_familles": "Grandes familles, 6 personnes et plus (%)",
    "entrees_prioritaires_pct": "Entrants récents prioritaires (%)",
    "entrees_dalo_pct": "Entrants récents DALO (%)",
    "entrees_grandes_pct": "Entrants récents en grande famille (%)",
    "entrees_seules_pct": "Entrants récents seuls (%)",
}
CLASSES = ("fragile", "à surveiller", "équilibrée")


@dataclass(frozen=True)
class Reglages:
    poids: dict[str, float]
    seuil_fragile: float
    seuil_surveiller: float
    min_residences: int

    @classmethod
    def lire(cls, db: Database) -> Reglages:
        s = get_parametres(db)
        total = sum(s["fragilite_poids"].values()) or 1.0
        return cls({k: v / total for k, v in s["fragilite_poids"].items() if v},
                   float(s["fragilite_seuil_fragile"]), float(s["fragilite_seuil_surveiller"]),
                   int(s["fragilite_min_residences"]))


def indicateurs(db: Database, arret: date, epci: str | None = None,
                departement: str | None = None) -> pd.DataFrame:
    """Raw indicators per résidence (see sql/fragilite/indicateurs.sql)."""
    return db.df(load_sql("fragilite/indicateurs"),
                 {"arret": arret, "epci": epci, "dep": departement})


def _groups(df: pd.DataFrame, minimum: int) -> pd.Series:
    """Reference group of each résidence: its EPCI when enough of them are surveyed."""
    surveyed = df[df["annee_enquete"].notna()].groupby("epci_siren").size()
    big = set(surveyed[surveyed >= minimum].index)
    return df["epci_siren"].where(df["epci_siren"].isin(big), "parc").fillna("parc")


@dataclass(frozen=True)
class Echelle:
    """Standardisation of one reference group (what StandardScaler fits, in plain numpy: the
    group's indicators with missing values replaced by the group mean)."""
    mean_: np.ndarray
    var_: np.ndarray
    scale_: np.ndarray


def _scalers(df: pd.DataFrame, cols: list[str], groups: pd.Series) -> dict[str, Echelle]:
    values = df[cols].to_numpy(float)
    keys = groups.to_numpy()
    out = {}
    for g in sorted(set(keys)):
        rows = values if g == "parc" else values[keys == g]   # parc = every résidence
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)   # all-missing column: mean 0
            mean = np.nan_to_num(np.nanmean(rows, axis=0)) if len(rows) else np.zeros(len(cols))
        filled = np.where(np.isnan(rows), mean, rows)
        var = filled.var(axis=0) if len(rows) else np.zeros(len(cols))
        # a constant indicator has no spread (the float variance may come out as 1e-33)
        var = np.where(np.ptp(filled, axis=0) == 0, 0.0, var) if len(rows) else var
        out[g] = Echelle(mean, var, np.where(var > 0, np.sqrt(var), 1.0))
    return out


def _z(df: pd.DataFrame, cols: list[str], groups: pd.Series,
       scalers: dict[str, Echelle]) -> pd.DataFrame:
    values = df[cols].to_numpy(float)
    keys = groups.to_numpy()
    z = np.zeros_like(values)
    for g, sc in scalers.items():
        mask = keys == g
        if not mask.any():
            continue
        scale = np.where(sc.var_ > 0, sc.scale_, np.inf)   # no spread: no information (z = 0)
        rows = np.where(np.isnan(values[mask]), sc.mean_, values[mask])
        z[mask] = (rows - sc.mean_) / scale
    return pd.DataFrame(z, index=df.index, columns=cols)


def classe(index: float, r: Reglages) -> str:
    return CLASSES[0] if index >= r.seuil_fragile else (
        CLASSES[1] if index >= r.seuil_surveiller else CLASSES[2])


def score(df: pd.DataFrame, r: Reglages) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """(résidences with indice, classe, reference; contributions per indicator; fitted state)."""
    cols = list(r.poids)
    groups = _groups(df, r.min_residences)
    scalers = _scalers(df, cols, groups)
    z = _z(df, cols, groups, scalers)
    contrib = z * pd.Series(r.poids)
    out = df.assign(reference=groups, indice=contrib.sum(axis=1).round(6))
    out["classe"] = [classe(i, r) for i in out["indice"]]
    contrib.insert(0, "residence_id", df["residence_id"].to_numpy())
    return out, contrib, {"cols": cols, "groups": groups, "scalers": scalers, "reglages": r}


def fragilite(db: Database, arret: date, epci: str | None = None,
              departement: str | None = None) -> pd.DataFrame:
    """Every résidence of the scope with its indicators, indice, classe and the contribution of
    each indicator (`c_<indicator>` columns). Scores are computed on the whole parc, then the
    scope is kept, so a résidence has the same index whatever the territory shown."""
    r = Reglages.lire(db)
    df = indicateurs(db, arret)
    out, contrib, _ = score(df, r)
    out = out.join(contrib.drop(columns="residence_id").add_prefix("c_"))
    if epci is not None:
        out = out[out["epci_siren"] == epci]
    if departement is not None:
        out = out[out["departement"] == departement]
    return out.sort_values("indice", ascending=False).reset_index(drop=True)


def diagnostic(db: Database, arret: date) -> dict:
    """First principal component of the standardised indicators (whole parc): share of variance
    it explains, loadings, and its correlation with the weighted index."""
    r = Reglages.lire(db)
    df = indicateurs(db, arret)
    out, _contrib, state = score(df, r)
    z = _z(df, state["cols"], state["groups"], state["scalers"]).to_numpy(float)
    if len(z) < 3:
        return {"variance_expliquee": None, "chargements": {}, "correlation_indice": None}
    pca = PCA(n_components=1, random_state=0).fit(z)
    axis = pca.components_[0]
    axis = axis if axis.sum() >= 0 else -axis            # orient: larger = more fragile
    pc1 = z @ axis
    corr = float(np.corrcoef(pc1, out["indice"])[0, 1]) if out["indice"].std() > 0 else None
    return {"variance_expliquee": float(pca.explained_variance_ratio_[0]),
            "chargements": dict(zip(state["cols"], np.round(axis, 3).tolist())),
            "correlation_indice": corr}


SHARES = {"part_ressources_faibles": "q1", "part_personnes_seules": "seul",
          "part_grandes_familles": "grande"}
ENTREES = {"entrees_q1_pct": "q1", "entrees_prioritaires_pct": "prioritaire",
           "entrees_dalo_pct": "dalo", "entrees_grandes_pct": "grande",
           "entrees_seules_pct": "seul"}


@dataclass(frozen=True)
class EtSi:
    residence_id: str
    indicateurs: pd.DataFrame       # indicateur, libelle, avant, apres
    indice_avant: float
    indice_apres: float
    classe_avant: str
    classe_apres: str


def _move_in(row: pd.Series, traits: dict[str, bool]) -> pd.Series:
    """The résidence's raw indicators once one more household of these traits lives there."""
    new = row.copy()
    n = row["nb_menages"] if pd.notna(row["nb_menages"]) else row["logements"]
    n = float(n or 0)
    for col, trait in SHARES.items():
        if pd.notna(row[col]):
            new[col] = (row[col] * n + 100.0 * traits[trait]) / (n + 1)
    if pd.notna(row["evol_ressources_faibles"]) and pd.notna(row["part_ressources_faibles"]):
        new["evol_ressources_faibles"] = row["evol_ressources_faibles"] + (
            new["part_ressources_faibles"] - row["part_ressources_faibles"])
    e = float(row["entrees_24m"])
    for col, trait in ENTREES.items():
        before = row[col] if pd.notna(row[col]) else 0.0
        new[col] = (before * e + 100.0 * traits[trait]) / (e + 1)
    new["entrees_24m"] = e + 1
    if pd.notna(row["nb_menages"]):
        new["nb_menages"] = row["nb_menages"] + 1
    return new


def et_si(db: Database, residence_id: str, arret: date, quartile: int | None,
          prioritaire: bool = False, taille: int = 2, dalo: bool = False,
          _cache: tuple | None = None) -> EtSi:
    """Indicators, index and class of a résidence if one household of this profile moved in
    (first quartile counts as « ressources faibles »; same reference group and scaling)."""
    df, out, state = _cache if _cache is not None else contexte(db, arret)
    r = state["reglages"]
    hit = df.index[df["residence_id"] == residence_id]
    if not len(hit):
        from fluxcore.errors import FluxcoreError
        raise FluxcoreError(f"Résidence inconnue : « {residence_id} ».")
    i = hit[0]
    traits = {"q1": quartile == 1, "prioritaire": prioritaire or dalo, "dalo": dalo,
              "grande": taille >= 6, "seul": taille == 1}
    after = _move_in(df.loc[i], traits)
    cols = state["cols"]
    z_after = _z(after.to_frame().T, cols, state["groups"].loc[[i]].set_axis([i]),
                 state["scalers"])
    idx_after = float((z_after.iloc[0] * pd.Series(r.poids)).sum())
    shown = list(dict.fromkeys(cols + list(SHARES) + list(ENTREES)))
    table = pd.DataFrame({"indicateur": shown,
                          "libelle": [LIBELLES.get(c, c) for c in shown],
                          "avant": [df.loc[i, c] for c in shown],
                          "apres": [after[c] for c in shown]})
    before = float(out.loc[i, "indice"])
    return EtSi(residence_id, table, before, round(idx_after, 6), classe(before, r),
                classe(idx_after, r))


def contexte(db: Database, arret: date, epci: str | None = None) -> tuple:
    """Indicators and fitted scaling, to reuse across several `et_si`. With `epci`, only that
    EPCI's résidences are read when it is its own reference (same figures, less work);
    otherwise the whole parc."""
    r = Reglages.lire(db)
    if epci is not None:
        df = indicateurs(db, arret, epci)
        if df["annee_enquete"].notna().sum() >= r.min_residences:
            out, _c, state = score(df, r)
            return df, out, state
    df = indicateurs(db, arret)
    out, _c, state = score(df, r)
    return df, out, state


def explication(row: pd.Series, contrib: pd.Series, n: int = 3) -> str:
    """Why a résidence has its class, in words: its strongest contributions."""
    top = contrib.sort_values(ascending=False)
    up = [c for c in top.index[:n] if top[c] > 0.02]
    if not up:
        return (f"Classée « {row['classe']} » : aucun indicateur ne s'écarte nettement de la "
                "moyenne du territoire.")
    parts = []
    for c in up:
        value = row[c]
        unit = " points" if c.startswith("evol_") else " %"
        parts.append(f"{LIBELLES[c].split(' (')[0].lower()} : {fmt_num(value, 1)}{unit}")
    ref = "de l'EPCI" if row["reference"] != "parc" else "du parc"
    indice = fmt_signe(row["indice"], 2)
    text = (f"Classée « {row['classe']} » (indice {indice}) surtout à cause de : "
            f"{' ; '.join(parts)} — au-dessus de la moyenne des résidences {ref}.")
    niveau = row.get("niveau_enquete")
    if niveau in ("commune × QPV", "commune") and any(c.startswith(("part_", "evol_"))
                                                       for c in up):
        text += f" Les parts de l'enquête OPS sont celles de la commune (niveau {niveau})."
    return text


def impact(db: Database, residence_id: str, arret: date, epci: str | None = None) -> dict:
    """What one more first-quartile household, or one of quartiles 2–4, would do to the
    résidence's index (used by the orientation ranking; `epci`: the résidence's EPCI)."""
    ctx = contexte(db, arret, epci)
    q1 = et_si(db, residence_id, arret, 1, _cache=ctx)
    other = et_si(db, residence_id, arret, 3, _cache=ctx)
    return {"indice": q1.indice_avant, "classe": q1.classe_avant,
            "delta_q1": q1.indice_apres - q1.indice_avant,
            "delta_autre": other.indice_apres - other.indice_avant}


FICHE = ["part_ressources_faibles", "part_sans_emploi", "part_monoparentales", "part_apl",
         "part_personnes_seules", "part_grandes_familles", "taux_impayes", "taux_vacance",
         "taux_rotation", "evol_ressources_faibles", "evol_sans_emploi", "entrees_q1_pct",
         "entrees_prioritaires_pct", "entrees_dalo_pct", "entrees_grandes_pct",
         "entrees_seules_pct", "rotation_12m_pct", "vacants_pct"]
LIBELLES_FICHE = LIBELLES | {
    "part_apl": "Bénéficiaires de l'APL (%)",
    "evol_sans_emploi": "Évolution des sans-emploi (points)",
    "rotation_12m_pct": "Libérations des 12 derniers mois (% des logements)",
    "vacants_pct": "Logements vacants aujourd'hui (%)"}


def fiche(db: Database, residence_id: str, arret: date) -> dict:
    """A résidence's card: its row (indicators, index, class), each indicator against the mean
    of its reference group, the contributions and the explanation in words."""
    df, out, state = contexte(db, arret)
    hit = out.index[out["residence_id"] == residence_id]
    if not len(hit):
        from fluxcore.errors import FluxcoreError
        raise FluxcoreError(f"Résidence inconnue : « {residence_id} ».")
    i = hit[0]
    row = out.loc[i]
    g = state["groups"].loc[i]
    group = out if g == "parc" else out[state["groups"] == g]
    r = state["reglages"]
    z = _z(df.loc[[i]], state["cols"], state["groups"].loc[[i]], state["scalers"]).iloc[0]
    contrib = z * pd.Series(r.poids)
    table = pd.DataFrame({
        "indicateur": FICHE, "libelle": [LIBELLES_FICHE[c] for c in FICHE],
        "residence": [row[c] for c in FICHE],
        "reference": [group[c].mean() for c in FICHE],
        "contribution": [contrib.get(c) for c in FICHE]})
    return {"residence": row, "indicateurs": table, "explication": explication(row, contrib),
            "reference": "l'EPCI" if row["reference"] != "parc" else "tout le parc",
            "taille_reference": len(group)}
