"""Rebuild data/ref/ (the vendored geography extract) from the shared public data.

Usage (from the repository root):

    .venv/bin/python tools/vendor_ref.py [--shared ../shared/data] [--out data/ref]

The output is deterministic for a given input and a given shapely/GEOS version: rows and
features keep a fixed order, JSON is written compactly with a fixed key order and
coordinates rounded to 5 decimals. The script checks its own output (counts, validity, QPV vs
commune consistency) and exits with an error if a check fails.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import mapping, shape

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SHARED = ROOT.parent / "shared" / "data"
DEFAULT_OUT = ROOT / "data" / "ref"

SRC_COMMUNES = "communes_08_10_51_52.csv"
SRC_EPCI = "epci_08_10_51_52.csv"
SRC_QPV_CSV = "qpv2024_08_10_51_52.csv"
SRC_QPV_GEO = "qpv2024_08_10_51_52.geojson"
SRC_COMMUNES_2018 = "communes_2018_08_10_51_52.geojson"
SRC_DEPS = "departements_08_10_51_52.geojson"
SRC_EPCI_GEO = "epci_2026_contours_derives_08_10_51_52.geojson"
SRC_CALIB = "calibration_rpls2019_08_10_51_52.csv"

# sha256 prefixes published in shared/data/SOURCES.md (the calibration file has none there).
EXPECTED_SRC_SHA = {
    SRC_COMMUNES: "1dfaa0d0b915f62e",
    SRC_EPCI: "683913afbf74c605",
    SRC_QPV_CSV: "2c23a75eff6e1655",
    SRC_QPV_GEO: "ed6461c27692b61c",
    SRC_COMMUNES_2018: "b38ab9bb16f9ff2a",
    SRC_DEPS: "5b99704f9d447a18",
    SRC_EPCI_GEO: "ce3d070ff6ee1361",
}

COMMUNE_COLS = ["code_insee", "nom", "code_dep", "nom_dep", "population", "siren_epci",
                "nom_epci", "type_epci", "lon", "lat", "taux_lls_sru_2024"]
EPCI_COLS = ["siren_epci", "nom", "type", "population_municipale", "nb_communes", "departements"]

# Coverage (Visvalingam-Whyatt) simplification of the dissolved commune polygons: removes
# "triangles" of area below about TOL**2 while keeping shared borders identical, so that
# neighbouring communes never overlap. Max deviation from the 2018 polygons is ~0.001 deg.
COMMUNE_COVERAGE_TOLERANCE = 0.001
DEPARTEMENT_TOLERANCE = 0.001
DECIMALS = 5


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


def round_geom(geom):
    return shapely.transform(geom, lambda xy: np.round(xy, DECIMALS))


def write_geojson(path: Path, features: list[tuple[dict, object]]) -> None:
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props, "geometry": mapping(geom)}
        for props, geom in features
    ]}
    text = json.dumps(fc, ensure_ascii=False, separators=(",", ":"))
    path.write_text(text + "\n", encoding="utf-8", newline="")


def load_geojson(path: Path) -> list[tuple[dict, object]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return [(f["properties"], shape(f["geometry"])) for f in data["features"]]


def check(cond: bool, msg: str) -> None:
    if not cond:
        raise SystemExit(f"vendor_ref: check failed: {msg}")


def build(shared: Path, out: Path) -> dict[str, str]:
    """Write every vendored file; return {file name: short description} in write order."""
    for name, prefix in EXPECTED_SRC_SHA.items():
        check((shared / name).is_file(), f"missing input {shared / name}")
        if not sha256(shared / name).startswith(prefix):
            print(f"warning: {name} differs from the version described in SOURCES.md",
                  file=sys.stderr)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, str] = {}

    # 1. communes.csv
    _, communes = read_csv(shared / SRC_COMMUNES)
    check(len(communes) == 1914, f"expected 1914 communes, got {len(communes)}")
    check(all(len(r["code_insee"]) == 5 for r in communes), "INSEE code not 5 characters")
    write_csv(out / "communes.csv", COMMUNE_COLS, communes)
    written["communes.csv"] = "communes (COG 2026) with EPCI, population, centre, SRU rate"
    commune_by_code = {r["code_insee"]: r for r in communes}

    # 2. epci.csv
    _, epci = read_csv(shared / SRC_EPCI)
    check(len(epci) == 44, f"expected 44 EPCI, got {len(epci)}")
    write_csv(out / "epci.csv", EPCI_COLS, epci)
    written["epci.csv"] = "EPCI à fiscalité propre 2026"

    # 3. qpv2024.geojson (byte copy) and qpv2024.csv (+ an inside point per QPV)
    shutil.copyfile(shared / SRC_QPV_GEO, out / "qpv2024.geojson")
    written["qpv2024.geojson"] = "QPV 2024 polygons (unchanged copy)"
    qpv_geo = {p["code_qp"]: g for p, g in load_geojson(shared / SRC_QPV_GEO)}
    qpv_cols, qpv_rows = read_csv(shared / SRC_QPV_CSV)
    check(len(qpv_rows) == 35 and set(qpv_geo) == {r["code_qp"] for r in qpv_rows},
          "QPV csv and geojson disagree")
    for row in qpv_rows:
        geom = qpv_geo[row["code_qp"]]
        pt = shapely.Point(np.round(shapely.get_coordinates(geom.point_on_surface())[0],
                                    DECIMALS))
        check(geom.contains(pt), f"inside point of {row['code_qp']} not inside")
        row["point_lon"], row["point_lat"] = f"{pt.x:.5f}", f"{pt.y:.5f}"
    write_csv(out / "qpv2024.csv", [*qpv_cols, "point_lon", "point_lat"], qpv_rows)
    written["qpv2024.csv"] = "QPV 2024 attributes + a point guaranteed inside each QPV"

    # 4. epci_contours.geojson (copy, properties reduced)
    epci_feats = [({"siren_epci": p["siren_epci"], "nom": p["nom"]}, g)
                  for p, g in load_geojson(shared / SRC_EPCI_GEO)]
    check(len(epci_feats) == 44, "expected 44 EPCI contours")
    write_geojson(out / "epci_contours.geojson", epci_feats)
    written["epci_contours.geojson"] = "EPCI 2026 outlines (copy, 2 properties kept)"

    # 5. departements.geojson (simplified, rounded)
    deps = []
    for p, g in load_geojson(shared / SRC_DEPS):
        simple = round_geom(shapely.simplify(g, DEPARTEMENT_TOLERANCE, preserve_topology=True))
        if not simple.is_valid:
            simple = shapely.make_valid(simple)
        deps.append(({"code": p["code"], "nom": p["nom"]}, simple))
    write_geojson(out / "departements.geojson", sorted(deps, key=lambda f: f[0]["code"]))
    written["departements.geojson"] = "département outlines (simplified)"

    # 6. communes_parc.geojson: dissolve 2018 polygons on code_2026, coverage-simplify, select
    by_code: dict[str, list] = {}
    for p, g in load_geojson(shared / SRC_COMMUNES_2018):
        by_code.setdefault(p["code_2026"], []).append(g)
    check(set(by_code) == set(commune_by_code), "code_2026 does not map to the 1914 communes")
    codes = sorted(by_code)
    dissolved = np.array([shapely.union_all(by_code[c]) for c in codes])
    check(bool(shapely.coverage_is_valid(dissolved)), "dissolved communes are not a coverage")
    simplified = shapely.coverage_simplify(dissolved, COMMUNE_COVERAGE_TOLERANCE)
    simplified = np.array([round_geom(shapely.orient_polygons(g)) for g in simplified])
    qpv_communes = {c for r in qpv_rows for c in r["insee_com"].split("|")}
    keep = [i for i, c in enumerate(codes)
            if float(commune_by_code[c]["taux_lls_sru_2024"]) > 0 or c in qpv_communes]
    parc = {codes[i]: simplified[i] for i in keep}
    check(all(shapely.is_valid(list(parc.values()))), "invalid simplified commune")
    check(bool(shapely.coverage_is_valid(np.array(list(parc.values())))),
          "simplified communes overlap")
    for row in qpv_rows:
        own = row["insee_com"].split("|")
        geom = qpv_geo[row["code_qp"]]
        centroid = shapely.Point(float(row["centroid_lon"]), float(row["centroid_lat"]))
        check(all(parc[c].intersects(geom) for c in own),
              f"{row['code_qp']} no longer intersects all its communes")
        check(any(parc[c].contains(centroid) for c in own),
              f"centroid of {row['code_qp']} outside its communes")
    feats = []
    for code, geom in parc.items():
        r = commune_by_code[code]
        props = {"code_insee": code, "nom": r["nom"], "code_dep": r["code_dep"],
                 "siren_epci": r["siren_epci"]}
        feats.append((props, geom))
    write_geojson(out / "communes_parc.geojson", feats)
    written["communes_parc.geojson"] = (
        f"{len(feats)} commune polygons (SRU rate > 0 or hosting a QPV), dissolved, simplified")

    # 7. calibration_epci.csv
    calib_cols, calib = read_csv(shared / SRC_CALIB)
    calib = [r for r in calib if r["niveau"] == "Epci" or r["code"] == "FRMETRO"]
    check(len(calib) == 45, f"expected 44 EPCI + FRMETRO calibration rows, got {len(calib)}")
    check({r["code"] for r in calib if r["niveau"] == "Epci"} == {r["siren_epci"] for r in epci},
          "calibration EPCI codes differ from epci.csv")
    write_csv(out / "calibration_epci.csv", calib_cols, calib)
    written["calibration_epci.csv"] = "RPLS 2019 aggregate indicators per EPCI + France métro"
    return written


def qpv_outside_report(out: Path) -> list[str]:
    """Share of each QPV lying outside its own communes in communes_parc (informative)."""
    parc = {p["code_insee"]: g for p, g in load_geojson(out / "communes_parc.geojson")}
    _, rows = read_csv(out / "qpv2024.csv")
    qpv_geo = {p["code_qp"]: g for p, g in load_geojson(out / "qpv2024.geojson")}
    lines = []
    for r in rows:
        geom = qpv_geo[r["code_qp"]]
        own = shapely.union_all([parc[c] for c in r["insee_com"].split("|")])
        rest = geom.difference(own)
        if rest.area / geom.area > 0.001:
            others = sorted(c for c, g in parc.items() if g.intersection(rest).area > 1e-9)
            lines.append(f"{r['code_qp']} {r['lib_qp']} ({r['insee_com']}): "
                         f"{rest.area / geom.area:.1%} of its area lies in "
                         f"{', '.join(others) or 'no commune'}")
    return lines


def centroids_outside_qpv(out: Path) -> list[str]:
    """QPV codes whose published centroid is not inside the QPV polygon itself."""
    _, rows = read_csv(out / "qpv2024.csv")
    qpv_geo = {p["code_qp"]: g for p, g in load_geojson(out / "qpv2024.geojson")}
    return [r["code_qp"] for r in rows if not qpv_geo[r["code_qp"]].contains(
        shapely.Point(float(r["centroid_lon"]), float(r["centroid_lat"])))]


SOURCES_HEAD = """\
# data/ref — vendored public reference geography (08, 10, 51, 52)

