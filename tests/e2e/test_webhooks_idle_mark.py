"""The idle mark's claim is race-free (activities/webhook_idle.py), on SQLite and PostgreSQL.

Each test has a database of its own (so no other endpoint wants its events). Two
transactions on two connections, one held open at the point that matters until the
other is seen waiting for it (PostgreSQL: a lock wait in pg_stat_activity; SQLite: a writer
waiting for its turn) or has finished. Whatever the order, a committed row is either read
by the reader or its endpoint is claimed by the writer for waking: never neither.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlmodel import Session, select

from activities.webhook_events import queue
from activities.webhook_idle import WOKEN, settle
from channels.webhook_secrets import encrypt, new_secret
from db import engine
from db.engine import reading, writing
from db.models import WebhookDelivery, WebhookEndpoint
from tests.utils.waiting import eventually

pytestmark = pytest.mark.e2e
EVENT_TYPE = "monitoring.ended"


def _endpoint(idle: bool) -> str:
    """An enabled endpoint of its own (no delivery workflow runs for it)."""
    endpoint_id = f"whe-{uuid.uuid4().hex[:12]}"
    with writing() as session:
        session.add(WebhookEndpoint(id=endpoint_id, url="http://127.0.0.1:9/hooks",
                                    event_types=[EVENT_TYPE], patient_id=endpoint_id,
                                    enabled=True, idle=idle,
                                    secret_encrypted=encrypt(new_secret()), created_by="test"))
    return endpoint_id


def _write_event(session: Session, endpoint_id: str) -> None:
    """An event owed to this endpoint only (its patient filter), as a record activity writes it."""
    assert queue(session, EVENT_TYPE, f"s-{uuid.uuid4().hex[:8]}", endpoint_id, None,
                 {"session_id": "s"}) == 1


def _read(session: Session, endpoint_id: str) -> Callable[[], Sequence[WebhookDelivery]]:
    return lambda: session.exec(select(WebhookDelivery).where(
        WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.status == "pending")).all()


def _idle(endpoint_id: str) -> bool:
    with reading() as session:
        endpoint = session.get(WebhookEndpoint, endpoint_id)
        assert endpoint is not None
        return endpoint.idle


def _backend(session: Session, url: str) -> int | None:
    if url.startswith("sqlite"):
        return None
    return session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar()


def _waiting(url: str, backend: int | None) -> bool:
    """Whether the other transaction is blocked on the one held open."""
    if url.startswith("sqlite"):
        return engine._sqlite_writer.waiting > 0
    if backend is None:
        return False
    with reading() as session:
        wait = session.connection().execute(
            text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"),
            {"pid": backend}).scalar()
    return wait == "Lock"


class Other(threading.Thread):
    """The second transaction, on a thread of its own (it may block on the first)."""

    def __init__(self, body: Callable[[dict[str, Any]], None]) -> None:
        super().__init__(daemon=True)
        self.body, self.seen, self.error = body, {}, None  # type: ignore[var-annotated]

    def run(self) -> None:
        try:
            self.body(self.seen)
        except BaseException as error:  # noqa: BLE001 - reported by the test
            self.error = error

    async def blocked_or_done(self, url: str) -> None:
        await eventually(lambda: not self.is_alive() or _waiting(url, self.seen.get("backend")),
                         timeout_s=20, what="the other transaction blocked, or done")

    def finish(self) -> dict[str, Any]:
        self.join(timeout=30)
        assert not self.is_alive(), "the other transaction never finished"
        if self.error is not None:
            raise self.error
        return self.seen


async def test_a_row_committed_after_the_reader_marked_idle_is_claimed_and_woken(
        empty_db: str) -> None:
    endpoint_id = _endpoint(idle=False)

    def writer(seen: dict[str, Any]) -> None:
        with writing() as session:
            seen["backend"] = _backend(session, empty_db)
            _write_event(session, endpoint_id)
        seen["woken"] = session.info[WOKEN]

    with writing() as reader:
        assert settle(reader, endpoint_id, _read(reader, endpoint_id)) == []
        other = Other(writer)
        other.start()
        # Held open with its mark set: the writer waits (its claim's lock, or its turn).
        await other.blocked_or_done(empty_db)
        assert other.is_alive(), "the writer committed while the reader's mark was open"
    assert other.finish()["woken"] == [endpoint_id]
    assert not _idle(endpoint_id)

    # Busy now (its workflow woken): the next writer finds no mark and wakes nobody.
    with writing() as session:
        _write_event(session, endpoint_id)
    assert session.info[WOKEN] == []


async def test_a_row_committed_before_the_reader_read_is_read_and_the_endpoint_not_left_idle(
        empty_db: str) -> None:
    endpoint_id = _endpoint(idle=False)
    settled: dict[str, Any] = {}

    def reader(seen: dict[str, Any]) -> None:
        with writing() as session:
            seen["backend"] = _backend(session, empty_db)
            seen["rows"] = settle(session, endpoint_id, _read(session, endpoint_id))

    with writing() as session:
        _write_event(session, endpoint_id)
        other = Other(reader)

        def between_claim_and_commit(_session: Session) -> None:
            """After the claim (it ran just before, in the same hook), the commit to come:
            the reader starts here, and must wait for this commit or see the row after it."""
            other.start()
            settled["waited"] = _wait_sync(lambda: not other.is_alive()
                                           or _waiting(empty_db, other.seen.get("backend")))

        event.listen(session, "before_commit", between_claim_and_commit)
    assert settled["waited"], "the reader neither blocked nor finished"
    assert session.info[WOKEN] == []  # not idle when it claimed
    rows = other.finish()["rows"]
    assert [r.endpoint_id for r in rows] == [endpoint_id]
    assert not _idle(endpoint_id), "left idle with a row pending: nobody would wake it"


async def test_a_rolled_back_write_wakes_nobody_and_leaves_the_mark(empty_db: str) -> None:
    endpoint_id = _endpoint(idle=True)
    with pytest.raises(RuntimeError):
        with writing() as session:
            _write_event(session, endpoint_id)
            raise RuntimeError("the change failed")
    assert WOKEN not in session.info
    assert _idle(endpoint_id)


def _wait_sync(condition: Callable[[], bool], timeout_s: float = 20.0) -> bool:
    """Poll `condition` on this thread (inside a commit hook: no event loop to await on)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False
