"""Rapprochement SNE (fluxcore.sne, sql/sne/rapprochement.sql): a hand-built case whose every
line and every per-réservataire figure is computed by hand from the specification.

Patrimoine: Reims (51454, CU du Grand Reims 200067213), Épernay (51230, CA d'Épernay
200067684), Charleville-Mézières (08105, CA Ardenne Métropole 200041630). The landlord's SIREN
is 351234567 (setting sne_siren_bailleur); CIL Champagne, an employer, is charged to the
« autre contingent » (setting sne_contingent_par_reservataire). Year under review: 2026,
tolerance 30 days.

Each case is named by a tag (A1, B2…); `CAS` says its expected line. Dates and gaps:

- A1..A9 CONFORME: préfet (DALO on both sides, motif « Attribution »), numéro unique carried by
  the attribution (A2), CIL overridden to AUTRES (A3), RPLS id that lost its leading zero (A4:
  0800000001 / 800000001), internal product id whose logement.identifiant_rpls is given (A5),
  mutation (A6, « non réservé »), bailleur's own use with an empty contingent (A7, « non
  renseigné »), dwelling given back to the bailleur (A8, counted for Action Logement), agents
  de l'État (A9);
- B1 CONTINGENT_DIFFERENT: oriented to the préfet, the SNE charges COLLECTIVITES on a Reims
  dwelling covered by Reims' commune convention and the Grand Reims' EPCI one: Reims (the most
  local) is the réservataire « selon le SNE »; B2: the extract names « CU du Grand Reims »
  (a bailleur's dwelling); B3: AUTRES in the Ardennes where no « autre » réservataire has a
  convention: « SNE:AUTRES »;
- C1 ABSENTE_DU_SNE (the only radiation of that dwelling is another SIREN's: N);
- D1 SANS_ATTRIBUTION, E1 LOGEMENT_INCONNU (its commune, 51454, from the extract: réservataire
  by the conventions over Reims), F1 LOGEMENT_DIFFERENT (same numéro unique, RPLS id of another
  dwelling), G1 SANS_ORIENTATION, H1 DATES_ELOIGNEES (45 days), I1 AUTRE_ANNEE (lease
  30/12/2025, radiation 03/01/2026), J1 DALO_DIFFERENT, K1 BAIL_NON_DATE (CALEOL 05/11, 6 days);
- La/Lb: two leases of one dwelling (01/02 préfet, 01/03 Action Logement) and two radiations
  (Lx 25/02 EMPLOYEURS, Ly 20/03 ETAT_PRIORITAIRES). Gaps: La–Lx 24, La–Ly 47, Lb–Lx 4, Lb–Ly 19.
  Round 1 pairs the mutual nearest Lb–Lx (4, CONFORME); round 2 pairs La–Ly (47: DATES_ELOIGNEES);
- P1 RESERVATAIRE_DIFFERENT: oriented to Reims, the extract names « CU du Grand Reims » (same
  contingent, another réservataire);
- set aside: M (motif « Abandon », on A1's dwelling the day of its lease), N (SIREN 999888777);
  K2 (an attribution without lease nor radiation) is no line; O (2025) is outside 2026.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date

import openpyxl
import pandas as pd
import pytest

from fluxcore import sne
from fluxcore.parametres import get_parametres, set_parametre
from fluxcore.perimetre import Perimetre
from tests.factory import attribution, insert, liberation, orientation, residence

D = date
SIREN = "351234567"
AUTRE_SIREN = "999888777"
ANNEE = 2026

# -- the patrimoine --------------------------------------------------------------------------
REIMS, EPERNAY, CHARLEVILLE = "51454", "51230", "08105"
LOGEMENTS = {  # logement_id: (residence, identifiant_rpls)
    **{f"51000000{i:02d}": ("RA", None) for i in range(1, 17)},
    **{f"5100000{i}": ("RB", None) for i in range(101, 106)},
    "0800000001": ("RC", None), "0800000002": ("RC", None), "0800000003": ("RC", None),
    "CH-INT-7": ("RC", "0800000077"),
}


def _logement(lid: str) -> dict:
    rid, rpls = LOGEMENTS[lid]
    return {"logement_id": lid, "residence_id": rid, "typologie": "T3", "nb_pieces": 3,
            "surface_m2": 65.0, "financement": "PLUS", "loyer_mensuel": 380.0, "etage": 1,
            "ascenseur": False, "accessible_pmr": False, "date_mise_en_service": D(1975, 1, 1),
            "hors_flux_motif": None, "identifiant_rpls": rpls}


def _reservataire(rid, nom, typ, territoire):
    return {"reservataire_id": rid, "nom": nom, "type": typ, "territoire": territoire,
            "repris_par_prefet": False}


RESERVATAIRES = [
    _reservataire("PREF51", "Préfet de la Marne", "PREFET", "51"),
    _reservataire("PREF08", "Préfet des Ardennes", "PREFET", "08"),
    _reservataire("PREFF51", "Préfet de la Marne (agents de l'État)", "PREFET_FONCTIONNAIRES",
                  "51"),
    _reservataire("AL", "Action Logement Services", "ACTION_LOGEMENT", "national"),
    _reservataire("REIMS", "Ville de Reims", "COMMUNE", REIMS),
    _reservataire("EPERNAY", "Ville d'Épernay", "COMMUNE", EPERNAY),
    _reservataire("GRAND-REIMS", "CU du Grand Reims", "EPCI", "200067213"),
    _reservataire("ARDENNE", "CA Ardenne Métropole", "EPCI", "200041630"),
    _reservataire("CRC", "Caisse de retraite des cheminots", "AUTRE", "51"),
    _reservataire("CIL", "CIL Champagne", "EMPLOYEUR", "51"),
]


def _convention(rid, dep, perimetre=None):
    return {"convention_id": f"C-{rid}-{dep}", "reservataire_id": rid, "departement": dep,
            "perimetre": perimetre, "annee_debut": 2024, "annee_fin": 2028, "taux_flux": 10.0,
            "garantie_emprunt": False, "date_signature": D(2023, 11, 15)}


CONVENTIONS = [
    _convention("PREF51", "51"), _convention("PREF08", "08"), _convention("PREFF51", "51"),
    _convention("AL", "51"), _convention("AL", "08"), _convention("REIMS", "51", REIMS),
    _convention("EPERNAY", "51", EPERNAY), _convention("GRAND-REIMS", "51", "200067213"),
    _convention("ARDENNE", "08", "200041630"), _convention("CRC", "51"),
    _convention("CIL", "51"),
]

# tag: (logement, libération, destinataire (None: no orientation), statut of the orientation,
#       CALEOL, lease, DALO, numéro unique carried by the attribution)
ATTRIBUTIONS = {
    "A1": ("5100000001", D(2026, 1, 5), "PREF51", "ATTRIBUE", D(2026, 2, 1), D(2026, 2, 10),
           True, None),
    "A2": ("5100000101", D(2026, 1, 20), "EPERNAY", "ATTRIBUE", D(2026, 2, 20), D(2026, 3, 2),
           False, "NU-A2"),
    "A3": ("5100000003", D(2026, 2, 15), "CIL", "ATTRIBUE", D(2026, 3, 20), D(2026, 4, 1),
           False, None),
    "A4": ("0800000001", D(2026, 3, 10), "AL", "ATTRIBUE", D(2026, 5, 1), D(2026, 5, 10),
           False, None),
    "A5": ("CH-INT-7", D(2026, 4, 1), "PREF08", "ATTRIBUE", D(2026, 5, 20), D(2026, 6, 1),
           False, None),
    "A6": ("5100000004", D(2026, 3, 1), "MUTATION", "ATTRIBUE", D(2026, 4, 10), D(2026, 4, 20),
           False, None),
    "A7": ("5100000005", D(2026, 5, 1), "BAILLEUR", "ATTRIBUE", D(2026, 6, 20), D(2026, 7, 1),
           False, None),
    "A8": ("5100000102", D(2026, 5, 15), "AL", "RENDU_BAILLEUR", D(2026, 7, 20),
           D(2026, 8, 1), False, None),
    "A9": ("5100000103", D(2026, 6, 15), "PREFF51", "ATTRIBUE", D(2026, 8, 20), D(2026, 9, 1),
           False, None),
    "B1": ("5100000006", D(2026, 1, 15), "PREF51", "ATTRIBUE", D(2026, 3, 1), D(2026, 3, 10),
           False, None),
    "B2": ("5100000007", D(2026, 3, 15), "BAILLEUR", "ATTRIBUE", D(2026, 4, 25), D(2026, 5, 4),
           False, None),
    "B3": ("0800000002", D(2026, 8, 1), "PREF08", "ATTRIBUE", D(2026, 9, 20), D(2026, 10, 1),
           False, None),
    "C1": ("5100000008", D(2026, 4, 20), "AL", "ATTRIBUE", D(2026, 6, 5), D(2026, 6, 15),
           False, None),
    "F1": ("5100000010", D(2026, 7, 1), "PREF51", "ATTRIBUE", D(2026, 9, 5), D(2026, 9, 15),
           False, "NU-F1"),
    "G1": ("5100000104", D(2026, 8, 15), None, None, D(2026, 10, 1), D(2026, 10, 10),
           False, None),
    "H1": ("5100000012", D(2026, 1, 10), "AL", "ATTRIBUE", D(2026, 2, 20), D(2026, 3, 1),
           False, None),
    "I1": ("5100000013", D(2025, 10, 15), "PREF51", "ATTRIBUE", D(2025, 12, 10),
           D(2025, 12, 30), False, None),
    "J1": ("0800000003", D(2026, 2, 1), "PREF08", "ATTRIBUE", D(2026, 4, 1), D(2026, 4, 10),
           False, None),
    "K1": ("5100000105", D(2026, 9, 1), "CRC", "CALEOL", D(2026, 11, 5), None, False, None),
    "K2": ("5100000016", D(2026, 10, 1), "PREF51", "CALEOL", D(2026, 12, 1), None, False, None),
    "La": ("5100000014", D(2026, 1, 5), "PREF51", "ATTRIBUE", D(2026, 1, 25), D(2026, 2, 1),
           False, None),
    "Lb": ("5100000014", D(2026, 2, 15), "AL", "ATTRIBUE", D(2026, 2, 25), D(2026, 3, 1),
           False, None),
    "O": ("5100000015", D(2025, 3, 1), "PREF51", "ATTRIBUE", D(2025, 4, 20), D(2025, 5, 1),
          False, None),
    "P1": ("5100000002", D(2026, 6, 1), "REIMS", "ATTRIBUE", D(2026, 6, 20), D(2026, 7, 1),
           False, None),
}

# tag: (date, RPLS id, contingent, DALO, réservataire named, commune, SIREN, motif)
RADIATIONS = {
    "A1": (D(2026, 2, 12), "5100000001", "ETAT_PRIORITAIRES", True, None, None, SIREN,
           "Attribution d'un logement"),
    "A2": (D(2026, 3, 5), "5100000101", "COLLECTIVITES", None, None, None, None, None),
    "A3": (D(2026, 4, 3), "5100000003", "AUTRES", False, None, None, SIREN, None),
    "A4": (D(2026, 5, 15), "800000001", "EMPLOYEURS", False, None, None, SIREN, None),
    "A5": (D(2026, 6, 1), "0800000077", "ETAT_PRIORITAIRES", False, None, None, SIREN, None),
    "A6": (D(2026, 4, 22), "5100000004", "NON_RESERVE", False, None, None, SIREN, None),
    "A7": (D(2026, 7, 3), "5100000005", None, False, None, None, SIREN, None),
    "A8": (D(2026, 8, 5), "5100000102", "EMPLOYEURS", False, None, None, SIREN, None),
    "A9": (D(2026, 9, 10), "5100000103", "ETAT_FONCTIONNAIRES", False, None, None, SIREN,
           None),
    "B1": (D(2026, 3, 12), "5100000006", "COLLECTIVITES", False, None, None, SIREN, None),
    "B2": (D(2026, 5, 6), "5100000007", "COLLECTIVITES", False, "CU du Grand Reims", None,
           SIREN, None),
    "B3": (D(2026, 10, 2), "0800000002", "AUTRES", False, None, None, SIREN, None),
    "D1": (D(2026, 7, 20), "5100000009", "ETAT_PRIORITAIRES", False, None, None, SIREN, None),
    "E1": (D(2026, 8, 20), "5199999999", "EMPLOYEURS", False, None, REIMS, SIREN, None),
    "F1": (D(2026, 9, 16), "5100000011", "ETAT_PRIORITAIRES", False, None, None, SIREN, None),
    "G1": (D(2026, 10, 12), "5100000104", "COLLECTIVITES", False, None, None, SIREN, None),
    "H1": (D(2026, 4, 15), "5100000012", "EMPLOYEURS", False, None, None, SIREN, None),
    "I1": (D(2026, 1, 3), "5100000013", "ETAT_PRIORITAIRES", False, None, None, SIREN, None),
    "J1": (D(2026, 4, 12), "0800000003", "ETAT_PRIORITAIRES", True, None, None, SIREN, None),
    "K1": (D(2026, 11, 11), "5100000105", "AUTRES", False, None, None, SIREN, None),
    "Lx": (D(2026, 2, 25), "5100000014", "EMPLOYEURS", False, None, None, SIREN, None),
    "Ly": (D(2026, 3, 20), "5100000014", "ETAT_PRIORITAIRES", False, None, None, SIREN, None),
    "M": (D(2026, 2, 10), "5100000001", None, None, None, None, SIREN, "Abandon de la demande"),
    "N": (D(2026, 6, 16), "5100000008", "EMPLOYEURS", False, None, None, AUTRE_SIREN, None),
    "O": (D(2025, 5, 3), "5100000015", "ETAT_PRIORITAIRES", False, None, None, SIREN, None),
    "P1": (D(2026, 7, 2), "5100000002", "COLLECTIVITES", False, "CU du Grand Reims", None,
           SIREN, None),
}


def _radiation(tag: str) -> dict:
    d, rpls, contingent, dalo, reservataire, commune, siren, motif = RADIATIONS[tag]
    return {"numero_unique": f"NU-{tag}", "date_radiation": d, "logement_rpls": rpls,
            "contingent": contingent, "dalo": dalo, "accord_collectif": False,
            "mutation": tag == "A6", "reservataire": reservataire, "commune_insee": commune,
            "siren_bailleur": siren, "motif_radiation": motif}


def build(db):
    insert(db, "residence", [residence("RA", REIMS, "200067213", "51"),
                             residence("RB", EPERNAY, "200067684", "51"),
                             residence("RC", CHARLEVILLE, "200041630", "08")])
    insert(db, "logement", [_logement(lid) for lid in LOGEMENTS])
    insert(db, "reservataire", RESERVATAIRES)
    insert(db, "convention", CONVENTIONS)
    libs, oris, atts = [], [], []
    for tag, (lid, lib, dest, statut, caleol, bail, dalo, nur) in ATTRIBUTIONS.items():
        libs.append(liberation(f"B-{tag}", lid, lib))
        if dest is not None:
            oris.append(orientation(f"O-{tag}", f"B-{tag}", dest, lib, statut))
        row = attribution(f"A-{tag}", f"O-{tag}" if dest else None, lid, caleol, bail,
                          dalo=dalo, mutation=dest == "MUTATION")
        atts.append({**row, "numero_unique": nur})
    insert(db, "liberation", libs)
    insert(db, "orientation", oris)
    insert(db, "attribution", atts)
    insert(db, "radiation_sne", [_radiation(tag) for tag in RADIATIONS])
    set_parametre(db, "sne_siren_bailleur", [SIREN], actor="test")
    set_parametre(db, "sne_contingent_par_reservataire", {"CIL": "AUTRES"}, actor="test")
    return db


@pytest.fixture
def db(empty_db):
    return build(empty_db)


def _settings(db, **changes) -> dict:
    return {**get_parametres(db), **changes}


def _tag(row) -> str:
    """The tag of a line: its attribution's, else its radiation's."""
    aid, nur = row["attribution_id"], row["numero_unique"]
    if isinstance(aid, str):
        return aid.removeprefix("A-")
    return nur.removeprefix("NU-")


def _lignes(r) -> dict[str, dict]:
    return {_tag(row): row for row in r.lignes.to_dict("records")}


def _table(r) -> list[tuple]:
    return [tuple(x) for x in r.par_reservataire[
        ["cle", "selon_bailleur", "selon_sne", "ecart", "concordantes", "a_corriger"]]
        .itertuples(index=False)]


def _texte(v):
    return None if v is None or (isinstance(v, float) and pd.isna(v)) else v


# -- expected lines of 2026 (tolerance 30) -----------------------------------------------------
# tag: (attribution, numéro unique, statut, réservataire selon le bailleur, selon le SNE,
#       counted by the bailleur in 2026, counted by the SNE in 2026, contingent implied by the
#       orientation, contingent in the SNE, days between lease and radiation)
CAS = {
    "A1": ("A-A1", "NU-A1", "CONFORME", "PREF51", "PREF51", True, True,
           "ETAT_PRIORITAIRES", "ETAT_PRIORITAIRES", 2),
    "A2": ("A-A2", "NU-A2", "CONFORME", "EPERNAY", "EPERNAY", True, True,
           "COLLECTIVITES", "COLLECTIVITES", 3),
    "A3": ("A-A3", "NU-A3", "CONFORME", "CIL", "CIL", True, True, "AUTRES", "AUTRES", 2),
    "A4": ("A-A4", "NU-A4", "CONFORME", "AL", "AL", True, True, "EMPLOYEURS", "EMPLOYEURS", 5),
    "A5": ("A-A5", "NU-A5", "CONFORME", "PREF08", "PREF08", True, True,
           "ETAT_PRIORITAIRES", "ETAT_PRIORITAIRES", 0),
    "A6": ("A-A6", "NU-A6", "CONFORME", "BAILLEUR", "BAILLEUR", True, True,
           "NON_RESERVE", "NON_RESERVE", 2),
    "A7": ("A-A7", "NU-A7", "CONFORME", "BAILLEUR", "BAILLEUR", True, True,
           "NON_RESERVE", "NON_RESERVE", 2),
    "A8": ("A-A8", "NU-A8", "CONFORME", "AL", "AL", True, True, "EMPLOYEURS", "EMPLOYEURS", 4),
    "A9": ("A-A9", "NU-A9", "CONFORME", "PREFF51", "PREFF51", True, True,
           "ETAT_FONCTIONNAIRES", "ETAT_FONCTIONNAIRES", 9),
    "B1": ("A-B1", "NU-B1", "CONTINGENT_DIFFERENT", "PREF51", "REIMS", True, True,
           "ETAT_PRIORITAIRES", "COLLECTIVITES", 2),
    "B2": ("A-B2", "NU-B2", "CONTINGENT_DIFFERENT", "BAILLEUR", "GRAND-REIMS", True, True,
           "NON_RESERVE", "COLLECTIVITES", 2),
    "B3": ("A-B3", "NU-B3", "CONTINGENT_DIFFERENT", "PREF08", "SNE:AUTRES", True, True,
           "ETAT_PRIORITAIRES", "AUTRES", 1),
    "C1": ("A-C1", None, "ABSENTE_DU_SNE", "AL", None, True, False, "EMPLOYEURS",
           "NON_RESERVE", None),
    "D1": (None, "NU-D1", "SANS_ATTRIBUTION", None, "PREF51", False, True, None,
           "ETAT_PRIORITAIRES", None),
    "E1": (None, "NU-E1", "LOGEMENT_INCONNU", None, "AL", False, True, None, "EMPLOYEURS",
           None),
    "F1": ("A-F1", "NU-F1", "LOGEMENT_DIFFERENT", "PREF51", "PREF51", True, True,
           "ETAT_PRIORITAIRES", "ETAT_PRIORITAIRES", 1),
    "G1": ("A-G1", "NU-G1", "SANS_ORIENTATION", None, "EPERNAY", True, True, None,
           "COLLECTIVITES", 2),
    "H1": ("A-H1", "NU-H1", "DATES_ELOIGNEES", "AL", "AL", True, True, "EMPLOYEURS",
           "EMPLOYEURS", 45),
    "I1": ("A-I1", "NU-I1", "AUTRE_ANNEE", "PREF51", "PREF51", False, True,
           "ETAT_PRIORITAIRES", "ETAT_PRIORITAIRES", 4),
    "J1": ("A-J1", "NU-J1", "DALO_DIFFERENT", "PREF08", "PREF08", True, True,
           "ETAT_PRIORITAIRES", "ETAT_PRIORITAIRES", 2),
    "K1": ("A-K1", "NU-K1", "BAIL_NON_DATE", "CRC", "CRC", True, True, "AUTRES", "AUTRES", 6),
    "La": ("A-La", "NU-Ly", "DATES_ELOIGNEES", "PREF51", "PREF51", True, True,
           "ETAT_PRIORITAIRES", "ETAT_PRIORITAIRES", 47),
    "Lb": ("A-Lb", "NU-Lx", "CONFORME", "AL", "AL", True, True, "EMPLOYEURS", "EMPLOYEURS", 4),
    "P1": ("A-P1", "NU-P1", "RESERVATAIRE_DIFFERENT", "REIMS", "GRAND-REIMS", True, True,
           "COLLECTIVITES", "COLLECTIVITES", 1),
}
# the SQL's order: écarts first, then département, commune, date (lease, else radiation)
ORDRE = ["J1", "B3", "G1", "K1", "I1", "La", "H1", "B1", "B2", "C1", "P1", "D1", "E1", "F1",
         "A4", "A5", "A2", "A8", "A9", "A1", "Lb", "A3", "A6", "A7"]

# (cle, selon_bailleur, selon_sne, ecart, concordantes, a_corriger), in the order of the names,
# then the unidentified contingents, then the bailleur
TABLE_2026 = [
    ("AL", 5, 5, 0, 3, 3),            # A4 A8 C1 H1 Lb | A4 A8 E1 H1 Lb; agree A4 A8 Lb;
                                      # to correct C1 E1 H1
    ("CIL", 1, 1, 0, 1, 0),           # A3
    ("GRAND-REIMS", 0, 2, 2, 0, 2),   # B2 P1 (named by the extract)
    ("CRC", 1, 1, 0, 0, 1),           # K1 (lease date missing: to correct)
    ("PREF51", 4, 5, 1, 1, 5),        # A1 B1 F1 La | A1 D1 F1 I1 La; agree A1;
                                      # to correct B1 D1 F1 I1 La
    ("PREFF51", 1, 1, 0, 1, 0),       # A9
    ("PREF08", 3, 2, -1, 1, 2),       # A5 B3 J1 | A5 J1; agree A5; to correct B3 J1
    ("EPERNAY", 1, 2, 1, 1, 1),       # A2 | A2 G1; G1
    ("REIMS", 1, 1, 0, 0, 2),         # P1 | B1 (the most local convention); B1 P1
    ("SNE:AUTRES", 0, 1, 1, 0, 1),    # B3
    ("BAILLEUR", 3, 2, -1, 2, 1),     # A6 A7 B2 | A6 A7; B2
]
LIBELLES = {"AL": "Action Logement Services", "CIL": "CIL Champagne",
            "GRAND-REIMS": "CU du Grand Reims", "CRC": "Caisse de retraite des cheminots",
            "PREF51": "Préfet de la Marne", "PREFF51": "Préfet de la Marne (agents de l'État)",
            "PREF08": "Préfet des Ardennes", "EPERNAY": "Ville d'Épernay",
            "REIMS": "Ville de Reims", "BAILLEUR": "Bailleur (non réservé)",
            "SNE:AUTRES": "Autres réservataires (réservataire non identifié)"}


def _attendu(cas: dict) -> dict:
    return {tag: (aid, nur, statut, ro, rs, co, cs) for tag, (aid, nur, statut, ro, rs, co, cs,
                                                             *_r) in cas.items()}


def _obtenu(r) -> dict:
    return {tag: (_texte(x["attribution_id"]), _texte(x["numero_unique"]), x["statut"],
                  _texte(x["reservataire_outil"]), _texte(x["reservataire_sne"]),
                  bool(x["compte_outil"]), bool(x["compte_sne"]))
            for tag, x in _lignes(r).items()}


# -- the year 2026 ---------------------------------------------------------------------------
def test_every_line_of_2026_has_the_statut_computed_by_hand(db):
    r = sne.rapprocher(db, Perimetre(ANNEE))
    assert r.tolerance == 30
    assert _obtenu(r) == _attendu(CAS)
    lignes = _lignes(r)
    assert {t: (_texte(x["contingent_outil"]), x["contingent_sne"])
            for t, x in lignes.items()} == {t: (c[7], c[8]) for t, c in CAS.items()}
    assert {t: None if pd.isna(x["ecart_jours"]) else int(x["ecart_jours"])
            for t, x in lignes.items()} == {t: c[9] for t, c in CAS.items()}
    assert [_tag(x) for x in r.lignes.to_dict("records")] == ORDRE
    # every statut of the specification appears
    assert set(r.lignes["statut"]) == set(sne.STATUTS)
    assert r.synthese[["statut", "lignes"]].values.tolist() == [
        ["CONTINGENT_DIFFERENT", 3], ["RESERVATAIRE_DIFFERENT", 1], ["ABSENTE_DU_SNE", 1],
        ["SANS_ATTRIBUTION", 1],
        ["LOGEMENT_INCONNU", 1], ["LOGEMENT_DIFFERENT", 1], ["SANS_ORIENTATION", 1],
        ["DATES_ELOIGNEES", 2], ["AUTRE_ANNEE", 1], ["DALO_DIFFERENT", 1],
        ["BAIL_NON_DATE", 1], ["CONFORME", 10]]
    assert r.concordance_pct == pytest.approx(100 * 10 / 24)
    assert len(r.ecarts) == 14
    # set aside: one radiation for another motif, one of another SIREN; 25 in the base
    assert r.ecartees == {"autre_motif": 1, "autre_bailleur": 1}
    assert r.importees == 26


def test_dwellings_are_found_by_rpls_id_leading_zeros_aside_and_by_identifiant_rpls(db):
    lignes = _lignes(sne.rapprocher(db, Perimetre(ANNEE)))
    a4, a5 = lignes["A4"], lignes["A5"]
    assert (a4["logement_rpls"], a4["logement_sne"], a4["logement_id"]) == (
        "800000001", "0800000001", "0800000001")
    assert (a5["logement_rpls"], a5["logement_sne"], a5["logement_id"]) == (
        "0800000077", "CH-INT-7", "CH-INT-7")
    # LOGEMENT_DIFFERENT: the SNE's dwelling is another one of the product
    f1 = lignes["F1"]
    assert (f1["logement_outil"], f1["logement_sne"], f1["logement_id"]) == (
        "5100000010", "5100000011", "5100000010")
    # LOGEMENT_INCONNU: placed by the commune the extract gives
    e1 = lignes["E1"]
    assert _texte(e1["logement_sne"]) is None and _texte(e1["logement_id"]) is None
    assert (e1["departement"], e1["commune_insee"], e1["epci_siren"]) == (
        "51", REIMS, "200067213")


def test_empty_contingent_counts_as_non_reserve_shown_non_renseigne(db):
    lignes = _lignes(sne.rapprocher(db, Perimetre(ANNEE)))
    a7 = lignes["A7"]
    assert (a7["statut"], a7["contingent_sne"], bool(a7["contingent_renseigne"])) == (
        "CONFORME", "NON_RESERVE", False)
    assert a7["contingent_sne_libelle"] == "Non réservé (bailleur) (non renseigné)"
    assert lignes["A6"]["contingent_sne_libelle"] == "Non réservé (bailleur)"
    assert bool(lignes["A6"]["contingent_renseigne"])
    assert lignes["C1"]["contingent_sne_libelle"] == "–"       # no radiation
    assert lignes["D1"]["contingent_outil_libelle"] == "–"     # no attribution


def test_table_per_reservataire_for_2026(db):
    r = sne.rapprocher(db, Perimetre(ANNEE))
    assert _table(r) == TABLE_2026
    assert dict(zip(r.par_reservataire["cle"], r.par_reservataire["libelle"])) == LIBELLES
    assert "ARDENNE" not in set(r.par_reservataire["cle"])    # no line: not listed
    # every unit of gap is a line to correct for that réservataire
    for cle, _b, _s, ecart, _c, a_corriger in TABLE_2026:
        assert abs(ecart) <= a_corriger, cle
    recap = sne.recapitulatif(r)
    assert list(recap.columns) == [
        "Réservataire", "Attributions selon le bailleur", "Attributions selon le SNE",
        "Écart (SNE − bailleur)", "Concordantes", "Lignes à corriger"]
    assert recap["Réservataire"].tolist() == [LIBELLES[c[0]] for c in TABLE_2026]


def test_the_gaps_add_up_to_the_sides(db):
    """Σ ecart = lines counted by the SNE − lines the bailleur counts for a réservataire (an
    attribution without orientation, G1, designates none)."""
    variantes = [(Perimetre(ANNEE), {}), (Perimetre(2025), {}),
                 (Perimetre(ANNEE, departement="08"), {}),
                 (Perimetre(ANNEE, commune_insee=EPERNAY), {}),
                 (Perimetre(ANNEE), {"rendu_bailleur_compte_livre": False}),
                 (Perimetre(ANNEE), {"sne_tolerance_jours": 3}),
                 (Perimetre(ANNEE), {"sne_siren_bailleur": []}),
                 (Perimetre(ANNEE), {"sne_contingent_par_reservataire": {}})]
    for p, changes in variantes:
        r = sne.rapprocher(db, p, _settings(db, **changes))
        x = r.lignes
        cote_sne = int(x["compte_sne"].sum())
        cote_bailleur = int((x["compte_outil"] & x["reservataire_outil"].notna()).sum())
        assert int(r.par_reservataire["ecart"].sum()) == cote_sne - cote_bailleur, (p, changes)
    r = sne.rapprocher(db, Perimetre(ANNEE))
    assert int(r.lignes["compte_sne"].sum()) == 23
    assert int(r.lignes["compte_outil"].sum()) == 21
    assert int(r.par_reservataire["ecart"].sum()) == 3 == 23 - 20


def test_corrections_name_the_contingents_and_dates(db):
    lignes = _lignes(sne.rapprocher(db, Perimetre(ANNEE)))
    correction = {t: x["correction"] for t, x in lignes.items()}
    assert correction == {
        **{t: "" for t in ("A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8", "A9", "Lb")},
        "B1": "Corriger le contingent dans le SNE : Collectivités territoriales / EPCI → "
              "État – publics prioritaires",
        "B2": "Corriger le contingent dans le SNE : Collectivités territoriales / EPCI → "
              "Non réservé (bailleur)",
        "B3": "Corriger le contingent dans le SNE : Autres réservataires → "
              "État – publics prioritaires",
        "C1": "Radier la demande pour attribution dans le SNE (logement RPLS 5100000008, bail du "
              "15/06/2026, contingent Employeurs / Action Logement)",
        "D1": "Vérifier le logement dans le SNE ; si la radiation est juste, enregistrer "
              "l'attribution dans l'outil (logement 5100000009)",
        "E1": "Corriger l'identifiant RPLS « 5199999999 » dans le SNE, ou importer le logement "
              "dans l'outil",
        "F1": "Corriger l'identifiant RPLS dans le SNE : « 5100000011 » → « 5100000010 »",
        "G1": "Enregistrer l'orientation du logement dans l'outil (le SNE impute Collectivités "
              "territoriales / EPCI)",
        "H1": "Vérifier la date de radiation dans le SNE (15/04/2026) ou la date du bail dans "
              "l'outil (01/03/2026) : 45 jours d'écart",
        "La": "Vérifier la date de radiation dans le SNE (20/03/2026) ou la date du bail dans "
              "l'outil (01/02/2026) : 47 jours d'écart",
        "I1": "Bail du 30/12/2025 dans l'outil, radiation du 03/01/2026 au SNE : compté sur "
              "deux années différentes",
        "J1": "Corriger la mention DALO dans le SNE (oui → non), ou dans l'outil",
        "K1": "Saisir la date de signature du bail dans l'outil (radiation du 11/11/2026)",
        "P1": "Corriger le réservataire dans le SNE : CU du Grand Reims → Ville de Reims "
              "(même contingent)",
    }
    assert lignes["B3"]["reservataire_sne_nom"] == (
        "Autres réservataires (réservataire non identifié)")
    assert lignes["B2"]["reservataire_outil_nom"] == "Bailleur (non réservé)"
    assert lignes["G1"]["reservataire_outil_nom"] == "–"


# -- other years, territories, settings ------------------------------------------------------
def test_a_lease_of_30_december_radiated_on_3_january_counts_in_each_year_on_its_side(db):
    r25 = sne.rapprocher(db, Perimetre(2025))
    assert _obtenu(r25) == {
        "I1": ("A-I1", "NU-I1", "AUTRE_ANNEE", "PREF51", "PREF51", True, False),
        "O": ("A-O", "NU-O", "CONFORME", "PREF51", "PREF51", True, True)}
    assert _table(r25) == [("PREF51", 2, 1, -1, 1, 1)]
    assert r25.ecartees == {"autre_motif": 0, "autre_bailleur": 0}
    i1 = _lignes(sne.rapprocher(db, Perimetre(ANNEE)))["I1"]
    assert (bool(i1["compte_outil"]), bool(i1["compte_sne"])) == (False, True)


def test_territory_filters_keep_only_their_lines(db):
    r08 = sne.rapprocher(db, Perimetre(ANNEE, departement="08"))
    assert _obtenu(r08) == {t: v for t, v in _attendu(CAS).items()
                            if t in ("A4", "A5", "B3", "J1")}
    assert _table(r08) == [("AL", 1, 1, 0, 1, 0), ("PREF08", 3, 2, -1, 1, 2),
                           ("SNE:AUTRES", 0, 1, 1, 0, 1)]
    epernay = sne.rapprocher(db, Perimetre(ANNEE, commune_insee=EPERNAY))
    assert set(_lignes(epernay)) == {"A2", "A8", "A9", "G1", "K1"}
    assert _table(epernay) == [("AL", 1, 1, 0, 1, 0), ("CRC", 1, 1, 0, 0, 1),
                               ("PREFF51", 1, 1, 0, 1, 0), ("EPERNAY", 1, 2, 1, 1, 1)]
    reims = {"A1", "A3", "A6", "A7", "B1", "B2", "C1", "D1", "E1", "F1", "H1", "I1", "La",
             "Lb", "P1"}
    assert set(_lignes(sne.rapprocher(db, Perimetre(ANNEE, commune_insee=REIMS)))) == reims
    assert set(_lignes(sne.rapprocher(db, Perimetre(ANNEE, epci_siren="200067213")))) == reims
    assert set(_lignes(sne.rapprocher(db, Perimetre(ANNEE, departement="51")))) == (
        set(CAS) - {"A4", "A5", "B3", "J1"})
    assert _lignes(sne.rapprocher(db, Perimetre(ANNEE, departement="10"))) == {}
    assert sne.rapprocher(db, Perimetre(ANNEE, departement="10")).par_reservataire.empty


@pytest.mark.parametrize(("tolerance", "changes"), [
    (30, {}),
    (45, {"H1": "CONFORME"}),                     # 45 days: within; La (47) still not
    (3, {t: "DATES_ELOIGNEES" for t in ("A4", "A8", "A9", "I1", "K1", "Lb")}),  # A2: 3 days
    (0, {t: "DATES_ELOIGNEES" for t in ("A1", "A2", "A3", "A4", "A6", "A7", "A8", "A9", "I1",
                                        "J1", "K1", "Lb")}),                     # A5: same day
])
def test_tolerance_setting_moves_lines_to_dates_eloignees(db, tolerance, changes):
    r = sne.rapprocher(db, Perimetre(ANNEE), _settings(db, sne_tolerance_jours=tolerance))
    assert r.tolerance == tolerance
    attendu = {t: c[2] for t, c in CAS.items()} | changes
    assert {t: x["statut"] for t, x in _lignes(r).items()} == attendu
    # the pairing does not depend on the tolerance
    assert {t: (x["attribution_id"], x["numero_unique"]) for t, x in _lignes(r).items()} == {
        t: (x["attribution_id"], x["numero_unique"])
        for t, x in _lignes(sne.rapprocher(db, Perimetre(ANNEE))).items()}


def test_tolerance_set_in_the_database_is_used(db):
    set_parametre(db, "sne_tolerance_jours", 45, actor="test")
    r = sne.rapprocher(db, Perimetre(ANNEE))
    assert r.tolerance == 45 and _lignes(r)["H1"]["statut"] == "CONFORME"


def test_rendu_bailleur_not_counted_as_delivered_expects_non_reserve(db):
    r = sne.rapprocher(db, Perimetre(ANNEE), _settings(db, rendu_bailleur_compte_livre=False))
    lignes = _lignes(r)
    a8 = lignes["A8"]
    assert (a8["statut"], a8["contingent_outil"], a8["reservataire_outil"],
            a8["reservataire_sne"]) == ("CONTINGENT_DIFFERENT", "NON_RESERVE", "BAILLEUR", "AL")
    assert a8["correction"] == ("Corriger le contingent dans le SNE : Employeurs / Action "
                                "Logement → Non réservé (bailleur)")
    # nothing else moves
    assert {t: v for t, v in _obtenu(r).items() if t != "A8"} == {
        t: v for t, v in _attendu(CAS).items() if t != "A8"}
    table = {c[0]: c[1:] for c in _table(r)}
    assert table["AL"] == (4, 5, 1, 2, 4)
    assert table["BAILLEUR"] == (4, 2, -2, 2, 2)


def test_contingent_par_reservataire_overrides_the_type(db):
    r = sne.rapprocher(db, Perimetre(ANNEE),
                       _settings(db, sne_contingent_par_reservataire={}))
    lignes = _lignes(r)
    a3 = lignes["A3"]
    # CIL is an employer again: the SNE's « autre contingent » is then the only « autre »
    # réservataire with a convention over Reims
    assert (a3["statut"], a3["contingent_outil"], a3["reservataire_outil"],
            a3["reservataire_sne"]) == ("CONTINGENT_DIFFERENT", "EMPLOYEURS", "CIL", "CRC")
    # E1 (EMPLOYEURS over Reims): Action Logement and CIL both fit, none is chosen
    assert lignes["E1"]["reservataire_sne"] == "SNE:EMPLOYEURS"
    # and a type's contingent may be changed too
    types = {**get_parametres(db)["sne_contingent_par_type"], "ACTION_LOGEMENT": "AUTRES"}
    r = sne.rapprocher(db, Perimetre(ANNEE), _settings(db, sne_contingent_par_type=types))
    assert _lignes(r)["A4"]["statut"] == "CONTINGENT_DIFFERENT"
    assert _lignes(r)["A4"]["contingent_outil"] == "AUTRES"


def test_siren_setting_sets_aside_another_landlords_radiations(db):
    r = sne.rapprocher(db, Perimetre(ANNEE), _settings(db, sne_siren_bailleur=[]))
    c1 = _lignes(r)["C1"]
    # without the setting, the other SIREN's radiation (a day after the lease) pairs with C1
    assert (c1["numero_unique"], c1["statut"]) == ("NU-N", "CONFORME")
    assert "NU-N" not in set(sne.rapprocher(db, Perimetre(ANNEE)).lignes["numero_unique"])
    assert r.ecartees == {"autre_motif": 1, "autre_bailleur": 0}


def test_another_motif_is_set_aside_even_on_the_day_of_a_lease(db):
    r = sne.rapprocher(db, Perimetre(ANNEE))
    assert "NU-M" not in set(r.lignes["numero_unique"])
    assert _lignes(r)["A1"]["numero_unique"] == "NU-A1"      # not M, though 0 days away
    with db.transaction() as cur:
        cur.execute("update radiation_sne set motif_radiation = 'Radiation pour attribution' "
                    "where numero_unique = 'NU-M'")
    r = sne.rapprocher(db, Perimetre(ANNEE))
    assert r.ecartees["autre_motif"] == 0
    par_nur = {x["numero_unique"]: x for x in r.lignes.to_dict("records")}
    # M is now the nearest radiation of A1's lease (0 days against 2): they pair; M's empty
    # contingent is « non réservé » against the préfet's; NU-A1 is left without attribution
    m = par_nur["NU-M"]
    assert (m["attribution_id"], m["statut"]) == ("A-A1", "CONTINGENT_DIFFERENT")
    assert m["contingent_sne_libelle"] == "Non réservé (bailleur) (non renseigné)"
    assert (_texte(par_nur["NU-A1"]["attribution_id"]), par_nur["NU-A1"]["statut"]) == (
        None, "SANS_ATTRIBUTION")


def test_unsigned_attribution_without_radiation_is_no_line(db):
    r = sne.rapprocher(db, Perimetre(ANNEE))
    assert "A-K2" not in set(r.lignes["attribution_id"].dropna())
    assert "A-K1" in set(r.lignes["attribution_id"].dropna())


def test_a_named_reservataire_wins_over_the_conventions(db):
    r = sne.rapprocher(db, Perimetre(ANNEE))
    assert _lignes(r)["B2"]["reservataire_sne"] == "GRAND-REIMS"
    assert _lignes(r)["B1"]["reservataire_sne"] == "REIMS"
    # the extract may name the réservataire by its id too
    with db.transaction() as cur:
        cur.execute("update radiation_sne set reservataire = ' grand-reims ' "
                    "where numero_unique = 'NU-B1'")
    assert _lignes(sne.rapprocher(db, Perimetre(ANNEE)))["B1"]["reservataire_sne"] == (
        "GRAND-REIMS")


# -- exports ---------------------------------------------------------------------------------
def _feuille(ws) -> list[dict]:
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], row)) for row in rows[1:]]


def test_workbook_of_one_reservataire_holds_only_its_lines(db):
    r = sne.rapprocher(db, Perimetre(ANNEE))
    wb = openpyxl.load_workbook(io.BytesIO(sne.classeur_xlsx(r, "PREF08")))
    assert wb.sheetnames == ["Synthèse", "Écarts", "Toutes les lignes"]
    synthese = list(wb["Synthèse"].iter_rows(values_only=True))
    assert synthese[0][0] == "Rapprochement SNE 2026 — Tout le patrimoine — tolérance 30 jours"
    assert synthese[3][:6] == ("Préfet des Ardennes", 3, 2, -1, 1, 2)
    assert len([row for row in synthese[3:] if any(v is not None for v in row)]) == 1
    toutes = _feuille(wb["Toutes les lignes"])
    assert [x["Numéro unique (SNE)"] for x in toutes] == ["NU-J1", "NU-B3", "NU-A5"]
    assert [x["Écart"] for x in toutes] == ["Mention DALO différente", "Contingent différent",
                                            "Concordant"]
    assert [x["Orienté à (outil)"] for x in toutes] == ["Préfet des Ardennes"] * 3
    assert toutes[0]["DALO (SNE)"] == "oui" and toutes[0]["DALO (outil)"] == "non"
    ecarts = _feuille(wb["Écarts"])
    assert [x["Attribution (outil)"] for x in ecarts] == ["A-J1", "A-B3"]
    assert ecarts[1]["Correction à faire"] == (
        "Corriger le contingent dans le SNE : Autres réservataires → État – publics "
        "prioritaires")
    # the whole workbook has every line
    wb = openpyxl.load_workbook(io.BytesIO(sne.classeur_xlsx(r)))
    assert len(_feuille(wb["Toutes les lignes"])) == 24
    assert len(_feuille(wb["Écarts"])) == 14


def test_zip_has_one_workbook_per_reservataire(db):
    r = sne.rapprocher(db, Perimetre(ANNEE))
    with zipfile.ZipFile(io.BytesIO(sne.classeurs_zip(r))) as z:
        names = z.namelist()
        assert len(names) == 1 + len(TABLE_2026)
        assert names[0] == "rapprochement_sne_2026_complet.xlsx"
        assert "rapprochement_sne_2026_Ville_d_Epernay.xlsx" in names
        wb = openpyxl.load_workbook(io.BytesIO(
            z.read("rapprochement_sne_2026_Ville_de_Reims.xlsx")))
        assert [x["Numéro unique (SNE)"] for x in _feuille(wb["Toutes les lignes"])] == [
            "NU-B1", "NU-P1"]


def test_values_starting_with_equals_are_written_as_text(db):
    insert(db, "radiation_sne", [{
        "numero_unique": "=HYPERLINK(\"http://exemple.invalid\")",
        "date_radiation": D(2026, 12, 1), "logement_rpls": "=1+2",
        "contingent": "ETAT_PRIORITAIRES", "dalo": None, "accord_collectif": None,
        "mutation": None, "reservataire": "=SOMME(1;2)", "commune_insee": None,
        "siren_bailleur": None, "motif_radiation": None}])
    with db.transaction() as cur:
        cur.execute("update reservataire set nom = '=2+3' where reservataire_id = 'CRC'")
    r = sne.rapprocher(db, Perimetre(ANNEE))
    ligne = r.lignes[r.lignes["logement_rpls"] == "=1+2"].iloc[0]
    assert (ligne["statut"], ligne["reservataire_sne"]) == (
        "LOGEMENT_INCONNU", "SNE:ETAT_PRIORITAIRES")
    wb = openpyxl.load_workbook(io.BytesIO(sne.classeur_xlsx(r)))
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row
             if isinstance(c.value, str) and c.value.startswith(("=", "'="))]
    # neutralised (fluxcore.neutralisation): text, prefixed by an apostrophe
    assert {c.value for c in cells} == {"'=1+2", "'=HYPERLINK(\"http://exemple.invalid\")",
                                        "'=2+3"}
    assert all(c.data_type == "s" for c in cells)
    wb = openpyxl.load_workbook(io.BytesIO(sne.classeur_xlsx(r, "CRC")))
    assert wb["Synthèse"]["A4"].value == "'=2+3" and wb["Synthèse"]["A4"].data_type == "s"


# -- defects found by this case, fixed --------------------------------------------------------
def test_a_motif_naming_the_bailleur_is_not_an_attribution(db):
    with db.transaction() as cur:
        cur.execute("update radiation_sne set motif_radiation = 'Doublon supprimé par le "
                    "bailleur' where numero_unique = 'NU-D1'")
    r = sne.rapprocher(db, Perimetre(ANNEE))
    assert "NU-D1" not in set(r.lignes["numero_unique"])
    assert r.ecartees["autre_motif"] == 2


def test_a_motif_naming_the_lease_is_an_attribution(db):
    with db.transaction() as cur:
        cur.execute("update radiation_sne set motif_radiation = 'Signature du bail' "
                    "where numero_unique = 'NU-D1'")
    r = sne.rapprocher(db, Perimetre(ANNEE))
    assert _lignes(r)["D1"]["statut"] == "SANS_ATTRIBUTION"
    assert r.ecartees["autre_motif"] == 1


def test_logement_different_correction_gives_the_rpls_id_to_enter(db):
    with db.transaction() as cur:
        cur.execute("update attribution set numero_unique = 'NU-A5' where attribution_id = 'A-A5'")
        cur.execute("update radiation_sne set logement_rpls = '0800000003' "
                    "where numero_unique = 'NU-A5'")
    a5 = _lignes(sne.rapprocher(db, Perimetre(ANNEE)))["A5"]
    assert a5["statut"] == "LOGEMENT_DIFFERENT"
    assert a5["correction"] == ("Corriger l'identifiant RPLS dans le SNE : « 0800000003 » → "
                                "« 0800000077 »")


def test_the_pairing_does_not_depend_on_the_year_viewed(db):
    lid = "5100000020"
    insert(db, "logement", [{**_logement("5100000001"), "logement_id": lid}])
    insert(db, "liberation", [liberation("B-W1", lid, D(2025, 3, 1)),
                              liberation("B-W2", lid, D(2025, 10, 1))])
    insert(db, "orientation", [orientation("O-W1", "B-W1", "PREF51", D(2025, 3, 5), "ATTRIBUE"),
                               orientation("O-W2", "B-W2", "AL", D(2025, 10, 5), "ATTRIBUE")])
    insert(db, "attribution", [
        {**attribution("A-W1", "O-W1", lid, D(2025, 4, 20), D(2025, 5, 1)),
         "numero_unique": None},
        {**attribution("A-W2", "O-W2", lid, D(2025, 12, 20), D(2026, 1, 10)),
         "numero_unique": None}])
    insert(db, "radiation_sne", [{**_radiation("O"), "numero_unique": "NU-W",
                                  "date_radiation": D(2025, 7, 15), "logement_rpls": lid}])
    # 15/07/2025 is 75 days after the first lease, 179 after the second: it is the first's
    w25 = _lignes(sne.rapprocher(db, Perimetre(2025)))["W1"]
    assert (w25["numero_unique"], w25["statut"]) == ("NU-W", "DATES_ELOIGNEES")
    w26 = _lignes(sne.rapprocher(db, Perimetre(ANNEE)))["W2"]
    assert (_texte(w26["numero_unique"]), w26["statut"]) == (None, "ABSENTE_DU_SNE")
