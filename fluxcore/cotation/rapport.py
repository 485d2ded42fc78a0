"""Output of `python -m fluxcore coter`: every score, a demandeur's position, or the ranked
candidates of a dwelling, as CSV (`;`, decimal comma, oui/non, ISO dates: for a French
spreadsheet, fluxcore.neutralisation.csv) or JSON."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd

from fluxcore.cotation.candidats import candidats, par_destination, resume
from fluxcore.cotation.position import position_demandeur
from fluxcore.cotation.scores import scores
from fluxcore.db import Database
from fluxcore.errors import CotationError
from fluxcore.neutralisation import csv

COLONNES_SCORES = ["demande_id", "epci_siren", "version", "commune_souhaitee",
                   "typologie_souhaitee", "date_depot", "anciennete_mois", "nb_refus",
                   "points_criteres", "points_anciennete", "points_refus", "score", "rang_epci"]
COLONNES_CANDIDATS = ["rang", "demande_id", "score", "date_depot", "anciennete_mois",
                      "commune_souhaitee", "typologie_souhaitee", "taille_menage", "taux_effort",
                      "ok_taille", "ok_plafond", "ok_effort", "eligible", "prioritaire", "dalo",
                      "salarie", "agent_public"]


def _records(df: pd.DataFrame) -> list[dict]:
    out = df.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%d")
    return json.loads(out.to_json(orient="records", force_ascii=False))


def _csv(df: pd.DataFrame) -> str:
    """French Excel CSV (fluxcore.neutralisation.csv): `;`, decimal comma, oui/non, ISO
    dates."""
    return csv(df)


def sortie(db: Database, aujourdhui: date, fmt: str = "csv", demande: str | None = None,
           logement: str | None = None, epci: str | None = None,
           etendue: str = "commune") -> str:
    """The text the command prints (CotationError in French on an unknown id)."""
    if logement:
        return _logement(db, aujourdhui, fmt, logement, demande, etendue)
    if demande:
        return _demande(db, aujourdhui, fmt, demande)
    df = scores(db, aujourdhui, epci)[COLONNES_SCORES]
    return _csv(df) if fmt == "csv" else _dump(_records(df))


def _clean(obj):
    """NaN/NaT → null, numpy scalars → Python (strict JSON)."""
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if hasattr(obj, "item") and not isinstance(obj, (str, bytes)):
        obj = obj.item()
    if isinstance(obj, float) and obj != obj:
        return None
    if obj is pd.NaT:
        return None
    return obj


def _dump(obj) -> str:
    return json.dumps(_clean(obj), ensure_ascii=False, indent=2, default=str,
                      allow_nan=False) + "\n"


def _demande(db: Database, aujourdhui: date, fmt: str, demande: str) -> str:
    p = position_demandeur(db, demande, aujourdhui)
    if fmt == "csv":
        total = pd.DataFrame([{"critere": "TOTAL", "libelle": "Score",
                               "points": p.demande["score"]}])
        out = pd.concat([p.detail, total], ignore_index=True)
        return _csv(out.astype({"quantite": "Int64"}))
    comp = {k: v for k, v in p.comparables.items() if k != "classes"}
    if p.comparables:
        comp["classes"] = _records(p.comparables["classes"])
    return _dump({
        "demande_id": demande, "date": aujourdhui.isoformat(),
        "score": None if pd.isna(p.demande["score"]) else float(p.demande["score"]),
        "epci_siren": p.demande["epci_siren"], "grille_version": p.grille_version,
        "grille_date_effet": p.grille_date_effet, "anciennete_mois":
            int(p.demande["anciennete_mois"]), "detail": _records(p.detail),
        "rang_epci": p.rang_epci, "nb_epci": p.nb_epci, "comparables": comp,
        "attente": p.attente, "refus": p.refus, "prioritaire": p.prioritaire,
        "explication": p.phrases})


def _logement(db: Database, aujourdhui: date, fmt: str, ident: str, demande: str | None,
              etendue: str) -> str:
    is_lib = db.scalar("select count(*) from liberation where liberation_id = ?", [ident])
    dest = None
    if is_lib:
        try:
            c, dest = par_destination(db, ident, aujourdhui, etendue)
        except CotationError:
            c = candidats(db, ident, aujourdhui, etendue)
    else:
        c = candidats(db, ident, aujourdhui, etendue)
    rows = c.demandes if demande else c.eligibles
    if demande:
        rows = rows[rows["demande_id"] == demande]
        if rows.empty:
            raise CotationError(f"La demande {demande} n'est pas une demande active pour "
                                f"{c.logement['commune'] if etendue == 'commune' else 'cet EPCI'}"
                                " : elle n'est pas candidate pour ce logement.")
    rows = rows[COLONNES_CANDIDATS]
    if fmt == "csv":
        return _csv(rows)
    lg = {k: (None if pd.isna(v) else v) for k, v in c.logement.items()}
    return _dump({"logement": lg, "regles": c.regles, "resume": resume(c),
                  "exclusions": _records(c.exclusions),
                  "destinations": None if dest is None else _records(dest),
                  "candidats": _records(rows)})
