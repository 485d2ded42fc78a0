"""The RPLS code lists the importer reads (docs/regles.md#sources, docs/imports.md), each
stated once.

- FINAN: the financing nomenclature of the répertoire (codes and labels as published in the
  open data `FINAN_CODE`/`FINAN_LIBELLE`, and in older files `FINAN` as a number), with the
  product's category (PLAI, PLUS, PLS, PLI, AUTRE). The category follows the resource ceilings
  that apply today to each historical product: PLA d'intégration and PLA LM/TS/insertion are
  PLAI-ceiling products; PLA ordinaire, PLUS, HBM, PLR/PSR, HLM/O and ILM let at the HLM
  ordinary ceilings (PLUS); PLS and the PLA CFF, PCL and the prêts spéciaux du CFF let at the
  PLS ceilings; PLI and ILN are intermediate (PLI); 49 and 99 are unknown (AUTRE). The setting
  `rpls_codes_financement` overrides a category code by code; the file's code is kept on the
  dwelling (`logement.financement_code`).
- CONTINGENT: the RPLS `contingent` field of the landlord's own file (1 to 7) and the type of
  réservataire each code designates, which seeds `reservation_stock`.
- TYPECONST: collective, individual, student dwelling.
"""

from __future__ import annotations

import re
import unicodedata

from fluxcore.codes import CONTINGENTS

# code, label as published, category
FINAN: tuple[tuple[str, str, str], ...] = (
    ("10", "PLA d'intégration / LLTS dans les DOM", "PLAI"),
    ("11", "PLA Loyer Minoré / PLA Très Social / PLA Insertion", "PLAI"),
    ("12", "PLA ordinaire", "PLUS"),
    ("13", "PLUS / LLS dans les DOM", "PLUS"),
    ("14", "PLS / PPLS / PCLS / PLA CFF", "PLS"),
    ("16", "PLI", "PLI"),
    ("17", "PCL", "PLS"),
    ("49", "Autre financement", "AUTRE"),
    ("50", "HBM", "PLUS"),
    ("51", "PLR / PSR", "PLUS"),
    ("52", "HLM/O", "PLUS"),
    ("53", "ILM", "PLUS"),
    ("54", "ILN", "PLI"),
    ("55", "Prêts spéciaux du CFF", "PLS"),
    ("99", "Autre financement avant 1977", "AUTRE"),
)
FINAN_CATEGORIE = {code: cat for code, _, cat in FINAN}
FINAN_LIBELLE = {code: label for code, label, _ in FINAN}

# Labels (normalised: upper case, no accents, non-alphanumerics as `_`) → code. The published
# labels, their usual short forms, and the product's own category names.
_LABELS = {
    "10": ("PLA_D_INTEGRATION", "PLA_INTEGRATION", "PLAI", "PLA_I", "PLAINT", "LLTS",
           "PLA_D_INTEGRATION_LLTS_DANS_LES_DOM", "PLA_INTEGRATION_LLTS_DANS_LES_DOM"),
    "11": ("PLA_LM", "PLALM", "PLA_TS", "PLATS", "PLA_INSERTION", "PLA_TRES_SOCIAL",
           "PLA_LOYER_MINORE", "PLA_LOYER_MINORE_PLA_TRES_SOCIAL_PLA_INSERTION",
           "PLA_LM_TS", "PLA_LM_PLA_TS"),
    "12": ("PLA", "PLA_ORDINAIRE"),
    "13": ("PLUS", "LLS", "PLUS_LLS_DANS_LES_DOM", "PLUS_LLS"),
    "14": ("PLS", "PPLS", "PCLS", "PLA_CFF", "PLS_PPLS_PCLS_PLA_CFF"),
    "16": ("PLI",),
    "17": ("PCL",),
    "49": ("AUTRE", "AUTRE_FINANCEMENT", "AUTRES"),
    "50": ("HBM",),
    "51": ("PLR", "PSR", "PLR_PSR"),
    "52": ("HLM", "HLMO", "HLM_O", "HLM_ORDINAIRE"),
    "53": ("ILM",),
    "54": ("ILN",),
    "55": ("CFF", "PRETS_SPECIAUX_DU_CFF", "PRETS_SPECIAUX_CFF"),
    "99": ("AUTRE_FINANCEMENT_AVANT_1977", "AUTRE_AVANT_1977"),
}
FINAN_PAR_LIBELLE = {label: code for code, labels in _LABELS.items() for label in labels}

