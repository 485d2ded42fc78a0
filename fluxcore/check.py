"""Integrity report of a database: references, rates, dates, shares.

Each check is one SQL query returning the offending rows (an `exemple` column describes each);
the report counts them and keeps a few examples. ERREUR makes `python -m fluxcore check` exit
with a non-zero code; AVERTISSEMENT does not.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from fluxcore.db import Database

ERREUR, AVERTISSEMENT = "ERREUR", "AVERTISSEMENT"
INTERNES = ("MUTATION", "RU", "ORCOD", "LHI", "VENTE", "BAILLEUR")


@dataclass(frozen=True)
class Check:
    code: str
    niveau: str
    table: str
    libelle: str
    sql: str


def _orphan(code, table, col, ref_table, ref_col, libelle, niveau=ERREUR, extra=""):
    return Check(code, niveau, table, libelle,
                 f"select {col} as exemple from {table} t where {col} is not null {extra} and not "
                 f"exists (select 1 from {ref_table} r where r.{ref_col} = t.{col})")


CHECKS: tuple[Check, ...] = (
    _orphan("logement_residence", "logement", "residence_id", "residence", "residence_id",
            "Logement rattaché à une résidence inconnue"),
    _orphan("liberation_logement", "liberation", "logement_id", "logement", "logement_id",
            "Libération d'un logement inconnu"),
    _orphan("orientation_liberation", "orientation", "liberation_id", "liberation",
            "liberation_id", "Orientation d'une libération inconnue"),
    _orphan("orientation_destinataire", "orientation", "destinataire", "reservataire",
            "reservataire_id", "Orientation vers un destinataire inconnu",
            extra=f"and destinataire not in {INTERNES!r}"),
    _orphan("attribution_orientation", "attribution", "orientation_id", "orientation",
            "orientation_id", "Attribution rattachée à une orientation inconnue"),
    _orphan("attribution_logement", "attribution", "logement_id", "logement", "logement_id",
            "Attribution d'un logement inconnu"),
    _orphan("convention_reservataire", "convention", "reservataire_id", "reservataire",
            "reservataire_id", "Convention d'un réservataire inconnu"),
    _orphan("stock_logement", "reservation_stock", "logement_id", "logement", "logement_id",
            "Réservation en stock d'un logement inconnu"),
    _orphan("stock_reservataire", "reservation_stock", "reservataire_id", "reservataire",
            "reservataire_id", "Réservation en stock pour un réservataire inconnu"),
    _orphan("occupation_residence", "occupation", "residence_id", "residence", "residence_id",
            "Enquête d'occupation d'une résidence inconnue"),
    _orphan("objectif_reservataire", "objectif", "reservataire_id", "reservataire",
            "reservataire_id", "Objectif pour un réservataire inconnu"),
    Check("attribution_logement_orientation", ERREUR, "attribution",
          "Attribution d'un autre logement que celui de son orientation",
          "select a.attribution_id as exemple from attribution a join orientation o "
          "using (orientation_id) join liberation l using (liberation_id) "
          "where l.logement_id <> a.logement_id"),
    Check("taux_somme", ERREUR, "convention",
          "Somme des taux des conventions en vigueur au-dessus de 100 % sur une commune",
          "with communes as (select distinct commune_insee, epci_siren, departement "
          "from residence), annees as (select distinct unnest(range(annee_debut, annee_fin + 1))"
          " as annee from convention), s as (select c.commune_insee, a.annee, sum(v.taux_flux) "
          "as total from communes c cross join annees a join convention v on "
          "v.departement = c.departement and a.annee between v.annee_debut and v.annee_fin "
          "and (v.perimetre is null or v.perimetre in (c.commune_insee, c.epci_siren)) "
          "group by all) select commune_insee || ' en ' || annee || ' : ' || "
          "replace(printf('%.1f', total), '.', ',') || ' %' as exemple from s where total > 100"),
    Check("conge_apres_liberation", ERREUR, "liberation",
          "Congé daté après la libération",
          "select liberation_id as exemple from liberation where date_conge > date_liberation"),
    Check("liberation_avant_service", ERREUR, "liberation",
          "Libération antérieure à la mise en service du logement",
          "select b.liberation_id as exemple from liberation b join logement l "
          "using (logement_id) where b.date_liberation < l.date_mise_en_service"),
    Check("caleol_apres_bail", ERREUR, "attribution", "Bail signé avant la CALEOL",
          "select attribution_id as exemple from attribution where date_bail < date_caleol"),
    Check("radiation_avant_depot", ERREUR, "demande", "Radiation antérieure au dépôt",
          "select demande_id as exemple from demande where date_radiation < date_depot"),
    Check("qpv_incoherent", ERREUR, "residence",
          "Code QPV renseigné pour une résidence déclarée hors QPV",
          "select residence_id as exemple from residence where qpv_code is not null "
          "and not en_qpv"),
    Check("parts_hors_bornes", ERREUR, "occupation", "Part ou taux hors de 0–100 %",
          "select residence_id || ' (' || annee || ')' as exemple from occupation where "
          "greatest(part_ressources_faibles, part_monoparentales, part_sans_emploi, part_apl, "
          "part_personnes_seules, part_grandes_familles, part_moins_25, part_plus_65, "
          "taux_rotation, taux_vacance, taux_impayes) > 100 or least(part_ressources_faibles, "
          "part_monoparentales, part_sans_emploi, part_apl, part_personnes_seules, "
          "part_grandes_familles, part_moins_25, part_plus_65, taux_rotation, taux_vacance, "
          "taux_impayes) < 0"),
    Check("orientations_multiples", AVERTISSEMENT, "orientation",
          "Libération orientée plusieurs fois",
          "select liberation_id as exemple from orientation group by liberation_id "
          "having count(*) > 1"),
    Check("bail_avant_liberation", AVERTISSEMENT, "attribution",
          "Bail signé avant la libération du logement",
          "select a.attribution_id as exemple from attribution a join orientation o "
          "using (orientation_id) join liberation l using (liberation_id) "
          "where a.date_bail < l.date_liberation"),
    Check("residence_sans_coordonnees", AVERTISSEMENT, "residence",
          "Résidence sans coordonnées (absente des cartes)",
          "select residence_id as exemple from residence where latitude is null "
          "or longitude is null"),
)


def run_checks(db: Database, max_examples: int = 5) -> pd.DataFrame:
    """One row per check: code, niveau, table, libelle, nombre, exemples (text)."""
    rows = []
    for c in CHECKS:
        found = db.df(f"select count(*) over () as n, exemple from ({c.sql}) "
                      "order by exemple limit ?",
                      [max_examples])
        n = int(found["n"].iloc[0]) if len(found) else 0
        rows.append({"code": c.code, "niveau": c.niveau, "table": c.table,
                     "libelle": c.libelle, "nombre": n,
                     "exemples": ", ".join(str(x) for x in found["exemple"])})
    return pd.DataFrame(rows)


def has_errors(report: pd.DataFrame) -> bool:
    return bool(((report["niveau"] == ERREUR) & (report["nombre"] > 0)).any())
