"""The national reference geography (data/ref), fluxcore.geo and the location of résidences.

Expected codes are facts of the published reference: each test point is the vendored inside
point of a QPV 2024 (shapely point_on_surface, checked inside), re-expressed in the system a
landlord's file uses (Lambert-93 in métropole, UTM 40S at La Réunion).
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fluxcore import geo
from fluxcore.check import run_checks
from fluxcore.demo import generate_demo
from fluxcore.errors import FluxcoreError
from fluxcore.imports import import_paths
from fluxcore.localisation import localiser
from tests.conftest import DEMO_DATE

ROOT = Path(__file__).resolve().parent.parent
REF_DIR = geo.DEFAULT_REF_DIR
SHARED = ROOT.parent / "shared" / "data"

# (DEPCOM as the file gives it, X, Y, EPSG) -> expected (commune, EPCI, QPV 2024)
CASES = {
    "lyon3": ("69383", 843370, 6519080, 2154, "69383", "200046977", "QN06939I"),
    "marseille3": ("13203", 893449, 6248724, 2154, "13203", "200054807", "QN01332M"),
    "lille": ("59350", 706691, 7059479, 2154, "59350", "200093201", "QN05973M"),
    "roubaix": ("59512", 713316, 7064126, 2154, "59512", "200093201", "QN05981M"),
    "villeurbanne": ("69266", 844684, 6521299, 2154, "69266", "200046977", "QN06922M"),
    "paris19": ("75119", 653809, 6865466, 2154, "75119", "200054781", "QN07513M"),
    "saint_denis_reunion": ("97411", 340181, 7689533, 2975, "97411", "249740119", "QN97429I"),
    "brehat": ("22016", 259519, 6877884, 2154, "22016", None, None),       # island, no EPCI
    "ancien_code": ("93059", 653309, 6874350, 2154, "93066", "200054781", "QN09335M"),
}


@pytest.fixture(scope="module")
def ref() -> geo.Reference:
    return geo.load_reference()


def test_counts_and_codes(ref):
    com = ref.communes
    assert len(com) == 35014
    assert (com["type"] == "arrondissement-municipal").sum() == 45
    assert com["code_insee"].is_unique and (com["code_insee"].str.len() == 5).all()
    assert com.set_index("code_insee").loc["01001", "code_dep"] == "01"
    assert com.set_index("code_insee").loc["2A004", "code_dep"] == "2A"
    assert com.set_index("code_insee").loc["97411", "code_dep"] == "974"
    assert com.set_index("code_insee").loc["69383", "commune_parent"] == "69123"
    assert len(ref.epci) == 1255 and ref.epci["siren_epci"].str.fullmatch(r"\d{9}").all()
    assert len(ref.qpv) == 1584 and len(ref.anciens) == 4240
    no_epci = set(com.loc[(com["siren_epci"] == "") & (com["zone"] != "com"), "code_insee"])
    assert no_epci == {"22016", "29083", "29155", "85113"}
    assert set(com["code_dep"]) >= {"971", "972", "973", "974", "976", "2A", "2B"}


def test_every_qpv_inside_point_is_found_anywhere(ref):
    found = geo.qpv_code_at(ref.qpv["point_lon"], ref.qpv["point_lat"])
    with_shapes = ref.qpv["departements"].str.split("|").map(
        lambda deps: any((REF_DIR / "qpv" / f"{d}.geojson.gz").is_file() for d in deps))
    located = geo.departement_at(ref.qpv["point_lon"], ref.qpv["point_lat"])
    ok = with_shapes.to_numpy() & pd.notna(located)
    assert ok.sum() > 1480          # métropole and DROM; not the collectivités d'outre-mer
    assert (found[ok] == ref.qpv["code_qp"].to_numpy()[ok]).all()


def test_projections():
    lon, lat = geo.to_wgs84([843370, 340181, 1.0, 5.0], [6519080, 7689533, 2.0, 45.0],
                            [2154, 2975, 999999, 4326])
    assert lon[0] == pytest.approx(4.84449, abs=2e-5) and lat[0] == pytest.approx(45.75625,
                                                                                   abs=2e-5)
    assert lon[1] == pytest.approx(55.46351, abs=2e-5) and lat[1] == pytest.approx(-20.88755,
                                                                                   abs=2e-5)
    assert np.isnan(lon[2]) and (lon[3], lat[3]) == (5.0, 45.0)
    assert geo.default_epsg(["51", "2A", "971", "972", "973", "974", "976"]).tolist() == [
        2154, 2154, 5490, 5490, 2972, 2975, 4471]


def test_codes():
    assert geo.commune_2026(["93059", "69383", "99999", None]).tolist() == [
        "93066", "69383", "99999", None]
    assert geo.commune_mere(["69383", "75119", "13203", "51454"]).tolist() == [
        "69123", "75056", "13055", "51454"]
    assert geo.departement_of(["2A004", "97411", "08105"]).tolist() == ["2A", "974", "08"]
    assert geo.noms_departements()["974"] == "La Réunion" and len(geo.noms_departements()) == 109


def test_sql_commune_mere_agrees_with_the_reference(empty_db):
    got = empty_db.df("select code_insee, commune_mere(code_insee) as mere, "
                      "coalesce(commune_parent, code_insee) as attendu from ref_commune")
    assert len(got) == 35014 and (got["mere"] == got["attendu"]).all()
    assert (geo.commune_mere(got["code_insee"]) == got["attendu"].to_numpy()).all()


def test_python_perimeter_rule():
    communes, epcis = ["69383", "69123", "69266", "51454"], ["200046977"] * 3 + ["200067213"]
    assert geo.dans_perimetre("69123", communes, epcis).tolist() == [True, True, False, False]
    assert geo.dans_perimetre("200046977", communes, epcis).tolist() == [True] * 3 + [False]
    assert geo.dans_perimetre(None, communes, epcis).all()
    assert geo.dans_perimetre("51454", communes, epcis).tolist() == [False] * 3 + [True]


def test_localiser_each_case():
    df = pd.DataFrame([{"commune_insee": geo.commune_2026([c[0]])[0], "x": c[1], "y": c[2],
                        "epsg": c[3]} for c in CASES.values()])
    loc = localiser(df)
    assert [None if pd.isna(v) else v for v in loc["qpv_code"]] == [
        c[6] for c in CASES.values()]
    assert (loc["distance_commune_m"] < 500).all(), loc
    assert (loc["coordonnees_source"] == "FICHIER").all()
    # without an EPSG column, the département's legal projection is assumed
    guessed = localiser(df.drop(columns="epsg"))
    assert guessed["qpv_code"].fillna("").tolist() == loc["qpv_code"].fillna("").tolist()
    # La Réunion read as Lambert-93 lands far away and says so
    wrong = localiser(df.iloc[[6]].assign(epsg=2154))
    assert wrong["qpv_code"].isna().all() and wrong["distance_commune_m"].iloc[0] > 1e6


def _rpls(tmp_path: Path, rows: list[tuple]) -> Path:
    lines = ["IDENT_REP;DEPCOM;NBPIECE;SURFHAB;CONSTRUCT;FINAN;QPV;X;Y;EPSG"]
    for i, (depcom, x, y, epsg, qpv) in enumerate(rows):
        lines.append(f"{i + 1:010d};{depcom};3;65;1975;PLUS;{qpv};{x};{y};{epsg}")
    path = tmp_path / "rpls.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_import_anywhere_in_france(empty_db, tmp_path):
    rows = [(c[0], c[1], c[2], c[3], c[6] or "Hors QPV") for c in CASES.values()]
    result = import_paths(empty_db, [_rpls(tmp_path, rows)])
    assert result.ok, result.problems.text()
    warn = result.problems.frame()
    assert len(warn) == 1 and warn.iloc[0]["valeur"] == "93059"      # old code, replaced
    assert "93066" in warn.iloc[0]["probleme"] and warn.iloc[0]["ligne"] == 10
    got = empty_db.df("select l.logement_id, r.commune_insee, r.epci_siren, r.qpv_code, "
                      "r.en_qpv, r.departement from logement l join residence r "
                      "using (residence_id) order by 1")
    expected = [(c[4], c[5], c[6]) for c in CASES.values()]
    assert list(zip(got["commune_insee"], got["epci_siren"].replace({np.nan: None}),
                    got["qpv_code"].replace({np.nan: None}))) == expected
    assert got["departement"].tolist() == ["69", "13", "59", "59", "69", "75", "974", "22",
                                           "93"]
    assert got["en_qpv"].tolist() == [True] * 7 + [False, True]
    report = run_checks(empty_db).set_index("code")
    assert report.loc["residence_hors_commune", "nombre"] == 0
    assert report.loc["qpv_fichier_different", "nombre"] == 0
    assert empty_db.scalar("select count(*) from residence r where not exists (select 1 "
                           "from ref_commune c where c.code_insee = r.commune_insee)") == 0


def test_import_reports_points_outside_their_commune_and_qpv_disagreement(empty_db, tmp_path):
    _, x, y, _, *_ = CASES["saint_denis_reunion"]
    lyon = CASES["lyon3"]
    rows = [("97411", x, y, 2154, "Hors QPV"),                 # UTM read as Lambert-93
            ("69383", lyon[1], lyon[2], 2154, "QN06929M"),     # file names another QPV
            ("69266", 846849, 6520901, 2154, "1")]             # file says QPV, point is not
    result = import_paths(empty_db, [_rpls(tmp_path, rows)])
    assert result.ok
    warn = result.problems.frame().set_index("ligne")
    assert "de sa commune 97411" in warn.loc[2, "probleme"]
    assert warn.loc[2, "colonne"] == "X"
    assert warn.loc[3, "valeur"] == "QN06929M" and "QN06939I" in warn.loc[3, "probleme"]
    assert warn.loc[4, "valeur"] == "en QPV"
    assert "les contours QPV 2024 donnent hors QPV" in warn.loc[4, "probleme"]
    res = empty_db.df("select commune_insee, qpv_code, qpv_code_fichier, en_qpv_fichier "
                      "from residence order by commune_insee").set_index("commune_insee")
    assert res.loc["69383", "qpv_code"] == "QN06939I"
    assert res.loc["69383", "qpv_code_fichier"] == "QN06929M"
    report = run_checks(empty_db).set_index("code")
    assert report.loc["residence_hors_commune", "nombre"] == 1
    assert report.loc["residence_hors_commune", "exemples"].startswith("R97411")
    assert report.loc["qpv_fichier_different", "nombre"] == 2


def test_canonical_residence_file_is_located(empty_db, tmp_path):
    path = tmp_path / "residences.csv"
    path.write_text(
        "residence_id;nom;commune_insee;latitude;longitude;qpv_code\n"
        "R1;Moncey;69383;45,75625;4,84449;\n"
        "R2;Sans coordonnées;97411;;;QN97429I\n", encoding="utf-8")
    result = import_paths(empty_db, [path])
    assert result.ok, result.problems.text()
    res = empty_db.df("select * from residence order by 1").set_index("residence_id")
    assert res.loc["R1", "qpv_code"] == "QN06939I" and res.loc["R1", "en_qpv"]
    assert res.loc["R1", "epci_siren"] == "200046977"
    assert res.loc["R2", "coordonnees_source"] == "CENTRE_COMMUNE"
    assert res.loc["R2", "qpv_code"] == "QN97429I" and res.loc["R2", "departement"] == "974"
    assert res.loc["R2", "latitude"] == pytest.approx(-20.9434)


def test_map_layers_are_limited_to_the_territory():
    qpv = geo.map_layer("qpv", ("69",))
    assert {f["properties"]["code_qp"][:4] for f in qpv["features"]} == {"QN06"}
    com = geo.map_layer("communes", ("69", "01"), ("69123", "01053"))
    assert sorted(f["properties"]["code_insee"] for f in com["features"]) == ["01053", "69123"]
    epci = geo.map_layer("epci", ("69",), ("200046977",))
    assert [f["properties"]["nom"] for f in epci["features"]] == ["Métropole de Lyon"]
    assert len(geo.map_layer("departements", ("974",))["features"]) == 1
    with pytest.raises(KeyError):
        geo.map_layer("inconnue", ())


def test_demo_anywhere(tmp_path):
    path = tmp_path / "lyon.duckdb"
    generate_demo(path, "petit", 5, DEMO_DATE, departements=["69", "974"])
    from fluxcore.db import Database
    db = Database(path)
    res = db.df("select r.*, c.epci_siren as epci_ref from residence r "
                "left join ref_commune c on c.code_insee = r.commune_insee")
    assert set(res["departement"]) == {"69", "974"}
    assert (res["epci_ref"].fillna("") == res["epci_siren"].fillna("")).all()
    assert res["commune_insee"].str.startswith("6938").any()        # Lyon's arrondissements
    lon, lat = res["longitude"].to_numpy(), res["latitude"].to_numpy()
    assert (geo.commune_at(lon, lat) == geo.commune_mere(res["commune_insee"])).all()
    found = pd.Series(geo.qpv_code_at(lon, lat)).fillna("").to_numpy()
    assert (found == res["qpv_code"].fillna("").to_numpy()).all()
    assert res["en_qpv"].any()
    conv = db.df("select distinct departement from convention")["departement"]
    assert set(conv) == {"69", "974"}
    report = run_checks(db)
    assert report.loc[report["niveau"] == "ERREUR", "nombre"].sum() == 0
    assert report.set_index("code").loc["residence_hors_commune", "nombre"] == 0
    # a commune's convention covers its arrondissements: same gauge as if every résidence
    # of Lyon carried the commune code 69123
    from fluxcore.jauges import jauges_conventions
    from fluxcore.perimetre import Perimetre
    p = Perimetre(2025, aujourdhui=DEMO_DATE)
    lyon = jauges_conventions(db, p).set_index("convention_id").loc["CONV-69-COM-69123"]
    assert lyon["entres"] > 0
    with db.transaction() as cur:
        cur.execute("update residence set commune_insee = commune_mere(commune_insee)")
    assert jauges_conventions(db, p).set_index("convention_id").loc[
        "CONV-69-COM-69123", "entres"] == lyon["entres"]
    db.close()
    with pytest.raises(FluxcoreError, match="Département inconnu"):
        generate_demo(tmp_path / "x.duckdb", "petit", 5, DEMO_DATE, departements=["99"])


def test_ref_folder_size_and_sources():
    files = [p for p in REF_DIR.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) < 30 * 1024 * 1024
    sources = (REF_DIR / "SOURCES.md").read_text(encoding="utf-8")
    for name in ("communes.csv", "communes_anciens_codes.csv", "epci.csv", "qpv2024.csv",
                 "communes/", "qpv/", "epci/", "departements.geojson",
                 "calibration_epci.csv"):
        assert f"| {name} |" in sources, name
    assert "Licence Ouverte" in sources


@pytest.mark.lent
@pytest.mark.skipif(not (SHARED / "france").is_dir(), reason="../shared/data absent")
def test_vendor_script_rebuilds_data_ref_byte_identically():
    out = subprocess.run([sys.executable, str(ROOT / "tools" / "vendor_ref.py"), "--shared",
                          str(SHARED), "--out", str(REF_DIR), "--verifier"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert " 0 différents" in out.stdout


def test_sources_table_matches_files():
    sources = (REF_DIR / "SOURCES.md").read_text(encoding="utf-8")
    digest = hashlib.sha256((REF_DIR / "communes.csv").read_bytes()).hexdigest()[:16]
    assert f"| communes.csv | {(REF_DIR / 'communes.csv').stat().st_size} | {digest} |" \
        in sources


def test_map_of_a_landlord_in_metropole_and_outre_mer_is_framed_on_one_part():
    from ui.figures_residences import carte

    df = pd.DataFrame({
        "residence_id": ["A", "B", "C"], "nom": ["A", "B", "C"], "commune": ["Lyon"] * 3,
        "commune_insee": ["69383", "69266", "97411"], "epci_siren": ["200046977"] * 2 + [
            "249740119"], "departement": ["69", "69", "974"], "logements": [50, 40, 10],
        "indice": [0.1, 0.2, 0.3], "classe": ["équilibrée"] * 3,
        "latitude": [45.75625, 45.77595, -20.88755], "longitude": [4.84449, 4.86207, 55.46351]})
    fig = carte(df, False)
    assert "Hors du cadre : La Réunion" in fig.layout.title.text
    assert fig.layout.map.center.lat == pytest.approx(45.7661)
    assert carte(df, False, "C").layout.map.center.lat == pytest.approx(-20.88755)
    layers = {len(layer.source["features"]) for layer in fig.layout.map.layers}
    assert all(n > 0 for n in layers)
