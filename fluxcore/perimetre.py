"""The territory and period a page looks at, passed to every query as bound parameters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Perimetre:
    """A year, optionally narrowed to a département or an EPCI (SIREN).

    `aujourdhui` is the reference date: figures "to date" stop there for the current year;
    a past year is seen whole.
    """

    annee: int
    departement: str | None = None
    epci_siren: str | None = None
    aujourdhui: date | None = None
    commune_insee: str | None = None

    @property
    def date_debut(self) -> date:
        return date(self.annee, 1, 1)

    @property
    def date_arret(self) -> date:
        """Last day counted: the reference date in the current year, else 31 December."""
        today = self.aujourdhui or date.today()
        end = date(self.annee, 12, 31)
        return min(today, end)

    @property
    def annee_complete(self) -> bool:
        """Whether the whole year is behind the reference date."""
        return self.date_arret == date(self.annee, 12, 31)

    def params(self) -> dict:
        """Named parameters shared by the SQL files ($annee, $dep, $epci, $commune, $debut,
        $arret); each query receives only those it uses (db.bind)."""
        return {"annee": self.annee, "dep": self.departement, "epci": self.epci_siren,
                "commune": self.commune_insee, "debut": self.date_debut,
                "arret": self.date_arret}

    def libelle(self, noms: dict[str, str] | None = None) -> str:
        noms = noms or {}
        if self.commune_insee:
            return noms.get(self.commune_insee, f"Commune {self.commune_insee}")
        if self.epci_siren:
            return noms.get(self.epci_siren, f"EPCI {self.epci_siren}")
        if self.departement:
            return noms.get(self.departement, f"Département {self.departement}")
        return "Tout le patrimoine"
