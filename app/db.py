"""Engine, SQLite pragmas, and the one unit of work per request."""

import functools
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from typing import Annotated

import anyio
from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, create_engine

from app.sqlite_gate import GatedConnection

log = logging.getLogger(__name__)
SQLITE_TIMEOUT = 15  # seconds a SQLite writer waits for its turn before "database is locked"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def make_engine(url: str, **kwargs) -> Engine:
    if url.startswith("sqlite"):
        # No cap on connections (SQLite's are file handles): a read run on the event loop
        # (sqlite_reads_inline) must never wait for a connection that only a request parked in
        # the thread pool, itself waiting for the event loop, could give back.
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", -1)
        connect_args = {"check_same_thread": False, "timeout": SQLITE_TIMEOUT, "factory": GatedConnection}
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    # Writers to a file take turns at its gate; an in-memory database is one connection's own.
    database = engine.url.database
    path = os.path.abspath(database) if database and database != ":memory:" else None

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        # The driver's own transaction handling is off, so that we choose how each transaction
        # begins (below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_TIMEOUT * 1000}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        # A deferred transaction that reads first and writes later must upgrade its lock, and
        # SQLite refuses that at once (no busy wait) while another process writes. Writers take
        # the write lock up front instead, after their turn at the file's gate (app.sqlite_gate:
        # woken when the writer before them finishes, not by SQLite's sleeping retries).
        if not connection.get_execution_options().get("sqlite_immediate"):
            connection.exec_driver_sql("BEGIN")
            return
        raw = connection.connection.dbapi_connection
        gated = path is not None and isinstance(raw, GatedConnection)
        if gated:
            try:
                raw.begin_writing(path, SQLITE_TIMEOUT)
            except sqlite3.OperationalError as error:
                # As SQLite's own busy timeout surfaces: wrapped, so callers catch one error type.
                raise OperationalError("BEGIN IMMEDIATE", None, error) from error
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            if gated:
                raw.end_writing()
            raise


# A closed session refuses further statements instead of quietly beginning a new transaction: on
# SQLite a write session reused after its request ended (an error page counting notifications
# through it) took the write lock with BEGIN IMMEDIATE and held it until garbage collection,
# and every other writer then failed after busy_timeout.
SESSION_OPTIONS = {"close_resets_only": False}


class Database:
    """Holds the engine and makes sessions; tests swap in a session bound to one connection."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.bind = engine
        # The same pool, with every transaction begun IMMEDIATE: for sessions that will write.
        self.write_engine = engine.execution_options(sqlite_immediate=True) if self.is_sqlite else engine
        self.session_kwargs: dict = {}

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def session(self, write: bool = False) -> Session:
        if self.bind is not self.engine:
            # Tests bind every session to one connection whose outer transaction is already open.
            session = Session(self.bind, expire_on_commit=False, **self.session_kwargs, **SESSION_OPTIONS)
        else:
            # The write lock is taken by the first statement, not here, and again for each
            # transaction the session begins (an upload commits before streaming its body).
            session = Session(
                self.write_engine if write else self.engine,
                expire_on_commit=False,
                **self.session_kwargs,
                **SESSION_OPTIONS,
            )
        session.info["writes"] = write
        return session

    def run_deferred_writes(self, session: Session) -> None:
        """Bookkeeping that a read-only request wants to write (session last seen, read markers)
        runs after its read transaction, in a short write transaction of its own: upgrading a
        SQLite read transaction to a write fails at once when another process wrote meanwhile."""
        writes = session.info.pop("deferred_writes", [])
        if not writes:
            return
        try:
            with self.unit_of_work(write=True) as write_session:
                for write in writes:
                    write(write_session)
        except OperationalError:
            # Bookkeeping only: losing one update to contention is better than failing the page.
            log.warning("deferred bookkeeping write skipped", exc_info=True)

    @contextmanager
    def unit_of_work(self, write: bool = True) -> Iterator[Session]:
        """One transaction for a CLI command or a background job: committed if no error."""
        with self.session(write=write) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                run_hooks(session, "on_rollback")
                raise
            run_hooks(session, "after_commit")


def upsert_for(dialect: str):
    """The engine's own INSERT, which takes ON CONFLICT (SQLite and PostgreSQL spell it alike):
    an insert-or-update is one statement instead of a read and a write."""
    return (sqlite if dialect == "sqlite" else postgresql).insert


def on_rollback(session: Session, hook: Callable[[], None]) -> None:
    """Undo an effect outside the database (a stored file) if the transaction does not commit."""
    session.info.setdefault("on_rollback", []).append(hook)


def after_commit(session: Session, hook: Callable[[], None]) -> None:
    """Do something outside the database (remove a file) only once the transaction committed."""
    session.info.setdefault("after_commit", []).append(hook)


def run_hooks(session: Session, name: str) -> None:
    for hook in session.info.pop(name, []):
        try:
            hook()
        except Exception:  # noqa: BLE001  (cleanup must not hide the original outcome)
            log.warning("%s hook failed", name, exc_info=True)


def write_soon(session: Session, write: Callable[[Session], None]) -> None:
    """Run a bookkeeping write now in a write transaction, or after the read transaction ends."""
    if session.info.get("writes", True):
        write(session)
    else:
        session.info.setdefault("deferred_writes", []).append(write)


def _finish(database: Database, session: Session) -> None:
    """End a request's unit of work: commit, then the hooks and the deferred bookkeeping writes."""
    try:
        try:
            session.commit()
        except BaseException:
            run_hooks(session, "on_rollback")
            raise
        run_hooks(session, "after_commit")
        database.run_deferred_writes(session)
    finally:
        session.close()


