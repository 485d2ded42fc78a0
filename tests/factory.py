"""Small databases built by code, with known figures, for exact-value tests."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from fluxcore.db import Database

D = date
OLD = date(1970, 6, 1)


def copie(modele: Path, chemin: Path) -> Iterator[Database]:
    """A Database on a fresh copy of a template file (for fixtures: yields, then closes).
    Copying a file made once per session is much faster than migrating or importing again."""
    shutil.copyfile(modele, chemin)
    db = Database(chemin)
    yield db
    db.close()


def insert(db: Database, table: str, rows: list[dict]) -> None:
    """Insert rows (dicts with the same keys) into a table, in one transaction."""
    if not rows:
        return
    cols = list(rows[0])
    sql = (f"insert into {table} ({', '.join(cols)}) "
           f"values ({', '.join('?' for _ in cols)})")
    with db.transaction() as cur:
        cur.executemany(sql, [[r[c] for c in cols] for r in rows])


def residence(rid, commune, epci, dep, qpv=None, **kw):
    return {"residence_id": rid, "nom": f"Résidence {rid}", "adresse": None,
            "commune_insee": commune, "epci_siren": epci, "departement": dep, "qpv_code": qpv,
            "en_qpv": qpv is not None, "latitude": kw.get("lat", 49.25),
            "longitude": kw.get("lon", 4.03), "annee_construction": kw.get("annee", 1970)}


def logement(lid, rid, typ="T3", fin="PLUS", hors_flux=None, mes=OLD):
    return {"logement_id": lid, "residence_id": rid, "typologie": typ,
            "nb_pieces": int(typ[1]), "surface_m2": 60.0, "financement": fin,
            "loyer_mensuel": 350.0, "etage": 1, "ascenseur": False, "accessible_pmr": False,
            "date_mise_en_service": mes, "hors_flux_motif": hors_flux}


def liberation(bid, lid, d, conge=None):
    return {"liberation_id": bid, "logement_id": lid, "date_conge": conge,
            "date_liberation": d, "motif": "DEPART"}


def orientation(oid, bid, dest, d, statut):
    return {"orientation_id": oid, "liberation_id": bid, "destinataire": dest,
            "date_orientation": d, "statut": statut, "decided_by": "test",
            "justification": None}


def attribution(aid, oid, lid, caleol, bail, **kw):
    return {"attribution_id": aid, "orientation_id": oid, "logement_id": lid,
            "date_caleol": caleol, "date_bail": bail, "menage_id": f"M{aid}",
            "taille_menage": kw.get("taille", 2), "ressources_uc": kw.get("ress", 12000.0),
            "quartile": kw.get("quartile"), "prioritaire": kw.get("prioritaire", False),
            "dalo": kw.get("dalo", False), "mutation_interne": kw.get("mutation", False),
            "relogement": kw.get("relogement"), "salarie": kw.get("salarie", False)}


def small_year(db: Database) -> Database:
    """Six dwellings in Reims (one in QPV Croix-Rouge, one hors flux) and Troyes.

    2026 as of 23/11/2026: 5 libérations (one hors flux, one still awaiting orientation),
    3 flux orientations (préfet, mutation, bailleur), 3 leases signed; one 2025 libération.
    """
    insert(db, "residence", [
        residence("R1", "51454", "200067213", "51", qpv="QN05103M"),
        residence("R2", "51454", "200067213", "51"),
        residence("R3", "10387", "200069250", "10", lat=48.29, lon=4.07)])
    insert(db, "logement", [
        logement("L1", "R1", "T3"), logement("L2", "R1", "T2"), logement("L3", "R2", "T4"),
        logement("L4", "R2", "T1", hors_flux="DEFENSE"), logement("L5", "R3", "T3"),
        logement("L6", "R3", "T5")])
    insert(db, "reservataire", [
        {"reservataire_id": "PREF-51", "nom": "Préfet de la Marne", "type": "PREFET",
         "territoire": "51", "repris_par_prefet": False},
        {"reservataire_id": "AL", "nom": "Action Logement Services", "type": "ACTION_LOGEMENT",
         "territoire": "national", "repris_par_prefet": False}])
    insert(db, "liberation", [
        liberation("B1", "L1", D(2026, 1, 10)), liberation("B2", "L2", D(2026, 2, 15)),
        liberation("B3", "L3", D(2026, 3, 20)), liberation("B4", "L4", D(2026, 3, 1)),
        liberation("B5", "L5", D(2026, 11, 1)), liberation("B6", "L6", D(2025, 3, 1))])
    insert(db, "orientation", [
        orientation("O1", "B1", "PREF-51", D(2026, 1, 5), "ATTRIBUE"),
        orientation("O2", "B2", "MUTATION", D(2026, 2, 10), "ATTRIBUE"),
        orientation("O3", "B3", "BAILLEUR", D(2026, 3, 15), "CALEOL"),
        orientation("O4", "B4", "BAILLEUR", D(2026, 2, 20), "ATTRIBUE"),
        orientation("O6", "B6", "AL", D(2025, 2, 20), "ATTRIBUE")])
    insert(db, "attribution", [
        attribution("A1", "O1", "L1", D(2026, 1, 20), D(2026, 2, 1), prioritaire=True),
        attribution("A2", "O2", "L2", D(2026, 3, 1), D(2026, 3, 10), mutation=True),
        attribution("A3", "O3", "L3", D(2026, 4, 1), None),
        attribution("A4", "O4", "L4", D(2026, 3, 5), D(2026, 3, 15)),
        attribution("A6", "O6", "L6", D(2025, 3, 10), D(2025, 3, 20), salarie=True)])
    return db


def reservataire_row(rid, nom, typ, territoire, reprise=None, repris=False):
    """A réservataire row, possibly taken back by the préfet (repris_par_prefet) since `reprise`."""
    return {"reservataire_id": rid, "nom": nom, "type": typ, "territoire": territoire,
            "repris_par_prefet": repris, "date_reprise": reprise}


def convention_row(cid, rid, taux, perimetre=None, debut=2024, fin=2028, **kw):
    """A Marne convention row; dates, guarantee, loan end and signature through keywords."""
    return {"convention_id": cid, "reservataire_id": rid, "departement": "51",
            "perimetre": perimetre, "annee_debut": debut, "annee_fin": fin, "taux_flux": taux,
            "garantie_emprunt": kw.get("garantie", False),
            "date_signature": kw.get("signature", date(2023, 11, 15)),
            "date_debut": kw.get("date_debut"), "date_fin": kw.get("date_fin"),
            "fin_pret": kw.get("fin_pret")}
