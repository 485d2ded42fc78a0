"""Backup of the whole database to one file, and restore from such a file.

A backup is a consistent copy of the DuckDB file (checkpointed under the write lock, so no
import or decision is half in it). It is written under a temporary name beside its final name
(`<nom>.<pid>-<jeton>.sauvegarde-en-cours`), fsynced, opened read-only and read through (every
column of every row of every table, which DuckDB checks block by block), compared with the
base, described in `<nom>.sha256` (JSON: the file's SHA-256 and size, and each table's row
count and column hashes), and only then renamed over the final name (os.replace, then the
folder is fsynced). Any failure (disk full included) leaves no new file, the earlier backup of
that name untouched, and no « sauvegarde » row in the audit log.

A restore verifies the backup the same way before touching anything (SHA-256 against
`<nom>.sha256` when it exists, and a full read in any case), copies it beside the base under
`<base>.restauration`, and replaces the current file under the exclusive hold of
fluxcore.fichier. Temporaries left by a killed run (only those two naming patterns) are removed
by the next backup or restore.

The server's read copy (copie_de_lecture, fluxcore.copies) is the same verified copy, not
audited, put in place under fluxcore.fichier's exclusive hold of the copy. The base itself is
read through a descriptor kept open (see _SOURCES): closing one would drop DuckDB's lock.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import secrets
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import duckdb

from fluxcore import etat
from fluxcore.acces import Utilisateur, acteur, exiger
from fluxcore.db import Database, audit
from fluxcore.errors import DatabaseError, DatabaseLockedError
from fluxcore.fichier import dossier_recuperation, ouvrir_sans_wal, remplacement
from fluxcore.formats import fmt_int, fmt_taille

COMPTEES = ("residence", "logement", "liberation", "orientation", "attribution")
SUFFIXE_TEMPORAIRE = ".sauvegarde-en-cours"
SUFFIXE_RESTAURATION = ".restauration"
_TEMPORAIRE = re.compile(r"^.+\.(\d+)-[0-9a-f]{8}" + re.escape(SUFFIXE_TEMPORAIRE) + "$")
_BLOC = 1 << 20

_guard = threading.Lock()
_EN_COURS: set[str] = set()        # temporaries this process is writing right now

_CAUSES = {
    errno.ENOSPC: "disque plein",
    getattr(errno, "EDQUOT", -1): "quota disque dépassé",
    errno.EACCES: "accès refusé",
    errno.EPERM: "opération non permise",
    errno.EROFS: "système de fichiers en lecture seule",
    errno.EIO: "erreur d'entrée-sortie du disque",
    errno.ENOENT: "dossier ou fichier introuvable",
}


class SauvegardeEndommageeError(DatabaseError):
    """A backup (or a base) that does not read through, or differs from its recorded hash."""


# -- files ------------------------------------------------------------------------------------
def fichier_empreinte(path: str | Path) -> Path:
    """The JSON file beside a backup: its SHA-256, size and per-table counts and hashes."""
    return Path(str(path) + ".sha256")


def _ecrire(f, data: bytes) -> None:
    """Every byte of a backup or restore goes through here (tests simulate a full disk)."""
    f.write(data)


def _copier(source: Path, dest: Path) -> None:
    """Copy `source` into the new file `dest`, fsynced."""
    with open(source, "rb") as fin, open(dest, "xb") as fout:
        while chunk := fin.read(_BLOC):
            _ecrire(fout, chunk)
        fout.flush()
        os.fsync(fout.fileno())


# fcntl semantics: closing ANY descriptor of a file releases every POSIX lock this process
# holds on it — DuckDB's own lock on the base among them, after which another process could
# open the base while this one writes to it. So the base is read through one descriptor per
# file, opened once and never closed while the file is the base (closed once it was replaced,
# when the lock it would release is on a dead file).
_SOURCES: dict[str, tuple[tuple[int, int], int]] = {}     # resolved path → (identity, fd)


def _descripteur_base(path: Path) -> int:
    key = str(path.resolve())
    with _guard:
        ident, fd = _SOURCES.get(key, (None, None))
        st = os.stat(path)
        if ident != (st.st_dev, st.st_ino):
            if fd is not None:
                os.close(fd)            # a file replaced since: its lock no longer matters
            fd = os.open(path, os.O_RDONLY)
            st = os.fstat(fd)
            _SOURCES[key] = ((st.st_dev, st.st_ino), fd)
        return fd


def oublier_base(path: str | Path) -> None:
    """Close the descriptor kept on a base that was just replaced (restore)."""
    with _guard:
        entry = _SOURCES.pop(str(Path(path).resolve()), None)
    if entry is not None:
        with contextlib.suppress(OSError):
            os.close(entry[1])


def _copier_base(source: Path, dest: Path) -> None:
    """Copy the open base `source` into the new file `dest`, fsynced, without ever closing a
    descriptor of `source` (see _SOURCES)."""
    fd = _descripteur_base(source)
    with open(dest, "xb") as fout:
        offset = 0
        while chunk := os.pread(fd, _BLOC, offset):
            _ecrire(fout, chunk)
            offset += len(chunk)
        fout.flush()
        os.fsync(fout.fileno())


def _ecrire_fichier(dest: Path, data: bytes) -> None:
    with open(dest, "xb") as f:
        _ecrire(f, data)
        f.flush()
        os.fsync(f.fileno())


def _fsync_dossier(dossier: Path) -> None:
    """Make a rename in `dossier` durable (where the system allows opening a folder)."""
    try:
        fd = os.open(dossier, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_BLOC):
            h.update(chunk)
    return h.hexdigest()


def _vivant(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:                      # PermissionError: someone else's live process
        return True
    return True


def _temporaire(final: Path) -> Path:
    tmp = final.with_name(f"{final.name}.{os.getpid()}-{secrets.token_hex(4)}"
                          f"{SUFFIXE_TEMPORAIRE}")
    with _guard:
        _EN_COURS.add(str(tmp))
    return tmp


def _liberer(*paths: Path) -> None:
    for p in paths:
        with contextlib.suppress(OSError):
            p.unlink(missing_ok=True)
        with _guard:
            _EN_COURS.discard(str(p))


def nettoyer_temporaires(dossier: str | Path) -> list[Path]:
    """Remove the backup temporaries of `dossier` left by a run that was killed: only names
    `*.<pid>-<8 hex>.sauvegarde-en-cours` whose process is gone (or is this one, not writing
    it any more). Returns the files removed; never raises."""
    dossier = Path(dossier)
    removed = []
    try:
        entries = list(dossier.iterdir())
    except OSError:
        return removed
    for p in entries:
        m = _TEMPORAIRE.match(p.name)
        if m is None:
            continue
        pid = int(m.group(1))
        with _guard:
            busy = str(p) in _EN_COURS
        if busy or (pid != os.getpid() and _vivant(pid)):
            continue
        try:
            if p.is_file() and not p.is_symlink():
                p.unlink()
                removed.append(p)
        except OSError:
            pass
    return removed


def _cause(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.errno in _CAUSES:
        return f"{_CAUSES[exc.errno]} ({exc.strerror or exc})"
    text = str(exc)
    if "no space left" in text.lower():
        return f"disque plein ({text})"
    return text or type(exc).__name__


# -- reading every table through --------------------------------------------------------------
def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


TABLES_SQL = ("select table_name from duckdb_tables() where database_name = current_database() "
              "and schema_name = 'main' and not temporary order by table_name")


def lire_tables(one: Callable[[str], tuple | None], tables: list[str],
                quoi: str) -> dict[str, dict]:
    """Read every column of every row of `tables` (an aggregate hash per column: DuckDB loads,
    and checks, every block) through `one` (a query → its first row). Returns, per table,
    {"lignes": count, "empreinte": hash of the column hashes}; SauvegardeEndommageeError
    (French, naming `quoi`, e.g. « La sauvegarde « x » ») on the first table that does not
    read through."""
    result = {}
    for t in tables:
        try:
            row = one(f"select count(*), sum(hash(columns(*))) from {_ident(t)}")
        except duckdb.Error as exc:
            raise SauvegardeEndommageeError(
                f"{quoi} est endommagée : la table « {t} » ne se lit pas entièrement (fichier "
                f"tronqué ou altéré). Détail DuckDB : {exc}") from exc
        row = tuple(row or (0,))
        digest = hashlib.sha256(";".join("" if v is None else str(v) for v in row[1:])
                                .encode()).hexdigest()[:32]
        result[t] = {"lignes": int(row[0]), "empreinte": digest}
    return result


def _lire_connexion(con: duckdb.DuckDBPyConnection, quoi: str) -> dict[str, dict]:
    try:
        tables = [r[0] for r in con.execute(TABLES_SQL).fetchall()]
    except duckdb.Error as exc:
        raise SauvegardeEndommageeError(f"{quoi} est endommagée : la liste de ses tables ne se "
                                        f"lit pas. Détail DuckDB : {exc}") from exc
    return lire_tables(lambda sql: con.execute(sql).fetchone(), tables, quoi)


def _lire_fichier(path: Path, nom: str) -> tuple[dict, dict[str, dict]]:
    """Open `path` read-only, check it is a backup of this application, read it through;
    returns (description, tables)."""
    quoi = f"La sauvegarde « {nom} »"
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise SauvegardeEndommageeError(
            f"« {nom} » n'est pas une base DuckDB lisible (fichier tronqué, endommagé ou d'un "
            f"autre type). Détail DuckDB : {exc}") from exc
    try:
        tables = _lire_connexion(con, quoi)
        missing = [t for t in ("schema_version", "audit_log", *COMPTEES) if t not in tables]
        if missing:
            raise DatabaseError(f"« {nom} » n'est pas une sauvegarde du tableau de bord "
                                f"(tables attendues absentes : {', '.join(missing)}).")
        try:
            version = con.execute("select max(version) from schema_version").fetchone()[0]
            last = con.execute("select max(logged_at) from audit_log").fetchone()[0]
        except duckdb.Error as exc:
            raise SauvegardeEndommageeError(f"{quoi} est endommagée. Détail DuckDB : {exc}") \
                from exc
    finally:
        con.close()
    info = {"version": version, "dernier_evenement": last,
            "lignes": {t: tables[t]["lignes"] for t in COMPTEES}}
    return info, tables


def _lire_empreinte(path: Path) -> dict | None:
    side = fichier_empreinte(path)
    if not side.exists():
        return None
    try:
        recorded = json.loads(side.read_text(encoding="utf-8"))
        if not (isinstance(recorded, dict) and isinstance(recorded.get("sha256"), str)
                and isinstance(recorded.get("tables"), dict)):
            raise ValueError("sha256 ou tables absents")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SauvegardeEndommageeError(
            f"Le fichier d'empreinte « {side.name} » de la sauvegarde est illisible : rien n'a "
            "été restauré. Vérifiez la sauvegarde (ou retirez ce fichier pour qu'elle soit "
            "seulement relue en entier).") from exc
    return recorded



def verifier_sauvegarde(path: str | Path) -> dict:
    """Verify a backup file without changing anything: its SHA-256 and size against
    `<nom>.sha256` when that file exists, then a full read of every table (and the row counts
    and, under the same DuckDB version, the hashes against those recorded). Returns the
    description (version, dernier_evenement, lignes of the main tables) with sha256, octets,
    empreinte_enregistree and tables; SauvegardeEndommageeError / DatabaseError (French)."""
    path = Path(path)
    nom = path.name
    if not path.is_file():
        raise DatabaseError(f"La sauvegarde « {path} » n'existe pas.")
    recorded = _lire_empreinte(path)
    try:
        size = path.stat().st_size
        digest = sha256(path)
    except OSError as exc:
        raise DatabaseError(f"La sauvegarde « {path} » ne se lit pas : {_cause(exc)}.") from exc
    if recorded is not None:
        expected = recorded.get("octets")
        if isinstance(expected, int) and expected != size:
            part = f", soit {round(100 * size / expected)} %" if expected else ""
            lu, attendu = fmt_taille(size), fmt_taille(expected)
            if lu == attendu:       # sizes that read alike once rounded: say the bytes
                lu, attendu = f"{fmt_int(size)} octets", f"{fmt_int(expected)} octets"
            raise SauvegardeEndommageeError(
                f"La sauvegarde « {nom} » est endommagée : elle fait {lu} au lieu des {attendu} "
                f"enregistrés à sa création{part} (fichier tronqué ou modifié). Rien n'a été "
                "restauré.")
        if recorded["sha256"] != digest:
            raise SauvegardeEndommageeError(
                f"La sauvegarde « {nom} » est endommagée : son empreinte SHA-256 ne correspond "
                f"pas à celle enregistrée dans « {fichier_empreinte(path).name} » (fichier "
                "modifié ou altéré). Rien n'a été restauré.")
    info, tables = _lire_fichier(path, nom)
    if recorded is not None:
        same_engine = recorded.get("duckdb") == duckdb.__version__
        for t, want in recorded["tables"].items():
            got = tables.get(t)
            if got is None or got["lignes"] != want.get("lignes") or (
                    same_engine and got["empreinte"] != want.get("empreinte")):
                raise SauvegardeEndommageeError(
                    f"La sauvegarde « {nom} » est endommagée : le contenu de la table « {t} » "
                    "diffère de celui enregistré à sa création. Rien n'a été restauré.")
    info.update({"sha256": digest, "octets": size, "empreinte_enregistree": recorded is not None,
                 "tables": tables})
    return info


def describe_backup(path: str | Path) -> dict:
    """Schema version, last audit date and row counts of a backup file, once it is verified
    through (verifier_sauvegarde); DatabaseError otherwise."""
    return verifier_sauvegarde(path)


# -- backup -----------------------------------------------------------------------------------
def _copie_verifiee(db: Database, out: Path, tmp: Path, side_tmp: Path) -> dict:
    """Write a verified copy of `db` to `tmp` and its description to `side_tmp`: checkpoint
    and copy under the write lock, read the copy through and compare it with the base.
    Returns the description (also what `<out>.sha256` holds): file, size, SHA-256, tables,
    and the base it comes from (path, version = last audit id, last write)."""
    with db._write_lock:
        db._verifier_fichier()
        cur = db._con.cursor()  # the caller checked the role (sauvegarder) or is the server
        try:
            cur.execute("checkpoint")
            source = _lire_connexion(cur, f"La base « {db.path} »")
            version, last = cur.execute(
                "select coalesce(max(audit_id), 0), max(logged_at) from audit_log").fetchone()
        finally:
            cur.close()
        _copier_base(Path(db.path), tmp)
    size, digest = tmp.stat().st_size, sha256(tmp)
    _, tables = _lire_fichier(tmp, out.name)
    if tables != source:
        differ = sorted(t for t in source.keys() | tables.keys()
                        if source.get(t) != tables.get(t))
        raise DatabaseError("La copie relue ne correspond pas à la base (tables : "
                            f"{', '.join(differ)}).")
    recorded = {"format": 1, "fichier": out.name, "octets": size, "sha256": digest,
                "duckdb": duckdb.__version__, "cree_le": datetime.now().isoformat(),
                "base": str(Path(db.path).resolve()), "version_base": int(version),
                "derniere_ecriture": last.isoformat() if last else None, "tables": tables}
    _ecrire_fichier(side_tmp, json.dumps(recorded, ensure_ascii=False, indent=1)
                    .encode("utf-8"))
    return recorded


def _verifier_cible(db: Database, out: Path) -> None:
    if db.path == ":memory:":
        raise DatabaseError("Une base en mémoire ne peut pas être sauvegardée.")
    if out.resolve() == Path(db.path).resolve():
        raise DatabaseError("La sauvegarde doit être écrite dans un autre fichier que la base.")


def backup_database(db: Database, out: str | Path, actor: str | None = None) -> Path:
    """Copy the database to `out` (a .duckdb file) and `<out>.sha256`, verified; audited once
    the verified copy is ready. On any failure: DatabaseError (French, naming the cause, e.g.
    « disque plein »), no new file, an earlier `out` untouched, no audit row."""
    exiger(db, "sauvegarder")
    actor = acteur(db, actor)
    out = Path(out)
    _verifier_cible(db, out)
    existed = out.exists()
    tmp = side_tmp = None
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        nettoyer_temporaires(out.parent)
        tmp, side_tmp = _temporaire(out), _temporaire(fichier_empreinte(out))
        recorded = _copie_verifiee(db, out, tmp, side_tmp)
        size, digest = recorded["octets"], recorded["sha256"]
        with db.transaction("sauvegarder") as cur:
            etat.sans_effet(cur)   # none of etat.SOURCES written
            audit(cur, actor, "sauvegarde", None, str(out),
                  {"fichier": str(out), "octets": size, "sha256": digest})
            audit_id = cur.execute("select max(audit_id) from audit_log").fetchone()[0]
        try:
            # an old .sha256 never describes the new file: removed first (a backup without
            # it is still verified by a full read on restore)
            fichier_empreinte(out).unlink(missing_ok=True)
            os.replace(tmp, out)
        except BaseException:
            _retirer_audit(db, audit_id)
            raise
        with contextlib.suppress(OSError):    # the backup is in place and verified: its
            os.replace(side_tmp, fichier_empreinte(out))     # .sha256 is a plus
        _fsync_dossier(out.parent)
    except Exception as exc:
        detail = (str(exc) if isinstance(exc, DatabaseError) else _cause(exc)).rstrip(". ")
        kept = (f" ; la sauvegarde précédente « {out.name} » est intacte" if existed
                and out.exists() else "")
        raise DatabaseError(f"Sauvegarde impossible vers « {out} » : {detail}. Aucun fichier "
                            f"n'a été écrit{kept}.") from exc
    finally:
        _liberer(*(p for p in (tmp, side_tmp) if p is not None))
    return out


def copie_de_lecture(db: Database, out: str | Path) -> dict:
    """Refresh `out`, the consistent copy that read-only commands use while the server holds
    the base (fluxcore.copies): the same verified copy as a backup, not audited (it is a
    cache, refreshed after writes), put in place under fluxcore.fichier's exclusive hold of
    `out` — refused (DatabaseLockedError) while a command is reading the previous copy, which
    then stays as it was. Returns the copy's description (see _copie_verifiee). Any other
    failure: DatabaseError (French), the previous copy untouched."""
    out = Path(out)
    _verifier_cible(db, out)
    tmp = side_tmp = None
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        nettoyer_temporaires(out.parent)
        tmp, side_tmp = _temporaire(out), _temporaire(fichier_empreinte(out))
        recorded = _copie_verifiee(db, out, tmp, side_tmp)
        with remplacement(out) as hold:
            fichier_empreinte(out).unlink(missing_ok=True)
            hold.remplacer(tmp)
            with contextlib.suppress(OSError):
                os.replace(side_tmp, fichier_empreinte(out))
        with contextlib.suppress(OSError):     # DuckDB's spill folder of the hold, if empty
            Path(str(out) + ".tmp").rmdir()
        _fsync_dossier(out.parent)
    except DatabaseLockedError:
        raise
    except Exception as exc:
        detail = (str(exc) if isinstance(exc, DatabaseError) else _cause(exc)).rstrip(". ")
        raise DatabaseError(f"Copie de lecture impossible vers « {out} » : {detail}. La copie "
                            "précédente est intacte.") from exc
    finally:
        _liberer(*(p for p in (tmp, side_tmp) if p is not None))
    return recorded


def copier_sauvegarde(source: str | Path, out: str | Path) -> dict:
    """Copy a verified backup or read copy `source` to `out` (and `<out>.sha256`): `source` is
    verified first (verifier_sauvegarde), the copy is written under a temporary name, checked
    against the verified SHA-256, then renamed. Nothing is audited (the base is not opened).
    Returns the description of `source`. DatabaseError (French) otherwise, nothing written."""
    source, out = Path(source), Path(out)
    if out.resolve() == source.resolve():
        raise DatabaseError("La copie doit être écrite dans un autre fichier que sa source.")
    info = verifier_sauvegarde(source)
    tmp = side_tmp = None
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        nettoyer_temporaires(out.parent)
        tmp, side_tmp = _temporaire(out), _temporaire(fichier_empreinte(out))
        _copier(source, tmp)
        if sha256(tmp) != info["sha256"]:
            raise DatabaseError(f"« {source.name} » a changé pendant sa copie")
        recorded = (_lire_empreinte(source) or {}) | {
            "fichier": out.name, "octets": info["octets"], "sha256": info["sha256"],
            "tables": info["tables"], "copie_de": str(source.resolve())}
        _ecrire_fichier(side_tmp, json.dumps(recorded, ensure_ascii=False, indent=1)
                        .encode("utf-8"))
        fichier_empreinte(out).unlink(missing_ok=True)
        os.replace(tmp, out)
        with contextlib.suppress(OSError):
            os.replace(side_tmp, fichier_empreinte(out))
        _fsync_dossier(out.parent)
    except Exception as exc:
        detail = (str(exc) if isinstance(exc, DatabaseError) else _cause(exc)).rstrip(". ")
        raise DatabaseError(f"Sauvegarde impossible vers « {out} » : {detail}. Aucun fichier "
                            "n'a été écrit.") from exc
    finally:
        _liberer(*(p for p in (tmp, side_tmp) if p is not None))
    return info


def _retirer_audit(db: Database, audit_id: int) -> None:
    """The « sauvegarde » row of a backup whose final rename failed (best effort)."""
    try:
        with db.transaction("sauvegarder") as cur:
            etat.sans_effet(cur)   # none of etat.SOURCES written
            cur.execute("delete from audit_log where audit_id = ? and action = 'sauvegarde'",
                        [audit_id])
    except Exception:        # the rename's own error is the one reported
        pass


# -- restore ----------------------------------------------------------------------------------
def temporaire_restauration(target: str | Path) -> Path:
    target = Path(target)
    return target.with_name(target.name + SUFFIXE_RESTAURATION)


def restore_database(target: str | Path, source: str | Path, actor: str | None = None,
                     utilisateur: Utilisateur | None = None) -> dict:
    """Replace the database file `target` by the backup `source`; the restored base gets an
    audit row and is migrated if older. `utilisateur`: the signed-in user (admin only when
    authentication is on).

    The backup is verified first (verifier_sauvegarde): a damaged or truncated one is refused
    and nothing is touched. Never under another process: the file is held exclusively first
    (fluxcore.fichier: refused with the French lock message if anyone else has it open); this
    process's own connections to it are closed and answer « restaurée » from then on. The copy
    goes to `<base>.restauration` (a stray one of a killed run is removed first), is checked
    against the verified SHA-256, then renamed over the base. A target whose WAL is broken may
    be restored over (both its files are first copied into recuperation/)."""
    exiger(utilisateur, "sauvegarder")
    actor = utilisateur.login if utilisateur is not None else actor
    target, source = Path(target), Path(source)
    if source.resolve() == target.resolve():
        raise DatabaseError("La sauvegarde à restaurer est le fichier de la base lui-même.")
    nettoyer_temporaires(source.parent)
    info = verifier_sauvegarde(source)
    tmp = temporaire_restauration(target)
    with remplacement(target) as hold:
        try:
            tmp.unlink(missing_ok=True)            # left by a killed restore: we hold the base
            _copier(source, tmp)
            if sha256(tmp) != info["sha256"]:
                raise SauvegardeEndommageeError(
                    f"La sauvegarde « {source.name} » a changé pendant sa copie : rien n'a été "
                    "restauré.")
            hold.remplacer(tmp)
            oublier_base(target)
            _fsync_dossier(target.parent)
        except OSError as exc:
            raise DatabaseError(f"Restauration impossible de « {target} » : {_cause(exc)}. "
                                "La base actuelle n'a pas été modifiée.") from exc
        finally:
            tmp.unlink(missing_ok=True)
        db = Database(target)          # this thread holds the file: reopens, checks, audits
        try:
            with db.transaction("sauvegarder") as cur:
                etat.sans_effet(cur)   # none of etat.SOURCES written
                audit(cur, actor, "restauration", None, source.name,
                      {"source": str(source), "sha256": info["sha256"],
                       "restaure_le": datetime.now().isoformat()})
        finally:
            db.close()
    return info


def recuperer_sans_wal(target: str | Path, actor: str | None = None,
                       utilisateur: Utilisateur | None = None) -> int:
    """Open a base whose WAL cannot be replayed without that WAL (its writes since the last
    checkpoint are lost; both files stay in recuperation/), audited; returns the WAL's size
    (0: the base opened already, nothing done). `utilisateur`: admin only when
    authentication is on."""
    exiger(utilisateur, "sauvegarder")
    actor = utilisateur.login if utilisateur is not None else actor
    taille = ouvrir_sans_wal(target)
    if taille:
        db = Database(target)
        try:
            with db.transaction() as cur:
                etat.sans_effet(cur)   # none of etat.SOURCES written
                audit(cur, actor, "recuperation.sans_wal", None, None,
                      {"wal_octets": taille, "copies": str(dossier_recuperation(target))})
        finally:
            db.close()
    return taille