def _abort(session: Session) -> None:
    try:
        run_hooks(session, "on_rollback")
    finally:
        session.close()


def _quick_finish(database: Database, session: Session) -> bool:
    """Whether ending this unit of work cannot wait on anything: a SQLite read that left nothing
    to write ends its read transaction in microseconds, so it is ended on the event loop rather
    than through a thread-pool round trip (which costs more than the rest of a small page)."""
    info = session.info
    return (
        database.is_sqlite
        and not info.get("writes", True)
        and not info.get("deferred_writes")
        and not info.get("after_commit")
        and not info.get("on_rollback")
        and not (session.new or session.dirty or session.deleted)
    )


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session per request, committed once when the route returns. Making a session does no
    I/O (the first statement connects): the route's statements run where the route runs, in the
    thread pool or, for SQLite reads, on the event loop (sqlite_reads_inline)."""
    database: Database = request.app.state.database
    session = database.session(write=request.method not in SAFE_METHODS)
    # render() reads the header's unread count through it.
    request.state.db = session
    try:
        yield session
    except BaseException:
        # Reached when the route raised: roll back (close) and undo effects outside the database;
        # on PostgreSQL the ROLLBACK is a network round trip, so it goes to the thread pool.
        # The error page is rendered after this, without this session (render opens a read).
        request.state.db = None
        if database.is_sqlite:
            _abort(session)
        else:
            with anyio.CancelScope(shield=True):
                await run_in_threadpool(_abort, session)
        raise
    if _quick_finish(database, session):
        _finish(database, session)
    else:
        await run_in_threadpool(_finish, database, session)


def sqlite_reads_inline(endpoint):
    """For a page route that only reads: on SQLite, a GET runs on the event loop instead of the
    thread pool. Such a page is a few milliseconds of CPU and a few indexed reads that never wait
    (WAL readers take no lock); handing it to a thread only adds a hand-off and makes the pool's
    threads take turns on one GIL, so every page in flight finishes late. Anything else (another
    method, PostgreSQL's network round trips) still goes through the pool. Deferred bookkeeping
    writes run after the response's read transaction, in the pool (get_session)."""

    @functools.wraps(endpoint)
    async def route(*args, **kwargs):
        session = kwargs.get("session")
        request = kwargs.get("request")
        if (
            session is not None
            and request is not None
            and request.app.state.database.is_sqlite
            and not session.info.get("writes", True)
        ):
            return endpoint(*args, **kwargs)
        return await run_in_threadpool(endpoint, *args, **kwargs)

    return route


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
