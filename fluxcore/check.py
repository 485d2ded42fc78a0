"""Integrity report of a database: references, rates, dates, shares.

Each check is one SQL query returning the offending rows (an `exemple` column describes each);
the report counts them and keeps a few examples. ERREUR makes `python -m fluxcore check` exit
with a non-zero code; AVERTISSEMENT does not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from fluxcore.backup import TABLES_SQL, SauvegardeEndommageeError, lire_tables
from fluxcore.codes import DESTINATIONS_BAILLEUR, liste_sql
from fluxcore.db import Database, load_sql
from fluxcore.errors import DatabaseError
from fluxcore.geo import distance_to_commune
from fluxcore.limites import derogations_trop_longues
from fluxcore.localisation import HORS_COMMUNE_M, distance_text, hors_commune
from fluxcore.retention import TABLES as TABLES_PERSONNELLES
from fluxcore.retention import a_purger

ERREUR, AVERTISSEMENT = "ERREUR", "AVERTISSEMENT"


@dataclass(frozen=True)
class Check:
    code: str
    niveau: str
    table: str
    libelle: str
    sql: str


@dataclass(frozen=True)
class RegleLigne:
    """A rule on one stored row `x` of `table` (its SQL condition may look up other tables).

    The importer (fluxcore.imports.coherence) runs every rule on the rows of an imported file,
    to name their lines; the integrity report runs those listed in CHECKS on whole tables
    (service_apres_liberation finds the pairs of liberation_avant_service from the other
    side; the two warnings are for imports only)."""
    code: str
    table: str
    colonne: str
    condition: str
    libelle: str
    niveau: str = ERREUR


_COLLECTIVITE = ("select 1 from reservataire r where r.reservataire_id = x.reservataire_id "
                 f"and r.type in {liste_sql('types_territoriaux')}")

REGLES_LIGNE: tuple[RegleLigne, ...] = (
    RegleLigne("conge_apres_liberation", "liberation", "date_conge",
               "x.date_conge > x.date_liberation", "Congé daté après la libération"),
    RegleLigne("liberation_avant_service", "liberation", "date_liberation",
               "x.date_liberation < (select l.date_mise_en_service from logement l "
               "where l.logement_id = x.logement_id)",
               "Libération antérieure à la mise en service du logement"),
    RegleLigne("service_apres_liberation", "logement", "date_mise_en_service",
               "exists (select 1 from liberation v where v.logement_id = x.logement_id "
               "and v.date_liberation < x.date_mise_en_service)",
               "Mise en service postérieure à une libération déjà enregistrée de ce logement"),
    RegleLigne("caleol_apres_bail", "attribution", "date_bail", "x.date_bail < x.date_caleol",
               "Bail signé avant la CALEOL"),
    RegleLigne("attribution_logement_orientation", "attribution", "logement_id",
               "x.orientation_id is not null and x.logement_id <> (select l.logement_id "
               "from orientation o join liberation l using (liberation_id) "
               "where o.orientation_id = x.orientation_id)",
               "Attribution d'un autre logement que celui de son orientation"),
    RegleLigne("radiation_avant_depot", "demande", "date_radiation",
               "x.date_radiation < x.date_depot", "Radiation antérieure au dépôt"),
    RegleLigne("qpv_incoherent", "residence", "qpv_code",
               "x.qpv_code is not null and not x.en_qpv",
               "Code QPV renseigné pour une résidence déclarée hors QPV"),
    RegleLigne("orientation_avant_conge", "orientation", "date_orientation",
               "x.date_orientation < (select l.date_conge from liberation l "
               "where l.liberation_id = x.liberation_id)",
               "Orientation datée avant le congé du locataire", AVERTISSEMENT),
    RegleLigne("commune_hors_referentiel", "residence", "commune_insee",
               "not exists (select 1 from ref_commune r where r.code_insee = x.commune_insee)",
               "Commune inconnue du code officiel géographique 2026 (ni EPCI, ni QPV, ni "
               "carte)", AVERTISSEMENT),
    # conventions (docs/regles.md#conventions, fluxcore.conventions)
    RegleLigne("convention_fin_avant_debut", "convention", "date_fin",
               "x.date_fin < coalesce(x.date_debut, make_date(x.annee_debut, 1, 1))",
               "Date de fin de la convention antérieure à son début"),
    RegleLigne("convention_annee_debut", "convention", "annee_debut",
               "x.date_debut is not null and x.annee_debut <> year(x.date_debut)",
               "Année de début différente de l'année de date_debut"),
    RegleLigne("convention_annee_fin", "convention", "annee_fin",
               "x.date_fin is not null and x.annee_fin <> year(x.date_fin)",
               "Année de fin différente de l'année de date_fin"),
    RegleLigne("convention_sans_perimetre", "convention", "perimetre",
               f"x.perimetre is null and exists ({_COLLECTIVITE} and r.territoire is null)",
               "Convention d'une commune ou d'un EPCI sans périmètre : une collectivité ne "
               "signe que pour son territoire (R441-5) ; renseignez perimetre (code INSEE de la "
               "commune, SIREN de l'EPCI) ou le territoire du réservataire"),
    RegleLigne("convention_hors_territoire", "convention", "perimetre",
               f"x.perimetre is not null and exists ({_COLLECTIVITE} and r.territoire is not "
               "null and x.perimetre <> r.territoire and commune_mere(x.perimetre) <> "
               "r.territoire and not exists (select 1 from ref_commune rc where rc.code_insee "
               "= x.perimetre and rc.epci_siren = r.territoire))",
               "Périmètre hors du territoire du réservataire : une commune ou un EPCI ne signe "
               "que pour son territoire (R441-5), le périmètre doit être son territoire"),
)
_REGLES = {r.code: r for r in REGLES_LIGNE}


def _ligne(code: str) -> Check:
    r = _REGLES[code]
    return Check(r.code, r.niveau, r.table, r.libelle,
                 f"select x.{r.table}_id as exemple from {r.table} x where {r.condition}")


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
            extra=f"and destinataire not in {DESTINATIONS_BAILLEUR.sql()}"),
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
    _ligne("attribution_logement_orientation"),
    Check("taux_somme", ERREUR, "convention",
          "Somme des taux des conventions en vigueur au-dessus de 100 % sur une commune",
          # every convention signed (an overlap is reported apart) on its own days: the
          # highest sum of a year is reached on 1 January or on the day a convention starts
          f"with {load_sql('conventions/periodes')}, v as (select * from conv_periode where "
          "localisee and debut <= fin), communes as (select distinct commune_insee, "
          "epci_siren, departement from residence), jours as (select debut as jour from v "
          "union select make_date(unnest(range(year(debut), year(fin) + 1)), 1, 1) from v), "
          "s as (select c.commune_insee, year(j.jour) as annee, sum(v.taux_flux) as total "
          "from communes c cross join jours j join v on v.departement = c.departement and "
          "j.jour between v.debut and v.fin and dans_perimetre(v.perimetre, c.commune_insee, "
          "c.epci_siren) group by c.commune_insee, j.jour), m as (select commune_insee, "
          "annee, max(total) as total from s group by all) select commune_insee || ' en ' || "
          "annee || ' : ' || replace(printf('%.1f', total), '.', ',') || ' %' as exemple "
          "from m where total > 100"),
    *(_ligne(c) for c in ("conge_apres_liberation", "liberation_avant_service",
                          "caleol_apres_bail", "radiation_avant_depot", "qpv_incoherent")),
    *(_ligne(c) for c in ("convention_fin_avant_debut", "convention_annee_debut",
                          "convention_annee_fin", "convention_sans_perimetre",
                          "convention_hors_territoire")),
    Check("convention_chevauchement", ERREUR, "convention",
          "Deux conventions d'un même réservataire dans un département sur des périodes qui se "
          "chevauchent (une seule par bailleur, réservataire et département, R441-5) : les "
          "jauges n'appliquent que la plus récemment signée",
          f"with {load_sql('conventions/periodes')}, paires as (select a.convention_id as "
          "id_a, b.convention_id as id_b, a.reservataire_id, a.departement, "
          "greatest(a.debut, b.debut) as du, least(a.fin, b.fin) as au from conv_periode a "
          "join conv_periode b on b.reservataire_id = a.reservataire_id and b.departement = "
          "a.departement and a.convention_id < b.convention_id and a.debut <= a.fin and "
          "b.debut <= b.fin and b.debut <= a.fin and a.debut <= b.fin) select id_a || ' et ' "
          "|| id_b || ' (' || reservataire_id || ', département ' || departement || ', du ' "
          "|| strftime(du, '%d/%m/%Y') || ' au ' || strftime(au, '%d/%m/%Y') || ')' as "
          "exemple from paires"),
    Check("reprise_sans_prefet", ERREUR, "reservataire",
          "Droits repris par le préfet dans un département sans réservataire préfet (type "
          "PREFET) : la part reprise n'est due à personne",
          f"with {load_sql('conventions/periodes')} select u.reservataire_id || ' (' || "
          "u.convention_id || ', département ' || u.departement || ')' as exemple from "
          "conv_unique u left join prefet_dep p using (departement) where u.reprise is not "
          "null and p.prefet_id is null"),
    Check("orientation_apres_reprise", AVERTISSEMENT, "orientation",
          "Orientation vers un réservataire dont le préfet a repris les droits, datée après la "
          "reprise : le logement reste compté à ce réservataire, pas au préfet",
          "select o.orientation_id || ' (' || o.destinataire || ', ' || "
          "strftime(o.date_orientation, '%d/%m/%Y') || ')' as exemple from orientation o "
          "join reservataire r on r.reservataire_id = o.destinataire where "
          f"r.repris_par_prefet and r.type not in {liste_sql('types_prefet')} and "
          "o.date_orientation >= coalesce(r.date_reprise, date '1900-01-01')"),
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
    Check("qpv_fichier_different", AVERTISSEMENT, "residence",
          "QPV indiqué par le fichier différent du QPV 2024 calculé sur les coordonnées",
          "select residence_id || ' (fichier : ' || coalesce(qpv_code_fichier, case when "
          "en_qpv_fichier then 'en QPV' else 'hors QPV' end) || ', calculé : ' || "
          "coalesce(qpv_code, 'hors QPV') || ')' as exemple from residence "
          "where coordonnees_source = 'FICHIER' and (qpv_code_fichier is not null or "
          "en_qpv_fichier is not null) and (coalesce(en_qpv_fichier, false) "
          "or qpv_code_fichier is not null) is distinct from en_qpv "
          "or (qpv_code_fichier is not null and qpv_code_fichier is distinct from qpv_code)"),
    Check("residence_sans_coordonnees", AVERTISSEMENT, "residence",
          "Résidence sans coordonnées (absente des cartes)",
          "select residence_id as exemple from residence where latitude is null "
          "or longitude is null"),
)


def residences_hors_commune(db: Database) -> list[str]:
    """Résidences whose coordinates lie more than HORS_COMMUNE_M from their commune's polygon
    (a point-in-polygon test DuckDB cannot run: geometry is done in Python)."""
    df = db.df("select residence_id, commune_insee, longitude, latitude from residence "
               "where latitude is not null and longitude is not null "
               "and coordonnees_source is distinct from 'CENTRE_COMMUNE' order by residence_id")
    if df.empty:
        return []
    d = distance_to_commune(df["longitude"], df["latitude"], df["commune_insee"])
    far = hors_commune(d)
    return [f"{r} ({c}, {distance_text(m)})" for r, c, m in
            zip(df["residence_id"][far], df["commune_insee"][far], d[far])]


def _ecarts_etat(db: Database) -> list[str]:
    from fluxcore import etat

    return etat.ecarts(db)


def _modeles_perimes(db: Database) -> list[str]:
    from fluxcore.simulation import modele_stocke

    return modele_stocke.modeles_a_reestimer(db)


@dataclass(frozen=True)
class CheckPython:
    code: str
    niveau: str
    table: str
    libelle: str
    examples: Callable[[Database], list[str]]


PY_CHECKS: tuple[CheckPython, ...] = (
    CheckPython("residence_hors_commune", AVERTISSEMENT, "residence",
                "Résidence dont les coordonnées tombent hors de sa commune (à plus de "
                f"{HORS_COMMUNE_M:.0f} m) : coordonnées ou système de coordonnées à vérifier",
                residences_hors_commune),
    CheckPython("derogation_plus_d_un_an", AVERTISSEMENT, "derogation",
                "Dérogation préfectorale de plus d'un an (R441-5-2) : non appliquée, la limite "
                "ordinaire du préfet vaut sur ses jours", derogations_trop_longues),
    CheckPython("etat_maintenu", ERREUR, "fait_liberation, fait_parc",
                "État maintenu des libérations et du parc différent d'un recalcul complet (une "
                "écriture hors de fluxcore ?) : lancez « python -m fluxcore reconstruire --db "
                "BASE »",
                _ecarts_etat),
    CheckPython("modele_vacance_perime", AVERTISSEMENT, "modele_vacance",
                "Modèle de vacance du simulateur qui ne correspond plus aux données (le "
                "simulateur l'estime alors à chaque ouverture, plus lentement) : lancez "
                "« python -m fluxcore reconstruire --db BASE »", _modeles_perimes),
    CheckPython("donnees_personnelles_a_purger", AVERTISSEMENT, TABLES_PERSONNELLES,
                "Données personnelles au-delà de leur durée de conservation (Données › "
                "Paramètres) : lancez « python -m fluxcore purger » (docs/donnees-personnelles"
                ".md)", a_purger),
)


def _endommagee(db: Database, detail: object) -> SauvegardeEndommageeError:
    return SauvegardeEndommageeError(
        f"La base « {db.path} » est endommagée : elle ne se lit pas entièrement (fichier "
        f"tronqué ou altéré). Restaurez la dernière sauvegarde vérifiée (python -m fluxcore "
        f"restore --db {db.path} --from SAUVEGARDE.duckdb). Détail DuckDB : {detail}")


def lecture_complete(db: Database) -> dict[str, dict]:
    """Read every column of every row of every table of the base (an aggregate hash per
    column: DuckDB loads, and checks, every block), so that a truncated or altered file never
    passes the integrity report. Per table: {"lignes", "empreinte"};
    SauvegardeEndommageeError (French) on the first table that does not read through."""
    try:
        tables = db.df(TABLES_SQL)["table_name"].tolist()
    except duckdb.Error as exc:
        raise _endommagee(db, exc) from exc
    return lire_tables(db.one, tables, f"La base « {db.path} »")


def ouvrir_pour_controle(path: str | Path) -> Database:
    """The base opened read-only for the report; a file DuckDB cannot read gives a French
    DatabaseError, never a DuckDB traceback."""
    try:
        return Database(path, read_only=True)
    except duckdb.Error as exc:
        raise DatabaseError(f"La base « {path} » est endommagée : elle ne s'ouvre pas (fichier "
                            f"tronqué ou altéré). Détail DuckDB : {exc}") from exc


def run_checks(db: Database, max_examples: int = 5) -> pd.DataFrame:
    """One row per check: code, niveau, table, libelle, nombre, exemples (text). Every table
    is read through first (lecture_complete): a damaged base raises a French DatabaseError."""
    lecture_complete(db)
    try:
        return _run_checks(db, max_examples)
    except duckdb.Error as exc:
        raise _endommagee(db, exc) from exc


def _run_checks(db: Database, max_examples: int) -> pd.DataFrame:
    rows = []
    for c in CHECKS:
        found = db.df(f"select count(*) over () as n, exemple from ({c.sql}) "
                      "order by exemple limit ?",
                      [max_examples])
        n = int(found["n"].iloc[0]) if len(found) else 0
        rows.append({"code": c.code, "niveau": c.niveau, "table": c.table,
                     "libelle": c.libelle, "nombre": n,
                     "exemples": ", ".join(str(x) for x in found["exemple"])})
    for p in PY_CHECKS:
        found = p.examples(db)
        rows.append({"code": p.code, "niveau": p.niveau, "table": p.table,
                     "libelle": p.libelle, "nombre": len(found),
                     "exemples": ", ".join(found[:max_examples])})
    return pd.DataFrame(rows)


def has_errors(report: pd.DataFrame) -> bool:
    return bool(((report["niveau"] == ERREUR) & (report["nombre"] > 0)).any())
