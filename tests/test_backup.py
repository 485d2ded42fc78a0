"""Issue 29: a backup is written under a temporary name, verified, described in `.sha256`, then
renamed; a failed or killed backup leaves the earlier one and no audit row; a restore (and the
integrity report) refuses a damaged or truncated file; stray temporaries are cleaned."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from fluxcore import backup as bk
from fluxcore.__main__ import main
from fluxcore.backup import (
    backup_database,
    describe_backup,
    fichier_empreinte,
    nettoyer_temporaires,
    restore_database,
    sha256,
)
from fluxcore.check import lecture_complete, run_checks
from fluxcore.db import CONTRACT_TABLES, Database, audit, table_checksum
from fluxcore.errors import DatabaseError
from tests import factory

ROOT = Path(__file__).resolve().parent.parent


def _add(db: Database, rid: str) -> None:
    with db.transaction() as cur:
        cur.execute("insert into reservataire (reservataire_id, nom, type, territoire, "
                    "repris_par_prefet) values (?, ?, 'AUTRE', NULL, false)", [rid, rid])
        audit(cur, "test", "reservataire.create", "reservataire", rid)


def _ids(path: Path) -> list[str]:
    db = Database(path, read_only=True)
    try:
        return db.df("select reservataire_id from reservataire order by 1")[
            "reservataire_id"].tolist()
    finally:
        db.close()


def _sauvegardes(path: Path) -> int:
    db = Database(path, read_only=True)
    try:
        return db.scalar("select count(*) from audit_log where action = 'sauvegarde'")
    finally:
        db.close()


def _state(path: Path) -> dict[str, str]:
    db = Database(path, read_only=True)
    try:
        return {t: table_checksum(db, t) for t in ("logement", "reservataire", "audit_log")}
    finally:
        db.close()


def _temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()
                  if p.name.endswith((".sauvegarde-en-cours", ".restauration")))


@pytest.fixture
def base(tmp_path) -> Path:
    """A small year (a few MB with the reference tables), closed; reservataire X added."""
    path = tmp_path / "base.duckdb"
    db = factory.small_year(Database(path))
    _add(db, "X")
    db.close()
    return path


@pytest.fixture
def saved(base, tmp_path) -> Path:
    """A good backup of `base` (in its own folder), then Y added to the base."""
    out = tmp_path / "sauvegardes" / "sauvegarde.duckdb"
    db = Database(base)
    backup_database(db, out, actor="test")
    _add(db, "Y")
    db.close()
    return out


def _truncate(path: Path, part: float) -> None:
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * part)])


# -- a good backup ----------------------------------------------------------------------------
def test_backup_is_verified_and_described_then_restores(base, saved, tmp_path, capsys):
    recorded = json.loads(fichier_empreinte(saved).read_text(encoding="utf-8"))
    assert recorded["sha256"] == sha256(saved)
    assert recorded["octets"] == saved.stat().st_size
    assert recorded["fichier"] == "sauvegarde.duckdb"
    assert set(CONTRACT_TABLES) <= set(recorded["tables"])
    assert recorded["tables"]["logement"]["lignes"] == 6
    assert sorted(p.name for p in saved.parent.iterdir()) == [
        "sauvegarde.duckdb", "sauvegarde.duckdb.sha256"]            # no temporary left
    db = Database(base, read_only=True)
    row = db.one("select entity_id, details from audit_log where action = 'sauvegarde'")
    db.close()
    assert row[0] == str(saved) and json.loads(row[1])["sha256"] == recorded["sha256"]

    info = describe_backup(saved)
    assert info["empreinte_enregistree"] and info["lignes"]["logement"] == 6
    assert main(["restore", "--db", str(base), "--from", str(saved)]) == 1
    out = capsys.readouterr().out
    assert "vérifiée (empreinte SHA-256 conforme, relue en entier)" in out
    assert main(["restore", "--db", str(base), "--from", str(saved), "--confirmer"]) == 0
    assert _ids(base)[-1] == "X" and "Y" not in _ids(base)
    assert _temporaries(tmp_path) == []


def test_cli_backup_says_verified_and_replaces_the_earlier_one(base, saved, capsys):
    before = sha256(saved)
    assert main(["backup", "--db", str(base), "--out", str(saved)]) == 0
    assert "Sauvegarde écrite et vérifiée" in capsys.readouterr().out
    assert sha256(saved) != before                                   # Y is in it now
    assert json.loads(fichier_empreinte(saved).read_text())["sha256"] == sha256(saved)
    assert "Y" in _ids(saved)
    assert _sauvegardes(base) == 2


# -- truncated or altered backups -------------------------------------------------------------
def test_truncated_backup_refused_with_its_hash_file(base, saved, tmp_path, capsys):
    before = _state(base)
    _truncate(saved, 0.3)
    with pytest.raises(DatabaseError, match=r"est endommagée : elle fait .* soit 30 %"):
        describe_backup(saved)
    assert main(["restore", "--db", str(base), "--from", str(saved), "--confirmer"]) == 2
    err = capsys.readouterr().err
    assert "est endommagée" in err and "Rien n'a été restauré" in err
    assert "Traceback" not in err
    assert _state(base) == before and "Y" in _ids(base)             # base untouched
    assert _temporaries(tmp_path) == []


def test_truncated_backup_refused_without_hash_file(base, saved, tmp_path, capsys):
    """Without `.sha256`, the full read finds what `select count(*)` would not."""
    before = _state(base)
    fichier_empreinte(saved).unlink()
    _truncate(saved, 0.3)
    with pytest.raises(DatabaseError, match=r"endommagée|n'est pas une base DuckDB lisible"):
        restore_database(base, saved, actor="test")
    assert main(["restore", "--db", str(base), "--from", str(saved), "--confirmer"]) == 2
    err = capsys.readouterr().err
    assert "Erreur : " in err and ("tronqué" in err) and "Traceback" not in err
    assert _state(base) == before and "Y" in _ids(base)
    assert _temporaries(tmp_path) == []


def test_altered_backup_refused_by_its_hash(base, saved):
    data = bytearray(saved.read_bytes())
    data[len(data) // 2] ^= 0xFF                                     # same size, one byte
    saved.write_bytes(bytes(data))
    with pytest.raises(DatabaseError, match="empreinte SHA-256 ne correspond pas"):
        restore_database(base, saved, actor="test")
    assert "Y" in _ids(base)


def test_unreadable_hash_file_refused(base, saved):
    fichier_empreinte(saved).write_text("pas du json", encoding="utf-8")
    with pytest.raises(DatabaseError, match=r"fichier d'empreinte .* est illisible"):
        restore_database(base, saved, actor="test")
    assert "Y" in _ids(base)


def test_check_refuses_a_truncated_base(saved, tmp_path, capsys):
    """The integrity report reads every table through: a truncated file cannot pass it."""
    copy = tmp_path / "tronquee.duckdb"
    copy.write_bytes(saved.read_bytes())
    assert main(["check", "--db", str(copy)]) == 0
    capsys.readouterr()
    _truncate(copy, 0.3)
    assert main(["check", "--db", str(copy)]) == 2
    captured = capsys.readouterr()
    assert "est endommagée" in captured.err and "Traceback" not in captured.err
    assert "contrôles" not in captured.out


def _corrupt_block_of(path: Path, table: str) -> None:
    """Zero 4 KB inside the first data block of `table` (same file size): the catalog and
    schema_version still read, count(*) still answers, the table's rows do not."""
    con = duckdb.connect(str(path), read_only=True)
    block = con.execute(f"select min(block_id) from pragma_storage_info('{table}') "
                        "where block_id >= 0").fetchone()[0]
    size = con.execute("pragma database_size").fetchone()[2]
    con.close()
    data = bytearray(path.read_bytes())
    at = 3 * 4096 + block * size + 100                  # after DuckDB's three header blocks
    data[at:at + 4096] = bytes(4096)
    path.write_bytes(bytes(data))


