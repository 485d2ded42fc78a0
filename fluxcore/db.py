"""Open or create the DuckDB file, apply migrations, run transactions and write the audit log.

One `Database` per process holds the single DuckDB connection; every query takes its own
`cursor()` (DuckDB connections are not shareable across threads, cursors are), so several
Streamlit sessions can read at once. Every function that writes goes through `transaction()`,
which commits the change and its `audit_log` row together, or neither.
"""

from __future__ import annotations

import atexit
import contextlib
import contextvars
import copy
import getpass
import json
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from fluxcore import codes, fichier
from fluxcore.acces import (
    AccesRefuseError,
    Utilisateur,
    acteur_courant,
    ecriture_de,
    exiger,
    verifier_ecriture,
    verifier_lecture,
)
from fluxcore.errors import (
    DatabaseError,
    EcritureConcurrenteError,
    FluxcoreError,
    memoire_epuisee,
    memoire_insuffisante_pour,
)

SQL_DIR = Path(__file__).resolve().parent / "sql"
MIGRATIONS_DIR = SQL_DIR / "migrations"

CONTRACT_TABLES = (
    "residence", "logement", "reservataire", "convention", "derogation", "reservation_stock",
    "liberation",
    "orientation", "attribution", "occupation", "occupation_territoire", "objectif",
    "seuil_quartile", "demande", "candidature", "avis", "radiation_sne", "grille_cotation",
    "parametre",
    "schema_version",
    "import_batch", "audit_log", "scenario",
)

_NAMED_PARAM = re.compile(r"\$([a-z_][a-z0-9_]*)")


def bind(sql: str, params: Sequence[Any] | dict | None) -> Sequence[Any] | dict:
    """Parameters for `sql`: a dict keeps only the `$names` the query uses (DuckDB refuses
    extra ones), so one Perimetre.params() serves every query."""
    if isinstance(params, dict):
        used = set(_NAMED_PARAM.findall(sql))
        return {k: v for k, v in params.items() if k in used}
    return params or []


_INCLUDE = re.compile(r"\{\{\s*([a-z0-9_/]+)\s*\}\}")


