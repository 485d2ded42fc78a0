"""French display of numbers, percentages and dates."""

from datetime import date

import pandas as pd

from fluxcore.formats import (
    fmt_date,
    fmt_date_longue,
    fmt_int,
    fmt_num,
    fmt_pct,
    fmt_signe,
    libelle_destination,
)

N = "\u202f"


def test_numbers():
    assert fmt_int(1234567) == f"1{N}234{N}567"
    assert fmt_int(12) == "12"
    assert fmt_int(None) == "–"
    assert fmt_num(1234.56, 1) == f"1{N}234,6"
    assert fmt_num(float("nan")) == "–"
    assert fmt_num(-0.04) == "0,0" and fmt_num(-0.4, 0) == "0"


def test_signed_gaps():
    assert fmt_signe(4) == "+4,0"
    assert fmt_signe(-47) == "-47,0"
    assert fmt_signe(-0.04) == "0,0"
    assert fmt_signe(1234.5, 0) == f"+1{N}234"
    assert fmt_signe(None) == "–"


def test_percentages():
    assert fmt_pct(25) == f"25{N}%"
    assert fmt_pct(23.333, 1) == f"23,3{N}%"


def test_dates():
    assert fmt_date(date(2026, 2, 8)) == "08/02/2026"
    assert fmt_date(None) == fmt_date(pd.NaT) == "–"
    assert fmt_date_longue(date(2027, 2, 28)) == "28 février 2027"
    assert fmt_date_longue(date(2027, 2, 1)) == "1er février 2027"


def test_destination_labels():
    assert libelle_destination("MUTATION") == "Mutations internes"
    assert libelle_destination("PREF-51", "PREFET") == "Préfet (publics prioritaires)"
    assert libelle_destination("BAILLEUR") == "Bailleur (non réservé)"
