"""SQLite writers take turns at a gate (app/sqlite_gate.py): a lock per process for threads, an
flock for processes; the turn is given back however the transaction ends."""

import sqlite3
import subprocess
import sys
import threading

import pytest
from sqlalchemy import text

from app.db import Database, make_engine
from app.sqlite_gate import gate_for


def test_a_waiting_writer_gets_locked_after_its_timeout_and_its_turn_once_released(tmp_path):
    gate = gate_for(str(tmp_path / "forum.db"))
    gate.acquire(1)
    outcome = {}

    def other():
        try:
            gate.acquire(0.2)
            outcome["second"] = "entered"
        except sqlite3.OperationalError as error:
            outcome["second"] = str(error)

    waiter = threading.Thread(target=other)
    waiter.start()
    waiter.join()
    assert outcome["second"] == "database is locked"
    gate.release()
    gate.acquire(0.2)  # free again: the refused waiter left nothing held
    gate.release()


def test_another_process_holding_the_turn_keeps_this_one_waiting(tmp_path):
    path = str(tmp_path / "forum.db")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT); "
            "fcntl.flock(fd, fcntl.LOCK_EX); print('held', flush=True); sys.stdin.readline()",
            path + "-writer",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        gate = gate_for(path)
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            gate.acquire(0.2)
        holder.stdin.write("\n")
        holder.stdin.flush()
        holder.wait(timeout=10)
        gate.acquire(5)  # the holder's exit gave the turn back
        gate.release()
    finally:
        holder.kill()


@pytest.mark.parametrize("ending", ["commit", "rollback", "error"])
def test_every_way_a_write_transaction_ends_gives_the_turn_back(tmp_path, ending):
    database = Database(make_engine(f"sqlite:///{tmp_path / 'forum.db'}"))
    with database.engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
    with database.session(write=True) as session:
        session.execute(text("INSERT INTO t VALUES (1)"))
        if ending == "commit":
            session.commit()
        elif ending == "rollback":
            session.rollback()
        # "error": the session is closed with its transaction open, as after an exception.
    # Another thread's writer gets its turn at once (a held turn would keep it out).
    gate = gate_for(str(tmp_path / "forum.db"))
    result = {}

    def writer():
        gate.acquire(0.5)
        gate.release()
        result["ok"] = True

    thread = threading.Thread(target=writer)
    thread.start()
    thread.join()
    assert result == {"ok": True}
    with database.unit_of_work() as session:
        session.execute(text("INSERT INTO t VALUES (2)"))
    with database.unit_of_work(write=False) as session:
        assert session.execute(text("SELECT count(*) FROM t")).scalar() == (2 if ending == "commit" else 1)
    database.engine.dispose()


def test_a_writer_kept_out_too_long_gets_the_errors_sqlite_itself_gives(tmp_path, monkeypatch):
    """Through the engine, a turn not given in time is SQLAlchemy's OperationalError, as SQLite's own
    busy timeout was, so every caller that handles one handles the other; nothing is left held."""
    from sqlalchemy.exc import OperationalError

    import app.db

    monkeypatch.setattr(app.db, "SQLITE_TIMEOUT", 0.2)  # the 15 s bound, shortened for the test
    path = tmp_path / "forum.db"
    database = Database(make_engine(f"sqlite:///{path}"))
    with database.engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
    gate = gate_for(str(path))
    gate.acquire(1)  # another writer's turn, held
    outcome = {}

    def writer():
        try:
            with database.unit_of_work() as session:
                session.execute(text("INSERT INTO t VALUES (1)"))
            outcome["error"] = None
        except OperationalError as error:
            outcome["error"] = str(error.orig)

    thread = threading.Thread(target=writer)
    thread.start()
    thread.join()
    gate.release()
    assert outcome["error"] == "database is locked"
    with database.unit_of_work() as session:  # the refused writer left the turn free
        session.execute(text("INSERT INTO t VALUES (2)"))
    with database.unit_of_work(write=False) as session:
        assert session.execute(text("SELECT x FROM t")).scalars().all() == [2]
    database.engine.dispose()
