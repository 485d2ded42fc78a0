"""The command line as a user runs it: python -m fluxcore ..."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from fluxcore.db import list_migrations


def _run(*args, timeout=600):
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
    assert f"schéma version {list_migrations()[-1][0]}" in info.stdout


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


@pytest.mark.lent
def test_jauges_and_orienter(tmp_path):
    db = tmp_path / "flux.duckdb"
    assert _run("demo", "--db", str(db), "--scale", "petit", "--seed", "7", "--date",
                "2026-11-23").returncode == 0
    csv = _run("jauges", "--db", str(db), "--annee", "2026", "--date", "2026-11-23",
               "--format", "csv")
    assert csv.returncode == 0, csv.stderr
    assert csv.stdout.startswith("\ufeff")        # a pipe: the BOM French Excel needs
    header = csv.stdout.lstrip("\ufeff").splitlines()[0].split(";")
    assert header[:6] == ["reservataire_id", "nom", "type", "taux", "droits_annuels", "du"]
    assert csv.stdout.splitlines()[-1].startswith("BAILLEUR;")
    rows = json.loads(_run("jauges", "--db", str(db), "--annee", "2026", "--departement", "51",
                           "--date", "2026-11-23", "--format", "json").stdout)
    assert all(r["du"] >= 0 for r in rows)
    text = _run("jauges", "--db", str(db), "--annee", "2026", "--date", "2026-11-23").stdout
    assert "Préfet : part maximale du flux" in text
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    lib = con.execute(
        "select liberation_id from liberation b where date_liberation <= date '2026-11-23' and "
        "not exists (select 1 from orientation o where o.liberation_id = b.liberation_id) "
        "and logement_id in (select logement_id from logement where hors_flux_motif is null) "
        "order by date_liberation limit 1").fetchall()[0][0]
    con.close()
    ranking = json.loads(_run("orienter", "--db", str(db), "--liberation", lib, "--date",
                              "2026-11-23", "--format", "json").stdout)
    first = ranking["destinations"][0]
    assert first["rang"] == 1 and len(first["composantes"]) == 5
    text = _run("orienter", "--db", str(db), "--liberation", lib, "--date", "2026-11-23").stdout
    assert "Déficit sur le dû" in text and "1. " in text
    ok = _run("orienter", "--db", str(db), "--liberation", lib, "--date", "2026-11-23",
              "--choisir", first["destinataire"], "--auteur", "alice", "--justification", "test")
    assert ok.returncode == 0 and "enregistrée" in ok.stdout
    again = _run("orienter", "--db", str(db), "--liberation", lib, "--date", "2026-11-23",
                 "--choisir", "BAILLEUR", "--auteur", "bob")
    assert again.returncode == 2 and "déjà été orienté" in again.stderr


def test_simuler_takes_each_line_type_from_the_base(tmp_path, capsys):
    """A scenario line without `type` used to default to « AUTRE »: a préfet at 35 % passed
    every check (« OK », exit 0). The type now comes from the base, or the line is refused."""
    from datetime import date

    from fluxcore.__main__ import main
    from fluxcore.db import Database
    from tests.factory import insert, liberation, logement, residence

    path = tmp_path / "sim.duckdb"
    db = Database(path)
    insert(db, "residence", [residence("R1", "51454", "200067213", "51")])
    insert(db, "logement", [logement(f"L{i}", "R1") for i in range(100)])
    insert(db, "liberation", [liberation(f"B{i}", f"L{i}", date(2025, 3, 1))
                              for i in range(10)])
    insert(db, "reservataire", [{"reservataire_id": "PREF-51", "nom": "Préfet de la Marne",
                                 "type": "PREFET", "territoire": "51",
                                 "repris_par_prefet": False}])
    db.close()

    def run(scenario) -> int:
        f = tmp_path / "scenario.json"
        f.write_text(json.dumps(scenario), encoding="utf-8")
        return main(["simuler", "--db", str(path), "--scenario", str(f), "--tirages", "0",
                     "--format", "json"])

    base = {"departement": "51", "annee_debut": 2027, "annee_fin": 2029}
    assert run({**base, "reservataires": [{"reservataire_id": "PREF-51",
                                           "taux_pct": 35}]}) == 1
    out = json.loads(capsys.readouterr().out)["resultats"]
    assert out["scenario"]["reservataires"][0]["type"] == "PREFET"
    prefet = next(c for c in out["controles"] if c["code"] == "prefet_max")
    assert prefet["respecte"] is False and prefet["valeur"] == 35.0
    # within the limit: compliant
    assert run({**base, "reservataires": [{"reservataire_id": "PREF-51",
                                           "taux_pct": 25}]}) == 0
    capsys.readouterr()
    # a type contradicting the base: refused, the line named
    assert run({**base, "reservataires": [{"reservataire_id": "PREF-51", "type": "AUTRE",
                                           "taux_pct": 35}]}) == 2
    assert capsys.readouterr().err == (
        "Erreur : scenario.json, reservataires[1] (PREF-51) : type « AUTRE » contraire à la "
        "base, où ce réservataire est de type « PREFET » ; retirez le champ type ou "
        "corrigez-le.\n")
    # unknown to the base and no type: refused; with a type it is simulated as stated
    two = [{**base, "reservataires": [{"reservataire_id": "PREF-51", "taux_pct": 25}]},
           {**base, "nom": "B", "reservataires": [
               {"reservataire_id": "PREF-51", "taux_pct": 25},
               {"reservataire_id": "COM-X", "taux_pct": 10}]}]
    assert run(two) == 2
    err = capsys.readouterr().err
    assert err.startswith("Erreur : scenario.json, scénario n° 2, reservataires[2] (COM-X) : "
                          "réservataire absent de la base et sans type ; indiquez son type "
                          "(PREFET, ")
    two[1]["reservataires"][1]["type"] = "COMMUNE"
    assert run(two) == 0
    outs = json.loads(capsys.readouterr().out)
    assert [r["type"] for r in outs[1]["resultats"]["scenario"]["reservataires"]] == [
        "PREFET", "COMMUNE"]
