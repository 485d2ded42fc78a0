"""Import of landlord files (canonical CSV/XLSX per table, RPLS files): all or nothing.

`import_files` runs the whole batch in one transaction: stage every file, type every cell,
report every cell problem; upsert each sheet on its key; check what only the merged data can
tell (references, dates, rates per département); then commit, or roll everything back when a
single error was found or when `dry_run` asks for a preview. Each imported sheet leaves an
`import_batch` row (file name, sha256, rows inserted / updated / unchanged, who, when) and the
batch one `audit_log` row.

The checking runs without the write lock, so that users go on orienting meanwhile (a dry run
never takes it); the commit takes it, and happens only if nothing else was written since the
batch began — otherwise the batch is checked again under the lock (Database.
transaction_sans_verrou).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

from fluxcore.acces import acteur, exiger
from fluxcore.db import Database, audit, default_actor, memoire_bornee
from fluxcore.errors import (
    EcritureConcurrenteError,
    FluxcoreError,
    memoire_epuisee,
    memoire_insuffisante,
)
from fluxcore.formats import accord, pluriel
from fluxcore.imports import coherence, derogations, rpls, sne, zeros
from fluxcore.imports.correspondance import Correspondance
from fluxcore.imports.mapping import appliquer, refusees
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
    unknown_layout,
)
from fluxcore.imports.upsert import Target, derive, key_join, upsert
from fluxcore.simulation import modele_stocke

Progress = Callable[[float, str], None]
# DuckDB's memory limit while an import runs: a million-row RPLS file spills to disk instead of
# taking several GB (FLUX_IMPORT_MEMOIRE, e.g. "2GB", to change it).
IMPORT_MEMORY = os.environ.get("FLUX_IMPORT_MEMOIRE", "1GB")


@dataclass(frozen=True)
class Source:
    """A file to import: its name as the user knows it and where its bytes are; with a
    column mapping when it comes from another system (fluxcore.imports.correspondance)."""
    name: str
    path: Path
    correspondance: Correspondance | None = None


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
    refused = refusees([s.correspondance for s in sources if s.correspondance], schemas,
                       problems)
    for i, src in enumerate(sources):
        if id(src.correspondance) in refused:
            continue
        progress(0.4 * i / max(len(sources), 1), f"Lecture de « {src.name} »")
        try:
            for sheet in read_file(cur, src.path, src.name, f"stg_{i}", problems):
                targets += _targets_of(cur, sheet, problems, schemas, src.correspondance)
        except FluxcoreError:
            raise
        except Exception as exc:         # a case no reader foresaw: a message, no traceback
            if memoire_epuisee(exc):
                raise memoire_insuffisante(src.name, exc) from exc
            problems.add(f"« {src.name} »", None, None, None,
                         f"fichier illisible : erreur inattendue pendant la lecture "
                         f"({_detail(exc)})")
        _stop_if_aborted(cur, src, sources[i + 1:], problems)
    _check_duplicates(cur, targets, problems, schemas)
    zeros.check(cur, targets, problems, schemas)   # ids whose leading zeros were lost
    return targets


def _targets_of(cur, sheet: Sheet, problems: Problems, schemas: dict[str, dict[str, Column]],
                corr: Correspondance | None = None) -> list[Target]:
    corr = corr or sne.correspondance(sheet.headers)   # an SNE extract: its ready mapping
    if corr is not None and not appliquer(cur, sheet, corr, problems):
        return []
    table = corr.table if corr is not None else detect_table(sheet, schemas)
    if table is None:
        problems.add(sheet.where, 1, None, None, unknown_layout(sheet))
        return []
    if table == "rpls":
        return rpls.targets(cur, sheet, problems, schemas)
    cols = schemas[table]
    if not map_columns(sheet, table, cols, problems):
        return []
    typed = f"{sheet.staging}_typed"
    present = build_typed(cur, sheet, table, typed, cols)
    check_cells(cur, typed, sheet.where, table, present, cols, problems,
                corr.colonnes if corr is not None else None)
    check_rows(cur, typed, sheet, table, present, problems)
    target = Target(sheet, table, typed, present)
    derive(cur, target, cols, problems)
    check_new_rows(cur, sheet, table, typed, key_join(table, cols), problems)
    return [target]


def _detail(exc: BaseException) -> str:
    text = (str(exc).strip().splitlines() or [""])[0][:200]
    return f"{type(exc).__name__} : {text}" if text else type(exc).__name__


def _stop_if_aborted(cur, src: Source, rest: list[Source], problems: Problems) -> None:
    """A DuckDB error aborts the transaction: nothing more can be checked in it."""
    try:
        cur.execute("select 1").fetchall()
    except duckdb.Error as exc:
        if memoire_epuisee(exc):
            raise memoire_insuffisante(src.name, exc) from exc
        if not problems.errors:
            problems.add(f"« {src.name} »", None, None, None,
                         f"fichier illisible : erreur inattendue pendant la lecture "
                         f"({_detail(exc)})")
        if rest:
            problems.add("lot", None, None, None,
                         pluriel(len(rest), "fichier non contrôlé", "fichiers non contrôlés")
                         + " après l'erreur de « " + src.name + " » : "
                         + ", ".join(f"« {s.name} »" for s in rest)
                         + " ; corrigez-la, puis relancez l'import")
        raise _RollbackError from exc


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
                 dry_run: bool = False, progress: Progress | None = None,
                 correspondance: Correspondance | None = None,
                 modele: bool = True) -> ImportResult:
    """Validate and import `sources` in one transaction; nothing is written unless every file
    is valid and `dry_run` is False. `correspondance` maps the columns of every file. Then
    the simulator's vacancy model is refitted, unless `modele` is False (the app's server
    does it in its scheduled work, web.taches.reestimer_modeles, so the user does not wait)."""
    exiger(db, "importer")
    if correspondance is not None:
        sources = [replace(s, correspondance=correspondance) for s in sources]
    progress = progress or (lambda _f, _m: None)
    actor = acteur(db, actor) or default_actor()
    # the checking pass holds no write lock (orientations go on meanwhile); its commit takes
    # it, and only if nothing else was written since — else the batch is redone under it
    try:
        result = _passe(db, sources, actor, dry_run, progress, verrou=False)
    except EcritureConcurrenteError:
        progress(0.0, "Une autre écriture a eu lieu pendant le contrôle : reprise du lot")
        result = _passe(db, sources, actor, dry_run, progress, verrou=True)
    if modele:
        modele_stocke.apres_import(db, result, actor, progress)   # never fails
    progress(1.0, "Terminé")
    return result


def _passe(db: Database, sources: list[Source], actor: str, dry_run: bool,
           progress: Progress, verrou: bool) -> ImportResult:
    """One pass over the batch in one transaction (see import_files): under the write lock
    (`verrou`), or checked without it and committed under it (Database.transaction_sans_verrou:
    EcritureConcurrenteError if another write was committed meanwhile)."""
    problems = Problems()
    result = ImportResult(problems, pd.DataFrame())
    transaction = db.transaction if verrou else db.transaction_sans_verrou
    try:
        with memoire_bornee(db, IMPORT_MEMORY), transaction("importer") as cur:
            schemas = {t: table_columns(cur, t) for t in SPECS}
            targets = _stage(cur, sources, problems, schemas, progress)
            targets.sort(key=lambda t: ORDER.index(t.table))
            result.previews = {f"{t.sheet.where} → {t.table}": t.preview(cur) for t in targets}
            if problems.errors or not any(t.sheet.rows for t in targets):
                if not problems.errors:
                    problems.add("lot", None, None, None, "aucune donnée à importer" + (
                        " : les fichiers n'ont que leur ligne d'en-tête" if targets else ""))
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
            derogations.reprendre(cur, targets, problems)
            result.counts = pd.DataFrame([t.counts() for t in targets])
            if problems.errors or dry_run:
                raise _RollbackError
            _record(cur, targets, actor, sorted({s.correspondance.nom or "sans nom"
                                                 for s in sources if s.correspondance}))
            result.applied = True
    except _RollbackError:
        pass
    except FluxcoreError:                # access refused, database locked: said in French
        raise
    except Exception as exc:             # never a traceback: the batch is refused, rolled back
        if memoire_epuisee(exc):
            raise memoire_insuffisante(", ".join(s.name for s in sources), exc) from exc
        result.applied = False
        problems.add("lot", None, None, None,
                     f"import interrompu par une erreur inattendue ({_detail(exc)}) : la base "
                     "n'a pas été modifiée")
    return result


def _record(cur, targets: list[Target], actor: str, correspondances: list[str]) -> None:
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
           "lignes": {f"{t.sheet.file_name}:{t.table}": t.counts() for t in targets},
           **({"correspondance": ", ".join(correspondances)} if correspondances else {})})


def import_paths(db: Database, paths: Iterable[str | Path], actor: str | None = None,
                 dry_run: bool = False, progress: Progress | None = None,
                 correspondance: Correspondance | None = None) -> ImportResult:
    return import_files(db, sources_from_paths(paths), actor, dry_run, progress, correspondance)


def import_uploads(db: Database, uploads: list[tuple[str, bytes]], actor: str | None = None,
                   dry_run: bool = False, progress: Progress | None = None,
                   correspondance: Correspondance | None = None,
                   modele: bool = True) -> ImportResult:
    with tempfile.TemporaryDirectory() as folder:
        return import_files(db, sources_from_uploads(uploads, Path(folder)), actor, dry_run,
                            progress, correspondance, modele)


def summary(result: ImportResult) -> str:
    """One French sentence on the outcome."""
    if not result.ok:
        return (f"Import refusé : {accord(result.problems.errors, 'erreur', 'erreurs')}. "
                "La base n'a pas été modifiée.")
    c = result.counts
    n = {k: int(c[k].sum()) if len(c) else 0 for k in ("inseres", "modifies", "inchanges")}
    verb = "Import effectué" if result.applied else "Contrôle réussi (rien n'est écrit)"
    return (f"{verb} : {accord(n['inseres'], 'ligne ajoutée', 'lignes ajoutées')}, "
            f"{accord(n['modifies'], 'modifiée', 'modifiées')}, "
            f"{accord(n['inchanges'], 'inchangée', 'inchangées')}.")


__all__ = ["ERREUR", "Correspondance", "ImportResult", "Source", "import_files", "import_paths",
           "import_uploads", "summary"]
