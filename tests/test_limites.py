"""Legal limits on the base (fluxcore.limites through jauges.controles_legaux): the préfet
against dated dérogations (table `derogation`), loan guarantees realised on a closed year.

Figures are built by hand: a Marne of 300 T3 in Reims (51454); in 2024, 30 of them were
vacated (rotation 10 %); in 2025, 250 entered the flux, 54 of them oriented to the
Département's loan-guarantee convention (15 % on the whole département).
"""

from __future__ import annotations

from datetime import date

import pytest

from fluxcore.jauges import controles_legaux
from fluxcore.limites import derogations
from fluxcore.parametres import set_parametre
from fluxcore.perimetre import Perimetre
from tests.factory import insert, liberation, logement, orientation, residence

D = date
NNBSP = "\u202f"
TODAY = D(2026, 3, 1)           # 2025 is a closed year
SIGNE_2023 = D(2023, 11, 15)


def _reservataire(rid, typ):
    return {"reservataire_id": rid, "nom": rid, "type": typ, "territoire": "51",
            "repris_par_prefet": False}


def _convention(rid, taux, garantie=False):
    return {"convention_id": f"C-{rid}", "reservataire_id": rid, "departement": "51",
            "perimetre": None, "annee_debut": 2024, "annee_fin": 2028, "taux_flux": taux,
            "garantie_emprunt": garantie, "date_signature": SIGNE_2023}


def _derogation(did, debut, fin, taux, agents=None, arrete=None):
    return {"derogation_id": did, "departement": "51",
            "arrete": arrete or f"Arrêté préfectoral n° {did}", "date_debut": debut,
            "date_fin": fin, "taux_max": taux, "taux_agents_max": agents}


@pytest.fixture
def base(empty_db):
    db = empty_db
    insert(db, "residence", [residence("R", "51454", "200067213", "51")])
    insert(db, "logement", [logement(f"L{i:03d}", "R") for i in range(300)])
    insert(db, "reservataire", [_reservataire("PREF", "PREFET"),
                                _reservataire("CD", "DEPARTEMENT")])
    insert(db, "convention", [_convention("PREF", 32.0), _convention("CD", 15.0, True)])
    libs = [liberation(f"P{i:03d}", f"L{i:03d}", D(2024, 5, 1)) for i in range(30)]
    libs += [liberation(f"B{i:03d}", f"L{i:03d}", D(2025, 1 + i % 12, 10)) for i in range(250)]
    insert(db, "liberation", libs)
    insert(db, "orientation", [orientation(f"O{i:03d}", f"B{i:03d}", "CD", D(2025, 12, 20),
                                           "ATTRIBUE") for i in range(54)])
    return db


def _controles(db, p):
    return {r["code"]: r for r in controles_legaux(db, p).to_dict("records")}


def test_a_one_year_arrete_on_a_2023_convention_is_applied_on_its_own_dates(base):
    # 32 %, convention signed on 15/11/2023, arrêté 01/03/2025–28/02/2026 at 35 %: the
    # arrêté is valid (365 days); 2025 is conforme from 01/03, non conforme before
    insert(base, "derogation", [_derogation("2025-0412", D(2025, 3, 1), D(2026, 2, 28), 35.0)])
    c = _controles(base, Perimetre(2025, aujourdhui=TODAY))
    assert "prefet_derogation_duree" not in c
    p = c["prefet_max"]
    assert (p["valeur"], p["limite"], p["respecte"]) == (32.0, 30.0, False)
    assert "irrégulière" not in p["message"]
    assert p["message"] == (
        f"Contingent préfectoral de 32{NNBSP}% — 2025 : non conforme du 01/01 au 28/02 "
        f"(59 jours : 32{NNBSP}% > 30{NNBSP}% hors période de dérogation), conforme du 01/03 "
        f"au 31/12 (32{NNBSP}% ≤ 35{NNBSP}% sous la dérogation Arrêté préfectoral "
        "n° 2025-0412 du 01/03/2025 au 28/02/2026).")
    p26 = _controles(base, Perimetre(2026, aujourdhui=TODAY))["prefet_max"]
    assert not p26["respecte"]
    assert "2026 : conforme du 01/01 au 28/02" in p26["message"]
    assert "non conforme du 01/03 au 31/12 (306 jours" in p26["message"]
    # a second arrêté from 01/03/2026 (a renewal, one year again) covers the rest of 2026
    insert(base, "derogation", [_derogation("2026-0101", D(2026, 3, 1), D(2027, 2, 28), 33.5)])
    p26 = _controles(base, Perimetre(2026, aujourdhui=TODAY))["prefet_max"]
    assert (p26["valeur"], p26["limite"], p26["respecte"]) == (32.0, 33.5, True)
    d = derogations(base, Perimetre(2026, aujourdhui=TODAY))
    assert d["derogation_id"].tolist() == ["2025-0412", "2026-0101"]
    assert d["valide"].tolist() == [True, True] and d["jours"].tolist() == [365, 365]


