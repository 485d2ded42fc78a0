"""The audit log read as a French journal (Données › Journal): what happened, said in words
(« Orientation enregistrée », « Paramètre modifié »), its details as a sentence, filters, and
exports whose cells are never read as formulas. Also the latest imports (lineage).

ACTIONS names every action code the product writes (fluxcore.db.audit); a test fails when an
`audit(...)` call of the code base uses a code missing here.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from fluxcore.codes import DESTINATIONS_BAILLEUR
from fluxcore.db import CONTRACT_TABLES, Database, load_sql
from fluxcore.formats import accord, fmt_date, fmt_int, fmt_nombre, pluriel
from fluxcore.geo import noms_departements
from fluxcore.neutralisation import csv_octets, excel_writer
from fluxcore.reglages import changement, libelle

ACTIONS = {
    "orientation.create": "Orientation enregistrée",
    "orientation.correct": "Orientation corrigée",
    "suivi.proposer": "Candidats proposés",
    "suivi.retirer": "Candidat retiré",
    "suivi.caleol": "Passage en CALEOL",
    "suivi.decision": "Décision de la CALEOL",
    "suivi.refus_menage": "Refus du ménage",
    "suivi.bail": "Bail signé",
    "suivi.rendre": "Logement rendu au bailleur",
    "suivi.attribution_bailleur": "Attribution à un candidat du bailleur",
    "attribution.delete": "Attribution annulée",
    "avis.envoi": "Avis de mise à disposition envoyé",
    "avis.telechargement": "Avis de mise à disposition téléchargé",
    "import": "Import",
    "correspondance.create": "Correspondance de colonnes créée",
    "correspondance.update": "Correspondance de colonnes modifiée",
    "correspondance.delete": "Correspondance de colonnes supprimée",
    "grille_cotation.create": "Grille de cotation enregistrée",
    "parametre.set": "Paramètre modifié",
    "parametre.defaut": "Paramètre mis à jour (nouvelle valeur par défaut)",
    "parametre.seed": "Paramètres ajoutés",
    "scenario_enregistre": "Scénario enregistré",
    "scenario_modifie": "Scénario modifié",
    "scenario_supprime": "Scénario supprimé",
    "sauvegarde": "Sauvegarde",
    "restauration": "Restauration",
    "recuperation.sans_wal": "Base rouverte sans son journal d'écritures",
    "schema.migrate": "Mise à jour du schéma",
    "etat.reconstruire": "État tenu à jour réécrit (reconstruire)",
    "simulation.modele": "Modèle de vacance du simulateur réestimé",
    "referentiel.seed": "Référentiel géographique chargé",
    "demo.generate": "Base de démonstration générée",
    "purge_donnees_personnelles": "Purge des données personnelles",
    "effacement_donnees_personnelles": "Effacement des données d'une personne",
    "compte_cree": "Compte créé",
    "compte_desactive": "Compte désactivé",
    "compte_reactive": "Compte réactivé",
    "compte_mot_de_passe_reinitialise": "Mot de passe réinitialisé",
    "compte_role_modifie": "Rôle d'un compte modifié",
    "connexion_verrouillee": "Connexion bloquée après des mots de passe faux",
    "sauvegarde.retention": "Anciennes sauvegardes planifiées supprimées",
    "sauvegarde.echec": "Sauvegarde planifiée impossible",
    "purge.echec": "Purge planifiée impossible",
}
TABLES = {
    "residence": "Résidences", "logement": "Logements", "reservataire": "Réservataires",
    "convention": "Conventions", "derogation": "Dérogations préfectorales",
    "reservation_stock": "Réservations en stock (avant flux)", "liberation": "Libérations",
    "orientation": "Orientations", "attribution": "Attributions",
    "occupation": "Enquêtes OPS par résidence",
    "occupation_territoire": "Enquêtes OPS par commune (QPV, hors QPV)",
    "objectif": "Objectifs CIL", "seuil_quartile": "Seuils du premier quartile",
    "demande": "Demandes", "candidature": "Candidatures", "avis": "Avis de mise à disposition",
    "radiation_sne": "Radiations du SNE", "grille_cotation": "Grilles de cotation",
    "parametre": "Paramètres", "schema_version": "Versions du schéma",
    "import_batch": "Lots d'import", "audit_log": "Journal d'audit", "scenario": "Scénarios",
    "correspondance": "Correspondances de colonnes", "ref_commune": "Référentiel géographique",
}
assert set(CONTRACT_TABLES) <= set(TABLES)
COLONNES = {"horodatage": "Date et heure", "utilisateur": "Utilisateur", "action": "Action",
            "table": "Table", "element": "Élément", "details": "Détails"}


def libelle_action(code: str) -> str:
    """French name of an action code (« Orientation enregistrée »)."""
    return ACTIONS.get(code, "Autre opération")


def libelle_table(names: str | None) -> str:
    """French name of a table, or of the comma-separated tables of an import."""
    if not isinstance(names, str) or not names:
        return "—"
    return ", ".join(TABLES.get(t, t) for t in names.split(","))


@dataclass(frozen=True)
class Filtres:
    """The journal's filters (None: no filter)."""

    debut: date | None = None
    fin: date | None = None
    acteurs: tuple[str, ...] | None = None
    actions: tuple[str, ...] | None = None
    tables: tuple[str, ...] | None = None


