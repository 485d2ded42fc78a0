"""Smoke test of the benchmark at scale petit (timings are not asserted: measure with the
command, not with tests)."""

from __future__ import annotations

import json
import os
import re

import pytest

from fluxcore.bench import report, run_bench, to_json

pytestmark = pytest.mark.bench


def test_bench_runs_every_call(tmp_path):
    mesures = run_bench("petit", repeat=2, folder=tmp_path)
    assert (tmp_path / "bench-petit.duckdb").exists()
    names = [m.nom for m in mesures]
    assert "Orientation : classer un logement" in names and len(names) == 32
    assert any(n.startswith("Localisation de 150") for n in names)
    # the RPLS open-data file (20 000 dwellings at petit, 1 000 000 above) was imported whole
    rpls = next(m for m in mesures if m.nom.startswith("Import RPLS open data"))
    assert "20\u202f000 logements, 21\u202f" in rpls.nom and rpls.cible_mo == 2048.0
    by_name = {m.nom: m for m in mesures}
    # the SNE reconciliation over copies of the tier (20 000 radiations at petit)
    rapprochement = next(m for m in mesures if m.nom.startswith("Rapprochement SNE"))
    assert "(copies)" in rapprochement.nom and rapprochement.cible_ms is None
    # the plain-pandas baselines ran beside the fluxcore calls
    with_pandas = [m for m in mesures if m.pandas_ms is not None]
    # timings are measured, never asserted: a ratio may round to 0,0 on a loaded machine
    assert len(with_pandas) == 9 and all(m.pandas_ms >= 0 and m.ratio is not None
                                         for m in with_pandas)
    assert by_name["Orientation : classer un logement"].ratio is not None
    assert by_name["Simulateur : Monte-Carlo 10 000 tirages"].ratio is None
    if os.access("/proc/self/clear_refs", os.W_OK):  # Linux: peak memory per call
        assert all(m.memoire_mo is not None and m.memoire_mo >= 0 for m in mesures[:26])
    # every résidence and the 3 000 logements of the tier went through the importer
    assert re.fullmatch(r"Import CSV \(3\u202f0\d\d l\., [\d\u202f]+ l\./s\) "
                        r"\[pandas : sans contrôles\]", names[-1])
    assert all(m.mediane_ms >= 0 and m.p95_ms >= m.mediane_ms for m in mesures)
    text = report(mesures, "petit")
    assert "médiane" in text and "ratio" in text and "Pic de mémoire du processus" in text
    data = json.loads(to_json(mesures, "petit"))
    assert data["echelle"] == "petit" and len(data["mesures"]) == 32
    assert data["pic_memoire_mo"] > 0
    assert data["mesures"][0]["ratio"] == mesures[0].ratio