def test_corrupt_table_opens_but_neither_check_nor_restore_pass(base, saved, capsys):
    """The issue's end state: the file opens, count(*) answers, reading `logement` fails with
    « Corrupt database file ». The report and the restore read every row and refuse it."""
    _corrupt_block_of(saved, "logement")
    db = Database(saved, read_only=True)                       # it opens…
    assert db.scalar("select count(*) from logement") == 6     # …and count(*) answers
    db.close()
    assert main(["check", "--db", str(saved)]) == 2
    captured = capsys.readouterr()
    assert "est endommagée : la table « logement » ne se lit pas entièrement" in captured.err
    assert "Corrupt database file" in captured.err and "Traceback" not in captured.err
    assert "contrôles" not in captured.out
    before = _state(base)
    with pytest.raises(DatabaseError, match="empreinte SHA-256 ne correspond pas"):
        restore_database(base, saved, actor="test")
    fichier_empreinte(saved).unlink()
    with pytest.raises(DatabaseError, match="« logement » ne se lit pas entièrement"):
        restore_database(base, saved, actor="test")
    assert _state(base) == before


def test_check_reads_every_table(small_db):
    tables = lecture_complete(small_db)
    assert set(CONTRACT_TABLES) <= set(tables)
    assert tables["logement"]["lignes"] == 6
    assert not run_checks(small_db).empty


