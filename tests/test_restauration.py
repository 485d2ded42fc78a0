"""Issue 28: a restore, a `demo --force` or a recovery never replaces a base that another
process or session still has open; a base left with a WAL of another state is recoverable."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from fluxcore.__main__ import main
from fluxcore.backup import backup_database, restore_database
from fluxcore.db import Database, audit, table_checksum
from fluxcore.errors import DatabaseError
from fluxcore.fichier import RESTAUREE, WalInvalideError, wal_de

ROOT = Path(__file__).resolve().parent.parent
TABLES = ("reservataire", "audit_log", "parametre")


def _add(db: Database, rid: str) -> None:
    with db.transaction() as cur:
        cur.execute("insert into reservataire (reservataire_id, nom, type, territoire, "
                    "repris_par_prefet) values (?, ?, 'AUTRE', NULL, false)", [rid, rid])
        audit(cur, "test", "reservataire.create", "reservataire", rid)


def _checksums(path: Path) -> dict[str, str]:
    db = Database(path, read_only=True)
    try:
        return {t: table_checksum(db, t) for t in TABLES}
    finally:
        db.close()


@pytest.fixture
def base_and_backup(tmp_path):
    """A base with reservataires A and B, and a backup holding only A."""
    path = tmp_path / "base.duckdb"
    db = Database(path)
    _add(db, "A")
    backup_database(db, tmp_path / "sauvegarde.duckdb", actor="test")
    _add(db, "B")
    db.close()
    return path, tmp_path / "sauvegarde.duckdb"


@pytest.fixture
def holder(tmp_path):
    """Start a second process that opens a base read-write and keeps it until told to stop;
    returns once the process has signalled that it holds the base (no sleep as a proof)."""
    procs = []

    def start(path: Path) -> subprocess.Popen:
        ready, stop = tmp_path / "pret", tmp_path / "stop"
        code = textwrap.dedent(f"""
            import pathlib, time
            from fluxcore.db import Database
            db = Database({str(path)!r})
            pathlib.Path({str(ready)!r}).write_text("ok")
            while not pathlib.Path({str(stop)!r}).exists():
                time.sleep(0.05)
            db.close()
        """)
        proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT)
        procs.append((proc, stop))
        deadline = time.monotonic() + 600  # a guard against a hang, not a speed check
        while not ready.exists():
            assert proc.poll() is None, "le processus témoin s'est arrêté"
            assert time.monotonic() < deadline, "le processus témoin n'a pas ouvert la base"
            time.sleep(0.05)
        return proc

    yield start
    for proc, stop in procs:
        stop.write_text("stop")
        proc.wait(timeout=600)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fluxcore", *args], capture_output=True,
                          text=True, timeout=600, cwd=ROOT)


def test_restore_refused_while_another_process_holds_the_base(base_and_backup, holder,
                                                              tmp_path):
    path, backup = base_and_backup
    before = _checksums(path)
    proc = holder(path)
    out = _cli("restore", "--db", str(path), "--from", str(backup), "--confirmer")
    assert out.returncode == 2
    assert "est verrouillée" in out.stderr and "Arrêtez l'application" in out.stderr
    assert "Traceback" not in out.stderr
    assert not (tmp_path / "base.duckdb.restauration").exists()
    (tmp_path / "stop").write_text("stop")
    proc.wait(timeout=600)
    assert _checksums(path) == before                       # base unchanged: B still there


def test_demo_force_refused_while_another_process_holds_the_base(base_and_backup, holder):
    path, _ = base_and_backup
    before = _checksums(path)
    proc = holder(path)
    out = _cli("demo", "--db", str(path), "--force", "--scale", "petit")
    assert out.returncode == 2
    assert "est verrouillée" in out.stderr and "Traceback" not in out.stderr
    (path.parent / "stop").write_text("stop")
    proc.wait(timeout=600)
    assert _checksums(path) == before


def test_old_handle_of_another_session_refused_after_restore(base_and_backup, tmp_path):
    path, backup = base_and_backup
    expected = _checksums(backup)
    session_a = Database(path)                 # two sessions of one app process
    session_b = Database(path).pour(None)
    restore_database(path, backup, actor="admin")
    for old in (session_a, session_b):
        with pytest.raises(DatabaseError, match="restaurée pendant votre session"), \
                old.transaction() as cur:
            cur.execute("delete from reservataire")
        with pytest.raises(DatabaseError, match="rechargez la page"):
            old.scalar("select count(*) from reservataire")
    assert "restaurée pendant votre session : rechargez la page" in RESTAUREE
    db = Database(path)
    assert db.df("select reservataire_id from reservataire")["reservataire_id"].tolist() == ["A"]
    assert db.scalar("select action from audit_log order by audit_id desc limit 1") == \
        "restauration"
    assert table_checksum(db, "reservataire") == expected["reservataire"]
    db.close()


def test_handle_refused_when_the_file_is_replaced_behind_it(base_and_backup, tmp_path):
    """Whatever replaced the file (not fluxcore), the old handle does not write into it."""
    path, backup = base_and_backup
    db = Database(path)
    shutil.copyfile(backup, tmp_path / "autre.duckdb")
    (tmp_path / "autre.duckdb").replace(path)
    with pytest.raises(DatabaseError, match="restaurée"), db.transaction():
        pass
    db._con.close()


def _stray_wal(path: Path) -> None:
    """A base whose WAL comes from an earlier state of the file (the issue's end state)."""
    db = Database(path)
    _add(db, "A")
    db.cursor().execute("checkpoint")
    _add(db, "B")                                   # in the WAL only
    assert wal_de(path).exists()
    shutil.copyfile(wal_de(path), path.with_name("ancien.wal"))
    db.cursor().execute("checkpoint")
    _add(db, "C")
    db.close()                                      # checkpoints: no WAL left
    shutil.copyfile(path.with_name("ancien.wal"), wal_de(path))


def test_stray_wal_explained_kept_aside_and_recovered(tmp_path, capsys):
    path = tmp_path / "base.duckdb"
    _stray_wal(path)
    size = wal_de(path).stat().st_size
    with pytest.raises(WalInvalideError) as err:
        Database(path)
    text = str(err.value)
    assert "ne correspond pas au fichier" in text and "recuperer --db" in text
    assert "--sans-wal" in text and "sont perdues" in text and "Rien n'a été modifié" in text
    with pytest.raises(WalInvalideError):          # a second failure: no second copy
        Database(path, read_only=True)
    kept = sorted(p.name for p in (tmp_path / "recuperation").iterdir())
    assert len(kept) == 2 and kept[0].endswith(".duckdb") and kept[1].endswith(".duckdb.wal")
    assert path.exists() and wal_de(path).stat().st_size == size      # originals untouched

    assert main(["recuperer", "--db", str(path)]) == 1
    assert "ne correspond pas" in capsys.readouterr().out
    assert main(["recuperer", "--db", str(path), "--sans-wal"]) == 0
    assert "écritures faites depuis le dernier point de contrôle sont perdues" in \
        capsys.readouterr().out
    db = Database(path)
    ids = db.df("select reservataire_id from reservataire order by 1")["reservataire_id"]
    assert ids.tolist() == ["A", "B", "C"]      # the file had them all; the stray WAL is gone
    assert db.scalar("select action from audit_log order by audit_id desc limit 1") == \
        "recuperation.sans_wal"
    db.close()
    assert len(list((tmp_path / "recuperation").glob("*.wal"))) == 2  # copy + set-aside WAL
    assert main(["recuperer", "--db", str(path)]) == 0


def test_stray_wal_recovered_from_a_backup(tmp_path):
    path = tmp_path / "base.duckdb"
    _stray_wal(path)
    backup = tmp_path / "sauvegarde.duckdb"
    other = Database(backup)
    _add(other, "Z")
    other.close()
    assert main(["recuperer", "--db", str(path), "--depuis", str(backup)]) == 0
    db = Database(path)
    assert db.df("select reservataire_id from reservataire")["reservataire_id"].tolist() == ["Z"]
    db.close()
    assert any(p.suffix == ".wal" for p in (tmp_path / "recuperation").iterdir())
