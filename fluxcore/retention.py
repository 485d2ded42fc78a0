"""Retention of personal data (docs/donnees-personnelles.md): what is purged, when, and the
purge itself.

Five kinds of data, each with its retention setting (fluxcore.parametres; 0 = never purged):

- candidatures: closed candidatures, `conservation_candidatures_mois` after the decision, and
  every candidature of a purged demande — deleted;
- demandes: closed demandes, `conservation_demandes_mois` after their radiation — deleted;
- menages: the household fields of an attribution, `conservation_menages_ans` after the
  lease (else the CALEOL) — erased; the row, its dwelling, dates and orientation stay, so
  the flux, the gauges and the bilans keep every count that names nobody;
- radiations_sne: radiations of the SNE extract, `conservation_radiations_sne_mois` after
  the radiation — deleted;
- journal: the details of audit rows that may cite a person, `conservation_journal_ans`
  after they were logged — reduced (action, date, actor and table stay).

`purger` selects with one query per kind (fluxcore/sql/retention), set-based and bound,
purges in one transaction with one audit row (the counts, never the data) and returns the
exact count per kind; `controle=True` only counts. The server's scheduler calls it once a
day; `python -m fluxcore purger` runs it by hand; `python -m fluxcore check` warns about data
past its retention (`a_purger`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from fluxcore.acces import acteur, exiger
from fluxcore.db import Database, audit, bind, load_sql
from fluxcore.formats import accord, fmt_date
from fluxcore.parametres import get_parametres

ACTION = "purge_donnees_personnelles"
ACTION_EFFACER = "effacement_donnees_personnelles"


@dataclass(frozen=True)
class Nature:
    cle: str          # key of the result
    parametre: str    # its retention setting
    table: str
    colonne: str      # the identifier the selection returns
    element: str      # what one identifier names, for the report's examples
    singulier: str    # French, with the purge's verb: « demande supprimée »
    pluriel: str
    titre: str        # French name of the kind, for tables


# in purge order: candidatures before the demandes they follow
NATURES: tuple[Nature, ...] = (
    Nature("candidatures", "conservation_candidatures_mois", "candidature", "candidature_id",
           "candidature", "candidature supprimée", "candidatures supprimées",
           "Candidatures closes"),
    Nature("demandes", "conservation_demandes_mois", "demande", "demande_id", "demande",
           "demande supprimée", "demandes supprimées", "Demandes closes"),
    Nature("menages", "conservation_menages_ans", "attribution", "attribution_id",
           "ménage de l'attribution", "ménage attributaire effacé",
           "ménages attributaires effacés", "Ménages des attributions"),
    Nature("radiations_sne", "conservation_radiations_sne_mois", "radiation_sne",
           "numero_unique", "radiation SNE", "radiation du SNE supprimée",
           "radiations du SNE supprimées", "Radiations du SNE"),
    Nature("journal", "conservation_journal_ans", "audit_log", "audit_id",
           "journal d'audit, ligne", "ligne du journal d'audit réduite",
           "lignes du journal d'audit réduites", "Détails du journal d'audit"),
)
BY_CLE = {n.cle: n for n in NATURES}
TABLES = ",".join(n.table for n in NATURES)      # the audit row's table_name

# audit actions whose details never cite a person (settings, imports, backups, schema,
# scenarios, grids, column mappings): their details are kept whatever their age
ACTIONS_CONSERVEES = (
    "parametre.set", "parametre.defaut", "parametre.seed", "import", "correspondance.create",
    "correspondance.update", "correspondance.delete", "grille_cotation.create",
    "scenario_enregistre", "scenario_modifie", "scenario_supprime", "sauvegarde",
    "restauration", "recuperation.sans_wal", "sauvegarde.retention", "schema.migrate",
    "referentiel.seed", "demo.generate", ACTION, ACTION_EFFACER)
# element (entity_id) forgotten in old rows: of these tables, whose identifier is a person's
# (a demande's numéro unique), and of these actions (the identifier typed at a locked-out
# sign-in, fluxcore.sessions)
TABLES_PERSONNELLES = ("demande", "radiation_sne")
ACTIONS_ELEMENT_PERSONNEL = ("connexion_verrouillee",)
# tables of personal data (NATURES but the journal): on erasure (`effacer`), an audit row
# whose element is the identifier is reduced only when it belongs to one of them (elsewhere,
# « 1 » is a schema version, not a person)
TABLES_EFFACEMENT = tuple(n.table for n in NATURES if n.table != "audit_log")


def _params(db: Database, aujourdhui: date, identifiant: str | None = None) -> dict:
    from fluxcore.suivi.commun import A_DECIDER

    reglages = get_parametres(db)
    params = {"aujourdhui": aujourdhui, "identifiant": identifiant,
              "statuts_ouverts": list(A_DECIDER),
              "actions_conservees": list(ACTIONS_CONSERVEES),
              "tables_personnelles": list(TABLES_PERSONNELLES),
              "tables_effacement": list(TABLES_EFFACEMENT),
              "actions_element_personnel": list(ACTIONS_ELEMENT_PERSONNEL)}
    for n in NATURES:
        params["duree_" + n.cle] = int(reglages[n.parametre] or 0)
    return params


def _compter(db: Database, params: dict) -> dict[str, int]:
    comptes = {}
    for n in NATURES:
        sql = f"select count(*) from ({load_sql('retention/' + n.cle)})"
        comptes[n.cle] = int(db.scalar(sql, params))
    return comptes


def purger(db, aujourdhui: date, auteur: str | None = None,
           controle: bool = False, saisie: bool = False) -> dict:
    """Purge the personal data past its retention at `aujourdhui`, in one transaction with
    one audit row (ACTION: counts, limits and settings, never the data); with `controle`,
    count only and write nothing. Returns the exact count per kind ({cle: n} for each of
    NATURES). Only an administrator, or the system without an account (command line,
    scheduler), may run it (action « purger »). `saisie`: `aujourdhui` was typed by someone
    (`purger --date`): a day after today is refused (FluxcoreError), since a slip (2062)
    would purge every closed datum."""
    from fluxcore.errors import FluxcoreError

    if saisie and aujourdhui > date.today():
        raise FluxcoreError(
            f"Date de référence {fmt_date(aujourdhui)} postérieure à aujourd'hui "
            f"({fmt_date(date.today())}) : la purge ne peut pas anticiper. Indiquez une date "
            "passée ou omettez --date (aujourd'hui) ; rien n'a été purgé.")
    exiger(db, "purger")
    params = _params(db, aujourdhui)
    if controle:
        return _compter(db, params)
    with db.transaction("purger") as cur:
        comptes = _purger(cur, params)
        audit(cur, acteur(db, auteur), ACTION, TABLES, aujourdhui.isoformat(), {
            "comptes": comptes, "limites": _limites(params),
            "durees": {n.parametre: params["duree_" + n.cle] for n in NATURES},
            "resume": resume(comptes, aujourdhui)})
    return comptes


def effacer(db, identifiant: str, auteur: str | None = None,
            controle: bool = False) -> dict:
    """Erase one person's data now, whatever its age (right to erasure, decided by the DPO):
    the demande of that identifier and its candidatures, the household fields of the
    attributions whose menage_id or numero_unique it is, the SNE radiation of that numéro
    unique, and the audit rows that cite it (not of ACTIONS_CONSERVEES; details reduced,
    element forgotten when of a table of TABLES_EFFACEMENT). An identifier that names no one
    of the base is refused (FluxcoreError, nothing written). One
    transaction, one audit row (ACTION_EFFACER) with the counts — never the identifier.
    Returns the count per kind; `controle` counts only. Action « purger »."""
    from fluxcore.errors import FluxcoreError

    identifiant = (identifiant or "").strip()
    if not identifiant:
        raise FluxcoreError("Indiquez l'identifiant de la demande ou du ménage à effacer.")
    exiger(db, "purger")
    if not db.scalar(load_sql("retention/identifiant_connu"), {"identifiant": identifiant}):
        raise FluxcoreError(
            f"Identifiant « {identifiant} » inconnu : ce n'est ni une demande, ni un ménage "
            "(attribution), ni une radiation du SNE de la base (ou ses données sont déjà "
            "effacées). Vérifiez l'identifiant (numéro unique de la demande ou identifiant "
            "du ménage) ; rien n'a été effacé.")
    params = _params(db, date.today(), identifiant)
    if controle:
        return _compter(db, params)
    with db.transaction("purger") as cur:
        comptes = _purger(cur, params)
        audit(cur, acteur(db, auteur), ACTION_EFFACER, TABLES, None, {
            "comptes": comptes, "resume": resume(comptes, None)})
    return comptes


def _purger(cur, params: dict) -> dict[str, int]:
    comptes = {}
    for n in NATURES:     # each selection sees what the ones before it left
        sql = load_sql("retention/purger_" + n.cle)
        cur.execute(sql, bind(sql, params))
        comptes[n.cle] = int(cur.fetchone()[0])
    return comptes


def limites(db: Database, aujourdhui: date) -> dict[str, tuple[int, str | None]]:
    """Per kind: (its retention setting, the first day whose data is kept, ISO; None when
    the setting is 0: never purged)."""
    params = _params(db, aujourdhui)
    return {c: (params["duree_" + c], jour) for c, jour in _limites(params).items()}


def _limites(params: dict) -> dict[str, str | None]:
    import pandas as pd

    out = {}
    for n in NATURES:
        duree = params["duree_" + n.cle]
        if not duree:
            out[n.cle] = None
            continue
        offset = (pd.DateOffset(years=duree) if n.parametre.endswith("_ans")
                  else pd.DateOffset(months=duree))
        out[n.cle] = (pd.Timestamp(params["aujourdhui"]) - offset).date().isoformat()
    return out


def resume(comptes: dict[str, int], aujourdhui: date | None, controle: bool = False) -> str:
    """The purge in one French sentence: « Purge des données personnelles au 03/12/2026 :
    0 candidature supprimée, 2 demandes supprimées, … » (with `controle`:
    what would be purged; without `aujourdhui`: the erasure of one person)."""
    parts = [accord(comptes[n.cle], n.singulier, n.pluriel) for n in NATURES]
    if aujourdhui is None:
        quoi = "Contrôle de l'effacement (rien n'est écrit)" if controle else \
            "Effacement des données d'une personne à sa demande"
        return f"{quoi} : {', '.join(parts)}."
    if controle:
        return (f"Contrôle au {fmt_date(aujourdhui)} (rien n'est écrit), la purge "
                f"donnerait : {', '.join(parts)}.")
    return f"Purge des données personnelles au {fmt_date(aujourdhui)} : {', '.join(parts)}."


def a_purger(db: Database, aujourdhui: date | None = None) -> list[str]:
    """Every row past its retention at `aujourdhui` (default: today), as « demande D12 »,
    kind after kind (the integrity report's warning)."""
    params = _params(db, aujourdhui or date.today())
    out = []
    for n in NATURES:
        sql = (f"select {n.colonne} as id from ({load_sql('retention/' + n.cle)}) "
               "order by id")
        out += [f"{n.element} {x}" for x in db.df(sql, params)["id"]]
    return out