# -- failed, killed and full-disk backups -----------------------------------------------------
class _Tue(BaseException):
    """Stands for the process being stopped mid-copy (not an Exception: nothing catches it)."""


def _fail_on(monkeypatch, n: int, exc: BaseException, only=None) -> None:
    calls = []
    write = bk._ecrire

    def fake(f, data):
        if only is None or only(data):
            calls.append(1)
            if len(calls) >= n:
                raise exc
        write(f, data)

    monkeypatch.setattr(bk, "_BLOC", 64 * 1024)
    monkeypatch.setattr(bk, "_ecrire", fake)


@pytest.mark.parametrize("exc", [RuntimeError("coupure"), _Tue()], ids=["erreur", "arret"])
def test_backup_interrupted_mid_copy_keeps_the_earlier_one(base, saved, monkeypatch, exc):
    before, side = saved.read_bytes(), fichier_empreinte(saved).read_bytes()
    _fail_on(monkeypatch, 3, exc)
    db = Database(base)
    with pytest.raises((DatabaseError, _Tue)) as err:
        backup_database(db, saved, actor="test")
    db.close()
    if isinstance(exc, RuntimeError):
        assert "Aucun fichier n'a été écrit" in str(err.value)
        assert "la sauvegarde précédente « sauvegarde.duckdb » est intacte" in str(err.value)
    assert saved.read_bytes() == before and fichier_empreinte(saved).read_bytes() == side
    assert _temporaries(saved.parent) == []
    assert _sauvegardes(base) == 1                                   # the first backup only


@pytest.mark.parametrize("earlier", [False, True], ids=["nouvelle", "remplacee"])
def test_full_disk_french_message_no_file_no_audit(base, tmp_path, monkeypatch, capsys,
                                                   earlier):
    out = tmp_path / "sauvegardes" / "pleine.duckdb"
    if earlier:
        db = Database(base)
        backup_database(db, out, actor="test")
        db.close()
    before = out.read_bytes() if earlier else None
    _fail_on(monkeypatch, 2, OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)))
    assert main(["backup", "--db", str(base), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "Sauvegarde impossible" in err and "disque plein" in err
    assert "Aucun fichier n'a été écrit" in err and "Traceback" not in err
    assert ("est intacte" in err) == earlier
    if earlier:
        assert out.read_bytes() == before and fichier_empreinte(out).exists()
    else:
        assert not out.exists() and not fichier_empreinte(out).exists()
    assert _temporaries(out.parent) == []
    assert _sauvegardes(base) == (1 if earlier else 0)


def test_full_disk_on_the_hash_file_leaves_nothing(base, tmp_path, monkeypatch):
    out = tmp_path / "sauvegarde.duckdb"
    _fail_on(monkeypatch, 1, OSError(errno.ENOSPC, "No space left on device"),
             only=lambda data: data.startswith(b"{"))
    db = Database(base)
    with pytest.raises(DatabaseError, match="disque plein"):
        backup_database(db, out, actor="test")
    db.close()
    assert not out.exists() and not fichier_empreinte(out).exists()
    assert _temporaries(tmp_path) == [] and _sauvegardes(base) == 0


def test_full_disk_during_restore_leaves_the_base(base, saved, tmp_path, monkeypatch):
    before = _state(base)
    _fail_on(monkeypatch, 2, OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)))
    with pytest.raises(DatabaseError, match=r"Restauration impossible .* disque plein"):
        restore_database(base, saved, actor="test")
    assert _state(base) == before
    assert _temporaries(tmp_path) == []


