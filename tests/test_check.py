"""Integrity report: each check fires on a planted error, and only there."""

from __future__ import annotations

from datetime import date

from fluxcore.__main__ import main
from fluxcore.check import has_errors, run_checks
from tests.factory import insert, liberation, orientation


def _fired(db):
    report = run_checks(db)
    return dict(zip(report["code"], report["nombre"]))


def test_clean_small_year_has_no_error(small_db):
    report = run_checks(small_db)
    assert not has_errors(report)
    assert report["nombre"].sum() == 0


def test_planted_errors_are_reported(small_db):
    insert(small_db, "liberation", [
        liberation("BX", "INCONNU", date(2026, 5, 1)),
        liberation("BY", "L6", date(2026, 5, 1), conge=date(2026, 6, 1))])
    insert(small_db, "orientation", [
        orientation("OX", "BY", "NIMPORTEQUI", date(2026, 5, 2), "ORIENTE")])
    insert(small_db, "convention", [
        {"convention_id": f"C{i}", "reservataire_id": rid, "departement": "51",
         "perimetre": None, "annee_debut": 2024, "annee_fin": 2028, "taux_flux": taux,
         "garantie_emprunt": False, "date_signature": None}
        for i, (rid, taux) in enumerate([("PREF-51", 30.0), ("AL", 60.0), ("AL", 15.0)])])
    fired = _fired(small_db)
    assert fired["liberation_logement"] == 1
    assert fired["conge_apres_liberation"] == 1
    assert fired["orientation_destinataire"] == 1
    assert fired["taux_somme"] == 5 * 1  # Reims, 2024–2028: 105 %
    assert fired["logement_residence"] == 0
    report = run_checks(small_db)
    assert report.loc[report["code"] == "taux_somme", "exemples"].item().startswith(
        "51454 en 2024 : 105,0 %, 51454 en 2025")


def test_cli_exit_code(small_db, capsys):
    path = small_db.path
    small_db.close()
    assert main(["check", "--db", path]) == 0
    out = capsys.readouterr().out
    assert "0 en erreur" in out
