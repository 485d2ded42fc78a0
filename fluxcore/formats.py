"""French display of numbers, percentages, dates and the domain's codes."""

from __future__ import annotations

import math
from datetime import date

NNBSP = "\u202f"  # narrow no-break space: thousands separator and before « % »

MOIS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
        "octobre", "novembre", "décembre")
MOIS_COURTS = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.",
               "oct.", "nov.", "déc.")

TYPES_RESERVATAIRE = {
    "PREFET": "Préfet (publics prioritaires)", "PREFET_FONCTIONNAIRES": "Préfet (agents de l'État)",
    "ACTION_LOGEMENT": "Action Logement", "COMMUNE": "Communes", "EPCI": "EPCI",
    "DEPARTEMENT": "Département", "REGION": "Région", "EMPLOYEUR": "Employeurs",
    "AUTRE": "Autres réservataires"}
USAGES_INTERNES = {
    "MUTATION": "Mutations internes", "RU": "Relogements NPNRU", "ORCOD": "Relogements ORCOD",
    "LHI": "Relogements habitat indigne", "VENTE": "Relogements vente HLM",
    "BAILLEUR": "Bailleur (non réservé)"}
STATUTS = {"ORIENTE": "Orienté", "CANDIDATS_PROPOSES": "Candidats proposés",
           "CALEOL": "Passé en CALEOL", "ATTRIBUE": "Attribué",
           "RENDU_BAILLEUR": "Rendu au bailleur"}


def fmt_int(x: float | int | None) -> str:
    """1234567 -> '1 234 567' (narrow spaces); None/NaN -> '–'."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{round(x):,}".replace(",", NNBSP)


def fmt_num(x: float | None, decimals: int = 1) -> str:
    """1234.5 -> '1 234,5'; -0.04 -> '0,0' (no « -0,0 »)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if round(x, decimals) == 0:
        x = 0.0
    return f"{x:,.{decimals}f}".replace(",", NNBSP).replace(".", ",")


def fmt_signe(x: float | None, decimals: int = 1) -> str:
    """A gap with its sign: 4 -> '+4,0', -47 -> '-47,0', -0.04 -> '0,0'."""
    text = fmt_num(x, decimals)
    return "+" + text if x is not None and not math.isnan(x) and round(x, decimals) > 0 \
        else text


def fmt_pct(x: float | None, decimals: int = 0) -> str:
    """25 -> '25 %', 23.33 (decimals=1) -> '23,3 %'. x is already in percent."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{fmt_num(x, decimals)}{NNBSP}%"


def fmt_date(d: date | None) -> str:
    """date(2026, 2, 28) -> '28/02/2026'; None or NaT -> '–'."""
    return "–" if d is None or d != d else d.strftime("%d/%m/%Y")


def fmt_date_longue(d: date) -> str:
    """date(2026, 2, 28) -> '28 février 2026' (1er for the first day)."""
    jour = "1er" if d.day == 1 else str(d.day)
    return f"{jour} {MOIS[d.month - 1]} {d.year}"


def libelle_destination(code: str, type_reservataire: str | None = None) -> str:
    """Label of an orientation's destination category."""
    if code in USAGES_INTERNES:
        return USAGES_INTERNES[code]
    return TYPES_RESERVATAIRE.get(type_reservataire or "", code)
