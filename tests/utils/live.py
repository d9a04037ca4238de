"""Live clients for tests: a staff WebSocket and an SSE reader, over real sockets."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

from tests.utils.api import token


@asynccontextmanager
async def staff_socket(ws_url: str, staff_id: str, *, last_event_id: int | None = None,
                       roles: tuple[str, ...] = ("provider",)) -> AsyncIterator[ClientConnection]:
    url = f"{ws_url}?token={token(staff_id, *roles)}"
    if last_event_id is not None:
        url += f"&last_event_id={last_event_id}"
    async with connect(url) as ws:
        yield ws


async def next_frame(ws: ClientConnection, *, timeout_s: float = 10, **match: Any) -> dict[str, Any]:
    """The next frame whose top level or payload matches every `match` item."""
    async def find() -> dict[str, Any]:
        while True:
            frame = json.loads(await ws.recv())
            payload = frame.get("payload", {})
            if all(frame.get(k, payload.get(k)) == v for k, v in match.items()):
                return frame
    return await asyncio.wait_for(find(), timeout_s)


async def sse_events(client: httpx.AsyncClient, path: str, *, count: int, timeout_s: float = 10,
                     last_event_id: str | None = None,
                     skip: frozenset[str] = frozenset()) -> list[dict[str, Any]]:
    """Read `count` SSE events from `path`, passing over kinds in `skip` (then hang up)."""
    headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
    events: list[dict[str, Any]] = []

    async def read() -> None:
        async with client.stream("GET", path, headers=headers) as response:
            assert response.status_code == 200, await response.aread()
            current: dict[str, Any] = {}
            async for line in response.aiter_lines():
                if line.startswith("id:"):
                    current["id"] = line[3:].strip()
                elif line.startswith("event:"):
                    current["event"] = line[6:].strip()
                elif line.startswith("data:"):
                    current["data"] = json.loads(line[5:].strip())
                elif line == "" and "data" in current:
                    if current.get("event") not in skip:
                        events.append(current)
                    current = {}
                    if len(events) >= count:
                        return

    await asyncio.wait_for(read(), timeout_s)
    return events


class SseReader:
    """One open SSE response, read an event at a time (so a test can act between events)."""

    def __init__(self, lines: AsyncIterator[str]) -> None:
        self._lines = lines

    async def next(self, *, timeout_s: float = 10) -> dict[str, Any]:
        async def read() -> dict[str, Any]:
            current: dict[str, Any] = {}
            async for line in self._lines:
                if line.startswith("id:"):
                    current["id"] = line[3:].strip()
                elif line.startswith("event:"):
                    current["event"] = line[6:].strip()
                elif line.startswith("data:"):
                    current["data"] = json.loads(line[5:].strip())
                elif line == "" and "data" in current:
                    return current
            raise AssertionError("the stream ended")
        return await asyncio.wait_for(read(), timeout_s)


@asynccontextmanager
async def open_sse(client: httpx.AsyncClient, path: str, *,
                   last_event_id: str | None = None) -> AsyncIterator[SseReader]:
    headers = {"Last-Event-ID": last_event_id} if last_event_id is not None else {}
    async with client.stream("GET", path, headers=headers) as response:
        assert response.status_code == 200, await response.aread()
        yield SseReader(response.aiter_lines())


def publish_to(topic: str, kind: str, payloads: list[dict[str, Any]]) -> list[int]:
    """Append events to the shared event log, as a worker would; their ids, in order."""
    from db.engine import writing
    from events.publish import publish

    with writing() as session:
        return [publish(session, topic=topic, kind=kind, payload=p).id for p in payloads]  # type: ignore[misc]
