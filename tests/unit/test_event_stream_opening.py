"""A fresh socket's stream: what was published after the client connected, but before its
stream subscribed, still reaches it (a page sent the moment a socket opens is never lost)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from db.engine import writing
from db.migrate import upgrade
from events.hub import EventHub, latest_id
from events.publish import publish
from settings import get_settings

TOPIC = "staff:patient-1"


def _publish(kind: str) -> None:
    with writing() as session:
        publish(session, topic=TOPIC, kind=kind, payload={})


async def _first(hub: EventHub, opened_at: int) -> dict:  # type: ignore[type-arg]
    """The first event a fresh socket's stream yields (its opening replays nothing)."""
    stream = hub.stream([TOPIC], None, opening=lambda latest: ([], None), opened_at=opened_at)
    try:
        return await asyncio.wait_for(anext(stream), timeout=10)  # type: ignore[return-value]
    finally:
        await stream.aclose()


async def test_a_page_between_the_accept_and_the_subscription_is_caught_up(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'vigil.db'}"
    monkeypatch.setenv("VIGIL_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        await asyncio.to_thread(upgrade, url)
        await asyncio.to_thread(_publish, "before")  # before the client connected: not theirs
        hub = EventHub()
        opened_at = await asyncio.to_thread(latest_id)  # the socket is accepted here
        await asyncio.to_thread(_publish, "page")  # ...and a page goes out at once
        # The hub's tailer is not running, so only the catch-up from `opened_at` can find it:
        # before, a fresh stream began at the newest id and this page was behind it.
        caught = await _first(hub, opened_at)
        assert caught["kind"] == "page", "the page, not what came before the client connected"
    finally:
        get_settings.cache_clear()
