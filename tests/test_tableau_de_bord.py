"""Tableau de bord figures on a hand-built year with known counts."""

from __future__ import annotations

from datetime import date

import pytest

from fluxcore import tableau_de_bord as tdb
from fluxcore.perimetre import Perimetre

TODAY = date(2026, 11, 23)
P2026 = Perimetre(2026, aujourdhui=TODAY)


def test_key_figures(small_db):
    assert tdb.chiffres_cles(small_db, P2026) == {
        "logements": 6, "logements_flux": 5, "liberations": 5, "liberations_n1": 1,
        "orientations": 3, "orientations_reservataires": 1, "orientations_internes": 1,
        "orientations_bailleur": 1, "rendus_bailleur": 0, "decisions_caleol": 4,
        "baux_signes": 3}


def test_key_figures_by_territory(small_db):
    aube = tdb.chiffres_cles(small_db, Perimetre(2026, departement="10", aujourdhui=TODAY))
    assert (aube["logements"], aube["liberations"], aube["orientations"]) == (2, 1, 0)
    reims = tdb.chiffres_cles(small_db, Perimetre(2026, epci_siren="200067213",
                                                  aujourdhui=TODAY))
    assert (reims["logements"], reims["liberations"], reims["orientations"]) == (4, 4, 3)


def test_past_year_is_seen_whole(small_db):
    y2025 = tdb.chiffres_cles(small_db, Perimetre(2025, aujourdhui=TODAY))
    assert (y2025["liberations"], y2025["orientations"], y2025["baux_signes"]) == (1, 1, 1)


def test_orientations_by_category(small_db):
    df = tdb.orientations_par_categorie(small_db, P2026)
    got = {r.categorie: (r.orientations, r.attribuees, r.en_cours) for r in df.itertuples()}
    assert got == {"Préfet (publics prioritaires)": (1, 1, 0), "Mutations internes": (1, 1, 0),
                   "Bailleur (non réservé)": (1, 0, 1)}


def test_monthly_flux_stops_at_reference_date(small_db):
    df = tdb.flux_mensuel(small_db, P2026)
    assert df["mois"].tolist() == list(range(1, 12))
    assert df.loc[df["mois"] <= 3, ["liberations", "orientations", "baux_signes"]].to_numpy(
        ).tolist() == [[1, 1, 0], [1, 1, 1], [1, 1, 1]]
    assert df.loc[df["mois"] == 11, "liberations"].item() == 1
    assert df["libelle_mois"].iloc[1] == "févr."


def test_waiting_dwellings(small_db):
    v = tdb.vacants_en_attente(small_db, P2026)
    assert v["logement_id"].tolist() == ["L5"]
    assert v["jours_attente"].tolist() == [22]
    assert v["commune"].tolist() == ["Troyes"]
    bands = tdb.vacants_par_anciennete(v)
    assert bands["logements"].tolist() == [0, 1, 0, 0]


@pytest.mark.parametrize(("today", "due", "jours", "alerte", "annee"), [
    (date(2026, 11, 23), date(2027, 2, 28), 97, False, 2026),
    (date(2027, 1, 31), date(2027, 2, 28), 28, False, 2026),
    (date(2027, 2, 1), date(2027, 2, 28), 27, True, 2026),
    (date(2027, 2, 28), date(2027, 2, 28), 0, True, 2026),
    (date(2027, 3, 1), date(2028, 2, 28), 364, False, 2027)])
def test_bilan_deadline(today, due, jours, alerte, annee):
    e = tdb.echeance_bilan(today)
    assert (e.echeance, e.jours_restants, e.alerte, e.annee_bilan) == (due, jours, alerte, annee)


def test_years_and_territories(small_db):
    assert tdb.annees_disponibles(small_db) == [2026, 2025]
    t = tdb.territoires(small_db)
    deps = t[t["niveau"] == "departement"].set_index("code")
    assert deps.loc["51", "nom"] == "Marne" and deps.loc["51", "logements"] == 4
    assert deps.loc["10", "nom"] == "Aube" and deps.loc["10", "logements"] == 2
