"""Sidebar search and deep-link lookups (fluxcore.recherche) on a hand-built database."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from fluxcore import recherche
from fluxcore.acces import AccesRefuseError, Utilisateur
from fluxcore.recherche import RechercheError, rechercher
from tests.factory import insert, liberation, logement, residence

T = date(2026, 11, 23)


def dem(did, commune, typ, statut="ACTIVE"):
    return {"demande_id": did, "date_depot": date(2025, 1, 1), "commune_souhaitee": commune,
            "typologie_souhaitee": typ, "taille_menage": 2, "ressources_uc": 9000.0,
            "criteres": [], "statut": statut, "date_radiation": None, "motif_radiation": None,
            "nb_refus": 0, "salarie": False, "agent_public": False}


@pytest.fixture
def db(small_db):
    """small_year (R1, R2 in Reims, R3 in Troyes; B5 of L5 awaits its orientation, B3 of L3
    is at the CALEOL) + Les Tilleuls in Épernay (L8 vacated, L7 under notice, L9 never
    vacated), Clos Saint-Éloi in Reims, three demandes."""
    r4 = residence("R4", "51230", "200067684", "51") | {"nom": "Les Tilleuls",
                                                         "adresse": "12 rue de l'Église"}
    r5 = residence("R5", "51454", "200067213", "51") | {"nom": "Clos Saint-Éloi",
                                                         "adresse": "3 avenue de Champagne"}
    insert(small_db, "residence", [r4, r5])
    insert(small_db, "logement", [logement("L7", "R4", "T2"), logement("L8", "R4", "T3"),
                                  logement("L9", "R4", "T4")])
    insert(small_db, "liberation", [liberation("B7", "L7", date(2026, 12, 15)),
                                    liberation("B8", "L8", date(2026, 10, 1))])
    insert(small_db, "demande", [dem("DEM001", "51230", "T3"), dem("DEM0010", "51454", "T2",
                                                                    "RADIEE"),
                                 dem("DEM002", None, None, "ATTRIBUEE")])
    return small_db


def rows(df) -> list[tuple]:
    return list(df.itertuples(index=False, name=None))


def test_words_ignore_accents_and_case_and_bring_the_open_dwellings(db):
    assert rows(rechercher(db, "EPERNAY", aujourdhui=T)) == [
        ("Résidence", "R4", "Les Tilleuls · 12 rue de l'Église, Épernay · 3 logements",
         "/residences?residence=R4"),
        # L7 (notice) and L9 (never vacated) are not being oriented: found by their id only
        ("Logement", "L8", "T3 · Les Tilleuls, Épernay · libéré le 01/10/2026 (B8), à orienter",
         "/orientation?liberation=B8")]


def test_every_word_must_appear_in_name_address_or_commune(db):
    assert rechercher(db, "eglise RUE", aujourdhui=T)["identifiant"].tolist() == ["R4", "L8"]
    assert rechercher(db, "saint eloi champagne", aujourdhui=T)["identifiant"].tolist() == [
        "R5"]
    assert rechercher(db, "rue eglise reims", aujourdhui=T).empty


def test_commune_named_exactly_comes_first(db):
    # « reims »: R1, R2, R5 are in Reims, by name; L3 (at the CALEOL) follows its résidence R2
    found = rechercher(db, "reims", aujourdhui=T)
    assert found["identifiant"].tolist() == ["R5", "R1", "R2", "L3"]
    assert found["libelle"].iloc[1] == "Résidence R1 · Reims · 2 logements"


def test_identifier_prefix_typed_in_full_first(db):
    found = rechercher(db, "dem001", aujourdhui=T)
    assert rows(found) == [
        ("Demande", "DEM001", "T3 à Épernay · active", "/cotation?demande=DEM001"),
        ("Demande", "DEM0010", "T2 à Reims · radiée", "/cotation?demande=DEM0010")]
    assert rows(rechercher(db, "DEM002", aujourdhui=T)) == [
        ("Demande", "DEM002", "Typologie non précisée · satisfaite (logement attribué)",
         "/cotation?demande=DEM002")]


def test_dwellings_by_their_id_or_a_liberation_link_where_they_stand(db):
    assert rows(rechercher(db, "b5", aujourdhui=T)) == [
        ("Logement", "L5", "T3 · Résidence R3, Troyes · libéré le 01/11/2026 (B5), à orienter",
         "/orientation?liberation=B5")]
    assert rows(rechercher(db, "L3", aujourdhui=T)) == [
        ("Logement", "L3", "T4 · Résidence R2, Reims · libéré le 20/03/2026 (B3), orienté vers "
         "Bailleur (non réservé) : passé en CALEOL", "/suivi?liberation=B3")]
    assert rows(rechercher(db, "l7", aujourdhui=T))[0][2:] == (
        "T2 · Les Tilleuls, Épernay · libération B7 prévue le 15/12/2026",
        "/orientation?liberation=B7")
    assert rows(rechercher(db, "L9", aujourdhui=T))[0][2:] == (
        "T4 · Les Tilleuls, Épernay · jamais libéré", "/residences?residence=R4")


def test_limits(db):
    assert rechercher(db, "l", limite=3, aujourdhui=T)["identifiant"].tolist() == [
        "L1", "L2", "L3"]
    # L1…L9 by their id, then by words R4 (Épernay) and R5 (Reims); L8, found by its id, once
    assert rechercher(db, "l", aujourdhui=T)["identifiant"].tolist()[7:] == ["L8", "L9", "R4",
                                                                             "R5"]
    assert list(rechercher(db, "dem", limite=0).columns) == ["type", "identifiant", "libelle",
                                                            "lien"]
    assert rechercher(db, "dem", limite=0).empty and rechercher(db, "   ").empty
    with pytest.raises(RechercheError, match="entier positif"):
        rechercher(db, "dem", limite=-1)


@pytest.mark.parametrize("texte", ["'; drop table demande; --", "%", "_", "dem%",
                                   "\") or 1=1 --", "R4' or '1'='1", "$texte", "{{ x }}"])
def test_sql_looking_input_is_only_text(db, texte):
    assert rechercher(db, texte, aujourdhui=T).empty
    assert db.scalar("select count(*) from demande") == 3


def test_deep_link_lookups(db):
    assert recherche.existe(db, "residence", "R4") and not recherche.existe(db, "residence",
                                                                            "r4")
    assert recherche.existe(db, "demande", "DEM002")
    assert not recherche.existe(db, "liberation", "' or 1=1 --")
    with pytest.raises(RechercheError):
        recherche.existe(db, "logement; drop table x", "L1")
    e = recherche.etat_liberation(db, "B3", T)
    assert (e["etat"], e["lien"], e["situation"]) == (
        "orientee", "/suivi?liberation=B3",
        "libéré le 20/03/2026 (B3), orienté vers Bailleur (non réservé) : passé en CALEOL")
    assert recherche.etat_liberation(db, "B5", T)["lien"] == "/orientation?liberation=B5"
    assert recherche.etat_liberation(db, "B7", T)["etat"] == "preavis"
    assert recherche.etat_liberation(db, "ZZZ", T) is None


def test_a_reservataire_account_is_refused(db):
    al = db.pour(Utilisateur("al", "AL", "reservataire", "AL"))
    for call in (lambda: rechercher(al, "R"), lambda: recherche.existe(al, "demande", "DEM001"),
                 lambda: recherche.etat_liberation(al, "B5")):
        with pytest.raises(AccesRefuseError, match="ne voit que ses propres"):
            call()
    lecteur = db.pour(Utilisateur("lea", "Léa", "lecteur"))
    assert len(rechercher(lecteur, "L", aujourdhui=T)) == 11


def test_labels_agree_with_their_counts_and_places(db):
    # R5 has no dwelling yet: « 0 logement », singular as in French
    assert rows(rechercher(db, "saint eloi", aujourdhui=T))[0][2] == (
        "Clos Saint-Éloi · 3 avenue de Champagne, Reims · 0 logement")
    insert(db, "logement", [logement("L10", "R5", "T2")])
    assert rows(rechercher(db, "saint eloi", aujourdhui=T))[0][2].endswith(" · 1 logement")
    big = SimpleNamespace(type="residence", residence="Les Cèdres", adresse=None,
                          commune="Reims", logements=1234)
    assert recherche.libelle(big) == "Les Cèdres · Reims · 1\u202f234 logements"
    # « à » contracts with the commune's article
    for commune, lieu in (("Le Havre", "T3 au Havre"), ("Les Mureaux", "T3 aux Mureaux"),
                          ("Épernay", "T3 à Épernay")):
        r = SimpleNamespace(type="demande", statut="ACTIVE", commune=commune, typologie="T3")
        assert recherche.libelle(r) == f"{lieu} · active"
