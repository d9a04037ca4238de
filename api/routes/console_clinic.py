"""The console's clinic board: today's appointments at a facility, live from its stream.

Staff only, as GET /api/v1/appointments/facilities/{id}/events; the rows come from the same
`list_for` as GET /api/v1/appointments, and each change on the facility's topic redraws them.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Header, Request
from fastapi.responses import HTMLResponse
from sse_starlette.sse import EventSourceResponse

from api.console_session import as_page, render, session_principal
from api.permissions import STAFF
from api.streams import sse_events
from events.topics import facility_appointments_topic
from services.appointments import list_for
from services.directory_reads import facilities

router = APIRouter(prefix="/console/clinic", tags=["console"], include_in_schema=False)
BOARD_MAX = 500
LastEventId = Annotated[str | None, Header()]


def todays(rows: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """The appointments that start today where they happen (in their own time zone)."""
    board = []
    for row in rows:
        zone = ZoneInfo(row["time_zone"])
        local = row["starts_at"].astimezone(zone)
        if local.date() == now.astimezone(zone).date():
            board.append({**row, "local_start": local,
                          "local_end": row["ends_at"].astimezone(zone)})
    return board


@router.get("/{facility_id}")
def board(request: Request, facility_id: str) -> HTMLResponse:
    """Today's appointments at the facility, soonest first, with their status."""
    user = session_principal(request, STAFF, f"/console/clinic/{facility_id}")
    with as_page():
        rows = list_for(user, patient_id=None, facility_id=facility_id, status=None,
                        limit=BOARD_MAX)
    return render(request, "clinic.html", {
        "user": user, "facility_id": facility_id, "facilities": facilities(),
        "appointments": todays(rows, datetime.now(timezone.utc))})


@router.get("/{facility_id}/events")
async def board_events(request: Request, facility_id: str,
                       last_event_id: LastEventId = None) -> EventSourceResponse:
    """Every appointment change at the facility (the API's clinic-board stream)."""
    session_principal(request, STAFF, f"/console/clinic/{facility_id}")
    return await sse_events(request.app.state.hub, [facility_appointments_topic(facility_id)],
                            last_event_id, request, named=False)
