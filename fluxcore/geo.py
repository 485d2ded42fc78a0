"""Reference geography of the whole of France (communes, EPCI, QPV 2024) and point operations.

Everything is read from the vendored extract in ``data/ref`` (see ``data/ref/SOURCES.md``,
rebuilt by ``tools/vendor_ref.py``); nothing here depends on ``../shared`` or on streamlit.
The attribute tables (35 014 communes and arrondissements, 1 255 EPCI, 1 584 QPV) are loaded
once; polygons are stored per département and loaded only for the départements asked for
(`load_zone`), so a landlord of one département never holds the country's shapes in memory.
Loaded objects are cached and shared: treat them as read-only.
"""

from __future__ import annotations

import functools
import gzip
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

DEFAULT_REF_DIR = Path(__file__).resolve().parent.parent / "data" / "ref"

EPSG_WGS84 = 4326
EPSG_LAMBERT93 = 2154
# Legal projection of each overseas département (décret 2019-165): RGAF09 / UTM 20N for the
# Antilles, RGFG95 / UTM 22N for Guyane, RGR92 / UTM 40S for La Réunion, RGM04 / UTM 38S for
# Mayotte. Métropole and Corsica: Lambert-93.
EPSG_DROM = {"971": 5490, "972": 5490, "973": 2972, "974": 2975, "976": 4471}

_CODE_COLUMNS = {
    "communes.csv": ["code_insee", "commune_parent", "code_dep", "code_region", "siren_epci"],
    "communes_anciens_codes.csv": ["code_ancien", "code_insee_2026"],
    "epci.csv": ["siren_epci", "departements"],
    "qpv2024.csv": ["code_qp", "insee_com", "code_dep", "departements", "siren_epci"],
    "calibration_epci.csv": ["niveau", "code"],
}

_MAX_BATCH = 2_000_000


@dataclass(frozen=True, eq=False)
class Reference:
    """Vendored attribute tables of the whole country (no geometry)."""

    ref_dir: Path
    communes: pd.DataFrame        # one row per commune or arrondissement municipal
    anciens: pd.Series            # old commune code -> 2026 commune code
    epci: pd.DataFrame
    qpv: pd.DataFrame
    calibration: pd.DataFrame


@dataclass(frozen=True, eq=False)
class Zone:
    """Polygons of some départements. Trees index the `*_codes` order."""

    departements: tuple[str, ...]
    commune_shapes: dict[str, BaseGeometry]
    qpv_shapes: dict[str, BaseGeometry]
    commune_codes: np.ndarray
    commune_geoms: np.ndarray
    commune_tree: shapely.STRtree
    qpv_codes: np.ndarray
    qpv_geoms: np.ndarray
    qpv_tree: shapely.STRtree


def _ref_path(ref_dir: str | Path | None) -> Path:
    path = Path(ref_dir) if ref_dir is not None else DEFAULT_REF_DIR
    if not path.is_dir():
        raise FileNotFoundError(
            f"Dossier de référence introuvable : {path} "
            "(régénérer avec « python tools/vendor_ref.py »)."
        )
    return path


def _read_csv(path: Path) -> pd.DataFrame:
    codes = _CODE_COLUMNS.get(path.name, [])
    return pd.read_csv(path, dtype=dict.fromkeys(codes, str), encoding="utf-8",
                       keep_default_na=False, na_values={"population": [""], "lon": [""],
                                                         "lat": [""]})


