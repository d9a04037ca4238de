"""A fresh socket's stream, and a fresh SSE stream: what was published after the client
connected, but before its stream subscribed, still reaches it (a page sent the moment a socket
or an event stream opens is never lost)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from starlette.requests import Request

from api.streams import sse_events
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


@pytest.fixture
async def fresh_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'vigil.db'}"
    monkeypatch.setenv("VIGIL_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        await asyncio.to_thread(upgrade, url)
        yield url
    finally:
        get_settings.cache_clear()


async def test_a_page_between_the_accept_and_the_subscription_is_caught_up(fresh_db: str) -> None:
    await asyncio.to_thread(_publish, "before")  # before the client connected: not theirs
    hub = EventHub()
    opened_at = await asyncio.to_thread(latest_id)  # the socket is accepted here
    await asyncio.to_thread(_publish, "page")  # ...and a page goes out at once
    # The hub's tailer is not running, so only the catch-up from `opened_at` can find it:
    # before, a fresh stream began at the newest id and this page was behind it.
    caught = await _first(hub, opened_at)
    assert caught["kind"] == "page", "the page, not what came before the client connected"


def _connected_request() -> Request:
    """A GET whose client stays connected (its receive never says it left)."""
    async def receive() -> dict:  # type: ignore[type-arg]
        await asyncio.Event().wait()
        return {"type": "http.disconnect"}
    scope = {"type": "http", "method": "GET", "path": "/", "headers": [], "query_string": b""}
    return Request(scope, receive)


async def test_an_sse_event_between_the_accept_and_the_subscription_is_caught_up(
        fresh_db: str) -> None:
    await asyncio.to_thread(_publish, "before")  # before the client connected: not theirs
    hub = EventHub()
    # The route has accepted the request and answered with the response; the stream itself
    # subscribes only when the response starts to be sent. A page goes out in between.
    response = await sse_events(hub, [TOPIC], None, _connected_request(),
                                opening=lambda latest: ([], None))
    await asyncio.to_thread(_publish, "page")
    frames = response.body_iterator
    try:
        # No tailer runs: only the catch-up from the accept can find it.
        first = await asyncio.wait_for(anext(frames), timeout=10)  # type: ignore[arg-type]
    finally:
        await frames.aclose()  # type: ignore[union-attr]
    assert first["event"] == "page", first
