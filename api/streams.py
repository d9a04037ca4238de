"""Server-Sent Event streams over the event hub, resumable with Last-Event-ID."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from fastapi import Request
from sse_starlette.sse import EventSourceResponse

from api.errors import VigilError
from api.metrics import LIVE_CLIENTS, LIVE_EVENTS_SENT
from events.hub import EventHub


def resume_point(last_event_id: str | None) -> int:
    """The id after which a reconnecting client wants events (0: everything kept)."""
    if last_event_id in (None, ""):
        return 0
    try:
        value = int(last_event_id)  # type: ignore[arg-type]
    except ValueError:
        raise VigilError(400, "invalid_last_event_id", "Last-Event-ID must be an event id number.")
    if value < 0:
        raise VigilError(400, "invalid_last_event_id", "Last-Event-ID must not be negative.")
    return value


def sse_events(hub: EventHub, topics: list[str], last_event_id: str | None,
               request: Request) -> EventSourceResponse:
    """Stream `topics` as SSE: one event per row, its id the event id."""
    after = resume_point(last_event_id)

    async def events() -> AsyncIterator[dict]:
        LIVE_CLIENTS.labels(kind="sse").inc()
        try:
            async for event in hub.stream(topics, after):
                if await request.is_disconnected():
                    break
                LIVE_EVENTS_SENT.labels(kind="sse").inc()
                yield {"id": str(event["id"]), "event": event["kind"], "data": json.dumps(event)}
        finally:
            LIVE_CLIENTS.labels(kind="sse").dec()

    return EventSourceResponse(events(), ping=15)
