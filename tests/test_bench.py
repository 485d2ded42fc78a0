"""Smoke test of the benchmark at scale petit (timings are not asserted: measure with the
command, not with tests)."""

from __future__ import annotations

import json
import re

from fluxcore.bench import report, run_bench, to_json


def test_bench_runs_every_call(tmp_path):
    mesures = run_bench("petit", repeat=2, folder=tmp_path)
    assert (tmp_path / "bench-petit.duckdb").exists()
    names = [m.nom for m in mesures]
    assert "Orientation : classer un logement" in names and len(names) == 29
    # every résidence and the 3 000 logements of the tier went through the importer
    assert re.fullmatch(r"Import CSV \(3\u202f0\d\d l\., [\d\u202f]+ l\./s\)", names[-1])
    assert all(m.mediane_ms > 0 and m.p95_ms >= m.mediane_ms for m in mesures)
    assert "médiane ms" in report(mesures, "petit")
    data = json.loads(to_json(mesures, "petit"))
    assert data["echelle"] == "petit" and len(data["mesures"]) == 29
