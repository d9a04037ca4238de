"""The SQLite event tailer wakes on a commit with events, not on its slow re-check."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import select

from db.engine import writing
from db.migrate import upgrade
from db.models import Event
from events.hub import EventHub
from events.publish import publish
from events.sqlite_wakeup import commit_marker, sqlite_path
from settings import get_settings

ROOT = Path(__file__).resolve().parents[2]


async def _peek(queue: asyncio.Queue) -> None:  # type: ignore[type-arg]
    while queue.empty():
        await asyncio.sleep(0.01)


def test_the_database_file_is_found_from_its_url(tmp_path: Path) -> None:
    assert sqlite_path(f"sqlite:///{tmp_path}/v.db") == tmp_path / "v.db"
    assert sqlite_path("sqlite:///:memory:") is None
    assert sqlite_path("postgresql+psycopg://x@h/db") is None
    assert commit_marker(f"sqlite:///{tmp_path}/v.db") == tmp_path / "v.db-events"
    assert commit_marker("postgresql+psycopg://x@h/db") is None


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'vigil.db'}"
    monkeypatch.setenv("VIGIL_DATABASE_URL", url)
    monkeypatch.setenv("VIGIL_EVENTS_POLL_INTERVAL_S", "3600")  # only the file watch can wake it
    get_settings.cache_clear()
    upgrade(url)
    yield url
    get_settings.cache_clear()


def test_the_marker_is_touched_once_the_events_are_committed_and_not_before(
        database: str) -> None:
    """A listener woken by the marker must find the rows: so not on publish, not on rollback."""
    marker = commit_marker(database)
    assert marker is not None and not marker.exists()
    with pytest.raises(RuntimeError), writing() as session:
        publish(session, topic="test:wakeup", kind="ping", payload={})
        raise RuntimeError("rolled back")
    assert not marker.exists()
    with writing() as session:
        publish(session, topic="test:wakeup", kind="ping", payload={})
        assert not marker.exists()  # flushed, not yet committed
    assert marker.exists()
    touched = marker.stat().st_mtime_ns
    with writing() as session:  # a commit with no events wakes nobody
        session.exec(select(Event)).all()
    assert marker.stat().st_mtime_ns == touched


async def test_a_commit_from_another_writer_reaches_subscribers_without_waiting_for_the_recheck(
        database: str) -> None:
    hub = EventHub()
    await hub.start()
    sub = hub.subscribe(["test:wakeup"])

    def write() -> None:
        with writing() as session:
            publish(session, topic="test:wakeup", kind="ping", payload={"n": 1})
    # The watcher starts in the background; a commit before it watches goes unnoticed,
    # so commit once a second until one is heard (the re-check alone would take an hour).
    async with asyncio.timeout(30):
        while sub.queue.empty():
            await asyncio.to_thread(write)
            try:
                await asyncio.wait_for(asyncio.shield(_peek(sub.queue)), timeout=1)
            except TimeoutError:
                pass
    event = sub.queue.get_nowait()
    assert event["kind"] == "ping" and event["payload"] == {"n": 1}
    await hub.stop()


WRITER = """
import time
from db.engine import writing
from events.publish import publish
for n in range(100):
    with writing() as session:
        publish(session, topic="test:wakeup", kind="from-process", payload={"n": n})
    time.sleep(0.2)
"""


async def test_a_commit_in_another_process_wakes_this_one(database: str) -> None:
    """As the worker's commits wake the API: the re-check is an hour, so only the marker can."""
    hub = EventHub()
    await hub.start()
    sub = hub.subscribe(["test:wakeup"])
    writer = subprocess.Popen([sys.executable, "-c", WRITER], cwd=ROOT)
    try:
        async with asyncio.timeout(30):
            event = await sub.queue.get()
        assert event["kind"] == "from-process"
    finally:
        writer.kill()
        writer.wait()
        await hub.stop()
