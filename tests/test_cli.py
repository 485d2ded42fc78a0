"""The command line as a user runs it: python -m fluxcore ..."""

from __future__ import annotations

import json
import subprocess
import sys


def _run(*args, timeout=120):
    return subprocess.run([sys.executable, "-m", "fluxcore", *args], capture_output=True,
                          text=True, timeout=timeout)


def test_demo_then_check(tmp_path):
    db = tmp_path / "cli.duckdb"
    out = _run("demo", "--db", str(db), "--scale", "petit", "--seed", "3", "--date",
               "2026-11-23")
    assert out.returncode == 0, out.stderr
    assert "créée en" in out.stdout and "logement" in out.stdout
    check = _run("check", "--db", str(db))
    assert check.returncode == 0, check.stdout
    assert "0 en erreur" in check.stdout
    report = json.loads(_run("check", "--db", str(db), "--format", "json").stdout)
    assert {r["code"] for r in report} >= {"taux_somme", "orientation_destinataire"}
    info = _run("info", "--db", str(db))
    assert "schéma version 2" in info.stdout


def test_existing_file_and_bad_arguments_are_explained(tmp_path):
    db = tmp_path / "x.duckdb"
    db.write_bytes(b"")
    out = _run("demo", "--db", str(db), "--scale", "petit")
    assert out.returncode == 2
    assert "existe déjà" in out.stderr and "Traceback" not in out.stderr
    out = _run("demo", "--db", str(db), "--date", "23/11/2026")
    assert out.returncode == 2 and "date invalide" in out.stderr


def test_check_reports_errors_with_exit_code(tmp_path):
    db = tmp_path / "bad.duckdb"
    assert _run("migrate", "--db", str(db)).returncode == 0
    code = (f"import duckdb; c = duckdb.connect({str(db)!r}); c.execute(\"insert into logement "
            "(logement_id, residence_id, typologie, financement) values "
            "('L1', 'NULLE_PART', 'T2', 'PLUS')\")")
    subprocess.run([sys.executable, "-c", code], check=True)
    out = _run("check", "--db", str(db))
    assert out.returncode == 1
    assert "[ERR] Logement rattaché à une résidence inconnue (logement) : 1" in out.stdout


def test_locked_database_gives_a_french_message(tmp_path):
    db = tmp_path / "lock.duckdb"
    assert _run("migrate", "--db", str(db)).returncode == 0
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
         "print('ok', flush=True); time.sleep(30)", str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ok"
        out = _run("check", "--db", str(db))
    finally:
        holder.kill()
    assert out.returncode == 2
    assert "est verrouillée" in out.stderr and "Traceback" not in out.stderr
