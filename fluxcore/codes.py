"""One home per code of the domain: each code list with its French labels, the other
spellings an import accepts, and its order (the order of every list and screen).

A `Nomenclature` is an ordered list of `Code`s. The rest of the product reads these lists:
Python by name (`SOUSTRAITS`, `TYPES_RESERVATAIRE`…, fluxcore.formats.libelle_* for labels),
SQL through the loader: `{{ codes/<name> }}` in a file of fluxcore/sql expands to the SQL list
of that nomenclature's codes, e.g. `o.destinataire in {{ codes/soustraits }}` reads
`o.destinataire in ('MUTATION', 'RU', 'ORCOD', 'LHI', 'VENTE')` (fluxcore.db.load_sql; the
names are those of `SQL`). No SQL file spells these lists itself (tests/test_codes.py).

Two notions of the bailleur's own uses, kept apart on purpose (docs/regles.md#soustraits):
- SOUSTRAITS: the categories R441-5 I subtracts from the annual flux before it is shared
  (mutations, relogements NPNRU, ORCOD, habitat indigne, ventes HLM): they never enter the flux;
- DESTINATIONS_BAILLEUR: every destination of an orientation that is no réservataire — the
  soustraits plus BAILLEUR, the bailleur's non-reserved share, which *is* in the flux
  (part bailleur = 1 − Σ taux) but goes to no réservataire.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType


@dataclass(frozen=True)
class Code:
    """One code: `libelle` names one of it (« Commune »); `groupe` names the line that adds up
    the category (« Communes »); `court` is the short label of narrow views (« Préfet
    (prioritaires) »); `alias` are other spellings an import file may use, normalised as
    the importer does (upper case, no accents, `_` between words)."""

    code: str
    libelle: str
    groupe: str = ""
    court: str = ""
    alias: tuple[str, ...] = ()


class Nomenclature:
    """An ordered code list. Iterating, `in` and `len` work on the codes themselves."""

    def __init__(self, nom: str, *codes: Code) -> None:
        self.nom = nom
        self.entrees: tuple[Code, ...] = codes
        self.codes: tuple[str, ...] = tuple(c.code for c in codes)
        if len(set(self.codes)) != len(self.codes):
            raise ValueError(f"code en double dans {nom}")

    def __iter__(self) -> Iterator[str]:
        return iter(self.codes)

    def __contains__(self, code: object) -> bool:
        return code in self.codes

    def __len__(self) -> int:
        return len(self.codes)

    def __repr__(self) -> str:
        return f"Nomenclature({self.nom!r}, {self.codes!r})"

    @cached_property
    def libelles(self) -> Mapping[str, str]:
        """code → libellé, in order (read-only)."""
        return MappingProxyType({c.code: c.libelle for c in self.entrees})

    @cached_property
    def groupes(self) -> Mapping[str, str]:
        """code → label of the line adding up the category (the libellé when none)."""
        return MappingProxyType({c.code: c.groupe or c.libelle for c in self.entrees})

    @cached_property
    def courts(self) -> Mapping[str, str]:
        """code → short label (the group label when none)."""
        return MappingProxyType({c.code: c.court or c.groupe or c.libelle for c in self.entrees})

    @cached_property
    def alias(self) -> Mapping[str, str]:
        """Every spelling an import accepts → its code (the codes themselves included)."""
        out = {c.code: c.code for c in self.entrees}
        out.update({a: c.code for c in self.entrees for a in c.alias})
        return MappingProxyType(out)

    def rang(self, code: str) -> int:
        """Position of `code` in the order; unknown codes after all others."""
        return self.codes.index(code) if code in self.codes else len(self.codes)

    def sauf(self, nom: str, *exclus: str) -> Nomenclature:
        """The same list without `exclus` (same labels, same order)."""
        return Nomenclature(nom, *(c for c in self.entrees if c.code not in exclus))

    def parmi(self, nom: str, *gardes: str) -> Nomenclature:
        """The part of the list made of `gardes` (same labels, the list's order)."""
        inconnus = set(gardes) - set(self.codes)
        if inconnus:
            raise ValueError(f"codes inconnus de {self.nom} : {sorted(inconnus)}")
        return Nomenclature(nom, *(c for c in self.entrees if c.code in gardes))

    def sql(self) -> str:
        """The codes as a SQL list: ('A', 'B'). Codes are identifiers, never user input."""
        return "(" + ", ".join(f"'{c}'" for c in self.codes) + ")"


# == réservataires (docs/donnees.md#reservations, docs/regles.md#conventions)
# In the order of the gauges: the State, Action Logement, the collectivités from the largest
# territory to the smallest, employers, others.
TYPES_RESERVATAIRE = Nomenclature(
    "types_reservataire",
    Code("PREFET", "Préfet (publics prioritaires)", court="Préfet (prioritaires)"),
    Code("PREFET_FONCTIONNAIRES", "Préfet (agents de l'État)", court="Préfet (agents)"),
    Code("ACTION_LOGEMENT", "Action Logement"),
    Code("DEPARTEMENT", "Département"),
    Code("REGION", "Région"),
    Code("EPCI", "EPCI"),
    Code("COMMUNE", "Commune", "Communes"),
    Code("EMPLOYEUR", "Employeur", "Employeurs"),
    Code("AUTRE", "Autre réservataire", "Autres réservataires", court="Autres"),
)
# the préfet's two contingents (R441-5-2: one limit for both, agents within it)
TYPES_PREFET = ("PREFET", "PREFET_FONCTIONNAIRES")
# réservataires that sign for their own territory only (R441-5: communes, EPCI): a convention
# without a perimeter covers the réservataire's territoire
TYPES_TERRITORIAUX = ("COMMUNE", "EPCI")

# == the bailleur's own uses (docs/regles.md#soustraits)
SOUSTRAITS = Nomenclature(
    "soustraits",
    Code("MUTATION", "Mutations internes"),
    Code("RU", "Relogements NPNRU"),
    Code("ORCOD", "Relogements ORCOD"),
    Code("LHI", "Relogements habitat indigne"),
    Code("VENTE", "Relogements vente HLM"),
)
BAILLEUR = "BAILLEUR"
DESTINATIONS_BAILLEUR = Nomenclature(
    "destinations_bailleur", *SOUSTRAITS.entrees,
    Code(BAILLEUR, "Bailleur (non réservé)", "Bailleur (part non réservée)", court="Bailleur"),
)
# attribution.relogement: a household rehoused for one of the subtracted uses other than a
# mutation
RELOGEMENTS = SOUSTRAITS.sauf("relogements", "MUTATION")
# L441-1: households rehoused by urban renewal or an ORCOD count with the first quartile for
# the 25 % of attributions outside QPV
RELOGEMENTS_Q1 = RELOGEMENTS.sauf("relogements_q1", "LHI", "VENTE")

# logement.hors_flux_motif: dwellings kept in stock outside the flux (R441-5, L441-1)
HORS_FLUX = Nomenclature(
    "hors_flux",
    Code("DEFENSE", "défense nationale"),
    Code("SECURITE_INTERIEURE", "sécurité intérieure"),
    Code("SANTE", "établissements de santé"),
)

# logement.financement: the category of the loan that financed the dwelling, in the order of
# the bilan's tables; the RPLS FINAN codes map onto them (fluxcore.imports.nomenclatures).
# Alias: « PLA-I », as a file may write PLAI.
FINANCEMENTS = Nomenclature(
    "financements",
    Code("PLAI", "PLAI (prêt locatif aidé d'intégration)", alias=("PLA_I",)),
    Code("PLUS", "PLUS (prêt locatif à usage social)"),
    Code("PLS", "PLS (prêt locatif social)"),
    Code("PLI", "PLI (prêt locatif intermédiaire)"),
    Code("AUTRE", "autre financement"),
)

# == contingents of the SNE and of the annual statistics (docs/regles.md#sources)
# The State's agents apart from its priority publics; alias: the RPLS `contingent` codes an SNE
# extract may give instead (5, conventions R314-4, is the agents').
CONTINGENTS = Nomenclature(
    "contingents",
    Code("ETAT_PRIORITAIRES", "État – publics prioritaires", alias=("2",)),
    Code("ETAT_FONCTIONNAIRES", "État – agents (fonctionnaires)", alias=("1", "5")),
    Code("COLLECTIVITES", "Collectivités territoriales / EPCI", alias=("4",)),
    Code("EMPLOYEURS", "Employeurs / Action Logement", alias=("3",)),
    Code("AUTRES", "Autres réservataires", alias=("6",)),
    Code("NON_RESERVE", "Non réservé (bailleur)", alias=("7",)),
)
# the contingent each réservataire type is charged to (default of the setting
# sne_contingent_par_type); the bailleur's own uses are always NON_RESERVE
CONTINGENT_DU_TYPE = {
    "PREFET": "ETAT_PRIORITAIRES", "PREFET_FONCTIONNAIRES": "ETAT_FONCTIONNAIRES",
    "COMMUNE": "COLLECTIVITES", "EPCI": "COLLECTIVITES", "DEPARTEMENT": "COLLECTIVITES",
    "REGION": "COLLECTIVITES", "ACTION_LOGEMENT": "EMPLOYEURS", "EMPLOYEUR": "EMPLOYEURS",
    "AUTRE": "AUTRES"}

# == orientations ===================================================================
STATUTS_ORIENTATION = Nomenclature(
    "statuts_orientation",
    Code("ORIENTE", "Orienté"),
    Code("CANDIDATS_PROPOSES", "Candidats proposés"),
    Code("CALEOL", "Passé en CALEOL"),
    Code("ATTRIBUE", "Attribué"),
    Code("RENDU_BAILLEUR", "Rendu au bailleur"),
)
# an orientation still in progress (no attribution decided, not given back) …
STATUTS_EN_COURS = STATUTS_ORIENTATION.parmi("statuts_en_cours", "ORIENTE", "CANDIDATS_PROPOSES",
                                             "CALEOL")
# … and, of those, waiting for the réservataire's candidates (the proposal deadline runs)
STATUTS_EN_ATTENTE = STATUTS_EN_COURS.sauf("statuts_en_attente", "CALEOL")

# the lists SQL files may include as {{ codes/<name> }}
SQL: dict[str, Nomenclature] = {n.nom: n for n in (
    TYPES_RESERVATAIRE, TYPES_RESERVATAIRE.parmi("types_prefet", *TYPES_PREFET),
    TYPES_RESERVATAIRE.parmi("types_territoriaux", *TYPES_TERRITORIAUX),
    SOUSTRAITS, DESTINATIONS_BAILLEUR, RELOGEMENTS, RELOGEMENTS_Q1, HORS_FLUX, FINANCEMENTS,
    CONTINGENTS,
    STATUTS_ORIENTATION, STATUTS_EN_COURS, STATUTS_EN_ATTENTE)}


def liste_sql(nom: str) -> str:
    """The SQL list of nomenclature `nom` (a key of SQL), for `{{ codes/<nom> }}`."""
    if nom not in SQL:
        raise KeyError(f"liste de codes inconnue : « {nom} » (connues : {', '.join(SQL)})")
    return SQL[nom].sql()
