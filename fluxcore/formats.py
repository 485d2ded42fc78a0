"""French display of numbers, percentages, dates and the domain's codes."""

from __future__ import annotations

import math
from datetime import date
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

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
# Contingents of the annual statistics on reservations (arrêté du 28 novembre 2011) and of the
# contingent the SNE records at an attribution (domain.md §8), in display order; the State's
# agents apart from its priority publics. CONTINGENT_DU_TYPE: the réservataire types of each.
CONTINGENTS = {
    "ETAT_PRIORITAIRES": "État – publics prioritaires",
    "ETAT_FONCTIONNAIRES": "État – agents (fonctionnaires)",
    "COLLECTIVITES": "Collectivités territoriales / EPCI",
    "EMPLOYEURS": "Employeurs / Action Logement",
    "AUTRES": "Autres réservataires",
    "NON_RESERVE": "Non réservé (bailleur)"}
CONTINGENT_DU_TYPE = {
    "PREFET": "ETAT_PRIORITAIRES", "PREFET_FONCTIONNAIRES": "ETAT_FONCTIONNAIRES",
    "COMMUNE": "COLLECTIVITES", "EPCI": "COLLECTIVITES", "DEPARTEMENT": "COLLECTIVITES",
    "REGION": "COLLECTIVITES", "ACTION_LOGEMENT": "EMPLOYEURS", "EMPLOYEUR": "EMPLOYEURS",
    "AUTRE": "AUTRES"}
STATUTS = {"ORIENTE": "Orienté", "CANDIDATS_PROPOSES": "Candidats proposés",
           "CALEOL": "Passé en CALEOL", "ATTRIBUE": "Attribué",
           "RENDU_BAILLEUR": "Rendu au bailleur"}


def fmt_int(x: float | int | None) -> str:
    """1234567 -> '1 234 567' (narrow spaces), 2.5 -> '3'; None/NaN -> '–'."""
    if _vide(x):
        return "–"
    return _texte(_arrondi(x, 0), 0)


def _vide(x) -> bool:
    return x is None or (isinstance(x, float) and not math.isfinite(x))


def _arrondi(x: float, decimals: int, mode: str = ROUND_HALF_UP) -> Decimal:
    """x rounded at `decimals` places, half away from zero by default (22.5 → 23, never to
    even as Python's format does), from its shortest decimal form (2.675 → 2.68)."""
    d = Decimal(repr(float(x))).quantize(Decimal(1).scaleb(-decimals), rounding=mode)
    return abs(d) if d.is_zero() else d       # no « -0,0 »


def _texte(d: Decimal, decimals: int | None = None) -> str:
    """French text of a Decimal: narrow-space thousands, decimal comma; `decimals=None`
    drops trailing zeros (24.80 → '24,8', 25.0 → '25')."""
    if decimals is None:
        d = d.normalize() if d != d.to_integral_value() else d.quantize(Decimal(1))
        decimals = max(0, -d.as_tuple().exponent)
    return f"{d:,.{decimals}f}".replace(",", NNBSP).replace(".", ",")


def fmt_num(x: float | None, decimals: int = 1) -> str:
    """1234.5 -> '1 234,5'; -0.04 -> '0,0' (no « -0,0 »); halves round up: 0.25 -> '0,3'."""
    if _vide(x):
        return "–"
    return _texte(_arrondi(x, decimals), decimals)


def fmt_signe(x: float | None, decimals: int = 1) -> str:
    """A gap with its sign: 4 -> '+4,0', -47 -> '-47,0', -0.04 -> '0,0'."""
    text = fmt_num(x, decimals)
    return "+" + text if x is not None and not math.isnan(x) and round(x, decimals) > 0 \
        else text


def fmt_pct(x: float | None, decimals: int = 0) -> str:
    """25 -> '25 %', 23.33 (decimals=1) -> '23,3 %'. x is already in percent."""
    if _vide(x):
        return "–"
    return f"{fmt_num(x, decimals)}{NNBSP}%"


def fmt_cible(x: float | None) -> str:
    """A target in percent, with the decimals it needs (two at most): 25 -> '25 %',
    22.5 -> '22,5 %' (never « 22 % » nor « 23 % »), 100/3 -> '33,33 %'."""
    if _vide(x):
        return "–"
    return f"{_texte(_arrondi(x, 2))}{NNBSP}%"


def fmt_part(x: float | None, cible: float | None = None) -> str:
    """A share in percent, one decimal when needed: 21.0 -> '21 %', 24.8 -> '24,8 %'.

    Next to its target (`cible`, shown by fmt_cible), a share is never rounded up to meet
    it: below the target it is rounded as usual unless that would read as the target, then
    cut (24.96 for 25 -> '24,9 %', not « 25 % » beside « manque 1 »; 2/12 -> '16,7 %'),
    with one more decimal while even the cut would; at or above the target it keeps at
    least the target's decimals, so a target met never reads as missed."""
    if _vide(x):
        return "–"
    if _vide(cible):
        return f"{_texte(_arrondi(x, 1))}{NNBSP}%"
    shown_cible = _arrondi(cible, 2).normalize()
    places = max(1, -shown_cible.as_tuple().exponent)
    if x >= cible:
        return f"{_texte(_arrondi(x, places))}{NNBSP}%"
    for decimals in range(1, 5):
        shown = _arrondi(x, decimals)
        if shown >= shown_cible:
            shown = _arrondi(x, decimals, ROUND_FLOOR)
        if shown < shown_cible:
            break
    return f"{_texte(shown)}{NNBSP}%"


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
