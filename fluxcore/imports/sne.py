"""An SNE radiations extract as it comes (docs/sne.md): recognised by its headers, imported
into `radiation_sne` without a mapping to write.

`ENTETES` is the ready mapping: for each column of `radiation_sne`, the headers under which an
extract may give it. Where each name comes from:
- the fields the landlord records at a radiation for attribution, as the texts name them
  (arrêté du 25 novembre 2010, cahier des charges §6.2 rewritten by the arrêté du 17 septembre
  2012; CCH R441-2-9): « numéro unique », « date de signature du bail », « identifiant RPLS »,
  « contingent de réservations », « prioritaire DALO », « accord collectif départemental /
  intercommunal », « déjà locataire », « SIREN »;
- the usual spellings of the same fields in extracts and local portals (« NUR », « N° RPLS »,
  « Date de radiation », « Motif de radiation »…): the SNE's Infocentre and the portals do not
  publish one layout, and these names are those in use, not a published standard.
A file with other names is imported through a column mapping (fluxcore.imports.correspondance),
whose proposals start from these same names (fluxcore.imports.proposition).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fluxcore.imports.reader import normalise

if TYPE_CHECKING:
    from fluxcore.imports.correspondance import Correspondance

ENTETES: dict[str, tuple[str, ...]] = {
    "numero_unique": ("Numéro unique", "Numéro unique d'enregistrement", "Numéro unique national",
                      "Numéro unique départemental", "Numéro unique régional", "NUR", "NUD",
                      "N° unique", "N° de demande", "Numéro de la demande", "Numéro de demande",
                      "Numéro demande", "Num unique", "numero_unique"),
    "date_radiation": ("Date de radiation", "Date radiation", "Date de signature du bail",
                       "Date signature bail", "Date de signature", "Date du bail",
                       "Date d'effet de la radiation", "date_radiation"),
    "logement_rpls": ("Identifiant RPLS", "Identifiant RPLS du logement", "Identifiant du logement",
                      "Identifiant du logement dans RPLS", "N° RPLS", "Numéro RPLS", "Code RPLS",
                      "Id RPLS", "RPLS", "Logement RPLS", "Numéro RPLS du logement",
                      "logement_rpls"),
    "contingent": ("Contingent", "Contingent de réservation", "Contingent de réservations",
                   "Contingent d'imputation", "Contingent imputé", "Imputation contingent",
                   "Imputation", "Contingent réservataire", "Type de contingent",
                   "Contingent de l'attribution"),
    "dalo": ("DALO", "Prioritaire DALO", "Reconnu prioritaire DALO", "Prioritaire et urgent DALO",
             "Reconnu DALO", "Ménage DALO", "Attributaire DALO", "Demandeur DALO"),
    "accord_collectif": ("Accord collectif", "Accord collectif départemental",
                         "Accord collectif intercommunal", "Relève de l'accord collectif",
                         "Attribution accord collectif", "ACD", "ACI", "accord_collectif"),
    "mutation": ("Déjà locataire", "Demandeur déjà locataire", "Déjà locataire du parc",
                 "Déjà locataire du bailleur", "Déjà locataire HLM", "Mutation",
                 "Mutation interne"),
    "reservataire": ("Réservataire", "Nom du réservataire", "Réservataire du logement",
                     "Code réservataire"),
    "commune_insee": ("Code INSEE", "Code INSEE du logement", "Code INSEE commune",
                      "Code commune", "Commune du logement (code INSEE)", "commune_insee"),
    "siren_bailleur": ("SIREN", "SIREN bailleur", "SIREN du bailleur", "SIREN de l'organisme",
                       "Numéro SIREN", "SIREN organisme", "siren_bailleur"),
    "motif_radiation": ("Motif de radiation", "Motif radiation", "Motif", "motif_radiation"),
}
_PAR_NOM = {normalise(h): target for target, headers in ENTETES.items() for h in headers}
NOM = "Extrait SNE (radiations pour attribution)"


def correspondance(headers: list[str]) -> Correspondance | None:
    """The ready mapping of a sheet whose headers are those of an SNE radiations extract (a
    demande number, a date, and the dwelling or the contingent), else None. The first header
    of each column wins (« Accord collectif départemental » before « … intercommunal »)."""
    from fluxcore.imports.correspondance import Correspondance

    found: dict[str, str] = {}
    for header in headers:
        target = _PAR_NOM.get(normalise(header)) if header else None
        if target and target not in found:
            found[target] = header
    if not {"numero_unique", "date_radiation"} <= set(found) or not (
            {"logement_rpls", "contingent"} & set(found)):
        return None
    if all(normalise(h) == t for t, h in found.items()):
        return None                        # the canonical layout: no mapping needed
    return Correspondance(NOM, "radiation_sne", found)