def test_killed_backup_process_then_next_backup_cleans(base, saved):
    """A real kill (SIGKILL from inside the copy, no finally runs): the earlier backup stays,
    the temporary it left is removed by the next backup, which succeeds."""
    before = saved.read_bytes()
    code = textwrap.dedent(f"""
        import os, signal
        from fluxcore import backup as bk
        from fluxcore.db import Database
        calls = []
        write = bk._ecrire
        def fake(f, data):
            calls.append(1)
            if len(calls) == 3:
                os.kill(os.getpid(), signal.SIGKILL)
            write(f, data)
        bk._BLOC = 64 * 1024
        bk._ecrire = fake
        bk.backup_database(Database({str(base)!r}), {str(saved)!r}, actor="test")
    """)
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, timeout=600)
    assert proc.returncode == -9
    assert saved.read_bytes() == before
    stray = _temporaries(saved.parent)
    assert len(stray) == 1 and stray[0].startswith("sauvegarde.duckdb.")
    assert describe_backup(saved)["empreinte_enregistree"]          # still verified
    assert _sauvegardes(base) == 1
    db = Database(base)
    backup_database(db, saved, actor="test")
    db.close()
    assert _temporaries(saved.parent) == []
    assert "Y" in _ids(saved)


# -- stray temporaries ------------------------------------------------------------------------
def _dead_pid() -> int:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    return int(proc.stdout)


def test_restore_cleans_only_its_own_stray_temporaries(base, saved, tmp_path):
    stray_restore = tmp_path / "base.duckdb.restauration"
    stray_restore.write_bytes(b"reste d'une restauration interrompue")
    dead = saved.parent / f"sauvegarde.duckdb.{_dead_pid()}-0123abcd.sauvegarde-en-cours"
    dead.write_bytes(b"reste d'une sauvegarde interrompue")
    live = saved.parent / f"sauvegarde.duckdb.{os.getppid()}-0123abcd.sauvegarde-en-cours"
    live.write_bytes(b"sauvegarde en cours dans un autre processus")
    others = [tmp_path / "autre.duckdb.restauration", tmp_path / "notes.restauration.txt",
              saved.parent / "x.sauvegarde-en-cours", saved.parent / "x.12-zz.sauvegarde-en-cours"]
    for p in others:
        p.write_text("à garder", encoding="utf-8")
    restore_database(base, saved, actor="test")
    assert not stray_restore.exists() and not dead.exists()
    assert live.exists() and all(p.exists() for p in others)
    assert "Y" not in _ids(base)


def test_cleaning_skips_what_this_process_is_writing(tmp_path):
    out = tmp_path / "s.duckdb"
    tmp = bk._temporaire(out)
    tmp.write_bytes(b"en cours")
    mine_done = tmp_path / f"s.duckdb.{os.getpid()}-89abcdef.sauvegarde-en-cours"
    mine_done.write_bytes(b"fini sans nettoyage")
    assert nettoyer_temporaires(tmp_path) == [mine_done]
    assert tmp.exists()
    bk._liberer(tmp)
    assert not tmp.exists()