def options_filtres(db: Database) -> dict:
    """Users, action codes and tables found in the log, and its first and last day."""
    df = db.df(load_sql("journal/filtres"))
    values = {g: df.loc[df["genre"] == g, "valeur"].tolist() for g in
              ("acteur", "action", "table", "debut", "fin")}
    jour = {g: date.fromisoformat(values[g][0]) if values[g] else None for g in ("debut", "fin")}
    return {"acteurs": values["acteur"], "actions": values["action"],
            "tables": values["table"], **jour}


def journal(db: Database, filtres: Filtres = Filtres(), limite: int = 500) -> pd.DataFrame:
    """The filtered audit log, newest first, in French: horodatage (text), utilisateur,
    action, table, element, details (a sentence); the action code is kept in `code`."""
    f = filtres
    df = db.df(load_sql("journal/evenements"), {
        "debut": f.debut, "fin": f.fin + timedelta(days=1) if f.fin else None,
        "acteurs": list(f.acteurs) if f.acteurs is not None else None,
        "actions": list(f.actions) if f.actions is not None else None,
        "tables": list(f.tables) if f.tables is not None else None, "limite": limite})
    noms = _noms(db, df)
    return pd.DataFrame({
        "horodatage": df["logged_at"].dt.strftime("%d/%m/%Y %H:%M:%S"),
        "utilisateur": df["actor"], "action": [libelle_action(a) for a in df["action"]],
        "table": [libelle_table(t) for t in df["table_name"]],
        "element": [_element(a, e, noms) for a, e in zip(df["action"], df["entity_id"])],
        "details": [phrase(a, _json(d), noms, e) for a, d, e in
                    zip(df["action"], df["details"], df["entity_id"])],
        "code": df["action"]})


def _json(details) -> dict:
    if not isinstance(details, str):
        return {}
    try:
        value = json.loads(details)
    except json.JSONDecodeError:
        return {"texte": details}
    return value if isinstance(value, dict) else {"texte": str(value)}


def _noms(db: Database, df: pd.DataFrame) -> dict[str, str]:
    """Names of the réservataires, EPCI and départements the rows may cite."""
    res = db.df("select reservataire_id, nom from reservataire")
    epci = db.df("select epci_siren, nom from ref_epci where epci_siren in (select unnest(?))",
                 [[e for e in df["entity_id"].dropna().unique() if str(e).isdigit()]])
    return {**noms_departements(), **dict(zip(epci["epci_siren"], epci["nom"])),
            **DESTINATIONS_BAILLEUR.libelles,
            **dict(zip(res["reservataire_id"], res["nom"]))}