def test_a_thirteen_month_derogation_is_reported_and_not_applied(base):
    # 01/01/2025–31/01/2026: 396 days, one year at most ends on 31/12/2025
    insert(base, "derogation", [_derogation("2025-13M", D(2025, 1, 1), D(2026, 1, 31), 34.0)])
    c = _controles(base, Perimetre(2025, aujourdhui=TODAY))
    d = c["prefet_derogation_duree"]
    assert (d["valeur"], d["limite"], d["respecte"]) == (34.0, 30.0, False)
    assert d["message"] == (
        "Dérogation de plus d'un an : Arrêté préfectoral n° 2025-13M du 01/01/2025 au "
        "31/01/2026 (396 jours ; un an au plus, soit jusqu'au 31/12/2025) : limite de "
        f"30{NNBSP}% appliquée.")
    p = c["prefet_max"]
    assert (p["valeur"], p["limite"], p["respecte"]) == (32.0, 30.0, False)
    assert "sans dérogation datée d'un an au plus" in p["message"]


def test_agents_limit_of_a_derogation(base):
    with base.transaction() as cur:
        cur.execute("update convention set taux_flux = 25.5 where convention_id = 'C-PREF'")
    insert(base, "reservataire", [_reservataire("PREFF", "PREFET_FONCTIONNAIRES")])
    insert(base, "convention", [_convention("PREFF", 6.5)])
    # préfet 25.5 + agents 6.5 = 32 %; the arrêté raises agents to 7 % from 01/07/2025
    insert(base, "derogation", [_derogation("A", D(2025, 7, 1), D(2026, 6, 30), 32.0, 7.0)])
    c = _controles(base, Perimetre(2025, aujourdhui=TODAY))
    a = c["prefet_agents_max"]
    assert (a["valeur"], a["limite"], a["respecte"]) == (6.5, 5.0, False)
    assert a["message"] == (
        f"Part des agents de l'État de 6,5{NNBSP}% — 2025 : non conforme du 01/01 au 30/06 "
        f"(181 jours : 6,5{NNBSP}% > 5{NNBSP}% hors période de dérogation), conforme du 01/07 "
        f"au 31/12 (6,5{NNBSP}% ≤ 7{NNBSP}% sous la dérogation Arrêté préfectoral n° A du "
        "01/07/2025 au 30/06/2026).")


def test_guarantee_share_realised_on_a_closed_year(base):
    # département base: forecast 15 % (the only guarantee convention covers the whole
    # département), realised 54 / 250 = 21,6 % > 20 %
    set_parametre(base, "garantie_emprunt_base", "departement", "test")
    g = _controles(base, Perimetre(2025, aujourdhui=TODAY))["garantie_max"]
    assert g["valeur"] == pytest.approx(21.6)
    assert (g["limite"], g["respecte"]) == (20.0, False)
    assert g["message"] == (
        f"Réservations en contrepartie de garanties d'emprunt : prévu 15,0{NNBSP}% du flux "
        f"du département en 2025, réalisé 21,6{NNBSP}% (54 des 250 logements entrés dans le "
        f"flux sont allés aux conventions de garantie) pour un maximum de 20{NNBSP}%.")
    # to date on 31/01/2025: the 21 January libérations entered, 5 of them (B000, B012, B024,
    # B036, B048) went to the Département: 23,8 % to date
    g = _controles(base, Perimetre(2025, aujourdhui=D(2025, 1, 31)))["garantie_max"]
    assert (g["valeur"], g["respecte"]) == (pytest.approx(100 * 5 / 21), False)
    assert f"prévu 15,0{NNBSP}% du flux du département sur l'année, réalisé 23,8{NNBSP}% au " \
           "31/01/2025 (5 des 21 logements" in g["message"]
    # a year not started: the forecast alone
    g = _controles(base, Perimetre(2027, aujourdhui=TODAY))["garantie_max"]
    assert (g["valeur"], g["respecte"]) == (pytest.approx(15.0), True)
    assert g["message"].endswith(f"prévu 15,0{NNBSP}% du flux du département (année non "
                                 f"commencée) pour un maximum de 20{NNBSP}%.")
    # the territory base checks the signed rates: 15 % on Reims
    set_parametre(base, "garantie_emprunt_base", "territoire", "test")
    g = _controles(base, Perimetre(2025, aujourdhui=TODAY))["garantie_max"]
    assert (g["valeur"], g["respecte"]) == (15.0, True)


