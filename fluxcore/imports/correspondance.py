"""Column mappings (« correspondances ») for files of other systems: an SNE extract, an ERP
export, an OPS results file… mapped to a table of the product, saved under a name and reused.

A mapping says, for a target table, which header of the file fills each target column, and
optionally which product code each value of a column stands for. The importer applies it to
every sheet of the batch (fluxcore.imports.mapping): mapped headers become the target column
names, the other columns of the file are ignored (one warning lists them), value maps replace
the staged text before typing, so every cell check applies as to a canonical file.

Mapping file formats (`lire_fichier`), UTF-8 or Windows-1252:

- JSON: {"table": "demande", "nom": "SNE" (optional),
         "colonnes": {"demande_id": "Numéro unique", "statut": "Statut", ...},
         "valeurs": {"statut": {"Active": "ACTIVE", "Radiée": "RADIEE"}} (optional)}
- CSV (`;`, `,` or tab), one target column per line, `colonne_cible;colonne_fichier[;valeurs]`
  with values as `A=X|B=Y` (a value holding `|` cannot be written this way: use JSON). The
  table is given by a line `# table: demande` (or a row `table;demande`), the name by an
  optional `# nom: SNE`; other lines starting with `#` are comments; a header row
  `colonne_cible;colonne_fichier;valeurs` is optional; an empty file column leaves the target
  unmapped.

Values are compared after trimming, ignoring case. Saved mappings live in table
`correspondance` (migration 005), written by `enregistrer`/`supprimer` with the `importer`
right, each change audited.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd

from fluxcore import etat
from fluxcore.acces import acteur, exiger
from fluxcore.db import Database, audit, default_actor
from fluxcore.errors import CorrespondanceError
from fluxcore.imports.proposition import (
    Contenu,
    cibles,
    deviner_table,
    en_tetes,
    examiner,
    examiner_octets,
    proposer,
    proposer_valeurs,
    schema,
)
from fluxcore.imports.reader import normalise
from fluxcore.imports.spec import SPECS
from fluxcore.imports.staging import Column


@dataclass(frozen=True)
class Correspondance:
    nom: str | None
    table: str
    colonnes: dict[str, str]                                        # target -> file header
    valeurs: dict[str, dict[str, str]] = field(default_factory=dict)  # target -> {value: code}

    def to_dict(self) -> dict:
        out = {"nom": self.nom, "table": self.table, "colonnes": self.colonnes,
               "valeurs": self.valeurs}
        return out if self.nom else {k: v for k, v in out.items() if k != "nom"}

    def vers_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)


# -- reading a mapping file -------------------------------------------------------------------
class _Paires(list):
    """A JSON object as its (key, value) pairs: duplicate keys stay visible."""


def _objet(value, quoi: str, erreurs: list[str], doublon) -> dict:
    if not isinstance(value, _Paires):
        erreurs.append(f"{quoi} : objet JSON attendu")
        return {}
    out: dict = {}
    for k, v in value:
        if k in out:
            erreurs.append(doublon(k, out[k], v))
        else:
            out[k] = v
    return out


def _texte(v) -> str | None:
    return str(v) if isinstance(v, str | int | float) and not isinstance(v, bool) else None


def lire_json(text: str) -> Correspondance:
    try:
        data = json.loads(text, object_pairs_hook=_Paires)
    except json.JSONDecodeError as exc:
        raise CorrespondanceError(f"fichier de correspondance illisible : JSON invalide ligne "
                                  f"{exc.lineno} ({exc.msg})") from exc
    erreurs: list[str] = []
    top = _objet(data, "fichier de correspondance", erreurs, lambda k, *_: f"clé « {k} » en double")
    colonnes = _objet(top.get("colonnes", _Paires()), "« colonnes »", erreurs,
                      lambda k, a, b: f"colonne cible « {k} » associée deux fois (« {a} » et "
                                      f"« {b} »)")
    valeurs = {}
    for target, raw in _objet(top.get("valeurs", _Paires()), "« valeurs »", erreurs,
                              lambda k, *_: f"valeurs codées de « {k} » données deux fois").items():
        vmap = _objet(raw, f"« valeurs » de « {target} »", erreurs,
                      lambda k, *_, t=target: f"valeur « {k} » donnée deux fois pour {t}")
        valeurs[target] = {str(k): _texte(v) or "" for k, v in vmap.items()}
    for target, header in colonnes.items():
        if _texte(header) is None:
            erreurs.append(f"en-tête du fichier pour la colonne « {target} » : texte attendu")
    table, nom = _texte(top.get("table")), _texte(top.get("nom"))
    if not table:
        erreurs.append("table cible absente (clé « table »)")
    _leve(erreurs)
    return Correspondance(nom.strip() if nom else None, table.strip().lower(),
                          {k.strip().lower(): str(h).strip() for k, h in colonnes.items()},
                          {k.strip().lower(): v for k, v in valeurs.items() if v})


_DIRECTIVE = re.compile(r"#\s*(table|nom)\s*[:=]\s*(.*?)\s*$", re.I)


def lire_csv(text: str) -> Correspondance:
    lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    first = next((line for _, line in lines if not line.lstrip().startswith("#")), "")
    sep = max((";", ",", "\t"), key=first.count)
    meta: dict[str, str] = {}
    colonnes: dict[str, str] = {}
    valeurs: dict[str, dict[str, str]] = {}
    erreurs: list[str] = []
    for n, line in lines:
        if line.lstrip().startswith("#"):
            if m := _DIRECTIVE.match(line.strip()):
                meta[m.group(1).lower()] = m.group(2)
            continue
        cells = [c.strip() for c in next(csv.reader(io.StringIO(line), delimiter=sep))]
        target = cells[0].lower()
        if normalise(target) in ("colonne_cible", "cible"):
            continue
        if target == "table" and len(cells) > 1:
            meta["table"] = cells[1]
            continue
        if len(cells) < 2 or not target or any(cells[3:]):
            erreurs.append(f"ligne {n} : attendu colonne_cible{sep}colonne_fichier"
                           f"[{sep}valeurs]")
            continue
        if target in colonnes or target in valeurs:
            erreurs.append(f"ligne {n} : colonne cible « {target} » associée deux fois")
            continue
        if cells[1]:
            colonnes[target] = cells[1]
        if len(cells) > 2 and cells[2]:
            valeurs[target] = _valeurs_csv(cells[2], n, target, erreurs)
    if not meta.get("table"):
        erreurs.append("table cible absente : ajoutez une ligne « # table: demande »")
    _leve(erreurs)
    return Correspondance(meta.get("nom") or None, meta["table"].strip().lower(), colonnes,
                          valeurs)


def _valeurs_csv(text: str, n: int, target: str, erreurs: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in text.split("|"):
        value, eq, code = item.rpartition("=")
        if not eq or not value.strip():
            erreurs.append(f"ligne {n} : valeur codée « {item.strip()} » illisible (attendu "
                           "valeur=CODE, séparées par |)")
        elif value.strip() in out:
            erreurs.append(f"ligne {n} : valeur « {value.strip()} » donnée deux fois pour "
                           f"{target}")
        else:
            out[value.strip()] = code.strip()
    return out


def lire_fichier(path: str | Path) -> Correspondance:
    """A mapping file, JSON (`.json` or a text starting with `{`) or CSV; raises
    CorrespondanceError with every problem found."""
    path = Path(path)
    if not path.is_file():
        raise CorrespondanceError(f"fichier de correspondance introuvable : « {path} »")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    if path.suffix.lower() == ".json" or text.lstrip().startswith("{"):
        return lire_json(text)
    return lire_csv(text)


def _leve(erreurs: list[str]) -> None:
    if erreurs:
        raise CorrespondanceError("correspondance invalide : " + " ; ".join(erreurs), erreurs)


# -- validation -------------------------------------------------------------------------------
def erreurs(corr: Correspondance, colonnes: dict[str, Column] | None = None) -> list[str]:
    """Every problem of a mapping against its table, in French (empty list: valid)."""
    table = corr.table
    if table not in SPECS:
        return [f"table cible inconnue « {table} » (tables possibles : {', '.join(SPECS)})"]
    cols = colonnes if colonnes is not None else schema()[table]
    possibles = cibles(table, cols)
    out = []
    if not corr.colonnes:
        out.append("aucune colonne dans la correspondance")
    for target, header in corr.colonnes.items():
        if target not in possibles:
            out.append(f"colonne cible inconnue pour la table {table} : « {target} » "
                       f"(colonnes possibles : {', '.join(possibles)})")
        elif not str(header).strip():
            out.append(f"en-tête du fichier vide pour la colonne « {target} »")
    missing = [k for k in SPECS[table].key if not cols[k].nullable and k not in corr.colonnes]
    if missing:
        out.append(f"colonne obligatoire absente de la correspondance : {', '.join(missing)} "
                   f"(identifiant de la table {table})")
    for target, vmap in corr.valeurs.items():
        if target not in corr.colonnes:
            out.append(f"valeurs codées pour la colonne « {target} », absente de la "
                       "correspondance")
            continue
        allowed = SPECS[table].enums.get(target)
        seen: dict[str, str] = {}
        for value, code in vmap.items():
            key = value.strip().lower()
            if seen.get(key, code) != code:
                out.append(f"valeur « {value} » associée à deux codes pour {target} "
                           f"({seen[key]} et {code})")
            seen[key] = code
            if allowed and code.strip().upper() not in allowed:
                out.append(f"code inconnu « {code} » pour la colonne {target} (attendu l'un "
                           f"de {', '.join(allowed)})")
    return out


def verifier(corr: Correspondance, colonnes: dict[str, Column] | None = None) -> None:
    _leve(erreurs(corr, colonnes))


# -- saved mappings ---------------------------------------------------------------------------
def enregistrer(db: Database, corr: Correspondance, actor: str | None = None) -> bool:
    """Save (or replace) `corr` under its name; returns True when it is new."""
    exiger(db, "importer")
    nom = (corr.nom or "").strip()
    if not nom:
        raise CorrespondanceError("nom de la correspondance manquant")
    verifier(corr)
    actor = acteur(db, actor) or default_actor()
    now = datetime.now()
    colonnes = json.dumps(corr.colonnes, ensure_ascii=False)
    valeurs = json.dumps(corr.valeurs, ensure_ascii=False)
    with db.transaction("importer") as cur:
        etat.sans_effet(cur)   # none of etat.SOURCES written
        new = not cur.execute("select count(*) from correspondance where nom = ?",
                              [nom]).fetchall()[0][0]
        cur.execute(
            "insert into correspondance (nom, table_cible, colonnes, valeurs, cree_par, cree_le, "
            "modifie_par, modifie_le) values (?, ?, ?, ?, ?, ?, ?, ?) on conflict (nom) do "
            "update set table_cible = excluded.table_cible, colonnes = excluded.colonnes, "
            "valeurs = excluded.valeurs, modifie_par = excluded.modifie_par, "
            "modifie_le = excluded.modifie_le",
            [nom, corr.table, colonnes, valeurs, actor, now, actor, now])
        audit(cur, actor, "correspondance.create" if new else "correspondance.update",
              "correspondance", nom, {"table": corr.table, "colonnes": corr.colonnes,
                                      "valeurs": corr.valeurs})
    return new


def lister(db: Database) -> pd.DataFrame:
    """Saved mappings: nom, table_cible, nb_colonnes, nb_valeurs, modifie_par, modifie_le."""
    df = db.df("select nom, table_cible, colonnes, valeurs, modifie_par, modifie_le "
               "from correspondance order by nom")
    df["nb_colonnes"] = [len(json.loads(c)) for c in df["colonnes"]]
    df["nb_valeurs"] = [sum(len(m) for m in json.loads(v).values()) for v in df["valeurs"]]
    return df[["nom", "table_cible", "nb_colonnes", "nb_valeurs", "modifie_par", "modifie_le"]]


def charger(db: Database, nom: str) -> Correspondance:
    row = db.one("select table_cible, colonnes, valeurs from correspondance where nom = ?",
                 [nom])
    if row is None:
        noms = db.df("select nom from correspondance order by nom")["nom"].tolist()
        raise CorrespondanceError(
            f"correspondance « {nom} » introuvable"
            + (f" (enregistrées : {', '.join(noms)})" if noms else " (aucune n'est enregistrée)"))
    return Correspondance(nom, row[0], json.loads(row[1]), json.loads(row[2]))


def supprimer(db: Database, nom: str, actor: str | None = None) -> None:
    exiger(db, "importer")
    corr = charger(db, nom)
    actor = acteur(db, actor) or default_actor()
    with db.transaction("importer") as cur:
        etat.sans_effet(cur)   # none of etat.SOURCES written
        cur.execute("delete from correspondance where nom = ?", [nom])
        audit(cur, actor, "correspondance.delete", "correspondance", nom, corr.to_dict())


def resoudre(db: Database, reference: str | Path) -> Correspondance:
    """A mapping file if `reference` is one, else the saved mapping of that name."""
    if Path(reference).is_file():
        return lire_fichier(reference)
    try:
        return charger(db, str(reference))
    except CorrespondanceError as exc:
        raise CorrespondanceError(f"{exc} ; « {reference} » n'est pas non plus un fichier "
                                  "de correspondance") from exc


__all__ = ["Contenu", "Correspondance", "charger", "cibles", "deviner_table", "en_tetes",
           "enregistrer", "erreurs", "examiner", "examiner_octets", "lire_fichier", "lister",
           "proposer", "proposer_valeurs", "resoudre", "supprimer", "verifier"]
