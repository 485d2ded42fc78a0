"""Saved scenarios: table `scenario` (parameters and results as JSON), every write audited."""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import datetime

import pandas as pd

from fluxcore import etat
from fluxcore.acces import acteur, exiger
from fluxcore.db import Database, audit
from fluxcore.errors import FluxcoreError
from fluxcore.simulation.resultats import Resultats
from fluxcore.simulation.scenario import Scenario, from_dict


def slug(nom: str) -> str:
    """Identifier of a scenario from its name: 'Hypothèse AL 27 %' → 'hypothese-al-27'."""
    text = unicodedata.normalize("NFKD", nom).encode("ascii", "ignore").decode().lower()
    out = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    if not out:
        raise FluxcoreError("Donnez un nom au scénario (lettres ou chiffres).")
    return out[:80]


def enregistrer_scenario(db: Database, scenario: Scenario, resultats: Resultats | None = None,
                         actor: str | None = None, resume_mc: dict | None = None) -> str:
    """Insert or replace the scenario of that name; returns its id. Audited."""
    exiger(db, "simuler")
    actor = acteur(db, actor)
    nom = scenario.nom.strip()
    sid = slug(nom)
    params = json.dumps(scenario.to_dict(), ensure_ascii=False)
    res = None
    if resultats is not None:
        payload = resultats.to_dict()
        payload.pop("scenario")
        if resume_mc is not None:
            payload["monte_carlo"] = resume_mc
        res = json.dumps(payload, ensure_ascii=False)
    now = datetime.now()
    with db.transaction("simuler") as cur:
        etat.sans_effet(cur)   # none of etat.SOURCES written
        old = cur.execute("select nom from scenario where scenario_id = ?", [sid]).fetchall()
        if old:
            cur.execute("update scenario set nom = ?, parametres = ?, resultats = ?, "
                        "updated_at = ? where scenario_id = ?", [nom, params, res, now, sid])
        else:
            cur.execute("insert into scenario (scenario_id, nom, parametres, resultats, "
                        "created_by, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?)",
                        [sid, nom, params, res, actor, now, now])
        audit(cur, actor, "scenario_modifie" if old else "scenario_enregistre", "scenario", sid,
              {"nom": nom, "departement": scenario.departement,
               "periode": f"{scenario.annee_debut}-{scenario.annee_fin}"})
    return sid


def lister_scenarios(db: Database, departement: str | None = None) -> pd.DataFrame:
    """Saved scenarios, most recent first: scenario_id, nom, departement, annee_debut,
    annee_fin, created_by, created_at, updated_at."""
    df = db.df("select scenario_id, nom, parametres, created_by, created_at, updated_at "
               "from scenario order by updated_at desc nulls last, scenario_id")
    params = [json.loads(p) for p in df["parametres"]]
    df["departement"] = [str(p.get("departement")) for p in params]
    df["annee_debut"] = [p.get("annee_debut") for p in params]
    df["annee_fin"] = [p.get("annee_fin") for p in params]
    if departement is not None:
        df = df[df["departement"] == departement]
    return df.drop(columns="parametres").reset_index(drop=True)


def charger_scenario(db: Database, scenario_id: str) -> Scenario:
    row = db.one("select parametres from scenario where scenario_id = ?", [scenario_id])
    if row is None:
        raise FluxcoreError(f"Scénario « {scenario_id} » introuvable.")
    return from_dict(json.loads(row[0]))


def supprimer_scenario(db: Database, scenario_id: str, actor: str | None = None) -> None:
    exiger(db, "simuler")
    with db.transaction("simuler") as cur:
        etat.sans_effet(cur)   # none of etat.SOURCES written
        n = cur.execute("delete from scenario where scenario_id = ? returning scenario_id",
                        [scenario_id]).fetchall()
        if not n:
            raise FluxcoreError(f"Scénario « {scenario_id} » introuvable.")
        audit(cur, actor, "scenario_supprime", "scenario", scenario_id)