def _element(action: str, entity, noms: dict[str, str]) -> str:
    if not isinstance(entity, str) or not entity:
        return "—"
    if action.startswith("parametre."):
        return libelle(entity)
    if action == "grille_cotation.create":
        return noms.get(entity, entity)
    return entity


def _nom(noms: dict[str, str], code) -> str:
    return noms.get(str(code), str(code)) if code is not None else "—"


def _lignes_import(d: dict) -> str:
    counts = list((d.get("lignes") or {}).values())
    parts = []
    for key, (sing, plur) in (("inseres", ("ligne ajoutée", "lignes ajoutées")),
                              ("modifies", ("ligne modifiée", "lignes modifiées")),
                              ("inchanges", ("ligne inchangée", "lignes inchangées"))):
        n = sum(int(c.get(key, 0)) for c in counts if isinstance(c, dict))
        if n:
            parts.append(accord(n, sing, plur))
    tables = sorted({c.get("table") for c in counts if isinstance(c, dict) and c.get("table")})
    return (", ".join(parts) or "aucune ligne") + (f" ({libelle_table(','.join(tables))})"
                                                   if tables else "")


def phrase(action: str, d: dict, noms: dict[str, str] | None = None,
           entity: str | None = None) -> str:
    """The details of an audit row as a French sentence (never JSON); `noms`: names of the
    réservataires, EPCI and départements it may cite; `entity`: the row's entity_id."""
    noms = noms or {}
    if d.get("resume"):                       # fluxcore.suivi writes its own sentence
        return str(d["resume"])
    if action == "orientation.create":
        text = (f"Logement libéré {d.get('liberation_id', '—')} orienté vers "
                f"{_nom(noms, d.get('destinataire'))} (rang {d.get('rang', '—')})")
        if d.get("premier") and d.get("premier") != d.get("destinataire"):
            text += f" ; premier du classement : {_nom(noms, d['premier'])}"
        return text + (f" ; justification : « {d['justification']} »"
                       if d.get("justification") else "") + "."
    if action == "orientation.correct":
        return (f"Destination corrigée : {_nom(noms, d.get('avant'))} → "
                f"{_nom(noms, d.get('apres'))} ; motif : « {d.get('motif') or '—'} ».")
    if action in ("parametre.set", "parametre.defaut"):
        return changement(str(entity or ""), d.get("avant"), d.get("apres"), noms) + "."
    if action == "parametre.seed":
        ajoutes = d.get("ajoutes") or []
        leur = pluriel(len(ajoutes), "sa", "leur")
        return (f"{accord(len(ajoutes), 'paramètre ajouté', 'paramètres ajoutés')} avec {leur} "
                f"valeur par défaut : {', '.join(libelle(c) for c in ajoutes)}.")
    if action == "import":
        text = f"Fichiers {', '.join(d.get('fichiers') or [])} : {_lignes_import(d)}"
        return text + (f" ; correspondance « {d['correspondance']} »"
                       if d.get("correspondance") else "") + "."
    if action.startswith("correspondance."):
        cols = d.get("colonnes") or {}
        return (f"Pour la table {libelle_table(d.get('table'))} : "
                f"{accord(len(cols), 'colonne associée', 'colonnes associées')}.")
    if action == "grille_cotation.create":
        changes = [accord(len(d.get(k) or {}), sing, plur) for k, sing, plur in (
            ("ajoutes", "critère ajouté", "critères ajoutés"),
            ("retires", "critère retiré", "critères retirés"),
            ("modifies", "critère modifié", "critères modifiés")) if d.get(k)]
        debut = d.get("date_effet")
        return (f"Version {d.get('version', '—')}, applicable à partir du "
                f"{fmt_date(date.fromisoformat(debut)) if debut else '—'}"
                + (f" : {', '.join(changes)}" if changes else "") + ".")
    if action.startswith("scenario_"):
        if not d:
            return "Scénario supprimé de la base."
        return (f"Scénario « {d.get('nom', '—')} » : {_nom(noms, d.get('departement'))}, "
                f"{str(d.get('periode', '—')).replace('-', '–')}.")
    if action.startswith("avis."):
        quoi = {"ENVOYE": "envoyé", "ECHEC": "non envoyé (échec)",
                "TELECHARGE": "téléchargé"}.get(d.get("statut"), "traité")
        text = (f"Avis pour {_nom(noms, d.get('reservataire_id'))} {quoi}"
                + (f" à {d['destinataire']}" if d.get("destinataire") else "")
                + f", orientation {d.get('orientation_id', '—')}")
        return text + (f" ; erreur : {d['erreur']}" if d.get("erreur") else "") + "."
    return _autres(action, d, noms, entity)


