"""The console's live feeds: the API's own SSE streams, read with the session cookie.

A browser's EventSource cannot send a bearer header, so each page listens here instead; every
route makes the same checks as the matching /api/v1 stream before it streams the same topic.
Rows arrive as plain `message` events (one handler in live_page.js whatever their kind).
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Header, Request
from sse_starlette.sse import EventSourceResponse

from api.console_session import ConsoleRefusal, session_principal
from api.deps import STAFF
from api.streams import sse_events
from events.topics import emergency_topic, session_topic
from services.emergencies import get_emergency
from services.errors import VigilError
from services.monitoring import check_access, get_session

router = APIRouter(prefix="/console", tags=["console"], include_in_schema=False)
LastEventId = Annotated[str | None, Header()]


async def _checked(check, *args) -> None:  # type: ignore[no-untyped-def]
    try:
        await asyncio.to_thread(check, *args)
    except VigilError as error:
        raise ConsoleRefusal.of(error)


@router.get("/emergencies/{emergency_id}/events")
async def emergency_events(request: Request, emergency_id: str,
                           last_event_id: LastEventId = None) -> EventSourceResponse:
    """The emergency's changes and deliveries, as GET /api/v1/emergencies/{id}/events."""
    session_principal(request, STAFF, f"/console/emergencies/{emergency_id}")
    await _checked(get_emergency, emergency_id)
    return await sse_events(request.app.state.hub, [emergency_topic(emergency_id)], last_event_id,
                            request, named=False)


def _session_check(session_id: str, user) -> None:  # type: ignore[no-untyped-def]
    check_access(get_session(session_id), user)


@router.get("/sessions/{session_id}/events")
async def session_events(request: Request, session_id: str,
                         last_event_id: LastEventId = None) -> EventSourceResponse:
    """Every reading, score and alarm change, as GET /api/v1/sessions/{id}/events."""
    user = session_principal(request, STAFF, f"/console/sessions/{session_id}")
    await _checked(_session_check, session_id, user)
    return await sse_events(request.app.state.hub, [session_topic(session_id)], last_event_id,
                            request, named=False)
