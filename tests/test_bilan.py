"""Bilan annuel (R441-5-1): a hand-built year with known counts in every breakdown, the
workbook read back cell by cell, the PDF's headings, the ZIP, the CLI and the reconciliations."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pandas as pd
import pytest

from fluxcore.bilan import calculer_bilan, document_epci, document_reservataire
from fluxcore.bilan.archive import generer
from fluxcore.bilan.calcul import libelle_periode
from fluxcore.bilan.classeur import ecrire_xlsx
from fluxcore.bilan.impression import ecrire_pdf
from fluxcore.bilan.textes import indicateurs
from fluxcore.errors import BilanError, ParametreError
from fluxcore.jauges import jauges_conventions
from fluxcore.parametres import set_parametre
from fluxcore.perimetre import Perimetre
from tests.factory import D, attribution, insert, liberation, logement, orientation, residence

REIMS, CHALONS, TROYES = "200067213", "200066876", "200069250"
REF = date(2026, 2, 10)


def _conv(cid, rid, dep, taux, perimetre=None):
    return {"convention_id": cid, "reservataire_id": rid, "departement": dep,
            "perimetre": perimetre, "annee_debut": 2023, "annee_fin": 2027, "taux_flux": taux,
            "garantie_emprunt": False, "date_signature": D(2023, 11, 1), "derogation_fin": None}


def _res(rid, nom, typ, terr):
    return {"reservataire_id": rid, "nom": nom, "type": typ, "territoire": terr,
            "repris_par_prefet": False}


@pytest.fixture
def year_db(empty_db):
    """2025 in Reims (QPV résidence RA built 1965, RB built 2015), Châlons (RC, 1990) and
    Troyes (RD, year unknown): 11 libérations of flux dwellings + 1 hors flux, every status."""
    db = empty_db
    rd = residence("RD", "10387", TROYES, "10", annee=None)
    insert(db, "residence", [residence("RA", "51454", REIMS, "51", qpv="QN05103M", annee=1965),
                             residence("RB", "51454", REIMS, "51", annee=2015),
                             residence("RC", "51108", CHALONS, "51", annee=1990), rd])
    insert(db, "logement", [
        logement("L1", "RA", "T2", "PLAI"), logement("L2", "RA", "T3"),
        logement("L3", "RB", "T3"), logement("L4", "RB", "T4", "PLS"),
        logement("L5", "RC", "T1"), logement("L6", "RC", "T5", "PLAI"),
        logement("L7", "RD", "T3", mes=None), logement("L8", "RB", "T2", hors_flux="DEFENSE"),
        logement("L9", "RA", "T4"), logement("L10", "RC", "T3")])
    insert(db, "reservataire", [
        _res("PREF-51", "Préfet de la Marne", "PREFET", "51"),
        _res("PREF-10", "Préfet de l'Aube", "PREFET", "10"),
        _res("AL", "Action Logement Services", "ACTION_LOGEMENT", "national"),
        _res("COM-51454", "Commune de Reims", "COMMUNE", "51454")])
    insert(db, "convention", [
        _conv("C1", "PREF-51", "51", 25.0), _conv("C2", "AL", "51", 20.0),
        _conv("C3", "AL", "10", 20.0), _conv("C4", "COM-51454", "51", 10.0, "51454"),
        _conv("C5", "PREF-10", "10", 30.0)])
    insert(db, "seuil_quartile", [{"epci_siren": REIMS, "annee": 2025, "seuil_q1_uc": 9000.0}])
    libs = [("B1", "L1", D(2025, 1, 10)), ("B2", "L2", D(2025, 2, 1)),
            ("B3", "L3", D(2025, 3, 1)), ("B4", "L4", D(2025, 4, 1)),
            ("B5", "L5", D(2025, 5, 1)), ("B6", "L6", D(2025, 6, 1)),
            ("B7", "L7", D(2025, 7, 1)), ("B8", "L8", D(2025, 8, 1)),
            ("B9", "L9", D(2025, 9, 1)), ("B10", "L10", D(2025, 12, 20)),
            ("B11", "L2", D(2025, 11, 1)), ("B12", "L3", D(2024, 6, 1)),
            ("B20", "L5", D(2023, 5, 1)), ("B21", "L6", D(2024, 5, 1)),
            ("B22", "L1", D(2022, 5, 1))]
    insert(db, "liberation", [liberation(*x) for x in libs])
    insert(db, "orientation", [
        orientation("O1a", "B1", "AL", D(2025, 1, 11), "ORIENTE"),       # superseded
        orientation("O1", "B1", "PREF-51", D(2025, 1, 20), "ATTRIBUE"),
        orientation("O2", "B2", "AL", D(2025, 2, 2), "ATTRIBUE"),
        orientation("O3", "B3", "COM-51454", D(2025, 3, 2), "RENDU_BAILLEUR"),
        orientation("O4", "B4", "PREF-51", D(2025, 4, 2), "ATTRIBUE"),
        orientation("O5", "B5", "PREF-51", D(2025, 5, 2), "CALEOL"),
        orientation("O6", "B6", "MUTATION", D(2025, 6, 2), "ATTRIBUE"),
        orientation("O7", "B7", "PREF-10", D(2025, 7, 2), "ATTRIBUE"),
        orientation("O8", "B8", "BAILLEUR", D(2025, 8, 2), "ATTRIBUE"),
        orientation("O9", "B9", "RU", D(2025, 9, 2), "ATTRIBUE"),
        orientation("O11", "B11", "BAILLEUR", D(2025, 11, 2), "ATTRIBUE"),
        orientation("O12", "B12", "AL", D(2024, 6, 2), "ATTRIBUE"),
        orientation("O20", "B20", "MUTATION", D(2023, 5, 2), "ATTRIBUE"),
        orientation("O21", "B21", "MUTATION", D(2024, 5, 2), "ATTRIBUE"),
        orientation("O22", "B22", "MUTATION", D(2022, 5, 2), "ATTRIBUE")])
    bail = (D(2025, 1, 1), D(2025, 12, 1))
    insert(db, "attribution", [
        attribution("A1", "O1", "L1", *bail, prioritaire=True, dalo=True, quartile=1),
        attribution("A2", "O2", "L2", *bail, quartile=3, salarie=True),
        attribution("A3", "O3", "L3", *bail, quartile=1, prioritaire=True),  # by the bailleur
        attribution("A4", "O4", "L4", *bail, prioritaire=True, ress=5000.0),
        attribution("A6", "O6", "L6", *bail, mutation=True, quartile=2),
        attribution("A7", "O7", "L7", *bail, prioritaire=True, quartile=2),
        attribution("A9", "O9", "L9", *bail, relogement="RU", quartile=4),
        attribution("A11", "O11", "L2", *bail, quartile=1)])
    return db


@pytest.fixture
def bilan(year_db):
    return calculer_bilan(year_db, 2025, REF)


def _table(doc, dim):
    return doc.croisements[dim].set_index("categorie")


def test_prefet_counts_in_every_breakdown(bilan):
    doc = document_reservataire(bilan, "PREF-51")
    c = doc.chiffres
    assert (c["logements"], c["attribues"], c["prioritaires"], c["dalo"], c["q1"],
            c["rendus"], c["en_cours"]) == (3, 2, 2, 1, 2, 0, 1)
    assert c["du"] == pytest.approx(0.25 * 7)          # 7 flux entries in the Marne
    assert c["livres"] == 3 and c["ecart"] == pytest.approx(1.25)
    # categories of its perimeter's flux appear even when none went to it (T3)
    assert _table(doc, "typologie")["logements"].to_dict() == {"T1": 1, "T2": 1, "T3": 0,
                                                              "T4": 1}
    assert _table(doc, "typologie")["flux"].to_dict() == {"T1": 1, "T2": 1, "T3": 4, "T4": 1}
    assert _table(doc, "financement")["logements"].to_dict() == {"PLAI": 1, "PLUS": 1, "PLS": 1}
    qpv = _table(doc, "qpv")
    assert qpv["logements"].to_dict() == {"En QPV": 1, "Hors QPV": 2}
    assert qpv["flux"].to_dict() == {"En QPV": 3, "Hors QPV": 4}   # B1 B2 B11 in RA
    assert qpv.loc["En QPV", "part"] == pytest.approx(100 / 3)
    assert _table(doc, "commune")["logements"].to_dict() == {"Châlons-en-Champagne": 1,
                                                            "Reims": 2}
    assert _table(doc, "construction")["logements"].to_dict() == {
        "1949–1974": 1, "1990–2004": 1, "Depuis 2013": 1}
    t = _table(doc, "typologie")
    assert t.loc["T4", "q1"] == 1 and t.loc["T4", "prioritaires"] == 1  # threshold 9 000 €/UC
    assert t.loc["T1", "en_cours"] == 1
    for dim, table in doc.croisements.items():
        assert int(table["logements"].sum()) == 3, dim


def test_other_reservataires(bilan):
    al = document_reservataire(bilan, "AL")
    assert (al.chiffres["logements"], al.chiffres["attribues"], al.chiffres["q1"]) == (1, 1, 0)
    assert al.chiffres["du"] == pytest.approx(0.2 * 7 + 0.2 * 1)   # two départements
    assert set(al.synthese["departement"]) == {"51", "10"}
    com = document_reservataire(bilan, "COM-51454")
    assert (com.chiffres["logements"], com.chiffres["rendus"], com.chiffres["attribues"],
            com.chiffres["prioritaires"]) == (1, 1, 0, 0)   # the bailleur's lease is not its
    assert com.chiffres["du"] == pytest.approx(0.1 * 5)      # Reims: B1 B2 B3 B4 B11
    assert com.synthese["perimetre_libelle"].tolist() == ["Commune de Reims"]
    pref10 = document_reservataire(bilan, "PREF-10")
    assert _table(pref10, "construction")["logements"].to_dict() == {"Année inconnue": 1}
    assert pref10.chiffres["prioritaires"] == 1 and pref10.chiffres["q1"] == 0


def test_epci_documents(year_db, bilan):
    reims = document_epci(year_db, bilan, REIMS)
    c = reims.chiffres
    assert (c["liberes"], c["reservataire"], c["bailleur"], c["interne"], c["non_oriente"],
            c["attribues"], c["prioritaires"], c["q1"], c["rendus"]) == (6, 4, 1, 1, 0, 5, 2,
                                                                          3, 1)
    s = reims.synthese.set_index("destinataire")
    assert s.loc["PREF-51", "logements"] == 2 and s.loc["RU", "logements"] == 1
    assert s.loc["PREF-51", "du"] == pytest.approx(0.25 * 5)
    chalons = document_epci(year_db, bilan, CHALONS)
    assert (chalons.chiffres["liberes"], chalons.chiffres["non_oriente"],
            chalons.chiffres["interne"]) == (3, 1, 1)
    sous = chalons.soustraits.set_index("categorie")
    assert sous.loc["MUTATION", "realise"] == 1
    assert sous.loc["MUTATION", "prevision"] == pytest.approx(1.0)   # 2023, 2024, 2025
    detail = reims.croisements_detail["qpv"]
    assert detail[(detail["code"] == "QPV")].set_index("destinataire")["logements"].to_dict(
        ) == {"PREF-51": 1, "AL": 1, "RU": 1, "BAILLEUR": 1}


def test_soustraits_and_prevision(year_db, bilan):
    doc = document_reservataire(bilan, "PREF-51")
    sous = doc.soustraits.set_index("categorie")
    assert sous["realise"].to_dict() == {"MUTATION": 1, "RU": 1, "ORCOD": 0, "LHI": 0,
                                         "VENTE": 0}
    assert sous.loc["MUTATION", "prevision"] == pytest.approx(1.0)   # 2022 is out
    assert sous.loc["RU", "prevision"] == pytest.approx(1 / 3)
    conv = jauges_conventions(year_db, Perimetre(2026, departement="51",
                                                 aujourdhui=date(2026, 1, 1)))
    flux = float(conv.loc[conv["convention_id"] == "C1", "flux_net_prevu"].iloc[0])
    assert doc.prevision["droits_prevus"].tolist() == pytest.approx([0.25 * flux])
    assert doc.chiffres["droits_prevus"] == pytest.approx(0.25 * flux)


def test_hors_flux_dwellings_and_other_years_are_left_out(bilan):
    assert sorted(bilan.logements["liberation_id"]) == sorted(
        ["B1", "B2", "B3", "B4", "B5", "B6", "B7", "B9", "B10", "B11"])


def test_workbook_read_back_cell_by_cell(year_db, bilan):
    for doc in (document_reservataire(bilan, "PREF-51"), document_epci(year_db, bilan, REIMS)):
        sheets = pd.read_excel(io.BytesIO(ecrire_xlsx(doc)), sheet_name=None, header=None,
                               engine="calamine")
        assert list(sheets) == ["Synthèse", "Typologie", "Financement", "QPV", "Communes",
                                "Construction", "Soustraits", "Prévisionnel 2026",
                                "Logements", "Notes"]
        synth = sheets["Synthèse"]
        values = dict(zip(synth.iloc[4:, 0], synth.iloc[4:, 1]))
        for label, value, _ in indicateurs(doc):
            assert values[label] == pytest.approx(value, nan_ok=True), label
        for dim, name in (("typologie", "Typologie"), ("qpv", "QPV"),
                          ("construction", "Construction"), ("commune", "Communes")):
            sheet, table = sheets[name], doc.croisements[dim]
            assert sheet.iloc[3, 0] == "Catégorie"
            for i, row in enumerate(table.itertuples(), start=4):
                assert sheet.iloc[i, 0] == row.categorie
                assert (sheet.iloc[i, 1], sheet.iloc[i, 2], sheet.iloc[i, 3]) == (
                    row.logements, row.attribues, row.prioritaires)
                assert sheet.iloc[i, 8] == pytest.approx(row.part)
            total = 4 + len(table)
            assert sheet.iloc[total, 0] == "Total"
            assert sheet.iloc[total, 1] == doc.chiffres[
                "logements" if doc.genre == "reservataire" else "liberes"]
        sous = sheets["Soustraits"]
        assert sous.iloc[4:9, 1].tolist() == doc.soustraits["realise"].tolist()
        assert sous.iloc[9, 3] == pytest.approx(doc.soustraits["prevision"].sum())
        logs = sheets["Logements"]
        assert len(logs) - 4 == len(doc.logements)
        if doc.genre == "reservataire":
            assert set(logs.iloc[4:, 1]) == set(doc.logements["logement_id"])
        else:   # the EPCI sees every household's dwelling: no dwelling id nor résidence
            assert "Logement" not in set(logs.iloc[3]) and "Résidence" not in set(logs.iloc[3])
            assert "Destination" in set(logs.iloc[3])


def test_pdf_has_the_expected_headings(year_db, bilan):
    import pypdf

    for doc in (document_reservataire(bilan, "PREF-51"), document_epci(year_db, bilan, REIMS)):
        data = ecrire_pdf(doc)
        assert data.startswith(b"%PDF") and len(data) > 10_000
        text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages)
        section = ("Logements proposés et attribués par catégorie" if doc.genre ==
                   "reservataire" else "Logements libérés et attribués par catégorie")
        for heading in ("Bilan annuel 2025 des attributions", "Synthèse", section, "Typologie",
                        "Financement", "QPV / hors QPV", "Période de construction",
                        "Logements soustraits", "Prévisionnel 2026", "Méthode"):
            assert heading in text, heading
        assert doc.nom in text


def test_package_zip_and_reconciliations(year_db, bilan):
    seen = []
    paquet = generer(year_db, bilan, progression=lambda i, n, nom: seen.append((i, n)))
    assert seen[-1] == (7, 7)    # 4 réservataires + 3 EPCI
    assert paquet.rapprochements["ok"].all(), paquet.rapprochements
    names = set(zipfile.ZipFile(io.BytesIO(paquet.zip())).namelist())
    assert "bilan_2025/reservataires/bilan_2025_reservataire_prefet-de-la-marne.pdf" in names
    assert "bilan_2025/epci/bilan_2025_epci_cu-du-grand-reims.xlsx" in names
    assert "bilan_2025/bilan_2025_recapitulatif.xlsx" in names
    assert "bilan_2025/bilan_2025_statistiques_reservations.csv" in names
    assert "bilan_2025/bilan_2025_statistiques_reservations.pdf" in names
    assert len(names) == 7 * 2 + 3
    recap = paquet.recapitulatif.set_index("code")
    assert recap.loc["PREF-51", "logements"] == 3 and recap.loc[REIMS, "logements"] == 6


def test_demo_totals_trace_back_to_the_gauges(demo_db):
    b = calculer_bilan(demo_db, 2025, REF)
    paquet = generer(demo_db, b, pdf=False)
    assert paquet.rapprochements["ok"].all()
    conv = b.conventions.groupby("reservataire_id")[["orientes", "attribues", "rendus"]].sum()
    for rid in conv.index:
        doc = document_reservataire(b, rid)
        assert (doc.chiffres["logements"], doc.chiffres["attribues"], doc.chiffres["rendus"]) \
            == tuple(conv.loc[rid]), rid
        assert doc.chiffres["du"] == pytest.approx(
            float(b.conventions.loc[b.conventions["reservataire_id"] == rid, "du"].sum()))


def test_provisional_year_and_errors(year_db):
    b = calculer_bilan(year_db, 2025, date(2025, 6, 30))
    assert not b.complet and b.arret == date(2025, 6, 30)
    assert document_reservataire(b, "PREF-51").chiffres["logements"] == 3   # B1 B4 B5
    with pytest.raises(BilanError, match="n'a pas commencé"):
        calculer_bilan(year_db, 2027, REF)
    with pytest.raises(BilanError, match="INCONNU"):
        document_reservataire(calculer_bilan(year_db, 2025, REF), "INCONNU")


def test_construction_bands_are_a_setting(year_db):
    set_parametre(year_db, "periodes_construction", [1970, 2000], "test")
    doc = document_reservataire(calculer_bilan(year_db, 2025, REF), "PREF-51")
    assert _table(doc, "construction")["logements"].to_dict() == {
        "Avant 1970": 1, "1970–1999": 1, "Depuis 2000": 1}
    with pytest.raises(ParametreError, match="croissantes"):
        set_parametre(year_db, "periodes_construction", [2000, 1970], "test")
    assert libelle_periode("INCONNUE", [1949]) == "Année inconnue"


def test_bailleur_name_heads_the_files(year_db):
    set_parametre(year_db, "bailleur_nom", "Reims Habitat", "test")
    doc = document_reservataire(calculer_bilan(year_db, 2025, REF), "AL")
    assert doc.bailleur == "Reims Habitat"
    sheets = pd.read_excel(io.BytesIO(ecrire_xlsx(doc)), sheet_name="Synthèse", header=None,
                           engine="calamine")
    assert "Reims Habitat" in sheets.iloc[1, 0]


@pytest.mark.lent
def test_cli_bilan_writes_every_file(demo_path, tmp_path, capsys):
    import shutil

    from fluxcore.__main__ import main

    path = tmp_path / "demo.duckdb"
    shutil.copy(demo_path, path)
    out = tmp_path / "bilans"
    rc = main(["bilan", "--db", str(path), "--annee", "2025", "--out", str(out), "--date",
               "2026-02-10"])
    text = capsys.readouterr().out
    assert rc == 0, text
    assert text.startswith("Bilan annuel 2025 (R441-5-1)")
    assert "Rapprochements des totaux" in text and "NON" not in text
    assert "Statistiques des réservations, tout le patrimoine" in text
    assert "  État – agents (fonctionnaires)" in text
    xlsx = sorted(p.name for p in (out / "reservataires").glob("*.xlsx"))
    pdfs = sorted(p.name for p in (out / "reservataires").glob("*.pdf"))
    assert xlsx and [p.replace(".pdf", "") for p in pdfs] == [p.replace(".xlsx", "")
                                                              for p in xlsx]
    assert list((out / "epci").glob("*.xlsx")) and (out / "bilan_2025_recapitulatif.xlsx").exists()
    names = zipfile.ZipFile(out / "bilan_2025.zip").namelist()
    assert len(names) == len(list(out.rglob("*.xlsx"))) + len(list(out.rglob("*.pdf"))) + len(
        list(out.rglob("*.csv")))
    assert (out / "bilan_2025_statistiques_reservations.csv").exists()
    assert main(["bilan", "--db", str(path), "--annee", "2031", "--out", str(out)]) == 2
    assert "n'a pas commencé" in capsys.readouterr().err


def test_review_cases(year_db):
    # a first letting while first lettings are out of the flux
    set_parametre(year_db, "premieres_mises_en_location_dans_flux", False, "test")
    insert(year_db, "logement", [logement("L11", "RB", "T2", mes=D(2025, 10, 1))])
    insert(year_db, "liberation", [{**liberation("B30", "L11", D(2025, 10, 2)),
                                    "motif": "PREMIERE_LOCATION"}])
    insert(year_db, "orientation", [orientation("O30", "B30", "PREF-51", D(2025, 10, 3),
                                                "ATTRIBUE")])
    # a réservataire without convention on the territory
    insert(year_db, "reservataire", [_res("EMP", "Employeur X", "EMPLOYEUR", "51")])
    insert(year_db, "liberation", [liberation("B31", "L9", D(2025, 12, 1))])
    insert(year_db, "orientation", [orientation("O31", "B31", "EMP", D(2025, 12, 2),
                                                "ATTRIBUE")])
    b = calculer_bilan(year_db, 2025, REF)
    pref = document_reservataire(b, "PREF-51")
    assert pref.chiffres["logements"] == 4 and pref.chiffres["hors_flux"] == 1
    assert pref.chiffres["livres"] == 3
    labels = [label for label, _, _ in indicateurs(pref)]
    assert "Hors flux (premières mises en location exclues du flux)" in labels
    # (a second, local convention of Action Logement in the Marne is refused since issue 22:
    # one convention per réservataire and département — tests/test_conventions.py)
    reims = document_epci(year_db, b, REIMS)
    s = reims.synthese.set_index("destinataire")
    assert s.loc["EMP", "type"] == "EMPLOYEUR" and s.loc["PREF-51", "ecart"] == pytest.approx(
        2 - 0.25 * 6)          # B1 B2 B3 B4 B11 B31 entered; the first letting did not
    import re

    import pypdf
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(ecrire_pdf(reims))
                                                                ).pages)
    assert "Employeur X" in text and not re.search(r"\bnan\b", text)
    paquet = generer(year_db, b, pdf=False)
    assert paquet.rapprochements["ok"].all(), paquet.rapprochements


def test_homonyms_get_distinct_files(year_db):
    insert(year_db, "reservataire", [_res("AUTRE/1", "Préfet de la Marne", "AUTRE", "51")])
    insert(year_db, "convention", [_conv("C8", "AUTRE/1", "51", 1.0)])
    paquet = generer(year_db, calculer_bilan(year_db, 2025, REF), pdf=False)
    names = [n for n in paquet.fichiers if "prefet-de-la-marne" in n]
    assert len(names) == 2 and len(set(names)) == 2 and all(n.count("/") == 1 for n in names)


STAT_COLS = ["mis_a_disposition", "rendus", "decidees", "imputees", "hors_contingent", "baux",
             "sans_bail", "mutations"]


def _stats_case(db) -> None:
    """On top of the year: an agents' contingent (State's agents apart) given a dwelling
    whose household has not signed; an attribution recorded without orientation; an internal
    mutation on Action Logement's contingent; a lease signed in 2025 for a CALEOL of 2024."""
    insert(db, "reservataire", [_res("AGENTS-51", "Préfet de la Marne (agents)",
                                     "PREFET_FONCTIONNAIRES", "51")])
    insert(db, "liberation", [liberation("B40", "L5", D(2025, 7, 15)),
                              liberation("B42", "L4", D(2025, 10, 1))])
    insert(db, "orientation", [orientation("O40", "B40", "AGENTS-51", D(2025, 7, 16),
                                           "ATTRIBUE"),
                               orientation("O42", "B42", "AL", D(2025, 10, 2), "ATTRIBUE")])
    insert(db, "attribution", [
        attribution("A40", "O40", "L5", D(2025, 8, 1), None),
        attribution("A41", None, "L10", D(2025, 12, 22), D(2025, 12, 28)),
        attribution("A42", "O42", "L4", D(2025, 10, 10), D(2025, 11, 1), mutation=True),
        attribution("A43", "O12", "L3", D(2024, 7, 1), D(2025, 1, 15))])


