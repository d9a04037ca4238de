"""The SQLite event tailer wakes on a commit, not on its slow re-check."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from db.engine import writing
from db.migrate import upgrade
from events.hub import EventHub
from events.publish import publish
from events.sqlite_wakeup import sqlite_path
from settings import get_settings


async def _peek(queue: asyncio.Queue) -> None:  # type: ignore[type-arg]
    while queue.empty():
        await asyncio.sleep(0.01)


def test_the_database_file_is_found_from_its_url(tmp_path: Path) -> None:
    assert sqlite_path(f"sqlite:///{tmp_path}/v.db") == tmp_path / "v.db"
    assert sqlite_path("sqlite:///:memory:") is None
    assert sqlite_path("postgresql+psycopg://x@h/db") is None


async def test_a_commit_from_another_writer_reaches_subscribers_without_waiting_for_the_recheck(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'vigil.db'}"
    monkeypatch.setenv("VIGIL_DATABASE_URL", url)
    monkeypatch.setenv("VIGIL_EVENTS_POLL_INTERVAL_S", "3600")  # only the file watch can wake it
    get_settings.cache_clear()
    try:
        await asyncio.to_thread(upgrade, url)
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
    finally:
        get_settings.cache_clear()
