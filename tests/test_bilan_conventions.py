"""The bilan follows the convention rules of issue 22 (fluxcore.conventions): the forecast owed
for year N is rate × forecast flux × the part of N the convention covers, and the recipients
are the réservataires with a convention in force by its dates in N−1 or N. Figures by hand in
the comments.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from fluxcore.bilan.calcul import calculer_bilan
from fluxcore.bilan.documents import document, document_reservataire
from tests.factory import convention_row, insert, liberation, logement, reservataire_row, residence

D = date
REIMS, EPCI_REIMS = "51454", "200067213"
CLOS = D(2026, 1, 10)   # the bilan of 2025, once it is over; prévisionnel of 2026


_reservataire, _convention = reservataire_row, convention_row


@pytest.fixture
def base(empty_db):
    """365 dwellings in Reims, each vacated once a year in 2023, 2024 and 2025 (rotation
    100 %): the forecast flux of 2026 is 365. Préfet 25 % all along; Action Logement 20 % from
    01/04/2026 to 31/12/2026; Ville de Reims 10 % on Reims, taken back by the préfet from
    01/07/2026; Département 5 % for a loan guarantee, loan ended 30/06/2019 (rights until
    30/06/2024) though its years run to 2030."""
    db = empty_db
    insert(db, "residence", [residence("R1", REIMS, EPCI_REIMS, "51")])
    insert(db, "logement", [logement(f"L{i:03d}", "R1") for i in range(365)])
    insert(db, "reservataire", [
        _reservataire("PREF-51", "Préfet de la Marne", "PREFET", "51"),
        _reservataire("AL", "Action Logement Services", "ACTION_LOGEMENT", "national"),
        _reservataire("VILLE", "Ville de Reims", "COMMUNE", REIMS, D(2026, 7, 1), True),
        _reservataire("CD-51", "Département de la Marne", "DEPARTEMENT", "51")])
    insert(db, "convention", [
        _convention("C-PREF", "PREF-51", 25.0),
        _convention("C-AL", "AL", 20.0, debut=2026, fin=2026, date_debut=D(2026, 4, 1),
                    date_fin=D(2026, 12, 31)),
        _convention("C-VILLE", "VILLE", 10.0, REIMS),
        _convention("C-CD", "CD-51", 5.0, debut=2020, fin=2030, garantie=True,
                    fin_pret=D(2019, 6, 30))])
    insert(db, "liberation", [
        liberation(f"H{y}-{i:03d}", f"L{i:03d}", D(y, 1, 1) + timedelta(days=i))
        for y in (2023, 2024, 2025) for i in range(365)])
    return db


def test_forecast_owed_is_prorated_to_the_days_of_the_convention(base):
    b = calculer_bilan(base, 2025, aujourdhui=CLOS)
    prev = b.prevision.set_index("convention_id")
    assert prev.loc["C-AL", "flux_net_prevu"] == pytest.approx(365.0)
    # Action Logement: 20 % × 365 × 275/365 = 55
    assert prev.loc["C-AL", "droits_prevus"] == pytest.approx(55.0)
    # the préfet's own 25 % all year: 91,25 ; the commune up to 30/06 (181 days): 10 % × 181
    # = 18,1 ; the préfet's line for it from 01/07 (184 days): 18,4
    assert prev.loc["C-PREF", "droits_prevus"] == pytest.approx(91.25)
    assert prev.loc["C-VILLE", "droits_prevus"] == pytest.approx(18.1)
    assert prev.loc["REPRISE-C-VILLE", "droits_prevus"] == pytest.approx(18.4)
    assert prev.loc["REPRISE-C-VILLE", "reservataire_id"] == "PREF-51"
    # the guarantee ended on 30/06/2024: no forecast in 2026
    assert "C-CD" not in prev.index
    al = document_reservataire(b, "AL")
    assert al.chiffres["droits_prevus"] == pytest.approx(55.0)
    assert al.prevision["droits_prevus"].tolist() == [pytest.approx(55.0)]
    pref = document_reservataire(b, "PREF-51")
    assert pref.chiffres["droits_prevus"] == pytest.approx(91.25 + 18.4)


def test_epci_document_prorates_the_forecast(base):
    b = calculer_bilan(base, 2025, aujourdhui=CLOS)
    doc = document(base, b, "epci", EPCI_REIMS)
    # 91,25 + 55 + 18,1 + 18,4 = 182,75
    assert doc.chiffres["droits_prevus"] == pytest.approx(182.75)
    p = doc.prevision.set_index("reservataire_id")
    assert p.loc["AL", "droits_prevus"] == pytest.approx(55.0)


def test_recipients_follow_the_dates_of_the_conventions(base):
    b = calculer_bilan(base, 2025, aujourdhui=CLOS)
    recus = set(b.destinataires.loc[b.destinataires["genre"] == "reservataire", "code"])
    # Action Logement's convention starts in 2026 (N): it receives the bilan of 2025; the
    # Département's guarantee ended on 30/06/2024 though its years run to 2030: it does not
    assert recus == {"PREF-51", "AL", "VILLE"}
    b24 = calculer_bilan(base, 2024, aujourdhui=D(2025, 1, 10))
    recus24 = set(b24.destinataires.loc[b24.destinataires["genre"] == "reservataire", "code"])
    assert "CD-51" in recus24 and "AL" not in recus24
