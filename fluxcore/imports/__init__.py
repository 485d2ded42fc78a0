"""Import of landlord files (canonical CSV/XLSX per table, RPLS files): all or nothing.

`import_files` runs the whole batch in one transaction: stage every file, type every cell,
report every cell problem; upsert each sheet on its key; check what only the merged data can
tell (references, dates, rates per département); then commit, or roll everything back when a
single error was found or when `dry_run` asks for a preview. Each imported sheet leaves an
`import_batch` row (file name, sha256, rows inserted / updated / unchanged, who, when) and the
batch one `audit_log` row.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

from fluxcore.acces import acteur, exiger
from fluxcore.db import Database, audit, default_actor
from fluxcore.imports import coherence, rpls
from fluxcore.imports.problems import ERREUR, Problems
from fluxcore.imports.reader import Sheet, read_file
from fluxcore.imports.spec import ORDER, SPECS
from fluxcore.imports.staging import (
    Column,
    build_typed,
    check_cells,
    check_new_rows,
    check_rows,
    detect_table,
    map_columns,
    table_columns,
)
from fluxcore.imports.upsert import Target, derive, key_join, upsert

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class Source:
    """A file to import: its name as the user knows it and where its bytes are."""
    name: str
    path: Path


@dataclass
class ImportResult:
    problems: Problems
    counts: pd.DataFrame                      # fichier, feuille, table, lignes, inseres, ...
    applied: bool = False
    previews: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.problems.errors == 0


class _RollbackError(Exception):
    """Raised inside the transaction to undo it (errors found, or a dry run)."""


def sources_from_paths(paths: Iterable[str | Path]) -> list[Source]:
    return [Source(Path(p).name, Path(p)) for p in paths]


def sources_from_uploads(uploads: Iterable[tuple[str, bytes]], folder: Path) -> list[Source]:
    """Write uploaded (name, bytes) pairs to `folder` and return them as sources."""
    out = []
    for i, (name, data) in enumerate(uploads):
        path = folder / f"{i:03d}{Path(name).suffix.lower()[:8]}"   # names may be too long
        path.write_bytes(data)
        out.append(Source(Path(name).name, path))
    return out


def _stage(cur, sources: list[Source], problems: Problems, schemas, progress) -> list[Target]:
    """Read, detect, type and check every sheet of every file."""
    targets: list[Target] = []
    for i, src in enumerate(sources):
        progress(0.4 * i / max(len(sources), 1), f"Lecture de « {src.name} »")
        for sheet in read_file(cur, src.path, src.name, f"stg_{i}", problems):
            targets += _targets_of(cur, sheet, problems, schemas)
    _check_duplicates(cur, targets, problems, schemas)
    return targets


def _targets_of(cur, sheet: Sheet, problems: Problems,
                schemas: dict[str, dict[str, Column]]) -> list[Target]:
    table = detect_table(sheet, schemas)
    if table is None:
        problems.add(sheet.where, 1, None, None,
                     "table non reconnue : l'en-tête doit reprendre les colonnes d'une table "
                     f"({', '.join(SPECS)}) ou d'un fichier RPLS, ou la feuille porter le nom "
                     "de la table")
        return []
    if table == "rpls":
        return rpls.targets(cur, sheet, problems, schemas)
    cols = schemas[table]
    if not map_columns(sheet, table, cols, problems):
        return []
    typed = f"{sheet.staging}_typed"
    present = build_typed(cur, sheet, table, typed, cols)
    check_cells(cur, typed, sheet.where, table, present, cols, problems)
    check_rows(cur, typed, sheet, table, present, problems)
    target = Target(sheet, table, typed, present)
    derive(cur, target, cols, problems)
    check_new_rows(cur, sheet, table, typed, key_join(table, cols), problems)
    return [target]


def _check_duplicates(cur, targets: list[Target], problems: Problems,
                      schemas: dict[str, dict[str, Column]]) -> None:
    """Ids given twice in the batch (within a file or across files of the same table)."""
    by_table: dict[str, list[Target]] = {}
    for t in targets:
        if not t.computed_key:
            by_table.setdefault(t.table, []).append(t)
    for table, group in by_table.items():
        keys = SPECS[table].key
        key = ", ".join(keys)
        given = " and ".join(f"{k} is not null" for k in keys if not schemas[table][k].nullable)
        union = " union all ".join(
            f"select {i} as s, __ligne, {key} from {t.typed} where {given}"
            for i, t in enumerate(group))
        found = cur.execute(
            f"select s, __ligne, concat_ws(' / ', {key}) as k, n, premieres from (select *, "
            f"count(*) over (partition by {key}) as n, list(struct_pack(s, __ligne)) over "
            f"(partition by {key} order by s, __ligne rows between unbounded preceding and "
            f"unbounded following)[1:3] as premieres from ({union})) where n > 1 "
            f"order by s, __ligne limit {problems.limit}").fetchall()
        for s, ligne, k, n, premieres in found:
            where = [f"{group[p['s']].sheet.where} ligne {p['__ligne']}" for p in premieres]
            problems.add(group[s].sheet.where, ligne, key, k,
                         f"identifiant en double dans le lot ({n} lignes : "
                         f"{', '.join(where)}{'…' if n > 3 else ''})")


def import_files(db: Database, sources: list[Source], actor: str | None = None,
                 dry_run: bool = False, progress: Progress | None = None) -> ImportResult:
    """Validate and import `sources` in one transaction; nothing is written unless every file
    is valid and `dry_run` is False."""
    exiger(db, "importer")
    progress = progress or (lambda _f, _m: None)
    actor = acteur(db, actor) or default_actor()
    problems = Problems()
    result = ImportResult(problems, pd.DataFrame())
    try:
        with db.transaction("importer") as cur:
            schemas = {t: table_columns(cur, t) for t in SPECS}
            targets = _stage(cur, sources, problems, schemas, progress)
            targets.sort(key=lambda t: ORDER.index(t.table))
            result.previews = {f"{t.sheet.where} → {t.table}": t.preview(cur) for t in targets}
            if problems.errors or not targets:
                if not targets and not problems.errors:
                    problems.add("lot", None, None, None, "aucune donnée à importer")
                raise _RollbackError
            for i, t in enumerate(targets):
                progress(0.5 + 0.4 * i / len(targets), f"Écriture : {t.table} ({t.sheet.where})")
                try:
                    upsert(cur, t, schemas[t.table])
                except duckdb.Error as exc:      # a rule only the merged row can break
                    problems.add(t.sheet.where, None, None, None,
                                 f"écriture refusée par la base pour la table {t.table} : "
                                 f"{str(exc).splitlines()[0]}")
                    raise _RollbackError from exc
            progress(0.92, "Contrôles de cohérence")
            for t in targets:
                coherence.check(cur, t, problems)
            result.counts = pd.DataFrame([t.counts() for t in targets])
            if problems.errors or dry_run:
                raise _RollbackError
            _record(cur, targets, actor)
            result.applied = True
    except _RollbackError:
        pass
    progress(1.0, "Terminé")
    return result


def _record(cur, targets: list[Target], actor: str) -> None:
    first = cur.execute("select coalesce(max(batch_id), 0) + 1 from import_batch").fetchall()[0][0]
    now = datetime.now()
    for i, t in enumerate(targets):
        cur.execute(
            "insert into import_batch (batch_id, file_name, sha256, table_name, rows_inserted, "
            "rows_updated, rows_unchanged, sheet, lot, imported_by, imported_at) "
            "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [first + i, t.sheet.file_name, t.sheet.sha256, t.table, t.inserted, t.updated,
             t.unchanged, t.sheet.sheet, first, actor, now])
    audit(cur, actor, "import", ",".join(sorted({t.table for t in targets})), str(first),
          {"fichiers": sorted({t.sheet.file_name for t in targets}),
           "lignes": {f"{t.sheet.file_name}:{t.table}": t.counts() for t in targets}})


def import_paths(db: Database, paths: Iterable[str | Path], actor: str | None = None,
                 dry_run: bool = False, progress: Progress | None = None) -> ImportResult:
    return import_files(db, sources_from_paths(paths), actor, dry_run, progress)


def import_uploads(db: Database, uploads: list[tuple[str, bytes]], actor: str | None = None,
                   dry_run: bool = False, progress: Progress | None = None) -> ImportResult:
    with tempfile.TemporaryDirectory() as folder:
        return import_files(db, sources_from_uploads(uploads, Path(folder)), actor, dry_run,
                            progress)


def summary(result: ImportResult) -> str:
    """One French sentence on the outcome."""
    if not result.ok:
        return (f"Import refusé : {result.problems.errors} erreur(s). La base n'a pas été "
                "modifiée.")
    c = result.counts
    n = {k: int(c[k].sum()) if len(c) else 0 for k in ("inseres", "modifies", "inchanges")}
    verb = "Import effectué" if result.applied else "Contrôle réussi (rien n'est écrit)"
    return (f"{verb} : {n['inseres']} ligne(s) ajoutée(s), {n['modifies']} modifiée(s), "
            f"{n['inchanges']} inchangée(s).")


__all__ = ["ERREUR", "ImportResult", "Source", "import_files", "import_paths", "import_uploads",
           "summary"]
