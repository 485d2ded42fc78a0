"""Rules a préfet would sign (issue 22): rights taken back by the préfet, one convention per
réservataire × département, communes and EPCI on their own territory, conventions on any days,
loan guarantees ending with the loan. Every figure is computed by hand in the comments; none is
one of the worked examples of docs/regles.md.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from fluxcore.assiette import conventions_en_vigueur
from fluxcore.check import run_checks
from fluxcore.conventions import droits_prevus, fin_garantie, part_annee
from fluxcore.imports import import_paths
from fluxcore.jauges import (
    composition,
    controles_legaux,
    cumul_mensuel,
    jauges_conventions,
    jauges_reservataires,
    remarques_conventions,
    repartition_prefet,
)
from fluxcore.parametres import set_parametre
from fluxcore.perimetre import Perimetre
from tests.factory import (
    convention_row,
    insert,
    liberation,
    logement,
    orientation,
    reservataire_row,
    residence,
)

D = date
NNBSP = "\u202f"
REIMS, EPCI_REIMS = "51454", "200067213"
ANNEE_CLOSE = Perimetre(2025, aujourdhui=D(2026, 1, 10))


_reservataire, _convention = reservataire_row, convention_row


def _days(first: date, n: int, step: int) -> list[date]:
    return [first + timedelta(days=step * i) for i in range(n)]


# == the préfet takes a commune's rights back =================================================
@pytest.fixture
def reprise(empty_db):
    """100 dwellings in Reims; préfet 25 % of the département; Ville de Reims 10 % on Reims,
    rights taken back by the préfet on 01/07/2025. 2025: 40 dwellings vacated from January to
    June (every 4 days from 02/01), 60 from July to December (every 3 days from 01/07)."""
    db = empty_db
    insert(db, "residence", [residence("R1", REIMS, EPCI_REIMS, "51")])
    insert(db, "logement", [logement(f"L{i:03d}", "R1") for i in range(1, 101)])
    insert(db, "reservataire", [
        _reservataire("PREF-51", "Préfet de la Marne", "PREFET", "51"),
        _reservataire("PREFF-51", "Préfet de la Marne (agents)", "PREFET_FONCTIONNAIRES", "51"),
        _reservataire("VILLE", "Ville de Reims", "COMMUNE", REIMS, D(2025, 7, 1), True)])
    insert(db, "convention", [_convention("C-PREF", "PREF-51", 25.0),
                              _convention("C-VILLE", "VILLE", 10.0, REIMS)])
    jours = _days(D(2025, 1, 2), 40, 4) + _days(D(2025, 7, 1), 60, 3)
    assert jours[39] <= D(2025, 6, 30) and jours[-1] <= D(2025, 12, 31)
    insert(db, "liberation", [liberation(f"B{i:03d}", f"L{i:03d}", d)
                              for i, d in enumerate(jours, start=1)])
    insert(db, "orientation", [
        # before the reprise, and oriented before it though vacated after: the commune's
        orientation("O010", "B010", "VILLE", jours[9], "ORIENTE"),
        orientation("O041", "B041", "VILLE", D(2025, 6, 25), "ATTRIBUE"),
        # after the reprise, to the préfet
        orientation("O050", "B050", "PREF-51", jours[49] + timedelta(days=2), "ORIENTE")])
    return db


def test_prefet_is_owed_the_share_taken_back(reprise):
    # préfet: 25 % × 100 + 10 % × 60 = 31 ; commune: 10 % × 40 = 4 ; bailleur 100 − 35 = 65
    g = jauges_reservataires(reprise, ANNEE_CLOSE).set_index("reservataire_id")
    assert list(g.index) == ["PREF-51", "VILLE", "BAILLEUR"]
    assert g.loc["PREF-51", "du"] == pytest.approx(31.0)
    assert g.loc["PREF-51", "droits_annuels"] == pytest.approx(31.0)
    assert g.loc["PREF-51", "entres"] == 100          # its flux, counted once
    assert g.loc["PREF-51", "taux"] == pytest.approx(31.0)
    assert g.loc["PREF-51", "orientes"] == 1
    assert g.loc["VILLE", "du"] == pytest.approx(4.0)
    assert g.loc["VILLE", "entres"] == 40
    assert g.loc["VILLE", "orientes"] == 2             # B041 oriented on 25/06, vacated 07/07
    assert g.loc["BAILLEUR", "du"] == pytest.approx(65.0)


def test_gauge_lines_of_the_reprise(reprise):
    c = jauges_conventions(reprise, ANNEE_CLOSE).set_index("convention_id")
    assert list(c.index) == ["C-PREF", "REPRISE-C-VILLE", "C-VILLE"]
    r = c.loc["REPRISE-C-VILLE"]
    assert (r["reservataire_id"], r["type"], r["repris_de"], r["repris_de_nom"]) == (
        "PREF-51", "PREFET", "VILLE", "Ville de Reims")
    assert (r["taux_flux"], r["perimetre"], r["entres"], r["du"]) == (10.0, REIMS, 60, 6.0)
    assert r["part_annee"] == pytest.approx(184 / 365)
    v = c.loc["C-VILLE"]
    assert (v["entres"], v["du"], v["orientes"], v["attribues"]) == (40, 4.0, 2, 1)
    assert pd.Timestamp(v["fin"]).date() == D(2025, 6, 30)
    assert v["part_annee"] == pytest.approx(181 / 365)
    assert c.loc["C-PREF", "orientes"] == 1 and c.loc["REPRISE-C-VILLE", "orientes"] == 0


def test_reprise_is_said_beside_the_gauges(reprise):
    r = remarques_conventions(reprise, ANNEE_CLOSE)
    assert r.to_dict("records") == [
        {"reservataire_id": "PREF-51", "nom": "Préfet de la Marne",
         "remarque": f"dont droits repris de Ville de Reims : 10,0{NNBSP}% du flux de son "
                     "périmètre depuis le 01/07/2025 (6,0 dû à date, 6,0 sur l'année)"},
        {"reservataire_id": "VILLE", "nom": "Ville de Reims",
         "remarque": "droits repris par le préfet à partir du 01/07/2025 : dû sur les "
                     "logements libérés jusqu'au 30/06/2025"}]


def test_reprise_month_by_month_and_per_commune(reprise):
    m = cumul_mensuel(reprise, ANNEE_CLOSE, "PREF-51")
    # January: B001–B008 (02/01 … 30/01) × 25 % = 2 ; July: 11 vacated (01/07 … 31/07) × 35 %
    assert m["du"].iloc[0] == pytest.approx(2.0)
    assert m["du"].iloc[6] == pytest.approx(11 * 0.35)
    assert m["du_cumule"].iloc[-1] == pytest.approx(31.0)
    assert m["orientes_cumule"].iloc[-1] == 1
    ville = cumul_mensuel(reprise, ANNEE_CLOSE, "VILLE")
    assert ville["du_cumule"].iloc[-1] == pytest.approx(4.0)
    assert ville["orientes"].tolist()[1:7] == [1, 0, 0, 0, 0, 1]  # B010 07/02, B041 07/07
    rep = repartition_prefet(reprise, ANNEE_CLOSE)
    assert rep[["commune", "flux", "du", "orientes"]].to_dict("records") == [
        {"commune": "Reims", "flux": 100, "du": pytest.approx(31.0), "orientes": 1}]
    comp = composition(reprise, ANNEE_CLOSE)
    t = comp[(comp["reservataire_id"] == "PREF-51") & (comp["dimension"] == "typologie")]
    assert t["flux"].sum() == 100 and t["du"].sum() == pytest.approx(31.0)


def test_prefet_limit_counts_its_own_reservation_only(reprise):
    # R441-5-2 limits the préfet's own reservation: the rights it exercises for the commune
    # stay the commune's rate, counted once in the sum of rates
    c = {r["code"]: r for r in controles_legaux(reprise, ANNEE_CLOSE).to_dict("records")}
    assert (c["prefet_max"]["valeur"], c["prefet_max"]["respecte"]) == (25.0, True)
    assert c["somme_taux"]["valeur"] == 35.0
    assert run_checks(reprise).set_index("code").loc["reprise_sans_prefet", "nombre"] == 0


def test_reprise_without_date_covers_the_whole_year(reprise):
    with reprise.transaction() as cur:
        cur.execute("update reservataire set date_reprise = null where reservataire_id = 'VILLE'")
    g = jauges_reservataires(reprise, ANNEE_CLOSE).set_index("reservataire_id")
    # no gauge of its own: 25 % × 100 + 10 % × 100 = 35 to the préfet, 65 to the bailleur
    assert list(g.index) == ["PREF-51", "BAILLEUR"]
    assert g.loc["PREF-51", "du"] == pytest.approx(35.0)
    assert g.loc["BAILLEUR", "du"] == pytest.approx(65.0)
    # its two orientations of the year came after the reprise: the check says so
    assert run_checks(reprise).set_index("code").loc["orientation_apres_reprise",
                                                     "nombre"] == 2


def test_orientation_after_the_reprise_stays_the_communes_and_is_warned(reprise):
    insert(reprise, "orientation", [orientation("O060", "B060", "VILLE", D(2025, 9, 1),
                                                "ORIENTE")])
    g = jauges_reservataires(reprise, ANNEE_CLOSE).set_index("reservataire_id")
    assert g.loc["VILLE", "orientes"] == 3 and g.loc["PREF-51", "du"] == pytest.approx(31.0)
    rep = run_checks(reprise).set_index("code")
    assert rep.loc["orientation_apres_reprise", "nombre"] == 1
    assert rep.loc["orientation_apres_reprise", "exemples"] == "O060 (VILLE, 01/09/2025)"


def test_reprise_without_prefet_is_an_error(reprise):
    with reprise.transaction() as cur:
        cur.execute("delete from convention where reservataire_id = 'PREF-51'")
        cur.execute("delete from reservataire where reservataire_id = 'PREF-51'")
    rep = run_checks(reprise).set_index("code")
    assert rep.loc["reprise_sans_prefet", "niveau"] == "ERREUR"
    assert rep.loc["reprise_sans_prefet", "exemples"] == "VILLE (C-VILLE, département 51)"


# == a convention on part of the year ==========================================================
@pytest.fixture
def annee_partielle(empty_db):
    """365 dwellings, each vacated once a year in 2023, 2024 and 2025 (rotation 100 %): the
    forecast flux of 2026 is 365. Préfet 25 % all year; Action Logement 20 % from 01/04/2026
    to 31/12/2026. In 2026: 10 dwellings vacated in February–March, 20 in April–June."""
    db = empty_db
    insert(db, "residence", [residence("R1", REIMS, EPCI_REIMS, "51")])
    insert(db, "logement", [logement(f"L{i:03d}", "R1") for i in range(365)])
    insert(db, "reservataire", [
        _reservataire("PREF-51", "Préfet de la Marne", "PREFET", "51"),
        _reservataire("AL", "Action Logement Services", "ACTION_LOGEMENT", "national")])
    insert(db, "convention", [
        _convention("C-PREF", "PREF-51", 25.0),
        _convention("C-AL", "AL", 20.0, debut=2026, fin=2026, date_debut=D(2026, 4, 1),
                    date_fin=D(2026, 12, 31))])
    libs = [liberation(f"H{y}-{i:03d}", f"L{i:03d}", D(y, 1, 1) + timedelta(days=i))
            for y in (2023, 2024, 2025) for i in range(365)]
    libs += [liberation(f"B{i:02d}", f"L{i:03d}", d) for i, d in enumerate(
        _days(D(2026, 2, 1), 10, 5) + _days(D(2026, 4, 1), 20, 4))]
    insert(db, "liberation", libs)
    return db


def test_forecast_owed_is_prorated_to_the_days_of_the_convention():
    # 20 % × 365 × 275/365 = 55 ; 01/07–31/12/2026: 184 days of 365
    assert part_annee(D(2026, 4, 1), D(2026, 12, 31), 2026) == pytest.approx(275 / 365)
    assert droits_prevus(20.0, 365.0, D(2026, 4, 1), D(2026, 12, 31), 2026) == pytest.approx(55)
    assert part_annee(D(2024, 1, 1), D(2024, 6, 30), 2024) == pytest.approx(182 / 366)
    assert part_annee(D(2027, 1, 1), D(2027, 6, 30), 2026) == 0.0


def test_gauge_of_a_convention_on_part_of_the_year(annee_partielle):
    p = Perimetre(2026, aujourdhui=D(2026, 6, 30))
    c = jauges_conventions(annee_partielle, p).set_index("reservataire_id")
    assert c.loc["AL", "flux_net_prevu"] == pytest.approx(365.0)
    # forecast: 20 % × 365 × 275/365 = 55 ; owed to date: 20 % × the 20 vacated since 01/04
    assert c.loc["AL", "droits_annuels"] == pytest.approx(55.0)
    assert (c.loc["AL", "entres"], c.loc["AL", "du"]) == (20, pytest.approx(4.0))
    # the préfet's whole year: 25 % × 365 = 91,25 ; owed 25 % × 30 = 7,5
    assert c.loc["PREF-51", "droits_annuels"] == pytest.approx(91.25)
    assert c.loc["PREF-51", "du"] == pytest.approx(7.5)
    g = jauges_reservataires(annee_partielle, p).set_index("reservataire_id")
    assert g.loc["BAILLEUR", "droits_annuels"] == pytest.approx(365 - 91.25 - 55)
    assert g.loc["BAILLEUR", "du"] == pytest.approx(30 - 7.5 - 4)
    assert remarques_conventions(annee_partielle, p)["remarque"].tolist() == [
        f"convention du 01/04/2026 au 31/12/2026 : 75{NNBSP}% de l'année"]
    # the assiette's droits follow the same proration
    a = conventions_en_vigueur(annee_partielle, "51", 2026).set_index("reservataire_id")
    assert a.loc["AL", "part_annee"] == pytest.approx(275 / 365)


def test_a_convention_of_the_second_half_is_half_of_the_year(annee_partielle):
    with annee_partielle.transaction() as cur:
        cur.execute("update convention set date_debut = date '2026-07-01' "
                    "where convention_id = 'C-AL'")
    p = Perimetre(2026, aujourdhui=D(2026, 6, 30))
    assert remarques_conventions(annee_partielle, p)["remarque"].tolist() == [
        f"convention du 01/07/2026 au 31/12/2026 : 50{NNBSP}% de l'année"]
    c = jauges_conventions(annee_partielle, p).set_index("reservataire_id")
    assert (c.loc["AL", "entres"], c.loc["AL", "du"]) == (0, 0.0)
    assert c.loc["AL", "droits_annuels"] == pytest.approx(0.2 * 184)


# == loan guarantee ===========================================================================
def test_guarantee_end_is_loan_end_plus_setting():
    assert fin_garantie(D(2019, 6, 30), 5) == D(2024, 6, 30)
    assert fin_garantie(D(2020, 2, 29), 1) == D(2021, 2, 28)


def test_guaranteed_convention_owes_nothing_after_its_end(reprise):
    insert(reprise, "reservataire", [_reservataire("CD-51", "Département de la Marne",
                                                   "DEPARTEMENT", "51")])
    insert(reprise, "convention", [_convention("C-CD", "CD-51", 5.0, debut=2020, fin=2030,
                                               garantie=True, fin_pret=D(2019, 6, 30))])
    # loan ended 30/06/2019 + 5 years → last day 30/06/2024: nothing in 2025
    assert "CD-51" not in set(conventions_en_vigueur(reprise, "51", 2025)["reservataire_id"])
    c24 = conventions_en_vigueur(reprise, "51", 2024).set_index("reservataire_id")
    assert pd.Timestamp(c24.loc["CD-51", "fin"]).date() == D(2024, 6, 30)
    assert c24.loc["CD-51", "part_annee"] == pytest.approx(182 / 366)
    assert "CD-51" not in set(jauges_reservataires(reprise, ANNEE_CLOSE)["reservataire_id"])
    # the setting garantie_duree_apres_pret_ans is read: 7 years → in force until 30/06/2026
    set_parametre(reprise, "garantie_duree_apres_pret_ans", 7, "test")
    g = jauges_reservataires(reprise, ANNEE_CLOSE).set_index("reservataire_id")
    assert g.loc["CD-51", "du"] == pytest.approx(5.0)


# == one convention per réservataire × département ===========================================
def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


RESERVATAIRES = ("reservataire_id;nom;type;territoire\nAL;Action Logement Services;"
                 "ACTION_LOGEMENT;national\nVILLE;Ville de Reims;COMMUNE;51454\n"
                 "VILLE-X;Ville sans territoire;COMMUNE;\n")
DOUBLON = ("convention_id;reservataire_id;departement;annee_debut;annee_fin;taux_flux;"
           "date_signature\nCONV-AL-51;AL;51;2024;2028;30;15/01/2024\n"
           "CONV-AL-51-BIS;AL;51;2026;2030;5;01/03/2026\n")


def test_second_convention_of_action_logement_is_refused(empty_db, tmp_path):
    files = [_write(tmp_path / "reservataires.csv", RESERVATAIRES),
             _write(tmp_path / "conventions.csv", DOUBLON)]
    result = import_paths(empty_db, files)
    assert not result.ok and empty_db.scalar("select count(*) from convention") == 0
    found = result.problems.frame()
    found = found[found["colonne"] == "convention_id"]
    assert found[["ligne", "valeur", "probleme"]].to_dict("records") == [
        {"ligne": 2, "valeur": "CONV-AL-51", "probleme": (
            "le réservataire AL a déjà une convention dans le département 51 sur la même "
            "période : CONV-AL-51-BIS (ligne 3 de ce fichier), en vigueur du 01/01/2026 au "
            "31/12/2030 ; les deux se chevauchent du 01/01/2026 au 31/12/2028. Une seule "
            "convention par bailleur, réservataire et département (R441-5) : terminez l'une "
            "(date_fin) avant le début de l'autre")},
        {"ligne": 3, "valeur": "CONV-AL-51-BIS", "probleme": (
            "le réservataire AL a déjà une convention dans le département 51 sur la même "
            "période : CONV-AL-51 (ligne 2 de ce fichier), en vigueur du 01/01/2024 au "
            "31/12/2028 ; les deux se chevauchent du 01/01/2026 au 31/12/2028. Une seule "
            "convention par bailleur, réservataire et département (R441-5) : terminez l'une "
            "(date_fin) avant le début de l'autre")}]


def test_second_convention_against_the_base_and_a_follow_on_one(empty_db, tmp_path):
    first = DOUBLON.rsplit("CONV-AL-51-BIS", 1)[0]
    assert import_paths(empty_db, [_write(tmp_path / "reservataires.csv", RESERVATAIRES),
                                   _write(tmp_path / "conventions.csv", first)]).ok
    second = _write(tmp_path / "avenant.csv", DOUBLON.split("\n")[0] + "\n"
                    + DOUBLON.split("\n")[2] + "\n")
    result = import_paths(empty_db, [second])
    assert not result.ok
    assert "CONV-AL-51 (hors de ce fichier)" in result.problems.frame()["probleme"].iloc[0]
    # the old one ending the day before the new one starts: accepted
    suite = _write(tmp_path / "suite.csv", (
        "convention_id;reservataire_id;departement;taux_flux;date_debut;date_fin;"
        "date_signature\nCONV-AL-51;AL;51;30;01/01/2024;31/12/2025;15/01/2024\n"
        "CONV-AL-51-BIS;AL;51;5;01/01/2026;31/12/2030;01/03/2026\n"))
    result = import_paths(empty_db, [suite])
    assert result.ok, result.problems.text()
    years = empty_db.df("select convention_id, annee_debut, annee_fin from convention "
                        "order by 1").values.tolist()
    assert years == [["CONV-AL-51", 2024, 2025], ["CONV-AL-51-BIS", 2026, 2030]]


def test_overlap_already_in_a_base_is_an_error_and_the_latest_applies(reprise):
    insert(reprise, "reservataire", [_reservataire("AL", "Action Logement", "ACTION_LOGEMENT",
                                                   "national")])
    insert(reprise, "convention", [
        _convention("CONV-AL-51", "AL", 30.0, signature=D(2024, 1, 15)),
        _convention("CONV-AL-51-BIS", "AL", 5.0, debut=2025, fin=2030,
                    signature=D(2025, 3, 1))])
    rep = run_checks(reprise).set_index("code")
    assert rep.loc["convention_chevauchement", "niveau"] == "ERREUR"
    assert rep.loc["convention_chevauchement", "exemples"] == (
        "CONV-AL-51 et CONV-AL-51-BIS (AL, département 51, du 01/01/2025 au 31/12/2028)")
    # never 35 %: in 2025 the one signed last applies
    g = jauges_reservataires(reprise, ANNEE_CLOSE).set_index("reservataire_id")
    assert g.loc["AL", "du"] == pytest.approx(5.0)
    c24 = conventions_en_vigueur(reprise, "51", 2024).set_index("reservataire_id")
    assert c24.loc["AL", "taux_flux"] == 30.0
    assert pd.Timestamp(c24.loc["AL", "fin_convention"]).date() == D(2024, 12, 31)
    assert c24.loc["AL", "remplacee_par"] == "CONV-AL-51-BIS"


# == communes and EPCI sign for their own territory ===========================================
def test_commune_convention_without_perimeter_nor_territory_is_refused(empty_db, tmp_path):
    conv = _write(tmp_path / "conventions.csv", (
        "convention_id;reservataire_id;departement;annee_debut;annee_fin;taux_flux\n"
        "CONV-X;VILLE-X;51;2025;2027;8\n"))
    result = import_paths(empty_db, [_write(tmp_path / "reservataires.csv", RESERVATAIRES),
                                     conv])
    assert not result.ok
    p = result.problems.frame()
    assert p[["ligne", "colonne", "probleme"]].to_dict("records") == [
        {"ligne": 2, "colonne": "perimetre", "probleme": (
            "convention d'une commune ou d'un EPCI sans périmètre : une collectivité ne signe "
            "que pour son territoire (R441-5) ; renseignez perimetre (code INSEE de la "
            "commune, SIREN de l'EPCI) ou le territoire du réservataire")}]


def test_commune_convention_takes_the_territory_and_stays_inside_it(empty_db, tmp_path):
    res = _write(tmp_path / "reservataires.csv", RESERVATAIRES)
    ok = _write(tmp_path / "conventions.csv", (
        "convention_id;reservataire_id;departement;annee_debut;annee_fin;taux_flux\n"
        "CONV-V;VILLE;51;2025;2027;8\n"))
    assert import_paths(empty_db, [res, ok]).ok
    assert empty_db.scalar("select perimetre from convention") == REIMS
    again = import_paths(empty_db, [ok])          # idempotent: the derived value is kept
    assert again.ok and again.counts["modifies"].sum() == 0
    ailleurs = _write(tmp_path / "ailleurs.csv", (
        "convention_id;reservataire_id;departement;perimetre;annee_debut;annee_fin;taux_flux\n"
        "CONV-V;VILLE;51;51108;2025;2027;8\n"))
    result = import_paths(empty_db, [ailleurs])
    assert not result.ok
    assert result.problems.frame()[["colonne", "valeur", "probleme"]].to_dict("records") == [
        {"colonne": "perimetre", "valeur": "51108", "probleme": (
            "périmètre hors du territoire du réservataire : une commune ou un EPCI ne signe "
            "que pour son territoire (R441-5), le périmètre doit être son territoire")}]


def test_check_and_gauges_for_commune_conventions_in_a_base(reprise):
    insert(reprise, "reservataire", [_reservataire("VILLE-X", "Ville X", "COMMUNE", None)])
    insert(reprise, "convention", [_convention("C-X", "VILLE-X", 8.0)])
    rep = run_checks(reprise).set_index("code")
    assert (rep.loc["convention_sans_perimetre", "nombre"],
            rep.loc["convention_sans_perimetre", "niveau"]) == (1, "ERREUR")
    # it covers nothing: never 8 % of the whole département
    assert "VILLE-X" not in set(jauges_reservataires(reprise, ANNEE_CLOSE)["reservataire_id"])
    # a commune convention stored without perimetre covers the commune's territory only
    with reprise.transaction() as cur:
        cur.execute("update convention set perimetre = null where convention_id = 'C-VILLE'")
    c = jauges_conventions(reprise, ANNEE_CLOSE).set_index("convention_id")
    assert c.loc["C-VILLE", "perimetre"] == REIMS
    assert run_checks(reprise).set_index("code").loc["convention_sans_perimetre",
                                                     "nombre"] == 1


# == dates at import ==========================================================================
def test_years_come_from_the_dates_and_must_agree(empty_db, tmp_path):
    res = _write(tmp_path / "reservataires.csv", RESERVATAIRES)
    conv = _write(tmp_path / "conventions.csv", (
        "convention_id;reservataire_id;departement;taux_flux;date_debut;date_fin\n"
        "CONV-AL;AL;51;20;01/04/2026;31/03/2029\n"))
    assert import_paths(empty_db, [res, conv]).ok
    assert empty_db.df("select annee_debut, annee_fin from convention").values.tolist() == [
        [2026, 2029]]
    faux = _write(tmp_path / "faux.csv", (
        "convention_id;reservataire_id;departement;annee_debut;annee_fin;taux_flux;"
        "date_debut;date_fin\nCONV-AL;AL;51;2025;2029;20;01/04/2026;31/03/2029\n"))
    p = import_paths(empty_db, [faux]).problems.frame()
    assert p[["ligne", "colonne", "probleme"]].to_dict("records") == [
        {"ligne": 2, "colonne": "annee_debut",
         "probleme": "année de début différente de l'année de date_debut"}]
    inverse = _write(tmp_path / "inverse.csv", (
        "convention_id;reservataire_id;departement;taux_flux;date_debut;date_fin\n"
        "CONV-AL;AL;51;20;01/04/2026;31/03/2026\n"))
    p = import_paths(empty_db, [inverse]).problems.frame()
    assert p[["colonne", "probleme"]].to_dict("records") == [
        {"colonne": "date_fin",
         "probleme": "date de fin de la convention antérieure à sa date de début"}]
    sans = _write(tmp_path / "sans.csv", (
        "convention_id;reservataire_id;departement;taux_flux\nCONV-NEW;AL;51;20\n"))
    p = import_paths(empty_db, [sans]).problems.frame()
    assert "annee_debut, annee_fin" in p["colonne"].iloc[0]


def test_sum_of_rates_is_taken_day_by_day(reprise):
    # préfet 25 % + commune 10 % ; AL 60 % until 30/06/2025, an employer 50 % from 01/07/2025:
    # 95 % then 85 %, never above 100 % on one day
    insert(reprise, "reservataire", [
        _reservataire("AL", "Action Logement", "ACTION_LOGEMENT", "national"),
        _reservataire("EMP", "Employeur", "EMPLOYEUR", "51")])
    insert(reprise, "convention", [
        _convention("C-AL", "AL", 60.0, date_fin=D(2025, 6, 30), fin=2025),
        _convention("C-EMP", "EMP", 50.0, debut=2025, date_debut=D(2025, 7, 1))])
    assert run_checks(reprise).set_index("code").loc["taux_somme", "nombre"] == 0
    # starting on 01/06 instead: in June 25 + 10 + 60 + 50 = 145 %
    with reprise.transaction() as cur:
        cur.execute("update convention set date_debut = date '2025-06-01' "
                    "where convention_id = 'C-EMP'")
    rep = run_checks(reprise).set_index("code")
    assert rep.loc["taux_somme", "exemples"] == f"{REIMS} en 2025 : 145,0 %"


def test_reprise_of_an_earlier_year_says_its_date(reprise):
    # 2026 forecast: 100 vacated over 3 observed years of 100 dwellings → 33,3 ; 10 % → 3,3
    g = remarques_conventions(reprise, Perimetre(2026, aujourdhui=D(2026, 1, 10)))
    assert g["remarque"].tolist() == [
        "dont droits repris de Ville de Reims (reprise du 01/07/2025) : 10,0\u202f% du flux de "
        "son périmètre depuis le 01/01/2026 (0,0 dû à date, 3,3 sur l'année)"]
