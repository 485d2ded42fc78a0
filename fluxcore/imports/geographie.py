"""The geography of imported résidences (canonical files and RPLS): old commune codes mapped to
2026, EPCI from the commune, coordinates read in their system, QPV 2024 recomputed from them
(fluxcore.localisation), with a warning per line where something was changed or looks wrong.
"""

from __future__ import annotations

import pandas as pd

from fluxcore.formats import accord
from fluxcore.imports.problems import AVERTISSEMENT, Problems
from fluxcore.localisation import FICHIER, distance_text, hors_commune, localiser

LOCATED = ["longitude", "latitude", "epsg", "coordonnees_source", "qpv_code", "en_qpv"]
_TYPES = {"longitude": "double", "latitude": "double", "epsg": "integer",
          "coordonnees_source": "varchar", "qpv_code": "varchar", "en_qpv": "boolean",
          "qpv_code_fichier": "varchar", "en_qpv_fichier": "boolean", "x": "double",
          "y": "double"}


def _columns(cur, table: str) -> set[str]:
    return {r[0] for r in cur.execute(f"describe {table}").fetchall()}


def normalise_communes(cur, table: str, where: str, problems: Problems, label: str,
                       raw: str | None = None) -> None:
    """Old commune codes → 2026 (warning per line); codes unknown to the reference (warning).

    With `raw`, the codes were already converted in SQL (commune_2026) and `raw` holds them as
    the file gave them."""
    before = raw or "commune_insee"
    rows = cur.execute(
        f"select min(__ligne), {before}, commune_2026({before}), count(*) from {table} "
        f"where {before} is not null and commune_2026({before}) <> {before} "
        f"group by all order by 1").fetchall()
    for ligne, old, new, n in rows[: problems.limit]:
        problems.add(where, ligne, label, old, f"ancien code de commune, remplacé par le code "
                     f"2026 {new} ({accord(n, 'ligne', 'lignes')})", AVERTISSEMENT)
    if rows and raw is None:
        cur.execute(f"update {table} set commune_insee = commune_2026(commune_insee) "
                    f"where commune_insee is not null")
    found = cur.execute(
        f"select min(__ligne), commune_insee, count(*) from {table} t where commune_insee is "
        f"not null and not exists (select 1 from ref_commune r where r.code_insee = "
        f"t.commune_insee) group by commune_insee order by 1").fetchall()
    for ligne, code, n in found[: problems.limit]:
        problems.add(where, ligne, label, code,
                     "commune inconnue du code officiel géographique 2026 "
                     f"({accord(n, 'ligne', 'lignes')}) : "
                     "ni EPCI, ni QPV, ni carte pour ces résidences", AVERTISSEMENT)


def locate(cur, table: str, where: str, problems: Problems,
           labels: dict[str, str] | None = None,
           qpv_given: bool | None = None) -> tuple[list[str], list[str]]:
    """Locate the résidences of `table` (one row each, columns of the residence table plus
    __ligne) and write the result into it. Returns (columns to write as given, columns to fill
    only where empty): with real coordinates the located columns are authoritative; otherwise
    the file's QPV is kept and the commune centre only fills a new résidence."""
    labels = labels or {}
    have = _columns(cur, table)
    coords = any(cur.execute(f"select count({c}) from {table}").fetchall()[0][0]
                 for c in ("longitude", "latitude", "x", "y") if c in have)
    if qpv_given is None:
        qpv_given = bool({"qpv_code", "en_qpv"} & have)
    for c in ("qpv_code", "en_qpv"):        # the file's own QPV, kept apart
        if qpv_given and c in have and f"{c}_fichier" not in have:
            cur.execute(f"alter table {table} add column {c}_fichier {_TYPES[c + '_fichier']}")
            cur.execute(f"update {table} set {c}_fichier = {c}")
    have_now = _columns(cur, table)
    for c in (*LOCATED, "qpv_code_fichier", "en_qpv_fichier"):
        if c not in have_now:
            cur.execute(f"alter table {table} add column {c} {_TYPES[c]}")
    df = cur.execute(f"select * from {table}").df()
    loc = localiser(df)
    _report(df, loc, where, problems, labels)
    out = pd.DataFrame({"__ligne": df["__ligne"], **{c: loc[c] for c in LOCATED}})
    out["epsg"] = out["epsg"].astype("Int64")
    cur.register("located_df", out)
    cur.execute(f"update {table} t set {', '.join(f'{c} = l.{c}' for c in LOCATED)} "
                f"from located_df l where l.__ligne = t.__ligne")
    cur.unregister("located_df")
    kept = [c for c in ("qpv_code_fichier", "en_qpv_fichier") if qpv_given]
    kept += [c for c in ("x", "y") if c in have]
    if coords:
        return [*LOCATED, *kept], []
    given = ["qpv_code", "en_qpv"] if qpv_given else []
    return [*given, *kept], [c for c in LOCATED if c not in given]


def _report(df: pd.DataFrame, loc: pd.DataFrame, where: str, problems: Problems,
            labels: dict[str, str]) -> None:
    lignes = df["__ligne"].to_numpy()
    xy = labels.get("x", "x")
    for i in loc.index[loc["epsg_inconnu"]][: problems.limit]:
        problems.add(where, lignes[i], labels.get("epsg", "epsg"), df.at[i, "epsg"]
                     if "epsg" in df else None,
                     "coordonnées illisibles dans ce système (code EPSG inconnu ou valeurs "
                     "hors de sa zone) : résidence placée au centre de sa commune",
                     AVERTISSEMENT)
    far = hors_commune(loc["distance_commune_m"]) & (loc["coordonnees_source"] == FICHIER)
    for i in loc.index[far][: problems.limit]:
        problems.add(where, lignes[i], xy, f"{loc.at[i, 'longitude']:.5f}, "
                     f"{loc.at[i, 'latitude']:.5f}",
                     f"point situé à {distance_text(loc.at[i, 'distance_commune_m'])} de sa "
                     f"commune {df.at[i, 'commune_insee']} (EPSG:{int(loc.at[i, 'epsg'])}) : "
                     "coordonnées ou système de coordonnées à vérifier", AVERTISSEMENT)
    for i in loc.index[loc["qpv_desaccord"]][: problems.limit]:
        fichier = df.at[i, "qpv_code_fichier"] if "qpv_code_fichier" in df else None
        if fichier is None or pd.isna(fichier):
            en = df.at[i, "en_qpv_fichier"] if "en_qpv_fichier" in df else None
            fichier = "en QPV" if en is True or en == 1 else "hors QPV"
        calcule = loc.at[i, "qpv_code"]
        calcule = "hors QPV" if pd.isna(calcule) else calcule
        problems.add(where, lignes[i], labels.get("qpv_code", "qpv"), fichier,
                     f"le fichier indique {fichier}, les contours QPV 2024 donnent {calcule} "
                     "(retenu ; le fichier peut se référer aux QPV de 2015)", AVERTISSEMENT)
