"""The bilan's recap workbook carries the reconciliation with the SNE (sheet « Rapprochement
SNE »): the figures of fluxcore.sne for the bilan's year over its territory (the whole
patrimoine), the concordance and the tolerance; or the sentence saying it was not made."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest

from fluxcore import sne
from fluxcore.bilan import calculer_bilan
from fluxcore.bilan.archive import SNE_FEUILLE, SNE_LIGNE_TABLEAU, generer
from fluxcore.parametres import set_parametre
from fluxcore.perimetre import Perimetre
from tests.factory import D, insert

RECAP = "bilan_{}_recapitulatif.xlsx"


def _feuille(paquet) -> list[list]:
    wb = openpyxl.load_workbook(io.BytesIO(paquet.fichiers[RECAP.format(paquet.annee)]),
                                read_only=True)
    assert SNE_FEUILLE in wb.sheetnames
    rows = [list(r) for r in wb[SNE_FEUILLE].iter_rows(values_only=True)]
    wb.close()
    return rows


def _verifier(rows: list[list], r: sne.Rapprochement, annee: int) -> None:
    """The sheet holds r: title, concordance and tolerance, sne.recapitulatif cell by cell,
    then the lines per statut."""
    assert rows[0][0] == f"Rapprochement avec le SNE {annee} — Tout le patrimoine"
    assert rows[1][:4] == ["Concordance (% des lignes rapprochées)",
                           pytest.approx(round(r.concordance_pct, 1)),
                           "Tolérance sur les dates (jours)", r.tolerance]
    recap = sne.recapitulatif(r)
    head = SNE_LIGNE_TABLEAU
    assert rows[head][:len(recap.columns)] == list(recap.columns)
    body = [row[:len(recap.columns)] for row in rows[head + 1:head + 1 + len(recap)]]
    assert body == recap.values.tolist()
    start = head + len(recap) + 2
    assert rows[start][:2] == ["Statut", "Lignes"]
    assert [row[:2] for row in rows[start + 1:start + 1 + len(r.synthese)]] == [
        [x.libelle, x.lignes] for x in r.synthese.itertuples()]


def test_recap_sheet_holds_the_reconciliation_of_the_demo(demo_db):
    b = calculer_bilan(demo_db, 2025, date(2026, 2, 10))
    paquet = generer(demo_db, b, pdf=False)
    r = sne.rapprocher(demo_db, Perimetre(2025))
    assert len(r.lignes) and len(r.par_reservataire) > 3
    assert paquet.sne is not None and paquet.sne.par_reservataire.equals(r.par_reservataire)
    rows = _feuille(paquet)
    _verifier(rows, r, 2025)
    text = [row[0] for row in rows if row and isinstance(row[0], str)]
    motif = r.ecartees["autre_motif"]
    assert motif > 0   # the demo radiates some demandes for another motif (abandon)
    assert any(t.startswith(f"Radiations de 2025 écartées : {motif} pour un autre motif")
               for t in text)
    # the other sheets are still there, in their order
    wb = openpyxl.load_workbook(io.BytesIO(paquet.fichiers[RECAP.format(2025)]), read_only=True)
    assert wb.sheetnames == ["Récapitulatif", "Rapprochements", "Libérations",
                             "Statistiques réservations", SNE_FEUILLE]
    wb.close()


def test_without_radiations_the_sheet_says_so(small_db):
    b = calculer_bilan(small_db, 2026, date(2026, 11, 23))
    paquet = generer(small_db, b, pdf=False)
    assert paquet.sne is None
    rows = _feuille(paquet)
    assert rows[1][0] == "Aucune radiation SNE importée pour 2026 : rapprochement non fait"
    # a radiation of another year does not make the reconciliation of this one
    insert(small_db, "radiation_sne", [{"numero_unique": "051250300001",
                                        "date_radiation": D(2025, 3, 20), "logement_rpls": "L6",
                                        "contingent": "EMPLOYEURS"}])
    assert generer(small_db, b, pdf=False).sne is None


def test_small_year_with_radiations_and_the_tolerance_setting(small_db):
    """Hand-built: the préfet's lease radiated on time to the préfet's contingent, the
    mutation's lease radiated 40 days late; the bailleur's own lease never radiated."""
    insert(small_db, "radiation_sne", [
        {"numero_unique": "051260200001", "date_radiation": D(2026, 2, 2),
         "logement_rpls": "L1", "contingent": "ETAT_PRIORITAIRES", "dalo": False},
        {"numero_unique": "051260400002", "date_radiation": D(2026, 4, 19),
         "logement_rpls": "L2", "contingent": "NON_RESERVE",
         "dalo": False}])
    set_parametre(small_db, "sne_tolerance_jours", 45, "test")
    b = calculer_bilan(small_db, 2026, date(2026, 11, 23))
    paquet = generer(small_db, b, pdf=False)
    r = sne.rapprocher(small_db, Perimetre(2026))
    rows = _feuille(paquet)
    _verifier(rows, r, 2026)
    assert rows[1][3] == 45
    statuts = dict(zip(r.synthese["statut"], r.synthese["lignes"]))
    assert (statuts["CONFORME"], statuts["ABSENTE_DU_SNE"], len(r.lignes)) == (2, 1, 3)
    assert rows[1][1] == pytest.approx(66.7)
    set_parametre(small_db, "sne_tolerance_jours", 10, "test")
    rows = _feuille(generer(small_db, b, pdf=False))
    r = sne.rapprocher(small_db, Perimetre(2026))
    assert rows[1][3] == 10 and rows[1][1] == pytest.approx(33.3)
    assert dict(zip(r.synthese["statut"], r.synthese["lignes"]))["DATES_ELOIGNEES"] == 1
    _verifier(rows, r, 2026)
