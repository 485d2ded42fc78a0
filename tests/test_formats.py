"""French display of numbers, percentages and dates."""

from datetime import date

import pandas as pd

from fluxcore.formats import (
    fmt_annee,
    fmt_cible,
    fmt_date,
    fmt_date_longue,
    fmt_duree_ms,
    fmt_int,
    fmt_nombre,
    fmt_num,
    fmt_part,
    fmt_pct,
    fmt_signe,
    libelle_destination,
    shown_number,
    shown_part,
)

N = "\u202f"


def test_numbers():
    assert fmt_int(1234567) == f"1{N}234{N}567"
    assert fmt_int(12) == "12"
    assert fmt_int(None) == "–"
    assert fmt_num(1234.56, 1) == f"1{N}234,6"
    assert fmt_num(float("nan")) == "–"
    assert fmt_num(-0.04) == "0,0" and fmt_num(-0.4, 0) == "0"


def test_numbers_with_the_decimals_they_need():
    assert fmt_nombre(0.4) == "0,4" and fmt_nombre(30.0) == "30" and fmt_nombre(1 / 3) == "0,33"
    assert fmt_nombre(1_000_000) == f"1{N}000{N}000"             # « {:g} » gave « 1e+06 »
    assert fmt_nombre(1.25, 1) == "1,3" and fmt_nombre(2.0, 1) == "2"
    # max_decimals=None: every decimal, never rounded (a value to edit or to record)
    assert fmt_nombre(0.125, None) == "0,125" and fmt_nombre(0.1234567, None) == "0,1234567"
    assert fmt_nombre(27.5, None) == "27,5" and fmt_nombre(30.0, None) == "30"
    assert fmt_nombre(1e6, None) == f"1{N}000{N}000" and fmt_nombre(1e-7, None) == "0,0000001"
    assert fmt_nombre(-0.0, None) == "0" and fmt_nombre(-2.5, None) == "-2,5"
    assert fmt_nombre(float("nan"), None) == fmt_nombre(None) == "–"


def test_years_are_never_grouped():
    assert fmt_annee(2024) == "2024" and fmt_annee(2100.0) == "2100"   # not « 2 100 »
    assert fmt_annee(None) == fmt_annee(float("nan")) == "–"


def test_signed_gaps():
    assert fmt_signe(4) == "+4,0"
    assert fmt_signe(-47) == "-47,0"
    assert fmt_signe(-0.04) == "0,0"
    assert fmt_signe(1234.5, 0) == f"+1{N}235"     # halves round up, never to even
    assert fmt_signe(1.07, 2) == "+1,07" and fmt_signe(-0.35, 2) == "-0,35"
    assert fmt_signe(None) == "–"


def test_percentages():
    assert fmt_pct(25) == f"25{N}%"
    assert fmt_pct(23.333, 1) == f"23,3{N}%"
    assert fmt_pct(22.5) == f"23{N}%" and fmt_pct(24.25, 1) == f"24,3{N}%"


def test_halves_round_up_not_to_even():
    # Python's format rounds 22.5 to « 22 » and 0.125 to « 0.12 »; French display does not
    assert fmt_num(22.5, 0) == "23" and fmt_num(23.5, 0) == "24"
    assert fmt_num(0.125, 2) == "0,13" and fmt_num(2.675, 2) == "2,68"
    assert fmt_int(2.5) == "3" and fmt_int(-2.5) == "-3"
    assert fmt_num(float("inf")) == "–"


def test_targets_keep_their_half_percent():
    assert fmt_cible(22.5) == f"22,5{N}%"            # was « 22 % » (rounded to even)
    assert fmt_cible(25.0) == f"25{N}%" and fmt_cible(30) == f"30{N}%"
    assert fmt_cible(100 / 3) == f"33,33{N}%"
    assert fmt_cible(None) == fmt_cible(float("nan")) == "–"


