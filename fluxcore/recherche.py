"""Search from the sidebar and the deep links it opens (issue « daily work »).

`rechercher` finds demandes, dwellings and résidences from a few characters: the start of an
identifier (demande, logement, libération, résidence; case ignored), or words that must all
appear, accents and case ignored, in a résidence's name, address or commune name (the
résidence, then its dwellings still being oriented). Each result carries the address of the
page that acts on it:

- a dwelling awaiting an orientation, or under notice → `/orientation?liberation=<id>`;
- a dwelling already oriented → `/suivi?liberation=<id>` (« Suivi des logements »);
- a dwelling never vacated, a résidence → `/residences?residence=<id>`;
- a demande → `/cotation?demande=<id>` (its position, R441-2-17).

The text only ever reaches DuckDB as bound parameters (sql/recherche/resultats.sql). The
search reads every réservataire's dwellings and demandes: a database bound to a réservataire
account is refused (`sauf_reservataire`), as the sidebar hides the box from them.
"""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from urllib.parse import urlencode

import pandas as pd

from fluxcore.acces import sauf_reservataire
from fluxcore.cotation.position import STATUTS_DEMANDE
from fluxcore.db import Database, load_sql
from fluxcore.errors import FluxcoreError
from fluxcore.formats import STATUTS, USAGES_INTERNES, a, accord, fmt_date

TYPES = {"demande": "Demande", "logement": "Logement", "residence": "Résidence"}
COLONNES = ["type", "identifiant", "libelle", "lien"]
MAX_MOTS = 8        # words beyond are ignored (a pasted paragraph stays a cheap query)
MAX_LIMITE = 200
# the identifier tables a deep link may name (fixed SQL, never built from the input)
EXISTE = {"residence": "select 1 from residence where residence_id = ?",
          "demande": "select 1 from demande where demande_id = ?",
          "liberation": "select 1 from liberation where liberation_id = ?"}


class RechercheError(FluxcoreError):
    """A search asked with an invalid limit or kind of identifier."""


def lien(page: str, **params: str) -> str:
    """The app-relative address of a page with its query: lien("suivi", liberation="B1")."""
    return f"/{page}?{urlencode(params)}"


@sauf_reservataire
def rechercher(db: Database, texte: str, limite: int = 20,
               aujourdhui: date | None = None) -> pd.DataFrame:
    """At most `limite` results for `texte`: identifiers typed in full first, then identifiers
    starting with it, then résidences matching its words (by commune and name), each followed
    by its dwellings being oriented. Columns: type (« Demande », « Logement », « Résidence »),
    identifiant, libelle (French), lien (deep link, path and query)."""
    if not isinstance(limite, int) or isinstance(limite, bool) or limite < 0:
        raise RechercheError("Nombre de résultats invalide : un entier positif est attendu.")
    texte = (texte or "").strip()
    if not texte or limite == 0:
        return pd.DataFrame(columns=COLONNES)
    found = db.df(load_sql("recherche/resultats"), {
        "texte": texte, "mots": texte.split()[:MAX_MOTS],
        "aujourdhui": aujourdhui or date.today(), "limite": min(limite, MAX_LIMITE)})
    return pd.DataFrame({
        "type": [TYPES[t] for t in found["type"]],
        "identifiant": found["identifiant"],
        "libelle": [libelle(r) for r in found.itertuples()],
        "lien": [adresse(r) for r in found.itertuples()]}, columns=COLONNES)


def adresse(r) -> str:
    """The deep link of one result row of sql/recherche/resultats.sql."""
    if r.type == "demande":
        return lien("cotation", demande=r.identifiant)
    if r.type == "residence" or r.etat == "occupe":
        return lien("residences", residence=r.residence_id)
    if r.etat == "orientee":
        return lien("suivi", liberation=r.liberation_id)
    return lien("orientation", liberation=r.liberation_id)


def libelle(r) -> str:
    """French label of one result row: what it is, where, and where it stands."""
    if r.type == "demande":
        statut = "active" if r.statut == "ACTIVE" else STATUTS_DEMANDE.get(r.statut, r.statut)
        lieu = f" {a(r.commune)}" if isinstance(r.commune, str) else ""
        return f"{r.typologie or 'Typologie non précisée'}{lieu} · {statut}"
    if r.type == "residence":
        adresse_ = f"{r.adresse}, " if isinstance(r.adresse, str) and r.adresse else ""
        return (f"{r.residence} · {adresse_}{r.commune} · "
                f"{accord(r.logements, 'logement', 'logements')}")
    return f"{r.typologie} · {r.residence}, {r.commune} · {situation(r)}"


def situation(r) -> str:
    """Where a dwelling stands, in words."""
    if r.etat == "occupe":
        return "jamais libéré"
    quand = fmt_date(pd.Timestamp(r.date_liberation).date())
    if r.etat == "preavis":
        return f"libération {r.liberation_id} prévue le {quand}"
    texte = f"libéré le {quand} ({r.liberation_id}), "
    if r.etat == "attente":
        return texte + "à orienter"
    statut = STATUTS.get(r.statut, r.statut)
    destination = USAGES_INTERNES.get(r.destinataire, r.destinataire)
    return texte + f"orienté vers {destination} : {statut[:1].lower()}{statut[1:]}"


@sauf_reservataire
def etat_liberation(db: Database, liberation_id: str,
                    aujourdhui: date | None = None) -> dict | None:
    """Where one libération stands (keys: liberation_id, logement_id, date_liberation, etat,
    statut, destinataire, situation (in words), lien), or None when the id is unknown."""
    df = db.df(load_sql("recherche/liberation"), {
        "liberation": liberation_id, "aujourdhui": aujourdhui or date.today()})
    if df.empty:
        return None
    r = df.iloc[0].to_dict()
    r["situation"] = situation(SimpleNamespace(**r))
    r["lien"] = (lien("suivi", liberation=liberation_id) if r["etat"] == "orientee"
                 else lien("orientation", liberation=liberation_id))
    return r


@sauf_reservataire
def existe(db: Database, genre: str, identifiant: str) -> bool:
    """Whether a résidence, demande or libération with this exact id exists."""
    if genre not in EXISTE:
        raise RechercheError(f"Type d'identifiant inconnu : « {genre} ».")
    return db.one(EXISTE[genre], [identifiant]) is not None
