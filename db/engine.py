"""Database engines and the two ways to use them: `reading()` and `writing()`.

SQLite allows one writer at a time. Every write transaction therefore starts
with BEGIN IMMEDIATE, so it waits its turn instead of failing halfway when it
later tries to upgrade a read lock: a routine writer on SQLite's busy handler,
an urgent one asking every millisecond (`begin_promptly`), so it goes first
when writers of several processes wait. Readers use WAL snapshots and never
block a writer.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from functools import lru_cache

from sqlalchemy import Engine, event
from sqlmodel import Session, create_engine

from settings import get_settings


def _sqlite_engine(url: str, immediate: bool) -> Engine:
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 60})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):  # type: ignore[no-untyped-def]
        if not immediate:
            conn.exec_driver_sql("BEGIN")
        elif getattr(_thread_kind, "yielding", False):
            conn.exec_driver_sql("BEGIN IMMEDIATE")  # SQLite's busy handler does the waiting
        else:
            begin_promptly(conn.connection.dbapi_connection)

    return engine


# How often an urgent writer asks for SQLite's write lock while another process holds it.
URGENT_POLL_S = 0.001
BUSY_TIMEOUT_S = 60.0


def begin_promptly(dbapi_connection: sqlite3.Connection) -> None:
    """BEGIN IMMEDIATE the moment the write lock is free, for a writer that must not wait long.

    SQLite's busy handler sleeps in growing steps (1, 2, 5 ... up to 100 ms) while
    another connection holds the lock, so a writer in another process that frees
    and retakes it in between (a routine worker storing readings) keeps it from
    one sleep to the next. `WriterTurns` orders the writers of one process; this
    is for the others: an urgent writer asks every millisecond instead, so it
    takes the first gap, and a routine writer (which keeps the busy handler) the
    gaps after it."""
    cursor = dbapi_connection.cursor()
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    cursor.execute("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                cursor.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() > deadline:
                    raise
            time.sleep(URGENT_POLL_S)
    finally:
        cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
        cursor.close()


@lru_cache
def engines(url: str) -> tuple[Engine, Engine]:
    """(reader, writer) engines for a database URL; the same engine twice on PostgreSQL."""
    if url.startswith("sqlite"):
        return _sqlite_engine(url, immediate=False), _sqlite_engine(url, immediate=True)
    engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    return engine, engine


def database_url() -> str:
    return get_settings().database_url


class BlockingCallOnEventLoop(RuntimeError):
    """A synchronous database call was made on a running event loop (see `_check_thread`)."""


def _check_thread() -> None:
    """With VIGIL_FORBID_DB_ON_EVENT_LOOP on (the tests' stacks), refuse a synchronous
    database call on a thread running an event loop: it would stall every socket."""
    if not get_settings().forbid_db_on_event_loop:
        return
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return  # a worker thread: blocking here is what threads are for
    raise BlockingCallOnEventLoop("synchronous database call on the event loop")


@contextmanager
def reading() -> Iterator[Session]:
    """A session for reads."""
    _check_thread()
    with Session(engines(database_url())[0], expire_on_commit=False) as session:
        yield session


# How long a routine writer stands aside for urgent ones before it takes every other turn.
ROUTINE_PATIENCE_S = 0.5


class WriterTurns:
    """One SQLite writer at a time in this process, and urgent writers first.

    SQLite's busy handler sleeps in growing steps (up to 100 ms) while another
    writer holds the lock; queueing this process's own writers here instead
    keeps them from sleeping past each other. A thread marked `yield_writes`
    (the worker's routine threads: reminders, readings) takes its turn only
    when no other writer is waiting, so a flood of routine writes never queues
    ahead of an emergency's. But a routine write is clinical work too (a dose
    confirmed, a reading stored), so one that has stood aside for `patience_s`
    stops yielding: from then on urgent and overdue routine writers alternate,
    and an urgent writer waits at most one routine write. Without that, urgent
    writers arriving back to back (many emergencies escalating at once) could
    hold a routine write back for as long as they kept coming.
    """

    def __init__(self, patience_s: float = ROUTINE_PATIENCE_S) -> None:
        self._turn = threading.Condition()
        self._patience_s = patience_s
        self._busy = False
        self._urgent_waiting = 0
        self._overdue_waiting = 0
        self._routine_went_last = False

    @property
    def waiting(self) -> int:
        """How many urgent writers wait for their turn now (tests watch a writer block)."""
        return self._urgent_waiting

    @contextmanager
    def turn(self, *, yielding: bool) -> Iterator[None]:
        with self._turn:
            if yielding:
                self._wait_as_routine()
            else:
                self._urgent_waiting += 1
                self._turn.wait_for(lambda: not self._busy and not (
                    self._overdue_waiting and not self._routine_went_last))
                self._urgent_waiting -= 1
            self._routine_went_last = yielding
            self._busy = True
        try:
            yield
        finally:
            with self._turn:
                self._busy = False
                self._turn.notify_all()

    def _wait_as_routine(self) -> None:
        """Stand aside while urgent writers wait, for `patience_s`; then every other turn."""
        if self._turn.wait_for(lambda: not self._busy and not self._urgent_waiting,
                               timeout=self._patience_s):
            return
        self._overdue_waiting += 1
        try:
            self._turn.wait_for(lambda: not self._busy and (
                not self._urgent_waiting or not self._routine_went_last))
        finally:
            self._overdue_waiting -= 1


_sqlite_writer = WriterTurns()
_thread_kind = threading.local()


def yield_writes() -> None:
    """Mark this thread's writes as routine: they wait while any other writer waits (SQLite).
    A ThreadPoolExecutor `initializer` (worker.py's routine activity threads)."""
    _thread_kind.yielding = True


@contextmanager
def writing() -> Iterator[Session]:
    """A session whose work commits as one transaction, or not at all."""
    _check_thread()
    url = database_url()
    yielding = getattr(_thread_kind, "yielding", False)
    with _sqlite_writer.turn(yielding=yielding) if url.startswith("sqlite") else nullcontext():
        with Session(engines(url)[1], expire_on_commit=False) as session:
            with session.begin():
                yield session
