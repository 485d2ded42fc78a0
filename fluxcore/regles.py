"""Pure rules of domain.md (no database): conversions, minimum counts, uniform spread, limits.

Every function here reproduces a worked example of domain.md §9 in tests/test_regles.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

INTERNES = ("MUTATION", "RU", "ORCOD", "LHI", "VENTE")
DESTINATIONS_BAILLEUR = (*INTERNES, "BAILLEUR")
TYPES_PREFET = ("PREFET", "PREFET_FONCTIONNAIRES")


def minimum_requis(pct: float, n: int) -> int:
    """'At least p %' of n as a count: ceil(p × n) (domain.md §6), robust to float noise."""
    return math.ceil(round(pct / 100.0 * n, 9))


def manque(pct: float, n: int, realise: int) -> int:
    """How many more are needed to reach p % of n (0 when reached). Example 8: 25 %, 200, 42 → 8."""
    return max(0, minimum_requis(pct, n) - realise)


def taux_part_stock(reserves: int | float, patrimoine: int | float) -> float:
    """Conversion by share of reserved stock, in percent: 25 of 100 → 25.0 (§4.1)."""
    if patrimoine <= 0:
        raise ValueError("Le patrimoine doit être strictement positif.")
    return 100.0 * reserves / patrimoine


def droits_uniques_par_an(droits_restants: float, annees_restantes: float) -> float:
    """Droits uniques spread over the remaining years: 100 over 10 → 10 a year (§4.2)."""
    if annees_restantes <= 0:
        raise ValueError("Le nombre d'années restantes doit être strictement positif.")
    return droits_restants / annees_restantes


def taux_droits_uniques(droits_restants: float, annees_restantes: float,
                        flux_net: float) -> float:
    """Rate in percent of the droits uniques: 10 a year on a flux of 50 → 20.0 (§4.2)."""
    if flux_net <= 0:
        raise ValueError("Le flux net doit être strictement positif.")
    return 100.0 * droits_uniques_par_an(droits_restants, annees_restantes) / flux_net


def repartition_uniforme(taux_pct: float, flux_par_commune: dict[str, float]) -> dict[str, float]:
    """Préfet spread applied uniformly in each commune: 25 % of {A: 40, B: 20} → A 10, B 5."""
    return {c: taux_pct / 100.0 * f for c, f in flux_par_commune.items()}


@dataclass(frozen=True)
class Controle:
    """One legal check: pass/fail with its article and a French explanation."""

    code: str
    libelle: str
    article: str
    valeur: float
    limite: float
    respecte: bool
    message: str


def derogation_valide(derogation_fin: date | None, date_signature: date | None,
                      reference: date) -> bool:
    """A préfectoral derogation counts while in force and if it lasts one year at most."""
    if derogation_fin is None or derogation_fin < reference:
        return False
    start = date_signature or reference
    try:
        one_year = start.replace(year=start.year + 1)
    except ValueError:  # signed on 29 February
        one_year = date(start.year + 1, 3, 1)
    return derogation_fin <= one_year


def controle_prefet(taux_prefet: float, taux_agents: float, max_pct: float = 30.0,
                    max_agents_pct: float = 5.0, derogation: bool = False) -> list[Controle]:
    """Préfet ≤ 30 % of the flux (derogation possible ≤ 1 year), agents ≤ 5 % (R441-5-2)."""
    ok = taux_prefet <= max_pct + 1e-9
    msg = (f"Contingent préfectoral de {_p(taux_prefet)} pour un maximum de {_p(max_pct)}")
    if not ok and derogation:
        msg += " : dépassement couvert par une dérogation préfectorale en vigueur (≤ 1 an)."
    elif not ok:
        msg += " : convention irrégulière sans dérogation datée d'un an au plus."
    else:
        msg += "."
    agents_ok = taux_agents <= max_agents_pct + 1e-9
    return [
        Controle("prefet_max", "Préfet : part maximale du flux", "R441-5-2", taux_prefet,
                 max_pct, ok or derogation, msg),
        Controle("prefet_agents_max", "Préfet : agents de l'État", "R441-5-2", taux_agents,
                 max_agents_pct, agents_ok,
                 f"Part des agents de l'État de {_p(taux_agents)} pour un maximum de "
                 f"{_p(max_agents_pct)}."),
    ]


def minimum_hors_qpv_prefet(n_orientes: int, pct: float = 30.0) -> int:
    """Reading A: dwellings oriented to the préfet that must lie outside QPV. 20 → 6 (§9 ex. 7)."""
    return minimum_requis(pct, n_orientes)


def controle_hors_qpv_prefet(lecture: str, prefet_total: int, prefet_hors_qpv: int,
                             flux_hors_qpv: int, pct: float = 30.0) -> Controle:
    """The préfet's hors-QPV rule under reading A or B (domain.md §3), on counts of the year.

    A: at least pct % of the dwellings oriented to the préfet are outside QPV.
    B: the préfet's rate on the hors-QPV flux (its hors-QPV dwellings over the hors-QPV flux)
       is at least pct %.
    """
    if lecture == "A":
        need = minimum_requis(pct, prefet_total)
        share = 100.0 * prefet_hors_qpv / prefet_total if prefet_total else 100.0
        return Controle(
            "prefet_hors_qpv", "Préfet : part hors QPV (lecture A)", "R441-5-2", share, pct,
            prefet_hors_qpv >= need,
            f"Lecture A : {prefet_hors_qpv} des {prefet_total} logements orientés au préfet sont "
            f"hors QPV ({_p(share)}) ; il en faut au moins {need} ({_p(pct)}).")
    need = minimum_requis(pct, flux_hors_qpv)
    share = 100.0 * prefet_hors_qpv / flux_hors_qpv if flux_hors_qpv else 100.0
    return Controle(
        "prefet_hors_qpv", "Préfet : taux sur le flux hors QPV (lecture B)", "R441-5-2", share,
        pct, prefet_hors_qpv >= need,
        f"Lecture B : le préfet a reçu {prefet_hors_qpv} des {flux_hors_qpv} logements du flux "
        f"hors QPV ({_p(share)}) ; il en faut au moins {need} ({_p(pct)}).")


def _p(x: float) -> str:
    text = f"{x:.1f}".replace(".", ",").replace(",0", "")
    return f"{text}\u202f%"