These files are a small extract of public data, vendored so that the application runs without
`../shared/data`. Nobody on the team authored the underlying data. They are generated by

    .venv/bin/python tools/vendor_ref.py --shared ../shared/data

from `shared/data` (see `shared/data/SOURCES.md` for the full provenance). The script is
deterministic for a given shapely/GEOS version (built with shapely {shapely}, GEOS {geos}).
CSVs are UTF-8, comma-separated, INSEE/SIREN codes are strings (leading zero kept: `08105`).
Coordinates are WGS84 lon/lat (EPSG:4326).

## Provenance and licences

- **communes.csv** — `@etalab/decoupage-administratif@6.0.0` (COG 2026, INSEE populations,
  DGCL epcicom2026), Licence Ouverte / Etalab; commune centre (`lon, lat`) from geo.api.gouv.fr
  (IGN/INSEE, Licence Ouverte) via github.com/bpineau/gazetteer (commit 2cb0ab31e158…);
  `taux_lls_sru_2024` from data.gouv.fr « Taux de logements sociaux dans les communes »
  (Caisse des Dépôts 2024, Licence Ouverte 2.0) via bpineau/gazetteer. Derived: column subset
  of `communes_08_10_51_52.csv` (all 1 914 rows, values unchanged).
- **epci.csv** — `@etalab/decoupage-administratif@6.0.0` `data/epci.json` (DGCL epcicom2026),
  Licence Ouverte. Derived: column subset of `epci_08_10_51_52.csv` (44 rows).