def test_shares_are_never_rounded_up_to_their_target():
    assert fmt_part(24.8, 25.0) == f"24,8{N}%"       # was « 25 % » next to « manque 1 »
    assert fmt_part(24.96, 25.0) == f"24,9{N}%"      # cut, not rounded to 25,0
    assert fmt_part(24.99999, 25.0) == f"24,9{N}%"
    assert fmt_part(22.49, 22.5) == f"22,4{N}%"
    assert fmt_part(33.331, 100 / 3) == f"33,3{N}%"  # below « 33,33 % »
    assert fmt_part(21.0, 25.0) == f"21{N}%"         # one decimal only when needed
    assert fmt_part(200 / 30, 25.0) == f"6,7{N}%"       # rounded as usual when far below
    assert fmt_part(25.0, 25.0) == f"25{N}%" and fmt_part(22.5, 22.5) == f"22,5{N}%"
    assert fmt_part(22.54, 22.54) == f"22,54{N}%"    # met: at least the target's decimals
    assert fmt_part(30.04, 25.0) == f"30{N}%" and fmt_part(30.05, 25.0) == f"30,1{N}%"
    assert fmt_part(100 / 3) == f"33,3{N}%" and fmt_part(38.0) == f"38{N}%"
    assert fmt_part(None, 25.0) == "–"


def test_dates():
    assert fmt_date(date(2026, 2, 8)) == "08/02/2026"
    assert fmt_date(None) == fmt_date(pd.NaT) == "–"
    assert fmt_date_longue(date(2027, 2, 28)) == "28 février 2027"
    assert fmt_date_longue(date(2027, 2, 1)) == "1er février 2027"


def test_destination_labels():
    assert libelle_destination("MUTATION") == "Mutations internes"
    assert libelle_destination("PREF-51", "PREFET") == "Préfet (publics prioritaires)"
    assert libelle_destination("BAILLEUR") == "Bailleur (non réservé)"


def test_numbers_kept_as_numbers_read_as_their_text():
    # a table's sortable column holds the number its French text shows
    assert shown_number(2.675, 2) == 2.68 and fmt_num(2.675, 2) == "2,68"
    assert shown_number(22.5, 0) == 23.0 and shown_number(-2.5, 0) == -3.0
    assert shown_number(15.149) == 15.1 and shown_number(-0.04) == 0.0
    assert shown_number(1234.56) == 1234.6
    assert shown_number(None) is None and shown_number(float("nan")) is None
    assert shown_number(pd.NA) is None and shown_number(float("inf")) is None
    assert shown_part(24.96, 25.0) == 24.9 and fmt_part(24.96, 25.0) == f"24,9{N}%"
    assert shown_part(21.0, 25.0) == 21.0 and shown_part(30.05, 25.0) == 30.1
    assert shown_part(200 / 12) == 16.7 and shown_part(1234.56) == 1234.6
    assert shown_part(None, 25.0) is None and shown_part(float("nan")) is None


def test_fmt_duree_ms():
    assert [fmt_duree_ms(x) for x in (None, 0.4, 12.4, 999.4, 1000, 1834.0, 61_250)] == [
        "–", "0 ms", "12 ms", "999 ms", "1,00 s", "1,83 s", "61,25 s"]


def test_fmt_taille():
    from fluxcore.formats import fmt_taille

    assert [fmt_taille(n) for n in (0, 1, 512, 1536, 1024 ** 2, 3 * 1024 ** 2 + 100_000,
                                     int(2.5 * 1024 ** 3), 5000 * 1024 ** 3)] == [
        "0 octet", "1 octet", "512 octets", "1,5 Ko", "1 Mo", "3,1 Mo", "2,5 Go",
        "5\u202f000 Go"]


def test_fmt_part_max_never_reads_an_excess_as_the_maximum():
    from fluxcore.formats import fmt_part_max

    assert fmt_part_max(30.04, 30) == "30,04\u202f%"
    assert fmt_part_max(5.03, 5) == "5,03\u202f%" and fmt_part_max(5.06, 5) == "5,1\u202f%"
    assert fmt_part_max(30.00001, 30) == "30,0001\u202f%"
    assert fmt_part_max(32, 30) == "32\u202f%"
    assert fmt_part_max(30, 30) == "30\u202f%" and fmt_part_max(29.96, 30) == "30\u202f%"

