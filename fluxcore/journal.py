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
