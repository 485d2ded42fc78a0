"""Maintained state: derived tables kept equal to their definition on every write.

Every reading of the flux starts from « libération × logement × résidence × latest
orientation », and every forecast from the parc of a territory. Instead of redoing those on
each page, two tables hold them (migration 009; definitions in sql/etat/): `fait_liberation`,
one row per libération with its dwelling, territory and latest orientation, and `fait_parc`,
the dwellings counted per territory × segment × service date. This module keeps them up to
date **inside the transaction of every write**: `Database.transaction()` calls
`maintenir(cur)` just before COMMIT, so a write and the state it implies are committed
together or not at all (an import, an orientation and its whole life, a correction, a purge,
a migration; a restore brings back a file whose state was committed with its data).

How much is recomputed:
- by default, everything: the definition is computed over the whole base and compared with
  the table (EXCEPT both ways); only the rows that differ are deleted and written again.
  Always right, whatever the write did (~tens of ms at `grand`);
- a write that knows what it touched says so on its cursor: `limiter(cur, ids)` (it wrote
  liberation or orientation rows of those libérations only, never a logement or a résidence:
  a decision on one dwelling costs one row), or `sans_effet(cur)` (a write that touches none
  of the tables the state reads: sign-ins, accounts, settings, notices).
  A wrong declaration is caught by `python -m fluxcore check` (`ecarts`), which compares the
  table with a full recomputation, and by tests/test_etat.py's random write sequences.

The state holds raw facts only, never a setting: changing a rule's setting changes what the
readers compute from it, not the state.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

import duckdb

from fluxcore.db import Database, load_sql

TABLE = "fait_liberation"
PARC = "fait_parc"
TABLES = (TABLE, PARC)
# the tables the definitions read: a write touching none of them leaves the state as it is
SOURCES = ("liberation", "logement", "residence", "orientation")

_lock = threading.Lock()
_portees: dict[int, set[str] | None] = {}   # id(cursor) → declared scope (None: everything)
_TOUS = object()


def limiter(cur: duckdb.DuckDBPyConnection, liberation_ids: Iterable[str]) -> None:
    """Declare that this transaction changed the sources of these libérations only (several
    calls add up). Without any declaration, the whole state is compared at commit."""
    ids = {str(i) for i in liberation_ids if i is not None}
    with _lock:
        scope = _portees.get(id(cur), set())
        if scope is not None:
            _portees[id(cur)] = scope | ids


def limiter_orientations(cur: duckdb.DuckDBPyConnection, orientation_ids: Iterable[str]
                         ) -> None:
    """limiter() for the libérations of these orientations."""
    ids = [str(i) for i in orientation_ids if i is not None]
    rows = cur.execute("select distinct liberation_id from orientation where orientation_id in "
                       "(select unnest(?::varchar[]))", [ids]).fetchall() if ids else []
    limiter(cur, [r[0] for r in rows])


def sans_effet(cur: duckdb.DuckDBPyConnection) -> None:
    """Declare that this transaction writes none of SOURCES."""
    limiter(cur, ())


def tout(cur: duckdb.DuckDBPyConnection) -> None:
    """Declare that anything may have changed (overrides an earlier limiter)."""
    with _lock:
        _portees[id(cur)] = None


def oublier(cur: duckdb.DuckDBPyConnection) -> None:
    """Forget the cursor's declaration (the transaction is over)."""
    with _lock:
        _portees.pop(id(cur), None)


def _existe(cur: duckdb.DuckDBPyConnection) -> bool:
    return cur.execute("select count(*) from duckdb_tables() where schema_name = 'main' "
                       "and table_name = ? and not temporary", [TABLE]).fetchone()[0] > 0


def maintenir(cur: duckdb.DuckDBPyConnection) -> None:
    """Bring the state in step with the transaction's writes (called before COMMIT)."""
    with _lock:
        scope = _portees.pop(id(cur), _TOUS)
    if scope is _TOUS:
        scope = None
    if scope is not None and not scope:
        return
    if not _existe(cur):          # a migration before 009
        return
    if scope is None:
        _tout_comparer(cur)
        _parc(cur)
    else:
        _remplacer(cur, sorted(scope))


