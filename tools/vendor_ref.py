"""Rebuild data/ref/ (the vendored reference geography of the whole of France) from shared data.

Usage (from the repository root):

    .venv/bin/python tools/vendor_ref.py [--shared ../shared/data] [--out data/ref]
    .venv/bin/python tools/vendor_ref.py --verifier      # rebuild in a temporary folder and
                                                         # compare byte for byte with data/ref

Inputs: `<shared>/france/` (communes COG 2026 with arrondissements municipaux, old commune
codes, EPCI 2026, QPV 2024, départements, commune polygons 2018 per département) and, for the
demo's calibration, `<shared>/` (RPLS 2019 indicators per EPCI and the SRU social-housing rates
of the communes of 08, 10, 51 and 52).

The output is deterministic for a given input and shapely/GEOS version: rows and features keep
a fixed order, JSON is compact with a fixed key order, coordinates are rounded, gzip members
carry no timestamp. The script checks its own output (counts, validity, every QPV inside its
communes' département files, every 2018 polygon mapped) and exits with an error if a check
fails. Fonts (data/ref/fonts) are not touched.
"""

from __future__ import annotations

import argparse
import csv
import filecmp
import gzip
import hashlib
import io
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import mapping, shape

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SHARED = ROOT.parent / "shared" / "data"
DEFAULT_OUT = ROOT / "data" / "ref"

FR = "france"
SRC_COMMUNES = f"{FR}/communes_france.csv"
SRC_ANCIENS = f"{FR}/communes_anciens_codes.csv"
SRC_EPCI = f"{FR}/epci_france.csv"
SRC_QPV_CSV = f"{FR}/qpv2024_france.csv"
SRC_QPV_GEO = f"{FR}/qpv2024_france.geojson"
SRC_DEPS = f"{FR}/departements_france.geojson"
SRC_POLYGONS = f"{FR}/communes_2018"
SRC_SRU = "communes_08_10_51_52.csv"
SRC_CALIB = "calibration_rpls2019_08_10_51_52.csv"

# sha256 prefixes published in shared/data/france/SOURCES.md and shared/data/SOURCES.md.
EXPECTED_SRC_SHA = {
    SRC_COMMUNES: "3d9f052dad543bfa",
    SRC_EPCI: "050ff812550c48c8",
    SRC_QPV_CSV: "075b07b0817a702d",
    SRC_QPV_GEO: "71677d677ee2db8e",
    SRC_DEPS: "0c331e85eef244d8",
    SRC_ANCIENS: "ade8949d62b99730",
    SRC_SRU: "1dfaa0d0b915f62e",
}

COMMUNE_COLS = ["code_insee", "nom", "type", "commune_parent", "code_dep", "nom_dep",
                "code_region", "zone", "population", "siren_epci", "nom_epci", "type_epci",
                "lon", "lat", "taux_lls_sru_2024"]
EPCI_COLS = ["siren_epci", "nom", "type", "population_municipale", "nb_communes",
             "departements"]
QPV_COLS = ["code_qp", "lib_qp", "insee_com", "code_dep", "departements", "siren_epci",
            "point_lon", "point_lat"]

# Coverage (Visvalingam-Whyatt) simplification of the dissolved commune polygons of the whole
# country in one pass: shared borders stay identical (also across départements), so
# neighbouring communes never overlap. Max deviation ~0.002° (~150-200 m).
COVERAGE_TOLERANCE = 0.002
DEPARTEMENT_TOLERANCE = 0.002
DECIMALS = 4          # ~10 m; the QPV contours are published at this precision
POINT_DECIMALS = 5


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def write_csv(path: Path, cols: list[str], rows: list[dict[str, str]]) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8", newline="")


def round_geom(geom, decimals: int = DECIMALS):
    geom = shapely.transform(geom, lambda xy: np.round(xy, decimals))
    if not geom.is_valid:         # rounding can pinch a ring: keep the polygonal parts
        geom = shapely.make_valid(geom)
        parts = [g for g in getattr(geom, "geoms", [geom])
                 if g.geom_type in ("Polygon", "MultiPolygon")]
        geom = shapely.union_all(parts)
    return shapely.orient_polygons(geom)