def test_statistics_per_reservataire_type(year_db):
    from fluxcore.bilan.statistiques import tableau

    _stats_case(year_db)
    b = calculer_bilan(year_db, 2025, REF)
    marne = tableau(b.statistiques, "51").set_index("ligne")[STAT_COLS]
    assert marne.to_dict("index") == {
        # B1 B4 B5 to the préfet; A1 A4 decided and signed (B5 still in CALEOL)
        "ETAT_PRIORITAIRES": dict(zip(STAT_COLS, [3, 0, 2, 2, 0, 2, 0, 0])),
        # apart: B40, decided, no lease signed by 31/12
        "ETAT_FONCTIONNAIRES": dict(zip(STAT_COLS, [1, 0, 1, 1, 0, 0, 1, 0])),
        # Reims gave B3 back; the bailleur's household still counts as delivered to it
        "COLLECTIVITES": dict(zip(STAT_COLS, [1, 1, 1, 1, 0, 1, 0, 0])),
        # B2 and B42 (a tenant moving: a mutation on AL's contingent); 3 leases with A43
        "EMPLOYEURS": dict(zip(STAT_COLS, [2, 0, 2, 2, 0, 3, 0, 1])),
        "AUTRES": dict(zip(STAT_COLS, [0] * 8)),
        "NON_RESERVE": dict(zip(STAT_COLS, [1, 0, 1, 0, 1, 1, 0, 0])),
        # B6 (MUTATION) and B9 (RU): outside the flux, charged to no contingent
        "SOUSTRAITS": dict(zip(STAT_COLS, [2, 0, 2, 0, 2, 2, 0, 1])),
        "SANS_ORIENTATION": dict(zip(STAT_COLS, [0, 0, 1, 0, 1, 1, 0, 0])),
        "TOTAL": dict(zip(STAT_COLS, [10, 1, 10, 6, 4, 10, 1, 2]))}
    aube = tableau(b.statistiques, "10").set_index("ligne")
    assert aube.loc["ETAT_PRIORITAIRES", STAT_COLS].tolist() == [1, 0, 1, 1, 0, 1, 0, 0]
    assert aube.loc["TOTAL", STAT_COLS].tolist() == [1, 0, 1, 1, 0, 1, 0, 0]
    tout = tableau(b.statistiques).set_index("ligne")
    assert tout.loc["ETAT_PRIORITAIRES", "mis_a_disposition"] == 4
    assert tout.loc["TOTAL", STAT_COLS].tolist() == [11, 1, 11, 7, 4, 11, 1, 2]
    assert tout.loc["ETAT_FONCTIONNAIRES", "libelle"] == "État – agents (fonctionnaires)"
    # a dwelling given back no longer counts as delivered: its attribution is charged to no
    # contingent
    set_parametre(year_db, "rendu_bailleur_compte_livre", False, "test")
    coll = tableau(calculer_bilan(year_db, 2025, REF).statistiques, "51").set_index(
        "ligne").loc["COLLECTIVITES"]
    assert (coll["decidees"], coll["imputees"], coll["hors_contingent"]) == (1, 0, 1)


