"""An urgent writer takes SQLite's write lock ahead of another process's writer that waits on
SQLite's busy handler (a routine worker's), even one that has been waiting longer."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from sqlalchemy import text
from sqlmodel import Session

from db.engine import engines


def _connection(path: Path) -> sqlite3.Connection:
    """A plain connection, as another process's writer has: SQLite's busy handler waits."""
    connection = sqlite3.connect(path, isolation_level=None, timeout=60, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    return connection


def test_an_urgent_writer_gets_the_lock_before_a_routine_writer_waiting_longer(
        tmp_path: Path) -> None:
    path = tmp_path / "turns.db"
    holder = _connection(path)
    holder.execute("CREATE TABLE written (who TEXT)")
    holder.execute("BEGIN IMMEDIATE")  # another process holds the lock while both queue up
    order: list[str] = []
    asked = threading.Event()

    def routine() -> None:
        connection = _connection(path)
        asked.set()
        connection.execute("BEGIN IMMEDIATE")
        order.append("routine")
        connection.execute("INSERT INTO written VALUES ('routine')")
        connection.execute("COMMIT")

    waiting = threading.Thread(target=routine)
    started = time.monotonic()
    waiting.start()
    asked.wait(10)
    time.sleep(0.05)  # the routine writer has been waiting 50 ms when the urgent one asks
    # SQLite's busy handler asks again after 1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100 ...
    # ms: 328, 428, 528 ... ms after it began. The lock is freed 400 ms after the routine writer
    # began, so it goes to that writer (at 428 ms) unless the urgent one asks sooner; on the
    # busy handler too, the urgent one would next ask at 478 ms or later.
    threading.Timer(0.4 - (time.monotonic() - started), holder.execute, ["COMMIT"]).start()
    with Session(engines(f"sqlite:///{path}")[1]) as session, session.begin():
        # This thread is not marked routine: an urgent writer. Its BEGIN comes with this
        # first statement.
        session.execute(text("INSERT INTO written VALUES ('urgent')"))
        order.append("urgent")
    waiting.join(70)
    assert order == ["urgent", "routine"]
