"""Where a résidence is: coordinates in WGS84 from whatever system they came in, its QPV 2024
computed from them, and how far it lies from its own commune.

One rule for every path that writes résidences (RPLS files, canonical résidence files, the
integrity check). See docs/geographie.md.

- Coordinates: longitude/latitude in degrees, or X/Y in the EPSG system given on the row;
  without an EPSG code, degrees when the values fit, else the legal projection of the commune's
  département (Lambert-93 in métropole, UTM 20N / 22N / 40S / 38S outre-mer). Without usable
  coordinates the résidence is placed at its commune's centre (`coordonnees_source` =
  CENTRE_COMMUNE) and its QPV comes from the file.
- QPV: recomputed on the 2024 contours from real coordinates; the file's own code or flag is
  kept apart (`qpv_code_fichier`, `en_qpv_fichier`) and a disagreement is reported.
- A point more than HORS_COMMUNE_M metres from its commune's polygon is reported.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fluxcore import geo
from fluxcore.formats import fmt_num

HORS_COMMUNE_M = 500.0
FICHIER, CENTRE_COMMUNE = "FICHIER", "CENTRE_COMMUNE"


def _degrees(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return (np.abs(x) <= 180) & (np.abs(y) <= 90)


def localiser(df: pd.DataFrame) -> pd.DataFrame:
    """Locate résidences.

    `df` columns (any may be missing or NULL): commune_insee (2026 code), longitude, latitude,
    x, y, epsg, qpv_code_fichier, en_qpv_fichier. Returns, in the same order: longitude,
    latitude, epsg (the system the coordinates were read in), coordonnees_source, qpv_code,
    en_qpv, distance_commune_m, epsg_inconnu (bool), qpv_desaccord (bool)."""
    n = len(df)

    def col(name, dtype=float):
        if name in df:
            return pd.to_numeric(df[name], errors="coerce").to_numpy(dtype) \
                if dtype is float else df[name].to_numpy(object)
        return np.full(n, np.nan) if dtype is float else np.full(n, None, dtype=object)

    commune = col("commune_insee", object)
    lon, lat = col("longitude"), col("latitude")
    x, y, epsg = col("x"), col("y"), col("epsg")
    # longitude/latitude columns holding projected values are read as X/Y
    projected = ~np.isnan(lon) & ~np.isnan(lat) & ~_degrees(lon, lat) & np.isnan(x)
    x, y = np.where(projected, lon, x), np.where(projected, lat, y)
    lon, lat = np.where(projected, np.nan, lon), np.where(projected, np.nan, lat)
    used = np.where(~np.isnan(lon) & ~np.isnan(lat), float(geo.EPSG_WGS84), np.nan)
    need = np.isnan(used) & ~np.isnan(x) & ~np.isnan(y)
    guess = np.where(_degrees(x, y), geo.EPSG_WGS84,
                     geo.default_epsg(geo.departement_of(commune))).astype(float)
    used = np.where(need, np.where(np.isnan(epsg), guess, epsg), used)
    if need.any():
        px, py = geo.to_wgs84(x[need], y[need], used[need])
        lon[need], lat[need] = px, py
    epsg_inconnu = need & np.isnan(lon)
    real = ~np.isnan(lon) & ~np.isnan(lat)
    ref = geo.load_reference().communes.set_index("code_insee")
    centre_lon = pd.Series(commune).map(ref["lon"]).to_numpy(float)
    centre_lat = pd.Series(commune).map(ref["lat"]).to_numpy(float)
    lon, lat = np.where(real, lon, centre_lon), np.where(real, lat, centre_lat)
    source = np.where(real, FICHIER, np.where(np.isnan(lon), None, CENTRE_COMMUNE))

    code_f = pd.Series(col("qpv_code_fichier", object)).where(lambda s: s.notna(), None)
    flag_f = pd.Series(col("en_qpv_fichier", object))
    given = code_f.notna().to_numpy() | flag_f.notna().to_numpy()
    file_in = (code_f.notna() | flag_f.fillna(False).astype(bool)).to_numpy()
    qpv = np.full(n, None, dtype=object)
    if real.any():
        deps = {d for d in geo.departement_of(commune[real]) if d}
        qpv[real] = geo.qpv_code_at(lon[real], lat[real], deps or None)
    computed_in = pd.notna(qpv)
    qpv = np.where(real, qpv, code_f.to_numpy())
    qpv[pd.isna(qpv)] = None
    en_qpv = np.where(real, computed_in, file_in)
    desaccord = real & given & ((file_in != computed_in) | (
        code_f.notna().to_numpy() & (code_f.to_numpy() != qpv)))
    distance = np.full(n, np.nan)
    if real.any():
        distance[real] = geo.distance_to_commune(lon[real], lat[real], commune[real])
    return pd.DataFrame({
        "longitude": lon, "latitude": lat, "epsg": used, "coordonnees_source": source,
        "qpv_code": qpv, "en_qpv": en_qpv.astype(bool), "distance_commune_m": distance,
        "epsg_inconnu": epsg_inconnu, "qpv_desaccord": desaccord}, index=df.index)


def hors_commune(distance_m) -> np.ndarray:
    """True where a point lies farther than HORS_COMMUNE_M from its commune."""
    d = np.asarray(distance_m, dtype=float)
    return ~np.isnan(d) & (d > HORS_COMMUNE_M)


def distance_text(metres: float) -> str:
    """« 1,2 km » / « 650 m »."""
    return f"{fmt_num(metres / 1000)} km" if metres >= 1000 else f"{metres:.0f} m"
