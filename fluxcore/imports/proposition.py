"""What a foreign file holds, and a first guess at its column mapping (fluxcore.imports.
correspondance): its headers and most frequent values, a target column proposed for each header,
a product code for each value of a coded column.

Guesses are only pre-filled choices that the user checks: an exact or known header
(`ALIASES_ENTETES`, a short list of SNE extract and ERP export headers), else a close name
(difflib ratio ≥ 0.8 once accents, case and little words are set aside). A header whose meaning
differs from every column is never proposed: « Revenu mensuel » (a household's monthly income)
is not `ressources_uc` (annual resources per consumption unit) and must be converted first.
"""

from __future__ import annotations

import difflib
import re
import tempfile
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import duckdb

from fluxcore.db import list_migrations
from fluxcore.errors import CorrespondanceError
from fluxcore.imports.problems import Problems
from fluxcore.imports.reader import normalise, read_file
from fluxcore.imports.sne import ENTETES as ENTETES_SNE
from fluxcore.imports.spec import MANAGED, SPECS
from fluxcore.imports.staging import Column, table_columns

# Known headers of foreign files, per table and target column (compared once normalised).
ALIASES_ENTETES: dict[str, dict[str, tuple[str, ...]]] = {
    "radiation_sne": ENTETES_SNE,   # SNE radiations extracts (fluxcore.imports.sne)
    "demande": {   # SNE extracts (« export des demandes »)
        "demande_id": ("Numéro unique", "Numéro unique départemental", "Numéro unique régional",
                       "NUR", "NUD", "N° unique", "Numéro de la demande"),
        "date_depot": ("Date de dépôt", "Date de dépôt de la demande", "Date dépôt",
                       "Date de dépôt initial"),
        "commune_souhaitee": ("Commune demandée 1", "Commune souhaitée 1", "Commune demandée",
                              "Code INSEE commune demandée 1", "Commune choix 1"),
        "typologie_souhaitee": ("Typologie demandée", "Typologie souhaitée",
                                "Type de logement demandé", "Typologie demandée 1"),
        "taille_menage": ("Nombre de personnes", "Nombre de personnes du ménage",
                          "Nb personnes", "Taille du ménage", "Nombre de personnes à loger"),
        "ressources_uc": ("Ressources par UC", "Revenu par UC",
                          "Ressources par unité de consommation"),
        "statut": ("Statut de la demande", "État de la demande", "Etat demande"),
        "date_radiation": ("Date de radiation",),
        "motif_radiation": ("Motif de radiation", "Motif radiation"),
        "nb_refus": ("Nombre de refus",),
    },
    "logement": {  # ERP exports
        "logement_id": ("Identifiant RPLS", "N° RPLS", "Numéro de logement", "Code logement",
                        "Identifiant logement"),
        "residence_id": ("Code programme", "Code groupe", "Code résidence", "Programme"),
        "surface_m2": ("Surface habitable", "SHAB", "Surface"),
        "loyer_mensuel": ("Loyer principal", "Loyer mensuel", "Loyer"),
        "nb_pieces": ("Nombre de pièces", "Nb pièces"),
        "financement": ("Mode de financement", "Financement initial"),
        "date_mise_en_service": ("Date de mise en service", "Mise en service"),
    },
    "residence": {
        "residence_id": ("Code programme", "Code groupe", "Code résidence"),
        "nom": ("Nom du programme", "Nom de la résidence", "Libellé programme"),
        "commune_insee": ("Code INSEE", "Code commune", "DEPCOM", "Code INSEE commune"),
        "annee_construction": ("Année de construction",),
    },
    "liberation": {
        "logement_id": ("Identifiant RPLS", "Code logement", "Numéro de logement"),
        "date_conge": ("Date de congé", "Date de réception du congé", "Date préavis"),
        "date_liberation": ("Date de libération", "Date de départ", "Date de sortie"),
        "motif": ("Motif de départ", "Motif de congé"),
    },
}

_PETITS_MOTS = {"de", "du", "des", "la", "le", "les", "d", "l", "en", "a", "au", "aux", "par",
                "pour", "n", "no", "num"}
SEUIL = 0.8


@cache
def schema() -> dict[str, dict[str, Column]]:
    """Columns of every importable table as the migrations define them (an in-memory
    database built from the migration files, once per process)."""
    con = duckdb.connect()
    try:
        for _, _, path in list_migrations():
            con.execute(path.read_text(encoding="utf-8"))
        return {t: table_columns(con, t) for t in SPECS}
    finally:
        con.close()


def cibles(table: str, colonnes: dict[str, Column] | None = None) -> list[str]:
    """Columns of `table` a file may fill (not those the importer manages)."""
    cols = colonnes if colonnes is not None else schema()[table]
    return [c for c in cols if c not in MANAGED.get(table, ())]