def test_statistics_in_every_export(year_db):
    import pypdf

    _stats_case(year_db)
    b = calculer_bilan(year_db, 2025, REF)
    paquet = generer(year_db, b)
    checks = paquet.rapprochements.set_index("controle")
    mis = checks.loc["Mis à disposition des réservataires : statistiques par type = fichiers "
                     "réservataires"]
    assert (mis["valeur"], mis["reference"], mis["ok"]) == (8, 8, True)   # 4 + 1 + 1 + 2
    assert paquet.rapprochements["ok"].all(), paquet.rapprochements
    # CSV: every département and the whole patrimoine, French headers
    csv = paquet.fichiers["bilan_2025_statistiques_reservations.csv"].decode("utf-8-sig")
    df = pd.read_csv(io.StringIO(csv), sep=";", dtype={"departement": str})
    assert list(df.columns[:4]) == ["departement", "nom", "contingent", "libellé"]
    row = df[(df["departement"] == "51") & (df["contingent"] == "EMPLOYEURS")].iloc[0]
    assert (row["Logements mis à disposition (orientés)"], row["Baux signés"],
            row["dont mutations internes"]) == (2, 3, 1)
    whole = df[df["nom"] == "Tout le patrimoine"].set_index("contingent")
    assert whole.loc["TOTAL", "Attributions décidées (CALEOL)"] == 11
    assert whole.loc["ETAT_FONCTIONNAIRES",
                     "Attributions sans bail signé (refus du ménage ou bail à venir)"] == 1
    # the recap workbook's sheet: the whole patrimoine first
    sheet = pd.read_excel(io.BytesIO(paquet.fichiers["bilan_2025_recapitulatif.xlsx"]),
                          sheet_name="Statistiques réservations", header=None,
                          engine="calamine")
    assert sheet.iloc[0, 0] == "Statistiques annuelles des réservations 2025 — Tout le " \
                               "patrimoine"
    assert sheet.iloc[1].tolist()[:3] == ["Type de réservataire",
                                          "Logements mis à disposition (orientés)",
                                          "Refus : logements rendus au bailleur"]
    assert sheet.iloc[2].tolist()[:4] == ["État – publics prioritaires", 4, 0, 3]
    assert sheet.iloc[10].tolist()[:9] == ["Total", 11, 1, 11, 7, 4, 11, 1, 2]
    assert ("Statistiques annuelles des réservations 2025 — Département 51 Marne"
            in set(sheet.iloc[:, 0].dropna()))
    # the PDF
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(
        paquet.fichiers["bilan_2025_statistiques_reservations.pdf"])).pages)
    for part in ("Statistiques annuelles des réservations 2025", "Tout le patrimoine",
                 "Département 10", "État – agents (fonctionnaires)", "Non réservé (bailleur)",
                 "Imputées", "Hors contingent", "compté comme livré"):
        assert part in text, part


