"""Read side of the audit log and of the settings, for the Données page."""

from __future__ import annotations

import json

import pandas as pd

from fluxcore.db import Database
from fluxcore.parametres import BY_KEY


def derniers_evenements(db: Database, limite: int = 50) -> pd.DataFrame:
    """Latest audit_log rows, newest first; timestamps as JJ/MM/AAAA HH:MM:SS text."""
    df = db.df("select logged_at, actor, action, table_name, entity_id, details from audit_log "
               "order by audit_id desc limit ?", [limite])
    df.insert(0, "horodatage", df.pop("logged_at").dt.strftime("%d/%m/%Y %H:%M:%S"))
    return df


def _display(value) -> str:
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, float):
        return f"{value:g}".replace(".", ",")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k} {_display(v)}" for k, v in value.items())
    return str(value)


def liste_parametres(db: Database) -> pd.DataFrame:
    """Every setting with its current value shown in French, description and reference."""
    df = db.df("select cle, valeur, description, reference, updated_at, updated_by "
               "from parametre order by cle")
    df["valeur"] = [_display(json.loads(v)) for v in df["valeur"]]
    df["modifie_le"] = df.pop("updated_at").dt.strftime("%d/%m/%Y")
    df["modifie_par"] = df.pop("updated_by")
    df = df[df["cle"].isin(BY_KEY)]
    return df.reset_index(drop=True)


def derniers_imports(db: Database, limite: int = 30) -> pd.DataFrame:
    """Latest imported sheets (lineage): date, file, sheet, table, rows, who, sha256 prefix."""
    df = db.df("select imported_at, file_name, sheet, table_name, rows_inserted, rows_updated, "
               "coalesce(rows_unchanged, 0) as rows_unchanged, imported_by, "
               "left(sha256, 12) as empreinte from import_batch "
               "order by batch_id desc limit ?", [limite])
    df.insert(0, "horodatage", df.pop("imported_at").dt.strftime("%d/%m/%Y %H:%M"))
    return df


def valeur_saisie(cle: str, texte: str):
    """A setting typed in a text field: JSON (30, true, [1, 2], {"a": 1}) or French text for
    numbers (« 30,5 »), oui/non for booleans, plain text for text settings."""
    from fluxcore.errors import ParametreError

    defaut = BY_KEY[cle].defaut if cle in BY_KEY else None
    texte = texte.strip()
    if isinstance(defaut, bool):
        low = texte.lower()
        if low in ("oui", "vrai", "true", "1"):
            return True
        if low in ("non", "faux", "false", "0"):
            return False
        raise ParametreError(f"« {texte} » : attendu oui ou non.")
    if isinstance(defaut, (int, float)):
        try:
            number = float(texte.replace("\u202f", "").replace(" ", "").replace(",", "."))
        except ValueError as exc:
            raise ParametreError(f"« {texte} » : attendu un nombre.") from exc
        return int(number) if isinstance(defaut, int) and number.is_integer() else number
    if isinstance(defaut, str):
        return texte
    try:
        return json.loads(texte)
    except json.JSONDecodeError as exc:
        raise ParametreError(
            f"« {texte} » : attendu une valeur au format JSON (ex. [1949, 1975] ou "
            '{"retard": 0.4}).') from exc


def valeur_json(db: Database, cle: str) -> str:
    """Current value of a setting as editable text (JSON, French decimal for numbers)."""
    from fluxcore.parametres import get_parametre

    value = get_parametre(db, cle)
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, (int, float)):
        return f"{value:g}".replace(".", ",")
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
