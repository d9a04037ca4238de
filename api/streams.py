"""Server-Sent Event streams over the event hub, resumable with Last-Event-ID.

Resuming: the client's last seen id (Last-Event-ID, or the WebSocket's
`last_event_id`) is where the stream picks up; everything after it is paged
out of the log, oldest first, however much there is, then the stream goes
live. An id ahead of the log, including one too large for any database
integer, is answered "from now" with a `notice`. No id (or 0) means the client
has seen nothing: a subject's stream replays its whole story; an inbox replays
only what is still open (services/inbox.py).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from typing import Any

from fastapi import Request
from sse_starlette.sse import EventSourceResponse

from api.errors import VigilError
from api.metrics import LIVE_CLIENTS, LIVE_EVENTS_SENT
from events.hub import EventHub, Notice, Opening, latest_id


def resume_point(last_event_id: str | None) -> int | None:
    """The id after which a reconnecting client wants events; None when it has seen none."""
    if last_event_id is None or last_event_id.strip() in ("", "0"):
        return None
    # ASCII digits only: int() would also take "+5", "1_000" and other scripts' digits.
    if not re.fullmatch(r"[0-9]{1,100}", last_event_id.strip()):
        raise VigilError(400, "invalid_last_event_id",
                         "Last-Event-ID must be an event id: a non-negative whole number.")
    return int(last_event_id) or None


def notice_body(notice: Notice) -> dict[str, Any]:
    """A notice as the client reads it: why its stream is not what it asked for."""
    return {"code": notice.code, "message": notice.message, "last_event_id": notice.last_event_id}


async def sse_events(hub: EventHub, topics: list[str], last_event_id: str | None,
                     request: Request, *, opening: Opening | None = None,
                     named: bool = True) -> EventSourceResponse:
    """Stream `topics` as SSE: one event per row, its id the event id; notices as `notice`.

    `named=False` sends rows as plain `message` events (the kind stays in the data): the
    console's pages listen with one handler whatever the kind.
    The newest id is read as the request is accepted: the stream subscribes only once the
    response has started, and an event published in between is caught up, not lost (a stream
    with an opening otherwise goes live from the newest id at subscribing)."""
    after = resume_point(last_event_id)
    opened_at = (await asyncio.to_thread(latest_id)
                 if after is None and opening is not None else None)

    async def events() -> AsyncIterator[dict]:
        LIVE_CLIENTS.labels(kind="sse").inc()
        try:
            async for item in hub.stream(topics, after, opening=opening,
                                         opened_at=opened_at):
                if await request.is_disconnected():
                    break
                if isinstance(item, Notice):
                    frame = {"event": "notice", "data": json.dumps(notice_body(item))}
                    if item.last_event_id is not None:  # the browser resumes from here next time
                        frame["id"] = str(item.last_event_id)
                    yield frame
                    continue
                LIVE_EVENTS_SENT.labels(kind="sse").inc()
                frame = {"id": str(item["id"]), "data": json.dumps(item)}
                if named:
                    frame["event"] = item["kind"]
                yield frame
        finally:
            LIVE_CLIENTS.labels(kind="sse").dec()

    return EventSourceResponse(events(), ping=15)