def feature_collection(features: list[tuple[dict, object]]) -> bytes:
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props, "geometry": mapping(geom)}
        for props, geom in features
    ]}
    return (json.dumps(fc, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def write_geojson(path: Path, features: list[tuple[dict, object]]) -> None:
    data = feature_collection(features)
    if path.suffix == ".gz":
        data = gzip.compress(data, compresslevel=9, mtime=0)
    path.write_bytes(data)


def load_geojson(path: Path) -> list[tuple[dict, object]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        data = json.load(fh)
    return [(f["properties"], shape(f["geometry"])) for f in data["features"]]


def check(cond: bool, msg: str) -> None:
    if not cond:
        raise SystemExit(f"vendor_ref: check failed: {msg}")


def _inputs(shared: Path) -> None:
    for name, prefix in EXPECTED_SRC_SHA.items():
        check((shared / name).is_file(), f"missing input {shared / name}")
        if not sha256(shared / name).startswith(prefix):
            print(f"warning: {name} differs from the version described in SOURCES.md",
                  file=sys.stderr)
    check((shared / SRC_POLYGONS).is_dir(), f"missing input folder {shared / SRC_POLYGONS}")
    check((shared / SRC_CALIB).is_file(), f"missing input {shared / SRC_CALIB}")


def _communes(shared: Path) -> list[dict[str, str]]:
    _, rows = read_csv(shared / SRC_COMMUNES)
    check(len(rows) == 35014, f"expected 35014 communes and arrondissements, got {len(rows)}")
    check(all(len(r["code_insee"]) == 5 for r in rows), "INSEE code not 5 characters")
    _, sru = read_csv(shared / SRC_SRU)
    rate = {r["code_insee"]: r["taux_lls_sru_2024"] for r in sru}
    check(set(rate) <= {r["code_insee"] for r in rows}, "SRU communes missing from COG 2026")
    for r in rows:
        r["taux_lls_sru_2024"] = rate.get(r["code_insee"], "")
    return rows


def _dissolved(shared: Path, codes_2026: set[str], anciens: dict[str, str]):
    """2018 polygons dissolved on their 2026 commune: (codes, geometries), sorted by code."""
    by_code: dict[str, list] = {}
    for path in sorted((shared / SRC_POLYGONS).glob("*.geojson.gz")):
        for props, geom in load_geojson(path):
            code = props["code"] if props["code"] in codes_2026 else anciens.get(props["code"])
            check(code is not None, f"2018 polygon {props['code']} maps to no 2026 commune")
            by_code.setdefault(code, []).append(geom)
    codes = sorted(by_code)
    geoms = np.array([shapely.union_all(by_code[c]) if len(by_code[c]) > 1 else by_code[c][0]
                      for c in codes])
    check(bool(shapely.coverage_is_valid(geoms)), "dissolved communes are not a coverage")
    return codes, geoms


def _simplified(geoms: np.ndarray) -> list:
    simple = shapely.coverage_simplify(geoms, COVERAGE_TOLERANCE)
    out = [round_geom(g) for g in simple]
    check(all(shapely.is_valid(g) and not g.is_empty for g in out), "invalid simplified shape")
    return out


def build(shared: Path, out: Path) -> dict[str, str]:
    """Write every vendored file; return {file name: short description} in write order."""
    _inputs(shared)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, str] = {}

    # 1. communes.csv (COG 2026 + arrondissements municipaux) and old codes
    communes = _communes(shared)
    write_csv(out / "communes.csv", COMMUNE_COLS, communes)
    written["communes.csv"] = ("35 014 communes (COG 2026) and arrondissements municipaux, "
                               "EPCI, population, centre, SRU rate (08, 10, 51, 52)")
    by_code = {r["code_insee"]: r for r in communes}
    anc_cols, anciens_rows = read_csv(shared / SRC_ANCIENS)
    anciens = {r["code_ancien"]: r["code_insee_2026"] for r in anciens_rows}
    check(all(c in by_code for c in anciens.values()), "old code mapped to an unknown commune")
    write_csv(out / "communes_anciens_codes.csv", anc_cols, anciens_rows)
    written["communes_anciens_codes.csv"] = "old commune codes → 2026 commune"

    # 2. epci.csv
    _, epci = read_csv(shared / SRC_EPCI)
    check(len(epci) == 1255, f"expected 1255 EPCI, got {len(epci)}")
    write_csv(out / "epci.csv", EPCI_COLS, epci)
    written["epci.csv"] = "1 255 EPCI à fiscalité propre 2026"
    epci_names = {r["siren_epci"]: r["nom"] for r in epci}
    check(all(r["siren_epci"] in epci_names for r in communes if r["siren_epci"]),
          "commune in an unknown EPCI")

    # 3. commune polygons per département, EPCI outlines
    codes, dissolved = _dissolved(shared, set(by_code), anciens)
    simple = _simplified(dissolved)
    per_dep: dict[str, list] = {}
    for code, geom in zip(codes, simple):
        r = by_code[code]
        per_dep.setdefault(r["code_dep"], []).append(
            ({"code_insee": code, "nom": r["nom"], "siren_epci": r["siren_epci"]}, geom))
    (out / "communes").mkdir(exist_ok=True)
    for dep, feats in sorted(per_dep.items()):
        write_geojson(out / "communes" / f"{dep}.geojson.gz", feats)
    written["communes/"] = (f"{len(codes)} commune polygons (2026 codes) in {len(per_dep)} "
                            "files, one per département")
    members: dict[str, list[int]] = {}
    for i, c in enumerate(codes):
        if by_code[c]["siren_epci"]:
            members.setdefault(by_code[c]["siren_epci"], []).append(i)
    sirens = sorted(members)
    outlines = np.array([shapely.union_all(dissolved[members[s]]) for s in sirens])
    outlines = _simplified(outlines)
    epci_deps = {r["siren_epci"]: r["departements"] for r in epci}
    epci_per_dep: dict[str, list] = {}
    for s, g in zip(sirens, outlines):
        for dep in epci_deps[s].split("|"):
            epci_per_dep.setdefault(dep, []).append(({"siren_epci": s, "nom": epci_names[s]}, g))
    (out / "epci").mkdir(exist_ok=True)
    for dep, feats in sorted(epci_per_dep.items()):
        write_geojson(out / "epci" / f"{dep}.geojson.gz", feats)
    written["epci/"] = (f"{len(sirens)} EPCI outlines (union of communes) in "
                        f"{len(epci_per_dep)} files, one per département they touch")

    # 4. départements.geojson (simplified)
    deps = []
    for p, g in load_geojson(shared / SRC_DEPS):
        geom = round_geom(shapely.simplify(g, DEPARTEMENT_TOLERANCE, preserve_topology=True))
        deps.append(({"code": p["code"], "nom": p["nom"]}, geom))
    check(len(deps) == 101, "expected 101 départements")
    write_geojson(out / "departements.geojson", sorted(deps, key=lambda f: f[0]["code"]))
    written["departements.geojson"] = "101 département outlines (simplified)"

    # 5. QPV 2024: attributes + an inside point, polygons per département of their communes
    # 586 upstream contours have ring self-intersections (rounding to 4 decimals): repaired
    qpv_geo = {p["code_qp"]: round_geom(g) for p, g in load_geojson(shared / SRC_QPV_GEO)}
    _, qpv_rows = read_csv(shared / SRC_QPV_CSV)
    check(len(qpv_rows) == 1584 and set(qpv_geo) == {r["code_qp"] for r in qpv_rows},
          "QPV csv and geojson disagree")
    qpv_per_dep: dict[str, list] = {}
    for row in qpv_rows:
        geom = qpv_geo[row["code_qp"]]
        own = list(dict.fromkeys(c if c in by_code else anciens.get(c, c)
                                 for c in row["insee_com"].split("|")))
        check(all(c in by_code for c in own), f"{row['code_qp']}: unknown commune")
        row["insee_com"] = "|".join(own)       # 2026 codes (e.g. 93059 → 93066 in 2025)
        row["departements"] = "|".join(sorted({by_code[c]["code_dep"] for c in own}))
        row["siren_epci"] = by_code[own[0]]["siren_epci"]
        xy = shapely.get_coordinates(geom.point_on_surface())[0]
        for decimals in (POINT_DECIMALS, POINT_DECIMALS + 1, POINT_DECIMALS + 2):
            pt = shapely.Point(np.round(xy, decimals))
            if geom.contains(pt):
                break
        check(geom.contains(pt), f"inside point of {row['code_qp']} not inside")
        row["point_lon"], row["point_lat"] = f"{pt.x:.{decimals}f}", f"{pt.y:.{decimals}f}"
        for dep in row["departements"].split("|"):
            qpv_per_dep.setdefault(dep, []).append(
                ({"code_qp": row["code_qp"], "lib_qp": row["lib_qp"]}, geom))
    write_csv(out / "qpv2024.csv", QPV_COLS, qpv_rows)
    written["qpv2024.csv"] = "1 584 QPV 2024: attributes + a point guaranteed inside each"
    (out / "qpv").mkdir(exist_ok=True)
    for dep, feats in sorted(qpv_per_dep.items()):
        write_geojson(out / "qpv" / f"{dep}.geojson.gz", feats)
    written["qpv/"] = (f"QPV 2024 polygons (repaired where invalid) in {len(qpv_per_dep)} files, "
                       "one per département")

    # 6. calibration_epci.csv (demo)
    calib_cols, calib = read_csv(shared / SRC_CALIB)
    calib = [r for r in calib if r["niveau"] == "Epci" or r["code"] == "FRMETRO"]
    check(len(calib) == 45, f"expected 44 EPCI + FRMETRO calibration rows, got {len(calib)}")
    check(all(r["code"] in epci_names for r in calib if r["niveau"] == "Epci"),
          "calibration EPCI codes unknown")
    write_csv(out / "calibration_epci.csv", calib_cols, calib)
    written["calibration_epci.csv"] = "RPLS 2019 aggregate indicators per EPCI + France métro"
    return written


def qpv_outside_report(out: Path) -> list[str]:
    """QPVs with more than 2 % of their area outside their own communes' polygons."""
    _, rows = read_csv(out / "qpv2024.csv")
    lines, no_polygon = [], []
    shapes: dict[str, dict] = {}
    for r in rows:
        deps = r["departements"].split("|")
        for dep in deps:
            if dep not in shapes:
                poly = out / "communes" / f"{dep}.geojson.gz"
                shapes[dep] = {
                    "c": {p["code_insee"]: g for p, g in load_geojson(poly)}
                    if poly.is_file() else {},
                    "q": {p["code_qp"]: g for p, g in
                          load_geojson(out / "qpv" / f"{dep}.geojson.gz")}}
        geom = shapes[deps[0]]["q"][r["code_qp"]]
        own = shapely.union_all([shapes[d]["c"][c] for d in deps for c in
                                 r["insee_com"].split("|") if c in shapes[d]["c"]])
        if own.is_empty:
            no_polygon.append(r["code_qp"])
            continue
        share = geom.difference(own).area / geom.area
        if share > 0.02:
            lines.append(f"{r['code_qp']} {r['lib_qp']} ({r['insee_com']}): {share:.1%}")
    if no_polygon:
        lines.append(f"{len(no_polygon)} QPVs of communes without a polygon (collectivités "
                     f"d'outre-mer): {no_polygon[0]} … {no_polygon[-1]}")
    return lines


SOURCES_HEAD = """\
# data/ref — vendored public reference geography of the whole of France

These files are an extract of public data, vendored so that the application runs without
`../shared`. Nobody on the team authored the underlying data. They are generated by

    .venv/bin/python tools/vendor_ref.py --shared ../shared/data

from `shared/data/france` (the whole country) and `shared/data` (the demo's calibration); see
the SOURCES.md of those folders for the full provenance. The script is deterministic for a
given shapely/GEOS and zlib version (built with shapely {shapely}, GEOS {geos});
`tools/vendor_ref.py --verifier` rebuilds in a temporary folder and compares byte for byte.
CSVs are UTF-8, comma-separated, INSEE/SIREN codes are strings (leading zero kept: `08105`,
`2A004`, `97411`). Coordinates are WGS84 lon/lat (EPSG:4326). `*.geojson.gz` are gzip
GeoJSON FeatureCollections; the application loads only the départements present in a base.

## Provenance and licences

- **communes.csv** — npm `@etalab/decoupage-administratif@6.0.0` (`communes.json`, `epci.json`,
  `departements.json`; millésime 2026; data Licence Ouverte / Etalab, code MIT): the 34 969
  communes actuelles and the 45 arrondissements municipaux of Paris (751xx), Lyon (6938x) and
  Marseille (132xx), which RPLS and SNE files use (`type`, `commune_parent`; an arrondissement
  takes its parent's EPCI). EPCI membership from DGCL epcicom2026. Centre (`lon, lat`) from
  geo.api.gouv.fr (IGN/INSEE, Licence Ouverte) via github.com/bpineau/gazetteer (commit
  2cb0ab3, MIT): the geometric centre, not the mairie. `taux_lls_sru_2024` (08, 10, 51, 52 only,
  empty elsewhere; used by the demo) from data.gouv.fr « Taux de logements sociaux dans les
  communes » (Caisse des Dépôts 2024, Licence Ouverte 2.0) via bpineau/gazetteer. Columns
  `codes_postaux` and `siren_commune` of the source are left out. Four island communes
  (Île-de-Bréhat, Île-de-Sein, Ouessant, L'Île-d'Yeu) and the collectivités d'outre-mer belong
  to no EPCI: `siren_epci` is empty, by law.
- **communes_anciens_codes.csv** — same package (`anciensCodes` and the `chefLieu` of communes
  déléguées/associées): every code of a commune merged since 2018 → its 2026 commune. Copy.
- **epci.csv** — same package, `data/epci.json` (DGCL epcicom2026), Licence Ouverte. Column
  subset; some EPCI straddle several départements (`departements`, `|`-separated).
- **communes/<dep>.geojson.gz** — github.com/gregoiredavid/france-geojson (commit 5d34ee6,
  IGN Admin Express COG 2018, simplified upstream to 25 %, Licence Ouverte). Derived: the 35 357
  polygons of 2018 are dissolved on their 2026 commune (old codes through
  communes_anciens_codes.csv; every polygon maps to one), the coverage of the whole country is
  simplified in one pass with `shapely.coverage_simplify(tolerance={tol})` (shared borders kept
  identical, also between départements; deviation ≈ 0.002°, ~150–200 m), coordinates rounded to
  {dec} decimals, exteriors counter-clockwise. One file per département; properties
  `code_insee, nom, siren_epci`. Arrondissements municipaux have no polygon of their own (their
  commune has one). Communes created since 2018 by splitting an older one, and the collectivités
  d'outre-mer, have no polygon: {no_poly}.
- **epci/<dep>.geojson.gz** — derived from the same dissolved commune polygons: union per EPCI
  2026, coverage-simplified the same way; one file per département, an EPCI straddling
  départements is in each of their files. Properties `siren_epci, nom`.
- **departements.geojson** — france-geojson `departements-avec-outre-mer.geojson` (same commit,
  IGN Admin Express COG 2018, Licence Ouverte). Derived: `simplify(tolerance={dtol},
  preserve_topology=True)`, rounded to {dec} decimals; properties `code, nom`.
- **qpv2024.csv**, **qpv/<dep>.geojson.gz** — ANCT QPV 2024 contours (décret 2023-1314,
  data.gouv.fr, Licence Ouverte) as re-packaged by bpineau/gazetteer
  `sources/qpv/data/qpv.json.gz` (commit 2cb0ab3; simplified upstream to 4 decimals, ~10 m).
  Geometry unchanged except that the contours which are not valid polygons (586, ring
  self-intersections left by the upstream rounding) are repaired with `shapely.make_valid`
  (polygonal parts kept) and rings oriented counter-clockwise; one file per département of
  the QPV's communes (a QPV spanning two départements is in both files); properties
  `code_qp, lib_qp`. In the CSV, `insee_com` is given in 2026 codes (three QPVs named 93059,
  merged into 93066 in 2025); it adds `departements`
  (of its communes), `siren_epci` (of its first commune) and `point_lon, point_lat`: shapely
  `point_on_surface`, rounded to 5 decimals (6 or 7 where needed), checked to lie inside the QPV.
- **calibration_epci.csv** — SDES RPLS 2019 indicators (public statistics, Licence Ouverte) as
  packaged in github.com/MaelTheuliere/rrrpls `data/indicateurs_rpls_2019.rda` (commit 99fddb3;
  the package itself is CC BY-NC-SA 4.0, only the public SDES figures are reused): the 44 EPCI
  of 08, 10, 51, 52 plus `FRMETRO` (France métropolitaine), all columns. Used by the demo only;
  `pct_en_qpv` refers to QPV **2015**.
- **SOURCES.md** — this file (generated).

## Known data caveats

- Commune polygons are the 2018 IGN shapes; QPV 2024 contours are more recent and finer, so a
  QPV edge can stick out of its own communes into a neighbour. QPVs with more than 2 % of their
  area outside their communes' polygons:
{outside}
- A point of a commune split off since 2018 lies in the polygon of the commune it was split
  from; the product does not report such points as « hors de leur commune ».
- Commune and EPCI populations come from different millésimes and do not add up.

## Files

| file | bytes | sha256 (first 16) | content |
|---|---|---|---|
"""


def _folder_digest(path: Path) -> tuple[int, str]:
    files = sorted(path.glob("*"))
    h = hashlib.sha256()
    for f in files:
        h.update(f.name.encode() + b"\0" + hashlib.sha256(f.read_bytes()).digest())
    return sum(f.stat().st_size for f in files), h.hexdigest()


def write_sources(out: Path, written: dict[str, str]) -> None:
    outside = "\n".join(f"  - {line}" for line in qpv_outside_report(out)) or "  - (none)"
    _, communes = read_csv(out / "communes.csv")
    with_poly = {p["code_insee"] for f in (out / "communes").glob("*.geojson.gz")
                 for p, _ in load_geojson(f)}
    no_poly = [c["code_insee"] for c in communes
               if c["type"] == "commune-actuelle" and c["code_insee"] not in with_poly]
    text = SOURCES_HEAD.format(
        shapely=shapely.__version__, geos=shapely.geos_version_string, tol=COVERAGE_TOLERANCE,
        dtol=DEPARTEMENT_TOLERANCE, dec=DECIMALS, outside=outside,
        no_poly=", ".join(no_poly))
    for name, desc in written.items():
        path = out / name
        if path.is_dir():
            size, digest = _folder_digest(path)
        else:
            size, digest = path.stat().st_size, sha256(path)
        text += f"| {name} | {size} | {digest[:16]} | {desc} |\n"
    text += "| SOURCES.md | - | - | this file (generated) |\n"
    (out / "SOURCES.md").write_text(text, encoding="utf-8", newline="")


def verify(shared: Path, out: Path) -> int:
    """Rebuild into a temporary folder; 0 when every file equals the one in `out`."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "ref"
        write_sources(fresh, build(shared, fresh))
        names = sorted(str(p.relative_to(fresh)) for p in fresh.rglob("*") if p.is_file())
        differ = [n for n in names if not (out / n).is_file()
                  or not filecmp.cmp(fresh / n, out / n, shallow=False)]
    for name in differ:
        print(f"différent : {out / name}")
    print(f"{len(names) - len(differ)} fichiers identiques, {len(differ)} différents")
    return 1 if differ else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED,
                        help="folder holding the shared public data (default: ../shared/data)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    parser.add_argument("--verifier", action="store_true",
                        help="rebuild in a temporary folder and compare with --out")
    args = parser.parse_args(argv)
    check(args.shared.is_dir(), f"{args.shared} is not a folder")
    if args.verifier:
        return verify(args.shared, args.out)
    written = build(args.shared, args.out)
    write_sources(args.out, written)
    total = 0
    for name in [*written, "SOURCES.md"]:
        path = args.out / name
        size = _folder_digest(path)[0] if path.is_dir() else path.stat().st_size
        total += size
        print(f"{size:>10}  {path}")
    print(f"{total:>10}  total")
    return 0


if __name__ == "__main__":
    sys.exit(main())
