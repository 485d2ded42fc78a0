"""Backup of the whole database to one file, and restore from such a file.

A backup is a consistent copy of the DuckDB file (checkpointed under the write lock, so no
import or decision is half in it). A restore checks that the file is a database of this
application, then replaces the current file under the exclusive hold of fluxcore.fichier.
"""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import duckdb

from fluxcore.acces import Utilisateur, acteur, exiger
from fluxcore.db import Database, audit
from fluxcore.errors import DatabaseError
from fluxcore.fichier import dossier_recuperation, ouvrir_sans_wal, remplacement


def backup_database(db: Database, out: str | Path, actor: str | None = None) -> Path:
    """Copy the database to `out` (a .duckdb file); audited."""
    exiger(db, "sauvegarder")
    actor = acteur(db, actor)
    out = Path(out)
    if db.path == ":memory:":
        raise DatabaseError("Une base en mémoire ne peut pas être sauvegardée.")
    if out.resolve() == Path(db.path).resolve():
        raise DatabaseError("La sauvegarde doit être écrite dans un autre fichier que la base.")
    with db.transaction("sauvegarder") as cur:
        audit(cur, actor, "sauvegarde", None, str(out), {"fichier": str(out)})
    with db._write_lock:
        cur = db._con.cursor()  # the role was checked above (sauvegarder)
        cur.execute("checkpoint")
        cur.close()
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(db.path, out)
    return out


def describe_backup(path: str | Path) -> dict:
    """Schema version, last audit date and row counts of a backup file, or DatabaseError."""
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise DatabaseError(f"« {Path(path).name} » n'est pas une base DuckDB lisible.") from exc
    try:
        version = con.execute("select max(version) from schema_version").fetchall()[0][0]
        last = con.execute("select max(logged_at) from audit_log").fetchall()[0][0]
        counts = {t: con.execute(f"select count(*) from {t}").fetchall()[0][0]
                  for t in ("residence", "logement", "liberation", "orientation", "attribution")}
    except duckdb.Error as exc:
        raise DatabaseError(
            f"« {Path(path).name} » n'est pas une sauvegarde du tableau de bord "
            "(tables attendues absentes).") from exc
    finally:
        con.close()
    return {"version": version, "dernier_evenement": last, "lignes": counts}


def restore_database(target: str | Path, source: str | Path, actor: str | None = None,
                     utilisateur: Utilisateur | None = None) -> dict:
    """Replace the database file `target` by the backup `source`; the restored base gets an
    audit row and is migrated if older. `utilisateur`: the signed-in user (admin only when
    authentication is on).

    Never under another process: the file is held exclusively first (fluxcore.fichier:
    refused with the French lock message if anyone else has it open); this process's own
    connections to it are closed and answer « restaurée » from then on. A target whose WAL is
    broken may be restored over (both its files are first copied into recuperation/)."""
    exiger(utilisateur, "sauvegarder")
    actor = utilisateur.login if utilisateur is not None else actor
    target = Path(target)
    if Path(source).resolve() == target.resolve():
        raise DatabaseError("La sauvegarde à restaurer est le fichier de la base lui-même.")
    info = describe_backup(source)
    tmp = target.with_name(target.name + ".restauration")
    with remplacement(target) as hold:
        try:
            shutil.copyfile(source, tmp)
            hold.remplacer(tmp)
        finally:
            tmp.unlink(missing_ok=True)
        db = Database(target)          # this thread holds the file: reopens, checks, audits
        try:
            with db.transaction("sauvegarder") as cur:
                audit(cur, actor, "restauration", None, Path(source).name,
                      {"source": str(source), "restaure_le": datetime.now().isoformat()})
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
                audit(cur, actor, "recuperation.sans_wal", None, None,
                      {"wal_octets": taille, "copies": str(dossier_recuperation(target))})
        finally:
            db.close()
    return taille
