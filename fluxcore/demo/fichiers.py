"""Files as landlords receive them, generated for the benchmark and the tests: an RPLS file in
the current open-data layout (UTF-8 with BOM, every field quoted, `;`, `_CODE`/`_LIBELLE`
pairs, Lambert-93 or UTM coordinates with their EPSG code per row, no dwelling id, no rent).
Dwellings are spread over the whole country by population, twenty per address.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from fluxcore.imports.nomenclatures import FINAN_LIBELLE

OPEN_DATA_FINAN = ("13", "10", "14", "52", "16", "12")


def points_france(n: int, rng: np.random.Generator, ecart: float = 0.004,
                  arrondissements: bool = True) -> tuple[np.ndarray, ...]:
    """`n` points drawn over France (outre-mer included, COM excluded) by commune population,
    around each commune's centre (`ecart` degrees), projected in the département's legal
    system: (commune codes, x, y, EPSG codes)."""
    from pyproj import Transformer

    from fluxcore.geo import default_epsg, load_reference

    com = load_reference().communes
    keep = (com["zone"] != "com") & com["lon"].notna()
    if not arrondissements:
        keep &= com["type"] != "arrondissement-municipal"
    com = com[keep]
    weight = com["population"].fillna(0).to_numpy(float)
    pick = rng.choice(len(com), n, p=weight / weight.sum())
    lon = com["lon"].to_numpy()[pick] + rng.normal(0, ecart, n)
    lat = com["lat"].to_numpy()[pick] + rng.normal(0, ecart, n)
    epsg = default_epsg(com["code_dep"].to_numpy()[pick])
    x, y = np.empty(n), np.empty(n)
    for code in np.unique(epsg):
        rows = epsg == code
        x[rows], y[rows] = Transformer.from_crs(4326, int(code), always_xy=True).transform(
            lon[rows], lat[rows])
    return com["code_insee"].to_numpy()[pick], x, y, epsg


def rpls_open_data(path: str | Path, n: int, seed: int = 1, par_adresse: int = 20) -> Path:
    """Write `n` dwellings to `path` in the current RPLS open-data layout; returns the path."""
    rng = np.random.default_rng(seed)
    na = max(1, n // par_adresse)
    communes, x, y, epsg = points_france(na, rng, 0.003, arrondissements=False)
    a = np.sort(rng.integers(0, na, n))
    fin = np.array(OPEN_DATA_FINAN)[rng.integers(0, len(OPEN_DATA_FINAN), n)]
    frame = pd.DataFrame({
        "DEPCOM": communes[a],
        "NUMVOIE": (a % 200 + 1).astype(str), "INDREP": "", "TYPVOIE": "RUE",
        "NOMVOIE": "DES ACACIAS " + (a // 200).astype(str),
        "ETAGE": rng.integers(0, 10, n).astype(str),
        "TYPECONST_LIBELLE": "collectif",
        "NBPIECE": rng.integers(1, 7, n).astype(str),
        "SURFHAB": np.round(rng.uniform(20, 110, n), 2),
        "CONSTRUCT": (1950 + a % 70).astype(str), "LOCAT": (1951 + a % 70).astype(str),
        "FINAN_CODE": fin, "FINAN_LIBELLE": pd.Series(fin).map(FINAN_LIBELLE).to_numpy(),
        "DPEENERGIE": np.array(list("ABCDEFG"))[rng.integers(0, 7, n)],
        "X": np.round(x[a], 1), "Y": np.round(y[a], 1), "EPSG": epsg[a].astype(str),
        "QUALITE_XY": "11"})
    path = Path(path)
    frame.to_csv(path, sep=";", index=False, decimal=",", encoding="utf-8-sig", quoting=1)
    return path
