"""Reference geography (communes, EPCI, QPV 2024) and fast point operations.

Everything is read from the vendored extract in ``data/ref`` (see ``data/ref/SOURCES.md``,
rebuilt by ``tools/vendor_ref.py``); nothing here depends on ``../shared`` or on streamlit.
Loaded objects are cached and shared: treat them as read-only.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

DEFAULT_REF_DIR = Path(__file__).resolve().parent.parent / "data" / "ref"

LAYERS = {
    "communes_parc": "communes_parc.geojson",
    "qpv2024": "qpv2024.geojson",
    "epci_contours": "epci_contours.geojson",
    "departements": "departements.geojson",
}

_CODE_COLUMNS = {
    "communes.csv": ["code_insee", "code_dep", "siren_epci"],
    "epci.csv": ["siren_epci", "departements"],
    "qpv2024.csv": ["code_qp", "insee_com", "code_dep", "siren_epci"],
    "calibration_epci.csv": ["niveau", "code"],
}

_MAX_BATCH = 2_000_000


@dataclass(frozen=True, eq=False)
class Reference:
    """Vendored reference data. Geometries are prepared; trees index `*_codes` order."""

    ref_dir: Path
    communes: pd.DataFrame
    epci: pd.DataFrame
    qpv: pd.DataFrame
    calibration: pd.DataFrame
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
    return pd.read_csv(path, dtype=dict.fromkeys(codes, str), encoding="utf-8")


def _read_shapes(path: Path, key: str) -> dict[str, BaseGeometry]:
    data = json.loads(path.read_text(encoding="utf-8"))
    shapes = {f["properties"][key]: shape(f["geometry"]) for f in data["features"]}
    for geom in shapes.values():
        shapely.prepare(geom)
    return shapes


def _index(shapes: dict[str, BaseGeometry]) -> tuple[np.ndarray, np.ndarray, shapely.STRtree]:
    codes = np.array(list(shapes), dtype=object)
    geoms = np.array(list(shapes.values()), dtype=object)
    return codes, geoms, shapely.STRtree(geoms)


@functools.lru_cache(maxsize=4)
def load_reference(ref_dir: str | None = None) -> Reference:
    """Load (once) the vendored reference data from `ref_dir` (default: data/ref)."""
    path = _ref_path(ref_dir)
    commune_shapes = _read_shapes(path / "communes_parc.geojson", "code_insee")
    qpv_shapes = _read_shapes(path / "qpv2024.geojson", "code_qp")
    c_codes, c_geoms, c_tree = _index(commune_shapes)
    q_codes, q_geoms, q_tree = _index(qpv_shapes)
    return Reference(
        ref_dir=path,
        communes=_read_csv(path / "communes.csv"),
        epci=_read_csv(path / "epci.csv"),
        qpv=_read_csv(path / "qpv2024.csv"),
        calibration=_read_csv(path / "calibration_epci.csv"),
        commune_shapes=commune_shapes,
        qpv_shapes=qpv_shapes,
        commune_codes=c_codes,
        commune_geoms=c_geoms,
        commune_tree=c_tree,
        qpv_codes=q_codes,
        qpv_geoms=q_geoms,
        qpv_tree=q_tree,
    )


@functools.lru_cache(maxsize=16)
def geojson_layer(name: str, ref_dir: str | None = None) -> dict:
    """Parsed GeoJSON FeatureCollection of a data/ref layer (cached, do not mutate)."""
    if name not in LAYERS:
        raise KeyError(f"Couche inconnue : {name!r} (couches disponibles : {', '.join(LAYERS)}).")
    return json.loads((_ref_path(ref_dir) / LAYERS[name]).read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=4)
def all_qpv_union(ref_dir: str | None = None) -> BaseGeometry:
    """Union of every QPV 2024 polygon (prepared), e.g. to sample "hors QPV" points."""
    union = shapely.union_all(load_reference(ref_dir).qpv_geoms)
    shapely.prepare(union)
    return union


def _as_xy(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(lon, dtype=float).ravel()
    y = np.asarray(lat, dtype=float).ravel()
    if x.shape != y.shape:
        raise ValueError(f"lon et lat n'ont pas la même taille ({x.size} ≠ {y.size}).")
    return x, y


def _locate(x: np.ndarray, y: np.ndarray, tree: shapely.STRtree, geoms: np.ndarray,
            codes: np.ndarray) -> np.ndarray:
    """Code of the first polygon (in index order) strictly containing each point, else None."""
    out = np.full(x.size, None, dtype=object)
    if x.size == 0:
        return out
    point_idx, geom_idx = tree.query(shapely.points(x, y))  # bounding-box candidates
    hit = shapely.contains_xy(geoms[geom_idx], x[point_idx], y[point_idx])
    point_idx, geom_idx = point_idx[hit], geom_idx[hit]
    order = np.lexsort((geom_idx, point_idx))
    point_idx, geom_idx = point_idx[order], geom_idx[order]
    first = np.unique(point_idx, return_index=True)[1]
    out[point_idx[first]] = codes[geom_idx[first]]
    return out


def qpv_code_at(lon, lat, ref_dir: str | None = None) -> np.ndarray:
    """code_qp of the QPV 2024 containing each (lon, lat) point, or None (object array)."""
    ref = load_reference(ref_dir)
    x, y = _as_xy(lon, lat)
    return _locate(x, y, ref.qpv_tree, ref.qpv_geoms, ref.qpv_codes)


def commune_at(lon, lat, ref_dir: str | None = None) -> np.ndarray:
    """code_insee of the communes_parc polygon containing each point, or None (object array)."""
    ref = load_reference(ref_dir)
    x, y = _as_xy(lon, lat)
    return _locate(x, y, ref.commune_tree, ref.commune_geoms, ref.commune_codes)


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