def read_geojson(path: Path) -> dict:
    """A GeoJSON FeatureCollection, plain or gzip-compressed."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return json.load(fh)


@functools.lru_cache(maxsize=4)
def load_reference(ref_dir: str | None = None) -> Reference:
    """Load (once) the attribute tables of the whole country from `ref_dir` (default data/ref)."""
    path = _ref_path(ref_dir)
    communes = _read_csv(path / "communes.csv")
    communes["taux_lls_sru_2024"] = pd.to_numeric(communes["taux_lls_sru_2024"])
    anciens = _read_csv(path / "communes_anciens_codes.csv")
    return Reference(
        ref_dir=path,
        communes=communes,
        anciens=anciens.set_index("code_ancien")["code_insee_2026"],
        epci=_read_csv(path / "epci.csv"),
        qpv=_read_csv(path / "qpv2024.csv"),
        calibration=_read_csv(path / "calibration_epci.csv"),
    )


def _shapes(path: Path, key: str) -> dict[str, BaseGeometry]:
    if not path.is_file():
        return {}
    out = {f["properties"][key]: shape(f["geometry"]) for f in read_geojson(path)["features"]}
    for geom in out.values():
        shapely.prepare(geom)
    return out


@functools.lru_cache(maxsize=256)
def _departement_shapes(dep: str, kind: str, ref_dir: str | None) -> dict[str, BaseGeometry]:
    key = "code_insee" if kind == "communes" else "code_qp"
    return _shapes(_ref_path(ref_dir) / kind / f"{dep}.geojson.gz", key)


def _index(shapes: dict[str, BaseGeometry]) -> tuple[np.ndarray, np.ndarray, shapely.STRtree]:
    codes = np.array(list(shapes), dtype=object)
    geoms = np.array(list(shapes.values()), dtype=object)
    return codes, geoms, shapely.STRtree(geoms)


def load_zone(departements: Iterable[str], ref_dir: str | None = None) -> Zone:
    """Commune and QPV polygons of `departements` (cached per set of départements)."""
    return _zone(tuple(sorted({d for d in departements if d})), ref_dir)


@functools.lru_cache(maxsize=8)
def _zone(deps: tuple[str, ...], ref_dir: str | None) -> Zone:
    communes: dict[str, BaseGeometry] = {}
    qpv: dict[str, BaseGeometry] = {}
    for dep in deps:
        communes.update(_departement_shapes(dep, "communes", ref_dir))
        qpv.update(_departement_shapes(dep, "qpv", ref_dir))
    c_codes, c_geoms, c_tree = _index(communes)
    q_codes, q_geoms, q_tree = _index(qpv)
    return Zone(deps, communes, qpv, c_codes, c_geoms, c_tree, q_codes, q_geoms, q_tree)


@functools.lru_cache(maxsize=2)
def _departements_index(ref_dir: str | None = None):
    return _index(_shapes(_ref_path(ref_dir) / "departements.geojson", "code"))


# -- codes -----------------------------------------------------------------------------------
def departement_of(codes) -> np.ndarray:
    """Département of INSEE commune codes, from the code itself (97x/98x: 3 characters)."""
    s = pd.Series(np.asarray(codes, dtype=object)).astype("string")
    dep = s.str[:2].where(~s.str.startswith(("97", "98")), s.str[:3])
    return dep.astype(object).where(s.notna(), None).to_numpy()


def default_epsg(departements) -> np.ndarray:
    """The legal projection of each département (Lambert-93 in métropole)."""
    dep = pd.Series(np.asarray(departements, dtype=object))
    return dep.map(EPSG_DROM).fillna(EPSG_LAMBERT93).astype(int).to_numpy()


def commune_2026(codes, ref_dir: str | None = None) -> np.ndarray:
    """Each code as a commune or arrondissement of 2026: old codes of merged communes are
    replaced by their 2026 commune; known and unknown codes are returned unchanged."""
    ref = load_reference(ref_dir)
    out = np.asarray(codes, dtype=object).copy()
    s = pd.Series(out)
    old = (s.isin(ref.anciens.index) & ~s.isin(ref.communes["code_insee"])).to_numpy()
    out[old] = s[old].map(ref.anciens).to_numpy()
    return out


@functools.lru_cache(maxsize=2)
def _commune_codes(ref_dir: str | None) -> pd.DataFrame:
    """code_insee, commune_parent, code_dep, nom_dep of every row of communes.csv: what the
    app needs at hand, read without loading the whole reference."""
    return pd.read_csv(_ref_path(ref_dir) / "communes.csv", dtype=str, keep_default_na=False,
                       usecols=["code_insee", "commune_parent", "code_dep", "nom_dep"])


def _parents(ref_dir: str | None) -> pd.Series:
    """The 45 arrondissements municipaux and their commune."""
    com = _commune_codes(ref_dir)
    arr = com[com["commune_parent"] != ""]
    return arr.set_index("code_insee")["commune_parent"]


def noms_departements(ref_dir: str | None = None) -> dict[str, str]:
    """Name of every département."""
    com = _commune_codes(ref_dir).drop_duplicates("code_dep")
    return dict(zip(com["code_dep"], com["nom_dep"]))


def commune_mere(codes, ref_dir: str | None = None) -> np.ndarray:
    """The commune of an arrondissement municipal (75119 → 75056), other codes unchanged."""
    out = np.asarray(codes, dtype=object).copy()
    parent = pd.Series(out).map(_parents(ref_dir)).to_numpy()
    has = pd.notna(parent)
    out[has] = parent[has]
    return out


def dans_perimetre(perimetre: str | None, communes, epcis) -> np.ndarray:
    """Python twin of the SQL macro dans_perimetre: which places (commune, EPCI) a convention
    perimeter covers (None: the whole département; a commune covers its arrondissements)."""
    communes = pd.Series(np.asarray(communes, dtype=object))
    if perimetre is None or pd.isna(perimetre):
        return np.ones(len(communes), dtype=bool)
    inside = ((communes == perimetre) | (pd.Series(np.asarray(epcis, dtype=object))
                                         == perimetre)).to_numpy()
    if perimetre in set(_parents(None)):        # Paris, Lyon, Marseille
        inside = inside | (commune_mere(communes.to_numpy()) == perimetre)
    return inside


# -- projections -----------------------------------------------------------------------------
@functools.lru_cache(maxsize=32)
def _transformer(epsg: int):
    from pyproj import Transformer  # imported on use: pyproj loads its database
    return Transformer.from_crs(epsg, EPSG_WGS84, always_xy=True)


def known_epsg(epsg: int) -> bool:
    """True when `epsg` is a coordinate reference system that PROJ knows."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError
    try:
        CRS.from_epsg(int(epsg))
    except (CRSError, ValueError, OverflowError):
        return False
    return True


