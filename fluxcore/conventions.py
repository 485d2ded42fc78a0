"""When a convention owes, and to whom (docs/regles.md#conventions, #conversion, issue 22):
pure rules.

- A convention runs from date_debut to date_fin (NULL: 1 January of annee_debut, 31 December of
  annee_fin). What it is owed to date is its rate × the dwellings vacated on its days; its
  forecast for a year is rate × forecast flux × the part of the year it covers.
- A convention tied to a loan guarantee ends with the loan plus the years of the setting
  garantie_duree_apres_pret_ans (fin_pret 30/06/2019 + 5 → last day 30/06/2024).
- One convention per bailleur × réservataire × département: where two overlap, the most
  recently signed applies (the older ends the day before it starts); check reports it.
- A réservataire whose rights the préfet took back (repris_par_prefet, since date_reprise)
  owes nothing of its own from that day: its rate of the flux of its perimeter is owed to the
  préfet (PREFET réservataire) of the département for the rest of its convention. That share
  is the réservataire's right exercised by the préfet, not the préfet's own reservation: it
  is not counted in the préfet's 30 % limit (R441-5-2), and counted once in Σ ≤ 100 %.

The SQL applying them is sql/conventions/*.sql (shared by the gauges, the assiette and the
checks); these functions are the same rules on plain values, and the texts shown beside the
gauges.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

import pandas as pd

from fluxcore.formats import de, fmt_date, fmt_num, fmt_pct

REPRISE_SANS_DATE = date(1900, 1, 1)  # repris_par_prefet without date_reprise (SQL: the same)


def jours_annee(annee: int) -> int:
    return 366 if calendar.isleap(annee) else 365


def part_annee(debut: date, fin: date, annee: int) -> float:
    """Share of year `annee` within [debut, fin] (both included): 01/04–31/12 of a 365-day
    year → 275/365; 0.0 when they do not meet."""
    a, b = max(debut, date(annee, 1, 1)), min(fin, date(annee, 12, 31))
    return max(0, (b - a).days + 1) / jours_annee(annee)


def droits_prevus(taux_pct: float, flux_prevu: float, debut: date, fin: date,
                  annee: int) -> float:
    """Forecast owed for the year: rate × forecast flux × part of the year covered.
    20 % of 365 from 01/04 to 31/12 of a 365-day year → 55.0."""
    return taux_pct / 100.0 * flux_prevu * part_annee(debut, fin, annee)


def fin_garantie(fin_pret: date, annees: float) -> date:
    """Last day of the rights of a loan guarantee: the loan's end plus `annees` years
    (30/06/2019 + 5 → 30/06/2024; a 29 February ends on the 28th)."""
    mois = fin_pret.month - 1 + round(12 * annees)
    annee, mois = fin_pret.year + mois // 12, mois % 12 + 1
    return date(annee, mois, min(fin_pret.day, calendar.monthrange(annee, mois)[1]))


def _jour(value) -> date | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


def remarque(ligne, annee: int) -> str | None:
    """What a gauge line (a row of jauges.jauges_conventions) owes beyond « rate × the
    year's flux », in French; None for a plain whole-year convention."""
    debut, fin = _jour(ligne.debut), _jour(ligne.fin)
    reprise = _jour(ligne.reprise)
    if isinstance(ligne.repris_de, str):
        quand = (f" (reprise du {fmt_date(reprise)})" if reprise is not None
                 and REPRISE_SANS_DATE < reprise < debut else "")
        return (f"dont droits repris {de(ligne.repris_de_nom)}{quand} : "
                f"{fmt_pct(ligne.taux_flux, 1)} du flux de son périmètre depuis le "
                f"{fmt_date(debut)} ({fmt_num(ligne.du)} dû à date, "
                f"{fmt_num(ligne.droits_annuels)} sur l'année)")
    notes = []
    coupee = reprise is not None and fin + timedelta(days=1) == reprise
    d_conv, f_conv = _jour(ligne.debut_convention), _jour(ligne.fin_convention)
    if d_conv > date(annee, 1, 1) or f_conv < date(annee, 12, 31):
        texte = (f"convention du {fmt_date(d_conv)} au {fmt_date(f_conv)} : "
                 f"{fmt_pct(100 * part_annee(d_conv, f_conv, annee))} de l'année")
        if f_conv < date(annee, 12, 31) and f_conv == _jour(ligne.fin_garantie):
            texte += " (fin des droits de la garantie d'emprunt)"
        elif f_conv < date(annee, 12, 31) and isinstance(ligne.remplacee_par, str):
            texte += f" (remplacée par la convention {ligne.remplacee_par}, signée après)"
        notes.append(texte)
    if coupee:
        notes.append(f"droits repris par le préfet à partir du {fmt_date(reprise)} : dû sur "
                     f"les logements libérés jusqu'au {fmt_date(fin)}")
    return " ; ".join(notes) or None