@cache
def load_sql(name: str) -> str:
    """Text of `fluxcore/sql/<name>.sql` (name like 'tableau_de_bord/chiffres_cles').

    `{{ area/part }}` inside a file includes `sql/area/part.sql` (shared CTEs and rules; file
    names only, never user input); `{{ codes/<list> }}` writes a code list of fluxcore.codes
    as SQL (`{{ codes/soustraits }}` reads `('MUTATION', …, 'VENTE')`), so that no query
    spells a list of codes itself."""
    lines = (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8").splitlines()
    return "\n".join(line if line.lstrip().startswith("--") else
                     _INCLUDE.sub(lambda m: _inclure(m.group(1)), line) for line in lines)


def _inclure(name: str) -> str:
    if name.startswith("codes/"):
        return codes.liste_sql(name.removeprefix("codes/"))
    return load_sql(name)


def list_migrations() -> list[tuple[int, str, Path]]:
    """Numbered migration files, in order: (version, name, path)."""
    found = []
    for path in sorted(MIGRATIONS_DIR.glob("[0-9][0-9][0-9]_*.sql")):
        version = int(path.name[:3])
        found.append((version, path.stem, path))
    return found


def default_actor() -> str:
    """Who is writing when no authenticated user is given: the OS account."""
    try:
        return getpass.getuser()
    except Exception:
        return "systeme"


def _connect(path: str, read_only: bool) -> duckdb.DuckDBPyConnection:
    if read_only and path != ":memory:" and not Path(path).exists():
        raise DatabaseError(
            f"La base de données « {path} » n'existe pas. Créez-la avec "
            f"« python -m fluxcore demo --db {path} » ou importez des données."
        )
    return fichier.connect(path, read_only)


def _traduite(exc: BaseException, action: str | None = None,
              ecriture: bool = True) -> BaseException:
    """The one place where running out of memory (or of room in the spill folder, see
    fluxcore.fichier) becomes a French MemoireInsuffisanteError: a transaction's, rolled
    back, or a read's. Any other exception, and one already in French, is returned as is."""
    if isinstance(exc, FluxcoreError) or not memoire_epuisee(exc):
        return exc
    if not ecriture:
        return memoire_insuffisante_pour("cette lecture", exc, ecriture=False)
    return memoire_insuffisante_pour(f"l'écriture « {action} »" if action else "l'écriture",
                                     exc)


class _Etat:
    """What a Database and its bound copies (`pour`) share: the connection, the file's
    identity when opened, the side lock, and whether the file was replaced since. This
    process's registry (fluxcore.fichier) holds these, so that a restore closes them all."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.con: duckdb.DuckDBPyConnection | None = None
        self.identite: tuple[int, int] | None = None
        self.verrou: Any = None
        self.remplacee = False
        self.fermee = False
        self.generation = 0     # writes committed through this process (transaction)

    def liberer(self) -> None:
        self.fermee = True
        if self.verrou is not None:
            self.verrou.close()
            self.verrou = None
        if self.path != ":memory:":
            fichier.oublier(self.path, self)

    def marquer_remplacee(self) -> None:
        """The file is being replaced by this process: close, and refuse any further use."""
        self.remplacee = True
        try:
            if self.con is not None:
                self.con.close()
        finally:
            self.liberer()


class Database:
    """The one connection of this process to a DuckDB file, and the helpers around it."""

    def __init__(self, path: str | Path, read_only: bool = False, migrate: bool = True):
        self.path = str(path)
        self.read_only = read_only
        if not read_only and self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._etat = _Etat(self.path)
        if self.path != ":memory:":
            self._etat.verrou = fichier.prendre_partage(self.path, self._etat)
        try:
            self._con = self._etat.con = _connect(self.path, read_only)
        except BaseException:
            self._etat.liberer()
            raise
        if self.path != ":memory:":
            self._etat.identite = fichier.identite(self.path)
        self._write_lock = threading.Lock()
        self.utilisateur: Utilisateur | None = None
        if migrate and not read_only:
            apply_migrations(self)
        elif read_only:
            self._check_schema()

    # -- reading ---------------------------------------------------------------------------
    def pour(self, utilisateur: Utilisateur | None) -> Database:
        """This database bound to a signed-in user (same connection): fluxcore then enforces
        the user's role on every read and write (fluxcore.acces). None: open mode."""
        if self.utilisateur is not None and utilisateur != self.utilisateur:
            raise AccesRefuseError("Accès refusé : une base liée à un compte ne peut pas être "
                                   "liée à un autre compte (ni rouverte sans compte).")
        bound = copy.copy(self)
        bound.utilisateur = utilisateur
        return bound

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A fresh cursor: use one per query, never share it between threads. Refused on a
        database bound to a user: their reads go through df/one/scalar (SELECT only) and
        their writes through the fluxcore functions that check and audit them."""
        if self.utilisateur is not None:
            raise AccesRefuseError("Accès refusé : pas de curseur libre pour un compte "
                                   "connecté ; passez par les fonctions de fluxcore.")
        self._verifier_fichier()
        return self._con.cursor()

    def _read_cursor(self, sql: str) -> duckdb.DuckDBPyConnection:
        """A cursor for one read query; for a bound user, the role's read rule applies and
        only SELECT statements run (no write, PRAGMA or SET through a read)."""
        user = self.utilisateur
        if user is not None:
            verifier_lecture(user)
            kinds = {s.type for s in duckdb.extract_statements(sql)}
            if kinds - {duckdb.StatementType.SELECT}:
                raise AccesRefuseError(
                    f"Accès refusé : le compte « {user.login} » ne peut exécuter que des "
                    "lectures (SELECT) en dehors des fonctions d'écriture de fluxcore.")
        self._verifier_fichier()
        return self._con.cursor()

    def df(self, sql: str, params: Sequence[Any] | dict | None = None) -> pd.DataFrame:
        """Run a read query and return a DataFrame."""
        cur = self._read_cursor(sql)
        try:
            return cur.execute(sql, bind(sql, params)).df()
        except Exception as exc:
            raise _traduite(exc, ecriture=False) from exc
        finally:
            cur.close()

    def one(self, sql: str, params: Sequence[Any] | dict | None = None) -> tuple | None:
        """Run a read query and return its first row (or None)."""
        cur = self._read_cursor(sql)
        try:
            return cur.execute(sql, bind(sql, params)).fetchone()
        except Exception as exc:
            raise _traduite(exc, ecriture=False) from exc
        finally:
            cur.close()

    def scalar(self, sql: str, params: Sequence[Any] | dict | None = None) -> Any:
        row = self.one(sql, params)
        return None if row is None else row[0]

    def version(self) -> int:
        """A number that changes on every audited write: the key of cached page data."""
        self._verifier_fichier()
        cur = self._con.cursor()  # allowed to every role: the key of cached data
        try:
            return int(cur.execute("select coalesce(max(audit_id), 0) from audit_log")
                       .fetchone()[0])
        finally:
            cur.close()

    # -- writing ---------------------------------------------------------------------------
    def _peut_ecrire(self, action: str | None) -> None:
        """Refuse a write on a read-only file, or one the bound user's role does not allow."""
        if self.read_only:
            raise DatabaseError(f"La base « {self.path} » est ouverte en lecture seule.")
        verifier_ecriture(self.utilisateur)
        if self.utilisateur is not None:
            if action is None:
                raise AccesRefuseError("Accès refusé : écriture sans action déclarée.")
            exiger(self, action)

    @contextmanager
    def transaction(self, action: str | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor inside BEGIN … COMMIT; any exception rolls everything back. On a database
        bound to a user, `action` (fluxcore.acces.ACTIONS) must be one the role allows."""
        self._peut_ecrire(action)
        with self._write_lock, ecriture_de(self.utilisateur):
            self._verifier_fichier()        # never a write into a file replaced meanwhile
            cur = self._con.cursor()
            cur.execute("begin transaction")
            try:
                yield cur
                _maintenir(cur)
            except BaseException as exc:
                _oublier(cur)
                cur.execute("rollback")
                cur.close()
                raise _traduite(exc, action) from exc
            try:
                cur.execute("commit")
            except Exception as exc:           # out of memory at the commit: rolled back
                cur.close()
                raise _traduite(exc, action) from exc
            self._etat.generation += 1
            cur.close()

    @contextmanager
    def transaction_sans_verrou(self, action: str | None = None
                                ) -> Iterator[duckdb.DuckDBPyConnection]:
        """Like transaction(), but the work inside runs without the write lock: other writers
        go on meanwhile (a long check such as an import's). The lock is taken only for the
        commit, and the commit happens only if no other write was committed since this
        began (what was checked is still what is written); otherwise everything is rolled
        back and EcritureConcurrenteError is raised, for the caller to do it again under
        transaction(). An exception inside rolls back without ever taking the lock."""
        self._peut_ecrire(action)
        with ecriture_de(self.utilisateur):
            self._verifier_fichier()
            debut = self._etat.generation
            cur = self._con.cursor()
            cur.execute("begin transaction")
            try:
                yield cur
                _maintenir(cur)
            except BaseException as exc:
                _oublier(cur)
                cur.execute("rollback")
                cur.close()
                raise _traduite(exc, action) from exc
            with self._write_lock:
                try:
                    self._verifier_fichier()
                    if self._etat.generation != debut:
                        raise EcritureConcurrenteError(
                            "Une autre écriture a été enregistrée pendant le contrôle : à "
                            "refaire sous verrou.")
                except BaseException:
                    cur.execute("rollback")
                    cur.close()
                    raise
                try:
                    cur.execute("commit")
                except duckdb.TransactionException as exc:   # DuckDB's own conflict check
                    cur.close()
                    raise EcritureConcurrenteError(
                        "Conflit avec une autre écriture : rien n'a été écrit.") from exc
                except Exception as exc:               # out of memory at the commit
                    cur.close()
                    raise _traduite(exc, action) from exc
                self._etat.generation += 1
            cur.close()

    def close(self) -> None:
        self._con.close()
        self._etat.liberer()

    def _verifier_fichier(self) -> None:
        """DatabaseError (French) if the file was restored or replaced since this opened."""
        if self.path == ":memory:":
            return
        etat = self._etat
        if etat.remplacee or (not etat.fermee
                              and fichier.identite(self.path) != etat.identite):
            etat.remplacee = True
            raise DatabaseError(fichier.RESTAUREE)

    def _check_schema(self) -> None:
        known = {v for v, _, _ in list_migrations()}
        try:
            applied = {r[0] for r in self.cursor().execute(
                "select version from schema_version").fetchall()}
        except duckdb.CatalogException as exc:
            raise DatabaseError(
                f"« {self.path} » n'est pas une base du tableau de bord (pas de schema_version)."
            ) from exc
        if known - applied:
            raise DatabaseError(
                f"La base « {self.path} » n'est pas à jour (migrations manquantes : "
                f"{sorted(known - applied)}). Ouvrez-la une fois en écriture pour la migrer."
            )


# -- the process's shared connection per file ---------------------------------------------
# One Database per file and process, shared by the app's sessions (ui.data) and the server's
# own work (web: sign-in audit, scheduled backups and purges). A closed or replaced one (a
# restore closes them all) is opened again on the next call.
_PARTAGEES: dict[str, Database] = {}
_PARTAGEES_VERROU = threading.Lock()


def partagee(path: str | Path) -> Database:
    """The process's Database on `path` (opened, and migrated, on first use)."""
    key = str(path)
    with _PARTAGEES_VERROU:
        db = _PARTAGEES.get(key)
        if db is None or db._etat.fermee or db._etat.remplacee:
            db = _PARTAGEES[key] = Database(key)
        return db


@atexit.register
def fermer_partagees() -> None:
    """Close every shared Database (checkpoint: the file alone then holds every write); at
    the process's normal end, and at the server's shutdown (web.application.lifespan)."""
    with _PARTAGEES_VERROU:
        dbs = list(_PARTAGEES.values())
        _PARTAGEES.clear()
    for db in dbs:
        if not db._etat.fermee:
            with contextlib.suppress(Exception):
                db.close()


def liberer_partagee(path: str | Path) -> None:
    """Close the process's shared Database on `path`, if open (before a restore)."""
    with _PARTAGEES_VERROU:
        db = _PARTAGEES.pop(str(path), None)
    if db is not None and not db._etat.fermee:
        db.close()


_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="fluxcore")


def en_parallele(*calls: Callable[[], Any]) -> list[Any]:
    """Run independent reads at once, each on its own cursor (DuckDB releases the GIL), and
    return their results in order. The first runs in this thread; every other gets a copy of
    the caller's context (signed-in user, access scope). Exceptions propagate."""
    futures = [_POOL.submit(contextvars.copy_context().run, c) for c in calls[1:]]
    first = calls[0]() if calls else None
    return [first, *(f.result() for f in futures)] if calls else []


_MEMORY = re.compile(r"[0-9]+(\.[0-9]+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)")


@contextmanager
def memoire_bornee(db: Database, limite: str) -> Iterator[None]:
    """DuckDB's memory limit set to `limite` (e.g. "1GB") for a heavy write such as a
    million-row import, so that it spills to disk rather than growing the process; the
    previous limit is restored after. The setting is the instance's, for the write's length;
    it is set on a cursor of its own, outside the write's transaction (which may abort)."""
    if not _MEMORY.fullmatch(limite.strip()):
        raise DatabaseError(f"Limite de mémoire illisible : « {limite} » (ex. 1GB, 800MB).")
    cur = db._con.cursor()
    try:
        previous = cur.execute("select current_setting('memory_limit')").fetchall()[0][0]
        if (fichier.octets(limite) or 0) >= (fichier.octets(previous) or 0):
            yield                # never above FLUX_MEMOIRE (fluxcore.fichier.reglages)
            return
        cur.execute(f"set memory_limit = '{limite.strip()}'")      # checked just above
        try:
            yield
        finally:
            cur.execute(f"set memory_limit = '{previous}'")        # DuckDB's own value
    finally:
        cur.close()


def _maintenir(cur: duckdb.DuckDBPyConnection) -> None:
    """The maintained state (fluxcore.etat) brought in step before the commit."""
    from fluxcore import etat  # etat builds on this module

    etat.maintenir(cur)


def _sans_effet(cur: duckdb.DuckDBPyConnection) -> None:
    from fluxcore import etat

    etat.sans_effet(cur)


def _oublier(cur: duckdb.DuckDBPyConnection) -> None:
    from fluxcore import etat

    etat.oublier(cur)


def audit(cur: duckdb.DuckDBPyConnection, actor: str | None, action: str,
          table_name: str | None = None, entity_id: str | None = None,
          details: dict | None = None) -> None:
    """Write one audit_log row on the transaction's cursor. In a transaction of a database
    bound to a signed-in user, the user's login is recorded whatever `actor` says."""
    cur.execute(
        "insert into audit_log (logged_at, actor, action, table_name, entity_id, details) "
        "values (?, ?, ?, ?, ?, ?)",
        [datetime.now(), acteur_courant() or actor or default_actor(), action, table_name,
         entity_id, json.dumps(details, ensure_ascii=False, default=str) if details else None],
    )


def apply_migrations(db: Database, actor: str | None = None) -> list[int]:
    """Apply every numbered migration not yet in schema_version; returns those applied."""
    from fluxcore.parametres import seed_parametres  # these modules need db helpers
    from fluxcore.referentiel import seed_referentiel

    cur = db.cursor()
    cur.execute(
        "create table if not exists schema_version ("
        " version integer primary key, name varchar not null, applied_at timestamp not null)"
    )
    applied = {r[0] for r in cur.execute("select version from schema_version").fetchall()}
    cur.close()
    done = []
    for version, name, path in list_migrations():
        if version in applied:
            continue
        with db.transaction() as tx:
            tx.execute(path.read_text(encoding="utf-8"))
            tx.execute("insert into schema_version values (?, ?, ?)",
                       [version, name, datetime.now()])
            audit(tx, actor, "schema.migrate", "schema_version", str(version), {"name": name})
        done.append(version)
    with db.transaction() as tx:
        _sans_effet(tx)                 # settings and reference: none of etat.SOURCES
        added = seed_parametres(tx)
        if added:
            audit(tx, actor, "parametre.seed", "parametre", None, {"ajoutes": added})
        n_ref = seed_referentiel(tx)
        if n_ref:
            audit(tx, actor, "referentiel.seed", "ref_commune", None, {"lignes": n_ref})
    return done


def table_columns(db: Database, table: str) -> list[str]:
    """Column names of a table, in order."""
    rows = db.df(
        "select column_name from information_schema.columns "
        "where table_name = ? order by ordinal_position", [table])
    return rows["column_name"].tolist()


def row_counts(db: Database) -> pd.DataFrame:
    """Number of rows of every contract table (columns: table_name, lignes)."""
    parts = " union all ".join(
        f"select '{t}' as table_name, count(*) as lignes from {t}" for t in CONTRACT_TABLES)
    return db.df(parts)


def table_checksum(db: Database, table: str) -> str:
    """md5 of a table's sorted rows: equal checksums mean identical contents."""
    if table not in CONTRACT_TABLES and not table.startswith("ref_"):
        raise DatabaseError(f"Table inconnue : « {table} ».")
    if not table.replace("_", "").isalnum():
        raise DatabaseError(f"Nom de table invalide : « {table} ».")
    return db.scalar(
        "select md5(coalesce(string_agg(cast(r as varchar), chr(10) order by cast(r as "
        f"varchar)), '')) from {table} r")
