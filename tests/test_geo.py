"""Tests of the vendored reference geography (data/ref) and fluxcore.geo."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
import shapely

from fluxcore import geo

REF_DIR = geo.DEFAULT_REF_DIR
ROOT = REF_DIR.parent.parent
SHARED = ROOT.parent / "shared" / "data"
REIMS = "51454"
# Published centroids (qpv2024.csv centroid_lon/lat) that fall outside their own QPV polygon.
CENTROIDS_OUTSIDE_QPV = {"QN00807M", "QN05106M", "QN05111M"}


@pytest.fixture(scope="module")
def ref() -> geo.Reference:
    return geo.load_reference()


def test_counts(ref):
    assert len(ref.communes) == 1914
    assert ref.communes["code_insee"].is_unique
    assert len(ref.epci) == 44
    assert len(ref.qpv) == 35
    assert len(ref.qpv_shapes) == 35
    assert set(ref.qpv_shapes) == set(ref.qpv["code_qp"])
    assert len(ref.calibration) == 45
    assert ref.calibration["code"].tolist()[-1] == "FRMETRO"
    assert set(ref.calibration.loc[ref.calibration["niveau"] == "Epci", "code"]) == set(
        ref.epci["siren_epci"])
    assert ref.communes["code_dep"].value_counts().to_dict() == {
        "51": 610, "08": 447, "10": 431, "52": 426}


def test_codes_are_strings_with_leading_zero(ref):
    communes = ref.communes
    for col in ("code_insee", "code_dep", "siren_epci"):
        assert pd.api.types.is_string_dtype(communes[col])
    assert communes["code_insee"].str.fullmatch(r"(08|10|51|52)\d{3}").all()
    assert ref.epci["siren_epci"].str.fullmatch(r"\d{9}").all()
    assert ref.qpv["code_qp"].str.fullmatch(r"QN0(08|10|51|52)\d{2}[MIN]").all()
    row = communes.set_index("code_insee").loc["08105"]
    assert row["nom"] == "Charleville-Mézières"
    assert row["code_dep"] == "08"
    assert row["siren_epci"] == "200041630"
    assert set(communes["siren_epci"]) <= set(ref.epci["siren_epci"])
    assert all(len(code) == 5 for code in ref.commune_shapes)
    assert "08105" in ref.commune_shapes


def test_communes_parc_selection(ref):
    qpv_communes = {c for cell in ref.qpv["insee_com"] for c in cell.split("|")}
    sru = set(ref.communes.loc[ref.communes["taux_lls_sru_2024"] > 0, "code_insee"])
    assert set(ref.commune_shapes) == sru | qpv_communes
    assert len(ref.commune_shapes) == 604
    assert bool(shapely.coverage_is_valid(ref.commune_geoms))  # no overlapping communes


def test_qpv_centroids_and_inside_points(ref):
    found = geo.qpv_code_at(ref.qpv["centroid_lon"], ref.qpv["centroid_lat"])
    for code, got in zip(ref.qpv["code_qp"], found, strict=True):
        if code in CENTROIDS_OUTSIDE_QPV:
            assert got is None, code
        else:
            assert got == code
    inside = geo.qpv_code_at(ref.qpv["point_lon"].to_numpy(), ref.qpv["point_lat"].to_numpy())
    assert inside.tolist() == ref.qpv["code_qp"].tolist()
    # every centroid lies in one of the QPV's own communes
    communes = geo.commune_at(ref.qpv["centroid_lon"], ref.qpv["centroid_lat"])
    for cell, got in zip(ref.qpv["insee_com"], communes, strict=True):
        assert got in cell.split("|")


def test_sampled_points_inside_each_qpv(ref):
    rng = np.random.default_rng(2024)
    for code, geom in ref.qpv_shapes.items():
        x, y = geo.sample_points(geom, 200, rng)
        assert x.shape == y.shape == (200,)
        assert (geo.qpv_code_at(x, y) == code).all(), code


def test_reims_outside_qpv(ref):
    rng = np.random.default_rng(7)
    x, y = geo.sample_points(ref.commune_shapes[REIMS], 5000, rng, exclude=geo.all_qpv_union())
    assert all(code is None for code in geo.qpv_code_at(x, y))
    assert (geo.commune_at(x, y) == REIMS).all()
    # without exclusion, points fall in each of the 6 QPV of Reims, and in no other QPV
    reims_qpv = set(ref.qpv.loc[ref.qpv["insee_com"] == REIMS, "code_qp"])
    assert len(reims_qpv) == 6
    x, y = geo.sample_points(ref.commune_shapes[REIMS], 20_000, rng)
    assert {c for c in geo.qpv_code_at(x, y) if c is not None} == reims_qpv


def test_every_commune_contains_its_sampled_points(ref):
    rng = np.random.default_rng(3)
    xs, ys, expected = [], [], []
    for code, geom in ref.commune_shapes.items():
        x, y = geo.sample_points(geom, 20, rng)
        xs.append(x)
        ys.append(y)
        expected += [code] * 20
    got = geo.commune_at(np.concatenate(xs), np.concatenate(ys))
    assert got.tolist() == expected


def test_outside_everything_and_edge_cases():
    assert geo.commune_at([0.0, np.nan], [45.0, np.nan]).tolist() == [None, None]
    assert geo.qpv_code_at([], []).tolist() == []
    with pytest.raises(ValueError, match="même taille"):
        geo.qpv_code_at([1.0, 2.0], [1.0])
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="Zone vide"):
        geo.sample_points(shapely.Polygon(), 10, rng)
    square = shapely.box(4.0, 49.0, 4.01, 49.01)
    with pytest.raises(ValueError, match="Impossible de placer"):
        geo.sample_points(square, 10, rng, exclude=square.buffer(0.01), max_draws=50_000)
    with pytest.raises(KeyError, match="Couche inconnue"):
        geo.geojson_layer("inconnue")


def test_determinism(ref):
    geom = ref.commune_shapes["10387"]
    a = geo.sample_points(geom, 1000, np.random.default_rng(42), exclude=geo.all_qpv_union())
    b = geo.sample_points(geom, 1000, np.random.default_rng(42), exclude=geo.all_qpv_union())
    c = geo.sample_points(geom, 1000, np.random.default_rng(43), exclude=geo.all_qpv_union())
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_performance(ref):
    rng = np.random.default_rng(1)
    start = time.perf_counter()
    x, y = geo.sample_points(ref.commune_shapes[REIMS], 100_000, rng)
    assert time.perf_counter() - start < 1.0
    x, y = np.concatenate([x, x + 0.05]), np.concatenate([y, y])
    start = time.perf_counter()
    geo.qpv_code_at(x, y)
    assert time.perf_counter() - start < 2.0


def test_geojson_layers():
    expected = {"communes_parc": 604, "qpv2024": 35, "epci_contours": 44, "departements": 4}
    for name, count in expected.items():
        layer = geo.geojson_layer(name)
        assert layer["type"] == "FeatureCollection"
        assert len(layer["features"]) == count
    assert geo.geojson_layer("departements") is geo.geojson_layer("departements")
    props = geo.geojson_layer("communes_parc")["features"][0]["properties"]
    assert set(props) == {"code_insee", "nom", "code_dep", "siren_epci"}
    assert set(geo.geojson_layer("epci_contours")["features"][0]["properties"]) == {
        "siren_epci", "nom"}


def test_ref_folder_size_and_sources():
    files = sorted(p for p in REF_DIR.iterdir() if p.is_file())
    assert sum(p.stat().st_size for p in files) < 3_000_000
    assert (REF_DIR / "communes_parc.geojson").stat().st_size < 900_000
    sources = (REF_DIR / "SOURCES.md").read_text(encoding="utf-8")
    for path in files:
        assert path.name in sources, path.name
    # the size and sha256 prefix recorded for each file match the file on disk
    rows = re.findall(r"^\| (\S+) \| (\d+) \| ([0-9a-f]{16}) \|", sources, re.MULTILINE)
    assert len(rows) == len(files) - 1  # every file except SOURCES.md itself
    for name, size, digest in rows:
        data = (REF_DIR / name).read_bytes()
        assert len(data) == int(size), name
        assert hashlib.sha256(data).hexdigest()[:16] == digest, name


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data absent (optional)")
def test_vendor_script_reproduces_data_ref(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "tools" / "vendor_ref.py"), "--shared",
                    str(SHARED), "--out", str(tmp_path)], check=True, capture_output=True)
    produced = sorted(p.name for p in tmp_path.iterdir())
    assert produced == sorted(p.name for p in REF_DIR.iterdir() if p.is_file())
    for name in produced:
        assert (tmp_path / name).read_bytes() == (REF_DIR / name).read_bytes(), name