- **qpv2024.csv**, **qpv2024.geojson** — ANCT QPV 2024 contours (décret 2023-1314, data.gouv.fr,
  Licence Ouverte) as re-packaged by bpineau/gazetteer `sources/qpv/data/qpv.json.gz` (commit
  2cb0ab31e158…; geometry simplified upstream to 4 decimals). The GeoJSON is a byte copy. The CSV
  is a copy plus two added columns `point_lon, point_lat`: shapely `point_on_surface`, rounded
  to 5 decimals and checked to lie inside the QPV. Note: `centroid_lon/lat` (kept unchanged)
  falls *outside* its own QPV polygon for {n_off} QPVs
  ({off}); use `point_lon/lat` for a marker or a point-in-QPV test.
- **epci_contours.geojson** — derived in shared/data from the 2018 commune polygons grouped by
  2026 EPCI membership (github.com/gregoiredavid/france-geojson, IGN Admin Express COG 2018,
  Licence Ouverte). Copy with properties reduced to `siren_epci, nom`; geometry unchanged.
- **departements.geojson** — github.com/gregoiredavid/france-geojson (commit 5d34ee6d0140…),
  IGN Admin Express COG 2018, Licence Ouverte. Derived: shapely `simplify(tolerance=0.001,
  preserve_topology=True)`, coordinates rounded to 5 decimals; properties `code, nom`.
