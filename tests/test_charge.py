"""tools/charge.py, the load test: its figures (percentile, schedule, per-page summary), its
command line, and two real runs on a petit demo in Chromium (marked `browser`: `make test-lent`):
a complete one with 2 sessions and 1 round (the report's structure, no error; never a timing),
and one cut by its time limit."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tools import browser as b
from tools import charge

PAGES = b.discover_pages()
SCRIPT = b.ROOT / "tools" / "charge.py"
IMPOSSIBLE = b.missing_requirements()
navigateur = pytest.mark.skipif(IMPOSSIBLE is not None,
                                reason=f"test navigateur impossible : {IMPOSSIBLE}")


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], cwd=b.ROOT,
                          capture_output=True, text=True, timeout=3600)


def test_percentile_interpolates_between_ranks():
    assert charge.percentile([], 95) is None
    assert charge.percentile([7.0], 95) == 7.0
    assert charge.percentile([40, 10, 30, 20], 50) == 25
    assert charge.percentile([10, 20, 30, 40], 95) == pytest.approx(38.5)
    assert charge.percentile([10, 20, 30, 40], 100) == 40


def test_streamlit_probes_are_not_errors():
    assert charge.sonde("http://127.0.0.1:8501/jauges/_stcore/health")
    assert charge.sonde("http://127.0.0.1:8501/jauges/_stcore/host-config")
    assert not charge.sonde("http://127.0.0.1:8501/_stcore/health")
    assert not charge.sonde("http://127.0.0.1:8501/jauges/_stcore/stream")


def test_each_session_starts_its_round_at_another_page():
    pages = PAGES[:3]
    plan = charge.plan_de(pages, 2, 1)
    assert [(tour, p.url_path) for tour, p in plan] == [
        (1, pages[1].url_path), (1, pages[2].url_path), (1, pages[0].url_path),
        (2, pages[1].url_path), (2, pages[2].url_path), (2, pages[0].url_path)]


def test_per_page_summary_leaves_out_the_first_round_and_the_arrival():
    page = PAGES[1]
    visites = [charge.Visite("seule", 1, 0, page.url_path, 0, 9000.0),      # arrival
               charge.Visite("seule", 1, 1, page.url_path, 0, 5000.0, cpu_ms=900),  # 1st round
               charge.Visite("seule", 1, 2, page.url_path, 0, 100.0, cpu_ms=50),
               charge.Visite("seule", 1, 3, page.url_path, 0, 300.0, cpu_ms=70),
               charge.Visite("charge", 1, 1, page.url_path, 0, 4000.0),
               charge.Visite("charge", 1, 2, page.url_path, 0, 300.0),
               charge.Visite("charge", 2, 2, page.url_path, 0, 500.0,
                             erreurs=["console : x"]),
               charge.Visite("charge", 2, 3, page.url_path, 0, None,
                             erreurs=["délai dépassé"])]
    (row,) = charge.par_page([page], visites, 2.0)
    assert row["seule"] == {"visites": 2, "froid_ms": 5000.0, "mediane_ms": 200.0,
                            "p95_ms": 290.0, "cpu_serveur_ms": 60.0}
    assert row["charge"] == {"visites": 2, "mediane_ms": 400.0, "p95_ms": 490.0,
                             "max_ms": 500.0}
    assert row["ratio"] == 2.45
    assert row["cible_atteinte"] is False
    assert row["erreurs"] == 2
    (sans_cible,) = charge.par_page([page], visites, 0)
    assert sans_cible["cible_atteinte"] is None


def test_peak_rises_are_given_to_the_page_of_the_one_session_visit():
    v = charge.Visite
    visites = [v("ouverture", 1, 0, "tableau-de-bord", 0, 1.0, hwm_mo=300.0),
               v("seule", 1, 0, "donnees", 0, 1.0, hwm_mo=350.0),
               v("seule", 1, 1, "jauges", 0, 1.0, hwm_mo=350.0),
               v("seule", 1, 1, "simulateur", 0, 1.0, hwm_mo=900.0),
               v("seule", 1, 2, "jauges", 0, 1.0, hwm_mo=910.0),
               v("charge", 1, 1, "jauges", 0, 1.0, hwm_mo=2000.0)]   # not one page's
    assert charge.hausses_du_pic(visites) == {"donnees": 50.0, "jauges": 10.0,
                                              "simulateur": 550.0}


@navigateur
def test_command_line_errors_are_french_without_traceback(tmp_path):
    base = tmp_path / "base.duckdb"
    base.write_bytes(b"")
    for args, message in ((["--db", str(base), "--pages", "jauges,inconnue"],
                           "Erreur : pages inconnues : inconnue"),
                          (["--db", str(tmp_path / "absente.duckdb")],
                           "Erreur : base introuvable"),
                          (["--db", str(base), "--tours", "0"],
                           "Erreur : --tours : au moins 1"),
                          (["--db", str(base), "--tours", "deux"],
                           "Erreur : argument --tours : nombre entier invalide : 'deux'")):
        done = _run(*args)
        assert done.returncode == 2, done.stderr
        assert message in done.stderr
        assert "Traceback (most recent call last)" not in done.stderr


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return b.make_demo_db(tmp_path_factory.mktemp("charge") / "petit.duckdb")


@pytest.mark.browser
@navigateur
def test_two_sessions_one_round_on_every_page(demo, tmp_path):
    out = tmp_path / "charge.json"
    done = _run("--db", str(demo), "--sessions", "2", "--tours", "1", "--cible", "0",
                "--duree-max", "30", "--delai-page", "300", "--out", str(out))
    assert "Traceback (most recent call last)" not in done.stderr
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    urls = [p.url_path for p in PAGES]
    assert data["pages"] == urls
    assert (data["sessions"], data["tours"], data["navigation"], data["copie"]) == \
        (2, 1, "menu", True)
    assert data["complet"] is True and data["ok"] is True
    assert data["erreurs"] == [] and data["journal_serveur"] == []
    assert data["cible_atteinte"] is None
    assert [r["page"] for r in data["par_page"]] == urls
    for row in data["par_page"]:
        assert row["seule"]["visites"] == 1 and row["charge"]["visites"] == 2, row
        assert row["erreurs"] == 0
        for figure in (row["seule"]["froid_ms"], row["seule"]["mediane_ms"],
                       row["seule"]["cpu_serveur_ms"], row["charge"]["p95_ms"], row["ratio"]):
            assert figure is not None and figure > 0, row
    # the opening, then per session an arrival by address and one round by the menu
    visites = data["visites"]
    assert [v["phase"] for v in visites].count("ouverture") == 1
    assert [v["phase"] for v in visites].count("seule") == 1 + len(PAGES)
    assert [v["phase"] for v in visites].count("charge") == 2 * (1 + len(PAGES))
    assert {v["navigation"] for v in visites if v["tour"] >= 1} == {"menu"}
    assert sorted(v["session"] for v in visites if v["phase"] == "charge") == \
        [1] * (1 + len(PAGES)) + [2] * (1 + len(PAGES))
    assert set(data["phases"]) == {"ouverture", "seule", "charge"}
    assert all(phase["complete"] for phase in data["phases"].values())
    memoire = data["memoire_mo"]
    assert 0 < memoire["demarrage"] <= memoire["pic_processus"]
    assert memoire["pic_charge"] <= memoire["pic_processus"]
    assert "Aucune erreur." in done.stdout
    assert "Mémoire résidente du serveur" in done.stdout
    for url in urls:
        assert f"\n{url} " in done.stdout


@pytest.mark.browser
@navigateur
def test_stops_at_its_time_limit_and_reports_what_it_has(demo, tmp_path):
    out = tmp_path / "charge.json"
    done = _run("--db", str(demo), "--sessions", "2", "--tours", "100", "--pages",
                "jauges,suivi", "--duree-max", "1", "--out", str(out))
    assert "Traceback (most recent call last)" not in done.stderr
    assert done.returncode == 1, done.stdout + done.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["complet"] is False and data["ok"] is False
    assert data["erreurs"] == []          # cut by the limit: neither a time nor an error
    assert all(v["ms"] is not None for v in data["visites"])
    assert "Interrompu : durée maximale (1,0 min) atteinte" in done.stdout
