"""What an import file may hold: per table of the data-model contract, its key, allowed codes,
bounds, code formats and references.

Column names and SQL types come from the database itself (information_schema), so a column
added by a migration is importable at once; this module adds only the rules a type cannot say.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fluxcore import codes
from fluxcore.suivi import STATUTS_CANDIDATURE

# the domain's code lists come from fluxcore.codes (one home per code)
INTERNES = codes.DESTINATIONS_BAILLEUR.codes     # destinations that are no réservataire
TYPOLOGIES = ("T1", "T2", "T3", "T4", "T5", "T6")
FINANCEMENTS = codes.FINANCEMENTS.codes
TYPES_RESERVATAIRE = codes.TYPES_RESERVATAIRE.codes
STATUTS_ORIENTATION = codes.STATUTS_ORIENTATION.codes
ORIGINES_CANDIDATURE = ("BAILLEUR", "RESERVATAIRE")

COMMUNE = (r"^([0-9]{5}|2[AB][0-9]{3})$", "un code INSEE de commune à 5 caractères (ex. 08105)")
DEPARTEMENT = (r"^([0-9]{2}|2[AB]|97[0-9])$", "un code de département (ex. 08, 2A, 974)")
SIREN = (r"^[0-9]{9}$", "un SIREN d'EPCI à 9 chiffres")
QPV = (r"^Q[NP][0-9A-Z]{5,8}$", "un code QPV (ex. QN05103M)")

PART = (0.0, 100.0)

# OPS survey (docs/regles.md#sources): shares of households, in percent, at résidence or
# commune level
PARTS_OPS = ("part_ressources_faibles", "part_monoparentales", "part_sans_emploi", "part_apl",
             "part_personnes_seules", "part_grandes_familles", "part_moins_25",
             "part_plus_65")
SECTEURS_OPS = ("QPV", "HORS_QPV", "ENSEMBLE")          # « Hors QPV » reads HORS_QPV
POPULATIONS_OPS = ("ENSEMBLE", "EMMENAGES_RECENTS")     # « Emménagés récents »


@dataclass(frozen=True)
class Reference:
    """`column` must name a row of `table.target` (in the database or in the same batch)."""
    column: str
    table: str
    target: str
    also: tuple[str, ...] = ()       # extra accepted values (internal destinations)


@dataclass(frozen=True)
class TableSpec:
    table: str
    label: str                               # French name, for messages
    key: tuple[str, ...]
    enums: dict[str, tuple[str, ...]] = field(default_factory=dict)
    bounds: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)
    strict_lower: tuple[str, ...] = ()       # bounds whose minimum is excluded (surface > 0)
    formats: dict[str, tuple[str, str]] = field(default_factory=dict)
    references: tuple[Reference, ...] = ()
    derivable: tuple[str, ...] = ()          # NOT NULL columns the importer can fill itself


SPECS: dict[str, TableSpec] = {s.table: s for s in (
    TableSpec("residence", "résidences", ("residence_id",),
              bounds={"latitude": (-90, 90), "longitude": (-180, 180),
                      "annee_construction": (1800, 2100)},
              formats={"commune_insee": COMMUNE, "departement": DEPARTEMENT,
                       "epci_siren": SIREN, "qpv_code": QPV},
              derivable=("departement", "en_qpv", "nom")),
    TableSpec("logement", "logements", ("logement_id",),
              enums={"typologie": TYPOLOGIES, "financement": FINANCEMENTS,
                     "hors_flux_motif": codes.HORS_FLUX.codes},
              bounds={"nb_pieces": (1, 20), "surface_m2": (0, 1000), "loyer_mensuel": (0, 10000),
                      "etage": (-5, 100)},
              strict_lower=("surface_m2",),
              references=(Reference("residence_id", "residence", "residence_id"),)),
    TableSpec("reservataire", "réservataires", ("reservataire_id",),
              enums={"type": TYPES_RESERVATAIRE},
              formats={"email": (r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
                                 "une adresse électronique (ex. flux@reservataire.fr)")}),
    TableSpec("convention", "conventions", ("convention_id",),
              bounds={"taux_flux": PART, "annee_debut": (2000, 2100), "annee_fin": (2000, 2100),
                      # the bounds of the settings these override (fluxcore.parametres)
                      "delai_proposition_jours": (1, 365), "nb_candidats_max": (1, 20)},
              formats={"departement": DEPARTEMENT},
              references=(Reference("reservataire_id", "reservataire", "reservataire_id"),),
              # years read from date_debut / date_fin when absent; perimetre from the
              # territoire of a commune or EPCI (fluxcore.imports.upsert)
              derivable=("annee_debut", "annee_fin")),
    # préfectoral dérogations to the préfet's limit (R441-5-2): an arrêté, its own dates
    # (one year at most: fluxcore.regles.Derogation), its rates
    TableSpec("derogation", "dérogations préfectorales", ("derogation_id",),
              bounds={"taux_max": PART, "taux_agents_max": PART},
              formats={"departement": DEPARTEMENT}),
    TableSpec("reservation_stock", "réservations en stock",
              ("logement_id", "reservataire_id", "type_droit"),
              enums={"type_droit": ("SUITE", "UNIQUE")}, bounds={"nb_droits": (0, 1000)},
              references=(Reference("logement_id", "logement", "logement_id"),
                          Reference("reservataire_id", "reservataire", "reservataire_id"))),
    TableSpec("liberation", "libérations", ("liberation_id",),
              references=(Reference("logement_id", "logement", "logement_id"),)),
    TableSpec("orientation", "orientations", ("orientation_id",),
              enums={"statut": STATUTS_ORIENTATION},
              references=(Reference("liberation_id", "liberation", "liberation_id"),
                          Reference("destinataire", "reservataire", "reservataire_id",
                                    INTERNES))),
    TableSpec("attribution", "attributions", ("attribution_id",),
              enums={"relogement": codes.RELOGEMENTS.codes},
              bounds={"taille_menage": (1, 20), "ressources_uc": (0, 1_000_000),
                      "quartile": (1, 4)},
              references=(Reference("orientation_id", "orientation", "orientation_id"),
                          Reference("logement_id", "logement", "logement_id"))),
    TableSpec("occupation", "enquêtes d'occupation", ("residence_id", "annee"),
              bounds={"annee": (1990, 2100), "nb_menages": (0, 100_000),
                      **{c: PART for c in (
                          *PARTS_OPS, "taux_rotation", "taux_vacance", "taux_impayes")}},
              references=(Reference("residence_id", "residence", "residence_id"),)),
    # the OPS survey as sent to a landlord: aggregates per commune, QPV and hors QPV apart,
    # households moved in within two years apart (population EMMENAGES_RECENTS); a file
    # without `population` holds the ENSEMBLE rows
    TableSpec("occupation_territoire", "enquête OPS par commune",
              ("commune_insee", "secteur", "annee", "population"),
              enums={"secteur": SECTEURS_OPS, "population": POPULATIONS_OPS},
              bounds={"annee": (1990, 2100), "nb_menages": (0, 1_000_000),
                      **{c: PART for c in PARTS_OPS}},
              formats={"commune_insee": COMMUNE}, derivable=("population",)),
    TableSpec("objectif", "objectifs", ("epci_siren", "annee", "indicateur", "reservataire_id"),
              enums={"indicateur": ("Q1_HORS_QPV", "Q234_EN_QPV", "PRIORITAIRES")},
              bounds={"annee": (2000, 2100), "cible_pct": PART}, formats={"epci_siren": SIREN},
              references=(Reference("reservataire_id", "reservataire", "reservataire_id"),)),
    TableSpec("seuil_quartile", "seuils du premier quartile", ("epci_siren", "annee"),
              bounds={"annee": (2000, 2100), "seuil_q1_uc": (0, 1_000_000)},
              strict_lower=("seuil_q1_uc",), formats={"epci_siren": SIREN}),
    TableSpec("demande", "demandes", ("demande_id",),
              enums={"typologie_souhaitee": TYPOLOGIES,
                     "statut": ("ACTIVE", "ATTRIBUEE", "RADIEE")},
              bounds={"taille_menage": (1, 20), "ressources_uc": (0, 1_000_000),
                      "nb_refus": (0, 100)},
              formats={"commune_souhaitee": COMMUNE}),
    # households proposed for an oriented dwelling and what became of each (fluxcore.suivi)
    TableSpec("candidature", "candidatures", ("candidature_id",),
              enums={"statut": tuple(STATUTS_CANDIDATURE), "origine": ORIGINES_CANDIDATURE},
              bounds={"rang": (1, 100)},
              references=(Reference("orientation_id", "orientation", "orientation_id"),
                          Reference("demande_id", "demande", "demande_id"))),
    # radiations for attribution as the landlord extracts them from the SNE (migration 007,
    # docs/sne.md): the RPLS id may be unknown to the product, which the reconciliation says
    TableSpec("radiation_sne", "radiations SNE", ("numero_unique",),
              enums={"contingent": codes.CONTINGENTS.codes},
              formats={"commune_insee": COMMUNE,
                       "siren_bailleur": (r"^[0-9]{9}$", "un SIREN à 9 chiffres")}),
    TableSpec("grille_cotation", "grilles de cotation", ("epci_siren", "version", "critere"),
              bounds={"version": (1, 10_000), "points": (-1000, 1000)},
              formats={"epci_siren": SIREN}),
    TableSpec("parametre", "paramètres", ("cle",), derivable=("description",)),
)}

# Writing order: referenced tables first.
ORDER = tuple(SPECS)

# Columns the importer never takes from a file (kept as they are in the database).
MANAGED = {"parametre": ("updated_at", "updated_by"),
           "logement": ("signature",),   # signature: computed by the RPLS import
           # modifie_le: set by the product's writes (two users at once: fluxcore.suivi)
           "orientation": ("modifie_le",), "candidature": ("modifie_le",)}

# Table names as they may appear in a sheet or file name.
ALIASES = {
    **{t: t for t in SPECS},
    **{t + "s": t for t in SPECS},
    "residences": "residence", "logements": "logement", "reservataires": "reservataire",
    "stock": "reservation_stock", "reservations": "reservation_stock",
    "reservations_stock": "reservation_stock", "parametres": "parametre",
    "grille": "grille_cotation", "grilles": "grille_cotation", "cotation": "grille_cotation",
    "seuils": "seuil_quartile", "seuils_quartile": "seuil_quartile",
    "objectifs": "objectif", "occupations": "occupation", "enquete_occupation": "occupation",
    "ops_residence": "occupation", "ops_residences": "occupation",
    "ops_commune": "occupation_territoire", "ops_communes": "occupation_territoire",
    "ops_territoire": "occupation_territoire", "occupation_commune": "occupation_territoire",
    "occupation_communes": "occupation_territoire", "ops_epci": "occupation_territoire",
    "enquete_ops_commune": "occupation_territoire",
    "derogation_prefet": "derogation", "derogations_prefet": "derogation",
    "derogation_prefectorale": "derogation", "derogations_prefectorales": "derogation",
    "arrete_derogation": "derogation", "arretes_derogation": "derogation",
    "sne": "radiation_sne", "radiations": "radiation_sne", "radiations_sne": "radiation_sne",
    "sne_radiations": "radiation_sne", "radiation": "radiation_sne",
    "radiations_attribution": "radiation_sne", "radiations_pour_attribution": "radiation_sne",
    "candidats": "candidature", "propositions": "candidature",
}


# The longest value a cell may hold, in characters (fluxcore.imports.reader.check_values): a
# longer one is a damaged file or shifted columns, never stored. A few columns hold more.
MAX_CHARS = 1000
MAX_CHARS_COLUMNS = {"valeur": 100_000, "description": 4000, "commentaire": 4000,
                     "motif": 4000, "observations": 4000}


def max_chars(column: str) -> int:
    """The bound of a column (its normalised header)."""
    return MAX_CHARS_COLUMNS.get(column, MAX_CHARS)