def test_fast_writers_draw_and_write_what_the_library_calls_do():
    """The recap's long sheet (archive._feuille) holds the cells pandas' to_excel writes, and
    Document.texte draws the same page content as fpdf's multi_cell, line breaks from its
    cache included (the bilan's files are generated through both)."""
    import openpyxl
    import pypdf

    from fluxcore.bilan.archive import _feuille
    from fluxcore.neutralisation import excel_writer
    from fluxcore.pdf import FAMILLE, Document

    df = pd.DataFrame({
        "texte": pd.Series(["a", None, "", "=1+1", "-12", "é"], dtype="str"),
        "objet": pd.Series(["a", None, float("nan"), "", 3, 2.5], dtype=object),
        "entier": [1, 2, 3, 4, 5, 6], "nullable": pd.Series([1, None, 3, None, 5, 6],
                                                           dtype="Int64"),
        "reel": [1.5, float("nan"), 0.0, -2.0, 1e20, 3.0],
        "booleen": [True, False, True, False, True, False],
        "date": [date(2025, 1, 2), None, date(2024, 2, 29), pd.NaT, date(2025, 12, 31),
                 date(2020, 1, 1)],
        "horodatage": pd.to_datetime(["2025-01-02", None, "2025-03-04 05:06:07",
                                      "2025-01-01", None, "2025-01-01"], format="ISO8601")})

    def cells(data: bytes) -> list:
        ws = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
        return [(c.coordinate, c.value, c.number_format, c.font.b, c.alignment.horizontal,
                 c.border.top.style) for row in ws.iter_rows() for c in row
                if c.value is not None or c.has_style]

    pandas_, fast = io.BytesIO(), io.BytesIO()
    with excel_writer(pandas_) as xw:
        df.to_excel(xw, sheet_name="S", index=False)
    with excel_writer(fast) as xw:
        _feuille(xw, "S", df)
    assert cells(fast.getvalue()) == cells(pandas_.getvalue())
    assert ("A5", "'=1+1") in [c[:2] for c in cells(fast.getvalue())]   # still neutralised

    long_ = " ".join(f"Mot{i} « numéro » {i} 12\u202f345 €" for i in range(400))
    textes = ["Court.", "", long_, "Un paragraphe de méthode " * 30]

    def pdf(draw) -> list[bytes]:
        doc = Document("Titre")
        doc.add_page()
        doc.set_font(FAMILLE, "", 9)
        for t in [*textes, *textes]:        # the second time from the cache
            draw(doc, t)
        return [p.get_contents().get_data() for p in pypdf.PdfReader(
            io.BytesIO(bytes(doc.output()))).pages]

    library = pdf(lambda d, t: d.multi_cell(0, 4.5, t, new_x="LMARGIN", new_y="NEXT",
                                            align="L"))
    assert len(library) > 2                 # the long text runs over pages
    assert pdf(lambda d, t: d.texte(4.5, t)) == library