def _remplacer(cur: duckdb.DuckDBPyConnection, ids: list[str]) -> None:
    """Rows of these libérations written again from their definition."""
    cur.execute(f"delete from {TABLE} where liberation_id in (select unnest(?::varchar[]))",
                [ids])
    cur.execute(f"insert into {TABLE} " + load_sql("etat/fait_liberation"),
                {"tous": False, "ids": ids})


# libérations whose rows differ between a computed table and the state: row count and sum of
# the rows' hashes per libération (a duplicated, missing or changed row changes one of them)
_DIFF = (f"select liberation_id from (select liberation_id, count(*) as n, sum(hash(c)) as h "
         f"from {{calc}} c group by all) a full join (select liberation_id, count(*) as n, "
         f"sum(hash(f)) as h from {TABLE} f group by all) b using (liberation_id) "
         "where a.n is distinct from b.n or a.h is distinct from b.h")


def _tout_comparer(cur: duckdb.DuckDBPyConnection) -> None:
    """The whole definition computed and compared: only the libérations whose rows differ
    (missing, extra, duplicated, other values) are written again."""
    calc = f"_etat_calc_{threading.get_ident()}"
    diff = f"_etat_diff_{threading.get_ident()}"
    cur.execute(f"create or replace temp table {calc} as " + load_sql("etat/fait_liberation"),
                {"tous": True, "ids": []})
    try:
        cur.execute(f"create or replace temp table {diff} as " + _DIFF.format(calc=calc))
        if cur.execute(f"select count(*) from {diff}").fetchone()[0]:
            cur.execute(f"delete from {TABLE} where liberation_id in "
                        f"(select liberation_id from {diff})")
            cur.execute(f"insert into {TABLE} select * from {calc} where liberation_id in "
                        f"(select liberation_id from {diff})")
    finally:
        cur.execute(f"drop table if exists {calc}")
        cur.execute(f"drop table if exists {diff}")


def _parc(cur: duckdb.DuckDBPyConnection) -> None:
    """fait_parc computed again, and rewritten when it differs (a small table: one row per
    territory × segment × service date)."""
    calc = f"_etat_parc_{threading.get_ident()}"
    cur.execute(f"create or replace temp table {calc} as " + load_sql("etat/fait_parc"))
    try:
        if cur.execute(f"select exists ((select * from {calc} except all select * from {PARC})"
                       f" union all (select * from {PARC} except all select * from {calc}))"
                       ).fetchone()[0]:
            cur.execute(f"delete from {PARC}")
            cur.execute(f"insert into {PARC} select * from {calc}")
    finally:
        cur.execute(f"drop table if exists {calc}")


def reconstruire(db: Database, actor: str | None = None) -> int:
    """Rewrite the whole state from its definition (a repair, audited); returns its rows."""
    from fluxcore.db import audit

    with db.transaction() as cur:
        cur.execute(f"delete from {TABLE}")
        cur.execute(f"insert into {TABLE} " + load_sql("etat/fait_liberation"),
                    {"tous": True, "ids": []})
        cur.execute(f"delete from {PARC}")
        cur.execute(f"insert into {PARC} " + load_sql("etat/fait_parc"))
        sans_effet(cur)
        n = cur.execute(f"select count(*) from {TABLE}").fetchone()[0]
        audit(cur, actor, "etat.reconstruire", TABLE, None, {"lignes": n})
    return int(n)


def ecarts(db: Database) -> list[str]:
    """What of the stored state differs from a full recomputation, sorted: the libérations
    whose row is missing, extra, duplicated or has other values, then « parc <commune>
    <typologie> » for each segment of fait_parc that differs. Empty when the state is
    right."""
    sql = (f"with calc as ({load_sql('etat/fait_liberation')}) "
           + _DIFF.format(calc="calc") + " order by liberation_id")
    parc = (f"with calc as ({load_sql('etat/fait_parc')}), d as ("
            f"(select * from calc except all select * from {PARC}) union all "
            f"(select * from {PARC} except all select * from calc)) "
            "select distinct 'parc ' || commune_insee || ' ' || typologie as e from d order by e")
    return (db.df(sql, {"tous": True, "ids": []})["liberation_id"].tolist()
            + db.df(parc)["e"].tolist())