def test_guarantee_rights_end_with_the_loan(base):
    # loan repaid on 30/06/2020: rights end 5 years later (setting), on 30/06/2025
    with base.transaction() as cur:
        cur.execute("update convention set taux_flux = 22, fin_pret = date '2020-06-30' "
                    "where convention_id = 'C-CD'")
    c = _controles(base, Perimetre(2025, aujourdhui=TODAY))
    assert (c["garantie_max"]["valeur"], c["garantie_max"]["respecte"]) == (22.0, False)
    assert c["somme_taux"]["valeur"] == 54.0
    c = _controles(base, Perimetre(2026, aujourdhui=TODAY))
    assert (c["garantie_max"]["valeur"], c["somme_taux"]["valeur"]) == (0.0, 32.0)


def test_guarantee_forecast_is_prorated_to_the_days_of_the_convention(base):
    # département base, 2027 not started: the Département's 15 % runs from 01/04/2027, 275
    # of the 365 days: forecast 15 × 275/365 = 11,30 % of the département's flux
    set_parametre(base, "garantie_emprunt_base", "departement", "test")
    with base.transaction() as cur:
        cur.execute("update convention set date_debut = date '2027-04-01' "
                    "where convention_id = 'C-CD'")
    g = _controles(base, Perimetre(2027, aujourdhui=TODAY))["garantie_max"]
    assert g["valeur"] == pytest.approx(15.0 * 275 / 365)
    assert g["message"].endswith(f"prévu 11,3{NNBSP}% du flux du département (année non "
                                 f"commencée) pour un maximum de 20{NNBSP}%.")
    # and a loan repaid on 30/06/2022: rights until 30/06/2027, from 01/04: 91 days
    with base.transaction() as cur:
        cur.execute("update convention set fin_pret = date '2022-06-30' "
                    "where convention_id = 'C-CD'")
    g = _controles(base, Perimetre(2027, aujourdhui=TODAY))["garantie_max"]
    assert g["valeur"] == pytest.approx(15.0 * 91 / 365)


# -- import of the table derogation ------------------------------------------------------------
def test_derogations_import_as_a_canonical_table(empty_db, tmp_path):
    from fluxcore.imports import import_paths

    path = tmp_path / "derogations_prefet.csv"
    path.write_text("derogation_id;departement;arrete;date_debut;date_fin;taux_max;"
                    "taux_agents_max\n"
                    "D1;51;Arrêté préfectoral n° 2025-0412;01/03/2025;28/02/2026;35 %;\n"
                    "D2;08;Arrêté n° 2025-77;2025-07-15;2026-07-14;33,5;6\n", encoding="utf-8")
    result = import_paths(empty_db, [path], actor="test")
    assert result.ok, result.problems.text()
    rows = empty_db.cursor().execute(
        "select derogation_id, departement, taux_max, taux_agents_max, date_fin "
        "from derogation order by 1").fetchall()
    assert [tuple(r) for r in rows] == [("D1", "51", 35.0, None, D(2026, 2, 28)),
                                        ("D2", "08", 33.5, 6.0, D(2026, 7, 14))]
    bad = tmp_path / "arretes.csv"
    bad.write_text("derogation_id;departement;arrete;date_debut;date_fin;taux_max\n"
                   "D3;5X;A;01/03/2025;28/02/2025;135\n", encoding="utf-8")
    result = import_paths(empty_db, [bad], actor="test")
    assert not result.ok
    text = result.problems.text()
    assert "date de fin de la dérogation antérieure à sa date de début" in text
    assert "valeur hors bornes : attendu au moins 0 et au plus 100" in text
    assert "code de département" in text
    assert empty_db.scalar("select count(*) from derogation") == 2


def test_legacy_derogation_fin_of_an_imported_convention(empty_db, tmp_path):
    from fluxcore.imports import import_paths

    insert(empty_db, "reservataire", [_reservataire("PREF", "PREFET"),
                                      _reservataire("PREFF", "PREFET_FONCTIONNAIRES")])
    insert(empty_db, "convention", [_convention("PREFF", 4.0)])
    path = tmp_path / "conventions.csv"
    path.write_text("convention_id;reservataire_id;departement;annee_debut;annee_fin;taux_flux;"
                    "derogation_fin\nC-PREF;PREF;51;2024;2028;28;30/09/2026\n",
                    encoding="utf-8")
    result = import_paths(empty_db, [path], actor="test")
    assert result.ok, result.problems.text()
    assert ("1 dérogation préfectorale d'un an finissant à cette date créée dans"
            in result.problems.text())
    d = empty_db.df("select * from derogation").iloc[0]
    assert d["derogation_id"] == "DEROG-C-PREF"
    assert (d["date_debut"].date(), d["date_fin"].date()) == (D(2025, 10, 1), D(2026, 9, 30))
    assert d["taux_max"] == 32.0                       # 28 + the agents' 4
    # re-importing does not duplicate it
    assert import_paths(empty_db, [path], actor="test").ok
    assert empty_db.scalar("select count(*) from derogation") == 1