# RPLS `contingent` (arrêté du 5 janvier 2010): code → (label, réservataire types it designates,
# in order of preference). 7 = non réservé: no reservation.
CONTINGENT: dict[str, tuple[str, tuple[str, ...]]] = {
    "1": ("État – fonctionnaires", ("PREFET_FONCTIONNAIRES", "PREFET")),
    "2": ("État – publics prioritaires", ("PREFET",)),
    "3": ("Employeurs / Action Logement", ("ACTION_LOGEMENT", "EMPLOYEUR")),
    "4": ("Collectivités territoriales / EPCI", ("COMMUNE", "EPCI", "DEPARTEMENT", "REGION")),
    "5": ("État – conventions R314-4 et suivants", ("PREFET_FONCTIONNAIRES", "PREFET")),
    "6": ("Autre réservataire", ("AUTRE", "EMPLOYEUR")),
    "7": ("Non réservé", ()),
}

# The contingent of an SNE radiation (docs/sne.md), as extracts write it, to the product's codes
# (fluxcore.codes.CONTINGENTS): the RPLS codes 1 to 7 above (the registry's aliases), or a
# label. The arrêté du 17 septembre 2012 (§6.2) names « contingent de l'Etat
# "fonctionnaires" », « contingent de l'Etat "prioritaires" », « contingent des collectivités
# territoriales, de leurs établissements publics et des EPCI », « contingent des employeurs et
# des collecteurs du 1 % logement », « autre contingent » and, by default, none. Patterns are
# tried in order on the lower-case label without accents (« Autre contingent (… de l'Etat …) »
# is AUTRES, « Etat – agents » is ETAT_FONCTIONNAIRES); a cell matching none stays as given
# and the import reports it.
CONTINGENT_SNE_CODES = dict(sorted((alias, code) for alias, code in CONTINGENTS.alias.items()
                                   if alias.isdigit()))
CONTINGENT_SNE_LIBELLES: tuple[tuple[str, str], ...] = (
    (r"autre", "AUTRES"),
    (r"fonctionnaire|agents?|r ?314", "ETAT_FONCTIONNAIRES"),
    (r"non.?reserv|aucun|sans contingent|hors contingent|bailleur|^non$|^libre", "NON_RESERVE"),
    (r"prio|prefet|prefecture|dalo|^etat$|contingent de l.etat$", "ETAT_PRIORITAIRES"),
    (r"collectivit|commune|epci|intercommun|departement|region|metropole|ville|mairie",
     "COLLECTIVITES"),
    (r"employeur|action.logement|1 ?%|collecteur|entreprise|^al$", "EMPLOYEURS"),
)

TYPECONST = {"C": "C", "COLLECTIF": "C", "I": "I", "INDIVIDUEL": "I", "E": "E",
             "ETUDIANT": "E", "LOGEMENT_ETUDIANT": "E"}


def code_label(text: str | None) -> str | None:
    """A label as the keys above: upper case, no accents, runs of other characters as `_`."""
    if text is None:
        return None
    plain = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Z0-9]+", "_", plain.upper()).strip("_") or None


def finan_code(value: str | None) -> str | None:
    """The nomenclature code of a FINAN value given as a code (`13`, `013`, `13.0`) or a
    label (`PLUS`, `PLA d'intégration`); None when unknown."""
    label = code_label(value)
    if label is None:
        return None
    number = re.fullmatch(r"0*([0-9]{1,2})(_0+)?", label)
    if number and number.group(1) in FINAN_CATEGORIE:
        return number.group(1)
    return FINAN_PAR_LIBELLE.get(label)


# The landlord's own RPLS submission (arrêté du 5 janvier 2010 pris en application de l'article
# R. 411-3 du CCH, as modified): a `;` text file, one identity line for the landlord, then one
# line per dwelling whose fields come in this order, without a header. Field names are those of
# the répertoire's dictionary; the importer reads the ones it knows by name (rpls.py) and keeps
# the others in the staging only. A file with more fields than listed names the extra ones
# CHAMP_<n>; a file whose DEPCOM and NBPIECE positions do not hold communes and room counts is
# refused as « format non reconnu » (reader.py), and a column mapping can name its fields.
RPLS_BAILLEUR = (
    "IDENT_REP", "IDENT_INT", "DEPCOM", "CODEPOSTAL", "LIBCOM", "NUMVOIE", "INDREP",
    "TYPVOIE", "NOMVOIE", "NUMAPPT", "NUMBOITE", "ESC", "COULOIR", "ETAGE", "COMPLIDENT",
    "ENTREE", "BAT", "IMMEU", "COMPLGEO", "LIEUDIT", "QPV", "TYPECONST", "NBPIECE", "SURFHAB",
    "CONSTRUCT", "LOCAT", "PATRIMOINE", "ORIGINE", "DROIT", "FINAN", "FINANAUTRE", "CONV",
    "NUMCONV", "DATCONV", "MODE", "BAIL", "REMLOCDATE", "LOYERPRINC", "LOYERACC",
    "CONTINGENT", "DPEDATE", "DPEENERGIE", "DPESERRE",
)
RPLS_BAILLEUR_IDENTITE = ("SIREN", "RAISON_SOCIALE", "MILLESIME")
