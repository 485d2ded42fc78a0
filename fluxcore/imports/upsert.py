"""Write a typed sheet into its table: update rows whose key exists (only the columns the file
holds, and only when a value differs), insert the others (absent columns take their default).
Also the few values the importer derives when a file leaves them out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pandas as pd

from fluxcore.codes import liste_sql
from fluxcore.formats import accord
from fluxcore.imports.geographie import locate, normalise_communes
from fluxcore.imports.problems import AVERTISSEMENT, Problems
from fluxcore.imports.reader import Sheet
from fluxcore.imports.spec import SPECS
from fluxcore.imports.staging import Column


@dataclass
class Target:
    sheet: Sheet
    table: str
    typed: str                        # temp table: __ligne, r__<col>, <col>
    present: list[str]                # columns the file gives
    derived: list[str] = field(default_factory=list)   # filled by the importer, keep if NULL
    fill_only: list[str] = field(default_factory=list)  # only for new rows or empty cells
    computed_key: bool = False        # ids built by the importer (RPLS résidences)
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def columns(self) -> list[str]:
        extra = [c for c in self.derived + self.fill_only if c not in self.present]
        return self.present + list(dict.fromkeys(extra))

    def counts(self) -> dict:
        return {"fichier": self.sheet.file_name, "feuille": self.sheet.sheet,
                "table": self.table, "lignes": self.inserted + self.updated + self.unchanged,
                "inseres": self.inserted, "modifies": self.updated, "inchanges": self.unchanged}

    def preview(self, cur, rows: int = 10) -> pd.DataFrame:
        cols = ", ".join(["__ligne", *self.columns])
        return cur.execute(f"select {cols} from {self.typed} order by __ligne limit {rows}").df() \
            .rename(columns={"__ligne": "ligne"})


def _add(cur, target: Target, name: str, sql_type: str, expr: str,
         fill_only: bool = False) -> None:
    if name not in target.columns:
        cur.execute(f"alter table {target.typed} add column {name} {sql_type}")
        (target.fill_only if fill_only else target.derived).append(name)
    cur.execute(f"update {target.typed} set {name} = {expr} where {name} is null")


def derive(cur, target: Target, cols: dict[str, Column], problems: Problems) -> None:
    """Fill what a file may leave out: a résidence's département, EPCI, QPV flag and name from
    its commune, code and address; a setting's description from the catalogue; the population
    of OPS commune aggregates (ENSEMBLE)."""
    if target.table == "residence" and "commune_insee" in target.present:
        where = target.sheet.where
        normalise_communes(cur, target.typed, where, problems, "commune_insee")
        _add(cur, target, "departement", "varchar",
             "(select r.departement from ref_commune r where r.code_insee = commune_insee)")
        _add(cur, target, "departement", "varchar",
             "case when commune_insee like '97%' then left(commune_insee, 3) "
             "else left(commune_insee, 2) end")
        _add(cur, target, "epci_siren", "varchar",
             "(select r.epci_siren from ref_commune r where r.code_insee = commune_insee)")
        present, fill = locate(cur, target.typed, where, problems)
        target.present += [c for c in present if c not in target.present]
        target.fill_only += [c for c in fill if c not in target.columns]
        _add(cur, target, "nom", "varchar", "coalesce(adresse, residence_id)"
             if "adresse" in target.columns else "residence_id", fill_only=True)
    if target.table == "parametre":
        _check_parametres(cur, target, problems)
    if target.table == "occupation_territoire":
        _add(cur, target, "population", "varchar", "'ENSEMBLE'")   # a file of ENSEMBLE rows
        _check_ops_communes(cur, target, problems)
    if target.table == "convention":
        _derive_annees(cur, target, problems)


def _derive_annees(cur, target: Target, problems: Problems) -> None:
    """A convention's years from its dates when the file leaves them out (a file with
    neither may only update existing rows: check_new_rows)."""
    for annee, jour in (("annee_debut", "date_debut"), ("annee_fin", "date_fin")):
        if jour in target.present:
            _add(cur, target, annee, "integer", f"year({jour})")
        if annee in target.columns:
            # a cell of the file must be filled (or its date); a derived one only for new rows
            new = "" if annee in target.present else (
                f" and not exists (select 1 from convention c where c.convention_id = "
                f"{target.typed}.convention_id)")
            rows = cur.execute(
                f"select __ligne, count(*) over () from {target.typed} where {annee} is null"
                f"{new} order by __ligne limit {problems.limit}").fetchall()
            if rows:
                problems.add_many(target.sheet.where, [(r[0], None) for r in rows], rows[0][1],
                                  annee, f"valeur obligatoire manquante (ou {jour})")
        elif annee not in target.sheet.missing:
            target.sheet.missing.append(annee)


def derive_from_base(cur, target: Target) -> None:
    """Values read from the rows already written in this batch, just before the sheet's own
    write: a commune or EPCI convention without perimetre covers the réservataire's
    territoire (written first: ORDER puts réservataires before conventions)."""
    if target.table == "convention" and "reservataire_id" in target.columns:
        t = target.typed
        _add(cur, target, "perimetre", "varchar",
             f"(select r.territoire from reservataire r where r.reservataire_id = "
             f"{t}.reservataire_id and r.type in {liste_sql('types_territoriaux')})")


def _check_ops_communes(cur, target: Target, problems: Problems) -> None:
    """OPS aggregates of a commune no résidence can match (an old code of a merged commune, a
    code unknown to the 2026 geography): imported, with a warning. Old codes are not
    converted: two merged communes would become one key, and their aggregates cannot be
    added up."""
    if "commune_insee" not in target.present:
        return
    rows = cur.execute(
        f"select min(__ligne), commune_insee, commune_2026(commune_insee), count(*) "
        f"from {target.typed} t where commune_insee is not null and not exists "
        f"(select 1 from ref_commune r where r.code_insee = t.commune_insee) "
        f"group by all order by 1").fetchall()
    for ligne, code, new, n in rows[: problems.limit]:
        what = (f"ancien code de commune (code 2026 : {new})" if new != code else
                "commune inconnue du code officiel géographique 2026")
        problems.add(target.sheet.where, ligne, "commune_insee", code,
                     f"{what} ({accord(n, 'ligne', 'lignes')}) : ces agrégats ne seront "
                     "rapprochés d'aucune résidence pour l'indice de fragilité", AVERTISSEMENT)


def _check_parametres(cur, target: Target, problems: Problems) -> None:
    from fluxcore.errors import ParametreError
    from fluxcore.parametres import BY_KEY, check_valeur

    if "valeur" not in target.present:
        return
    rows = cur.execute(f"select __ligne, cle, valeur from {target.typed}").fetchall()
    for ligne, cle, valeur in rows:
        if cle not in BY_KEY:
            problems.add(target.sheet.where, ligne, "cle", cle, "paramètre inconnu")
            continue
        try:
            check_valeur(cle, json.loads(valeur))
        except (ValueError, TypeError):
            problems.add(target.sheet.where, ligne, "valeur", valeur,
                         "valeur illisible : attendu une valeur JSON (ex. 30.0, true, \"A\")")
        except ParametreError as exc:
            problems.add(target.sheet.where, ligne, "valeur", valeur, str(exc))
    descriptions = [(p.description, p.cle) for p in BY_KEY.values()]
    if "description" not in target.present:
        cur.execute(f"alter table {target.typed} add column description varchar")
        target.derived.append("description")
        cur.executemany(f"update {target.typed} set description = ? where cle = ?",
                        descriptions)


def key_join(table: str, cols: dict[str, Column], left: str = "t", right: str = "b") -> str:
    return " and ".join(
        f"{left}.{k} is not distinct from {right}.{k}" if cols[k].nullable
        else f"{left}.{k} = {right}.{k}" for k in SPECS[table].key)


def upsert(cur, target: Target, cols: dict[str, Column]) -> None:
    """Write the sheet; sets target.inserted / updated / unchanged."""
    derive_from_base(cur, target)
    table, typed = target.table, target.typed
    on = key_join(table, cols)
    keys = SPECS[table].key
    values = [c for c in target.columns if c not in keys]
    if values:
        def new_value(c: str) -> str:
            if c in target.fill_only:
                return f"coalesce(t.{c}, b.{c})"
            return f"coalesce(b.{c}, t.{c})" if c in target.derived else f"b.{c}"
        new = ", ".join(new_value(c) for c in values)
        old = ", ".join(f"t.{c}" for c in values)
        differs = f"row({old}) is distinct from row({new})"
        sets = ", ".join(f"{c} = {new_value(c)}" for c in values)
        target.updated = cur.execute(
            f"update {table} as t set {sets} from {typed} as b where {on} and {differs}"
        ).fetchall()[0][0]
    existing = cur.execute(
        f"select count(*) from {typed} b where exists (select 1 from {table} t where {on})"
    ).fetchall()[0][0]
    target.unchanged = existing - target.updated
    insert_cols = [c for c in target.columns if c in cols]
    listed = ", ".join(insert_cols)
    picked = ", ".join(
        f"coalesce(b.{c}, {cols[c].default})" if cols[c].default is not None
        and not cols[c].nullable and "nextval" not in cols[c].default else f"b.{c}"
        for c in insert_cols)
    target.inserted = cur.execute(
        f"insert into {table} ({listed}) select {picked} "
        f"from {typed} b where not exists (select 1 from {table} t where {on})"
    ).fetchall()[0][0]