@dataclass
class Contenu:
    """What a file holds: its headers, row count and most frequent values per header."""
    en_tetes: list[str]
    lignes: int
    valeurs: dict[str, list[str]] = field(default_factory=dict)   # header -> distinct values
    distincts: dict[str, int] = field(default_factory=dict)       # header -> how many in all


def examiner(path: str | Path, name: str, limite: int = 30) -> Contenu:
    """Headers of a CSV file (or of the first sheet of a workbook) and, per header, its
    `limite` most frequent distinct values (trimmed). Raises CorrespondanceError when the file
    cannot be read."""
    problems = Problems()
    con = duckdb.connect()
    try:
        sheets = read_file(con, Path(path), name, "fichier", problems)
        if not sheets:
            raise CorrespondanceError(problems.text() or f"« {name} » : aucune donnée lue")
        sheet = sheets[0]
        contenu = Contenu(list(sheet.headers), sheet.rows)
        if limite <= 0 or not sheet.rows or not sheet.headers:
            return contenu
        found = con.execute(
            f"select col, v, n, d from (select col, v, n, count(*) over (partition by col) d, "
            f"row_number() over (partition by col order by n desc, v) r from (select col, "
            f"trim(val) v, count(*) n from (unpivot (select * exclude (__ligne) from "
            f"{sheet.staging}) on columns(*) into name col value val) where trim(val) <> '' "
            f"group by all)) where r <= {int(limite)} "
            f"order by cast(substr(col, 2) as integer), r").fetchall()
    finally:
        con.close()
    for col, value, _n, distinct in found:
        header = sheet.headers[int(col[1:])]
        contenu.valeurs.setdefault(header, []).append(value)
        contenu.distincts[header] = distinct
    return contenu


def examiner_octets(name: str, data: bytes, limite: int = 30) -> Contenu:
    """`examiner` on uploaded bytes."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fichier{Path(name).suffix.lower()[:8]}"
        path.write_bytes(data)
        return examiner(path, name, limite)


def en_tetes(path: str | Path, name: str) -> list[str]:
    """Headers of a file, as written in it."""
    return examiner(path, name, 0).en_tetes


def _mots(text: str) -> str:
    return "_".join(w for w in normalise(text).split("_") if w not in _PETITS_MOTS)


def _score(header: str, target: str, aliases: tuple[str, ...]) -> float:
    h = normalise(header)
    if not h:
        return 0.0
    if h == target:
        return 1.0
    if h in {normalise(a) for a in aliases}:
        return 0.98
    words = _mots(header)
    names = [_mots(target), *(_mots(a) for a in aliases)]
    best = max(difflib.SequenceMatcher(None, words, n).ratio() for n in names)
    return best if best >= SEUIL else 0.0


def proposer(table: str, headers: list[str],
             colonnes: dict[str, Column] | None = None) -> dict[str, str]:
    """A proposed mapping {target column: header}: each header and each column used once,
    best matches first."""
    aliases = ALIASES_ENTETES.get(table, {})
    pairs = sorted(((_score(h, t, aliases.get(t, ())), -j, -i, t, h)
                    for i, t in enumerate(cibles(table, colonnes))
                    for j, h in enumerate(headers)), reverse=True)
    out: dict[str, str] = {}
    used: set[str] = set()
    for score, _j, _i, target, header in pairs:
        if score and target not in out and header not in used:
            out[target] = header
            used.add(header)
    order = {h: j for j, h in enumerate(headers)}
    return dict(sorted(out.items(), key=lambda kv: order[kv[1]]))


def deviner_table(headers: list[str]) -> str | None:
    """The table whose identifier and most columns the headers propose."""
    best = max(((sum(k in p for k in SPECS[t].key) == len(SPECS[t].key), len(p), t)
                for t in SPECS for p in [proposer(t, headers)]), default=None)
    return best[2] if best and best[0] else None


def _code(value: str) -> str:
    text = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Z0-9]+", "_", text.strip().upper()).strip("_")


def proposer_valeurs(table: str, colonne: str, valeurs: list[str]) -> dict[str, str | None]:
    """For each value found in the file, the allowed code of `colonne` it most likely means
    (None when no code is close)."""
    allowed = SPECS[table].enums.get(colonne, ())
    out: dict[str, str | None] = {}
    for v in valeurs:
        key = _code(v)
        if colonne.startswith("typologie") and (m := re.fullmatch(r"[TF]?(\d{1,2})", key)):
            key = f"T{min(max(int(m.group(1)), 1), 6)}"
        close = difflib.get_close_matches(key, allowed, 1, 0.7)
        out[v] = key if key in allowed else (close[0] if close else None)
    return out