- **communes_parc.geojson** — same origin and licence as above (communes 2018, `code_2026` added
  from decoupage-administratif 2026). Derived: the 1 923 polygons of 2018 are dissolved on
  `code_2026` (union of merged communes), the resulting coverage of 1 914 communes is simplified
  with `shapely.coverage_simplify(tolerance={tol})` (Visvalingam-Whyatt, shared borders kept
  identical so neighbouring communes never overlap; max deviation ≈ 0.001°, ~100 m), exteriors
  oriented counter-clockwise, coordinates rounded to 5 decimals. Only the communes with
  `taux_lls_sru_2024 > 0` or listed in a QPV's `insee_com` are kept. Properties
  `code_insee, nom, code_dep, siren_epci`. Checked: every QPV polygon intersects each of its
  communes and every QPV centroid lies in one of its communes.
- **calibration_epci.csv** — SDES RPLS 2019 indicators (public statistics, Licence Ouverte) as
  packaged in github.com/MaelTheuliere/rrrpls `data/indicateurs_rpls_2019.rda` (commit 99fddb3…;
  the package itself is CC BY-NC-SA 4.0, only the public SDES figures are reused). Derived: rows
  `niveau = Epci` (44) plus `FRMETRO` (France métropolitaine) of
  `calibration_rpls2019_08_10_51_52.csv`, all columns. `pct_en_qpv` refers to QPV **2015**.
- **SOURCES.md** — this file (generated).

## Known data caveats

- Commune polygons are 2018 IGN shapes simplified upstream; QPV 2024 polygons are more recent and
  finer, so QPV edges can stick out of their own communes by a few tens of metres, into a
  neighbouring commune. A point drawn inside such a QPV can therefore get another commune code:
{outside}
- Commune and EPCI populations come from different millésimes and do not add up.

## Files

| file | bytes | sha256 (first 16) | content |
|---|---|---|---|
"""


def write_sources(out: Path, written: dict[str, str]) -> None:
    outside = "\n".join(f"  - {line}" for line in qpv_outside_report(out)) or "  - (none)"
    off = centroids_outside_qpv(out)
    text = SOURCES_HEAD.format(shapely=shapely.__version__, geos=shapely.geos_version_string,
                               tol=COMMUNE_COVERAGE_TOLERANCE, outside=outside,
                               n_off=len(off), off=", ".join(off) or "none")
    for name, desc in written.items():
        path = out / name
        text += f"| {name} | {path.stat().st_size} | {sha256(path)[:16]} | {desc} |\n"
    text += "| SOURCES.md | - | - | this file (generated) |\n"
    (out / "SOURCES.md").write_text(text, encoding="utf-8", newline="")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED,
                        help="folder holding the shared public data (default: ../shared/data)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    args = parser.parse_args(argv)
    check(args.shared.is_dir(), f"{args.shared} is not a folder")
    written = build(args.shared, args.out)
    write_sources(args.out, written)
    total = 0
    for name in [*written, "SOURCES.md"]:
        size = (args.out / name).stat().st_size
        total += size
        print(f"{size:>9}  {args.out / name}")
    print(f"{total:>9}  total")
    return 0


if __name__ == "__main__":
    sys.exit(main())