def to_wgs84(x, y, epsg) -> tuple[np.ndarray, np.ndarray]:
    """(lon, lat) in degrees of points given in the EPSG system of each row (pyproj).

    Rows with a missing value or an unknown EPSG code come back as NaN."""
    x = np.asarray(x, dtype=float).ravel()
    y = np.asarray(y, dtype=float).ravel()
    codes = np.asarray(epsg, dtype=float).ravel()
    lon, lat = np.full(x.size, np.nan), np.full(x.size, np.nan)
    ok = ~(np.isnan(x) | np.isnan(y) | np.isnan(codes))
    for code in np.unique(codes[ok]):
        rows = ok & (codes == code)
        if int(code) == EPSG_WGS84:
            lon[rows], lat[rows] = x[rows], y[rows]
        elif known_epsg(int(code)):
            lon[rows], lat[rows] = _transformer(int(code)).transform(x[rows], y[rows])
    bad = ~(np.isfinite(lon) & np.isfinite(lat))
    lon[bad], lat[bad] = np.nan, np.nan
    return lon, lat


# -- points ----------------------------------------------------------------------------------
def _as_xy(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(lon, dtype=float).ravel()
    y = np.asarray(lat, dtype=float).ravel()
    if x.shape != y.shape:
        raise ValueError(f"lon et lat n'ont pas la même taille ({x.size} ≠ {y.size}).")
    return x, y


def _locate(x: np.ndarray, y: np.ndarray, tree: shapely.STRtree, geoms: np.ndarray,
            codes: np.ndarray) -> np.ndarray:
    """Code of the first polygon (in index order) containing each point, else None."""
    out = np.full(x.size, None, dtype=object)
    if x.size == 0 or codes.size == 0:
        return out
    point_idx, geom_idx = tree.query(shapely.points(x, y))  # bounding-box candidates
    hit = shapely.contains_xy(geoms[geom_idx], x[point_idx], y[point_idx])
    point_idx, geom_idx = point_idx[hit], geom_idx[hit]
    order = np.lexsort((geom_idx, point_idx))
    point_idx, geom_idx = point_idx[order], geom_idx[order]
    first = np.unique(point_idx, return_index=True)[1]
    out[point_idx[first]] = codes[geom_idx[first]]
    return out


def departement_at(lon, lat, ref_dir: str | None = None) -> np.ndarray:
    """Code of the département containing each point, or None."""
    x, y = _as_xy(lon, lat)
    codes, geoms, tree = _departements_index(ref_dir)
    return _locate(x, y, tree, geoms, codes)


def _zone_of(x, y, departements, ref_dir) -> Zone:
    if departements is None:
        departements = {d for d in departement_at(x, y, ref_dir) if d}
    return load_zone(departements, ref_dir)


def qpv_code_at(lon, lat, departements: Iterable[str] | None = None,
                ref_dir: str | None = None) -> np.ndarray:
    """code_qp of the QPV 2024 containing each (lon, lat) point, or None (object array).

    Searches the QPVs of `departements` (default: the départements the points fall in)."""
    x, y = _as_xy(lon, lat)
    zone = _zone_of(x, y, departements, ref_dir)
    return _locate(x, y, zone.qpv_tree, zone.qpv_geoms, zone.qpv_codes)


def commune_at(lon, lat, departements: Iterable[str] | None = None,
               ref_dir: str | None = None) -> np.ndarray:
    """2026 code of the commune polygon containing each point, or None (object array).

    Arrondissements municipaux have no polygon: a point in Lyon gives 69123."""
    x, y = _as_xy(lon, lat)
    zone = _zone_of(x, y, departements, ref_dir)
    return _locate(x, y, zone.commune_tree, zone.commune_geoms, zone.commune_codes)


def distance_to_commune(lon, lat, communes, ref_dir: str | None = None) -> np.ndarray:
    """Distance in metres (approximate) from each point to the polygon of its own commune
    (an arrondissement is measured against its commune); 0 inside; NaN when the point or the
    polygon is missing."""
    x, y = _as_xy(lon, lat)
    own = commune_mere(communes, ref_dir)
    zone = load_zone({d for d in departement_of(own) if d}, ref_dir)
    geoms = np.array([zone.commune_shapes.get(c) for c in own], dtype=object)
    has = np.array([g is not None for g in geoms]) & ~(np.isnan(x) | np.isnan(y))
    out = np.full(x.size, np.nan)
    if has.any():
        ends = shapely.get_coordinates(shapely.shortest_line(
            geoms[has], shapely.points(x[has], y[has]))).reshape(-1, 2, 2)
        dx, dy = ends[:, 1, 0] - ends[:, 0, 0], ends[:, 1, 1] - ends[:, 0, 1]
        out[has] = np.hypot(dx * 111_320.0 * np.cos(np.radians(y[has])), dy * 110_574.0)
    return out


def sample_points(geom: BaseGeometry, n: int, rng: np.random.Generator,
                  exclude: BaseGeometry | None = None,
                  max_draws: int = 20_000_000) -> tuple[np.ndarray, np.ndarray]:
    """Draw `n` uniform (lon, lat) points strictly inside `geom` and outside `exclude`.

    Vectorised rejection sampling in the bounding box. The result only depends on `geom`,
    `exclude`, `n` and the state of `rng`. Raises ValueError if the zone is empty or if fewer
    than `n` points were accepted after `max_draws` candidate draws.
    """
    if n < 0:
        raise ValueError(f"Nombre de points négatif : {n}.")
    empty = np.empty(0, dtype=float)
    if geom is None or geom.is_empty or geom.area <= 0:
        raise ValueError("Zone vide : impossible d'y placer des points.")
    if n == 0:
        return empty, empty.copy()
    shapely.prepare(geom)
    if exclude is not None and exclude.is_empty:
        exclude = None
    if exclude is not None:
        shapely.prepare(exclude)
    xmin, ymin, xmax, ymax = geom.bounds
    rate = geom.area / ((xmax - xmin) * (ymax - ymin))  # acceptance before exclusion
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    got = drawn = 0
    while got < n:
        if drawn >= max_draws:
            raise ValueError(
                f"Impossible de placer {n} points dans la zone demandée : seulement {got} "
                f"acceptés sur {drawn} tirages (zone trop petite ou entièrement exclue)."
            )
        batch = int(min((n - got) / max(rate, 1e-6) * 1.2 + 64, _MAX_BATCH, max_draws - drawn))
        x = rng.uniform(xmin, xmax, batch)
        y = rng.uniform(ymin, ymax, batch)
        ok = shapely.contains_xy(geom, x, y)
        if exclude is not None:
            ok[ok] = ~shapely.intersects_xy(exclude, x[ok], y[ok])
        xs.append(x[ok])
        ys.append(y[ok])
        got += int(ok.sum())
        drawn += batch
        rate = max(got / drawn, 1e-6)
    return np.concatenate(xs)[:n], np.concatenate(ys)[:n]


def qpv_union(departements: Iterable[str], ref_dir: str | None = None) -> BaseGeometry:
    """Union of the QPV 2024 polygons of `departements` (prepared), e.g. to sample "hors QPV"
    points."""
    return _qpv_union(load_zone(departements, ref_dir))


@functools.lru_cache(maxsize=8)
def _qpv_union(zone: Zone) -> BaseGeometry:
    union = shapely.union_all(zone.qpv_geoms) if zone.qpv_geoms.size else shapely.Polygon()
    shapely.prepare(union)
    return union


# -- map layers ------------------------------------------------------------------------------
def _collection(features: list[dict]) -> dict:
    return {"type": "FeatureCollection", "features": features}


def _layer_features(kind: str, dep: str, ref_dir: str | None) -> list[dict]:
    path = _ref_path(ref_dir) / kind / f"{dep}.geojson.gz"
    return read_geojson(path)["features"] if path.is_file() else []


_LAYER_KEYS = {"qpv": "code_qp", "communes": "code_insee", "epci": "siren_epci"}


@functools.lru_cache(maxsize=32)
def map_layer(kind: str, departements: tuple[str, ...], codes: tuple[str, ...] | None = None,
              ref_dir: str | None = None) -> dict:
    """GeoJSON FeatureCollection for a map, limited to a territory (cached, do not mutate).

    kind: "qpv" (QPV 2024 of the départements), "communes" (commune polygons), "epci" (EPCI
    outlines touching the départements), each limited to `codes` when given; "departements"
    (the départements' outlines). Only the files of those départements are read."""
    if kind in _LAYER_KEYS:
        key, wanted = _LAYER_KEYS[kind], None if codes is None else set(codes)
        seen: set[str] = set()       # an EPCI or QPV spanning départements is in both files
        feats = []
        for dep in departements:
            for f in _layer_features(kind, dep, ref_dir):
                code = f["properties"][key]
                if code not in seen and (wanted is None or code in wanted):
                    seen.add(code)
                    feats.append(f)
        return _collection(feats)
    if kind == "departements":
        data = read_geojson(_ref_path(ref_dir) / "departements.geojson")
        return _collection([f for f in data["features"]
                            if not departements or f["properties"]["code"] in departements])
    raise KeyError(f"Couche inconnue : {kind!r} (couches : qpv, communes, epci, departements).")
