"""CIL/CIA attribution objectives (domain.md §6): what an EPCI achieved against its targets.

This first part serves the orientation ranking (Q1 hors QPV, quartiles 2–4 in QPV); the full
tracking per réservataire and the page come with the Objectifs CIL issue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from fluxcore.db import Database, load_sql
from fluxcore.parametres import get_parametres
from fluxcore.regles import manque

DEFAUTS = {"Q1_HORS_QPV": "cible_q1_hors_qpv_pct", "Q234_EN_QPV": "cible_q234_en_qpv_pct",
           "PRIORITAIRES": "cible_prioritaires_pct"}


@dataclass(frozen=True)
class Indicateur:
    code: str
    realise: int      # attributions meeting the criterion
    base: int         # attributions the percentage applies to
    cible_pct: float
    manque: int       # still needed to reach the target: ceil(p × base) − realise

    @property
    def pct(self) -> float | None:
        return 100.0 * self.realise / self.base if self.base else None

    @property
    def retard(self) -> float:
        """Lag relative to the target, 0 (reached) to 1 (nothing achieved)."""
        if not self.base or self.pct is None or self.pct >= self.cible_pct:
            return 0.0
        return (self.cible_pct - self.pct) / self.cible_pct


def cible(db: Database, epci_siren: str, annee: int, indicateur: str,
          reservataire_id: str | None = None) -> float:
    """Target in percent: the `objectif` row if any, else the legal default (a setting)."""
    value = db.scalar(
        "select cible_pct from objectif where epci_siren = ? and annee = ? and indicateur = ? "
        "and reservataire_id is not distinct from ?",
        [epci_siren, annee, indicateur, reservataire_id])
    return float(value) if value is not None else float(
        get_parametres(db)[DEFAUTS[indicateur]])


def suivi_epci(db: Database, epci_siren: str, annee: int,
               arret: date | None = None) -> dict[str, Indicateur]:
    """Q1 hors QPV and Q2–4 in QPV achieved by the EPCI's signed leases of the year."""
    arret = arret or date(annee, 12, 31)
    row = db.df(load_sql("objectifs/realise"),
                {"epci": epci_siren, "annee": annee, "arret": arret}).iloc[0]
    out = {}
    for code, real, base in (("Q1_HORS_QPV", "q1_ou_reloges_hors_qpv", "baux_hors_qpv"),
                             ("Q234_EN_QPV", "q234_qpv", "baux_qpv")):
        c = cible(db, epci_siren, annee, code)
        out[code] = Indicateur(code, int(row[real]), int(row[base]), c,
                               manque(c, int(row[base]), int(row[real])))
    return out