def _autres(action: str, d: dict, noms: dict[str, str], entity: str | None) -> str:
    if action == "sauvegarde":
        return f"Copie complète de la base enregistrée dans {d.get('fichier', '—')}."
    if action == "restauration":
        return f"Base remplacée par la sauvegarde {d.get('source', '—')}."
    if action == "recuperation.sans_wal":
        return (f"Journal d'écritures écarté ({fmt_int(d.get('wal_octets'))} octets) ; "
                f"fichiers d'origine copiés dans {d.get('copies', '—')}.")
    if action == "schema.migrate":
        return f"Schéma de la base passé en version {entity or '—'}."
    if action == "referentiel.seed":
        return (f"{accord(d.get('lignes', 0), 'ligne', 'lignes')} de référence (communes, EPCI, "
                "départements, QPV) chargées.")
    if action == "demo.generate":
        deps = ", ".join(_nom(noms, x) for x in d.get("departements") or [])
        total = sum(v for v in (d.get("lignes") or {}).values() if isinstance(v, int))
        jour = d.get("date_reference")
        return (f"Échelle « {d.get('echelle', '—')} », départements {deps or '—'}, date de "
                f"référence {fmt_date(date.fromisoformat(jour)) if jour else '—'} : "
                f"{accord(total, 'ligne', 'lignes')}.")
    if not d:
        return "—"
    return " ; ".join(f"{k.replace('_', ' ')} : {_valeur(v)}" for k, v in d.items()) + "."


def _valeur(v) -> str:
    if isinstance(v, (list, dict)):
        items = v.items() if isinstance(v, dict) else ((None, x) for x in v)
        return ", ".join(f"{k} {_valeur(x)}" if k else _valeur(x) for k, x in items) or "—"
    return ("—" if v is None else ("oui" if v else "non") if isinstance(v, bool)
            else fmt_nombre(v, None) if isinstance(v, float) else str(v))


def _export(df: pd.DataFrame) -> pd.DataFrame:
    return df.drop(columns=["code"], errors="ignore").rename(columns=COLONNES)


def journal_csv(df: pd.DataFrame) -> bytes:
    """The journal as CSV for French Excel (fluxcore.neutralisation.csv_octets: `;`, UTF-8
    with BOM); no cell starts a formula."""
    return csv_octets(_export(df))


def journal_xlsx(df: pd.DataFrame) -> bytes:
    """The journal as an XLSX sheet; every cell is written as a value, never as a formula
    (fluxcore.neutralisation)."""
    buf = io.BytesIO()
    with excel_writer(buf) as xw:
        _export(df).to_excel(xw, sheet_name="Journal", index=False)
        ws = xw.sheets["Journal"]
        for i, width in enumerate((20, 14, 34, 24, 20, 90)):
            ws.set_column(i, i, width)
    return buf.getvalue()


def derniers_imports(db: Database, limite: int = 30) -> pd.DataFrame:
    """Latest imported sheets (lineage): date, file, sheet, table, rows, who, sha256 prefix."""
    df = db.df("select imported_at, file_name, sheet, table_name, rows_inserted, rows_updated, "
               "coalesce(rows_unchanged, 0) as rows_unchanged, imported_by, "
               "left(sha256, 12) as empreinte from import_batch "
               "order by batch_id desc limit ?", [limite])
    df.insert(0, "horodatage", df.pop("imported_at").dt.strftime("%d/%m/%Y %H:%M"))
    df["table_name"] = [libelle_table(t) for t in df["table_name"]]
    return df
