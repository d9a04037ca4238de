"""Live, less detailed updates for a patient's authorised family (and the patient)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request
from sse_starlette.sse import EventSourceResponse

from api.deps import CurrentUser, HubDep
from api.errors import ERROR_RESPONSES, VigilError
from api.streams import sse_events
from events.topics import family_topic

router = APIRouter(prefix="/patients", tags=["family"], responses=ERROR_RESPONSES)


@router.get("/{patient_id}/updates")
async def family_updates(patient_id: str, user: CurrentUser, hub: HubDep, request: Request,
                         last_event_id: Annotated[str | None, Header()] = None) -> EventSourceResponse:
    """Short status updates for one patient. Family see only patients their token names:
    emergency status for the patient, and a monitoring session's updates when that session
    lists them among its family viewers."""
    staff = user.has_any(("provider", "coordinator", "admin"))
    own = user.has_any(("family", "patient")) and patient_id in user.patients
    if not (staff or own):
        raise VigilError(403, "forbidden", "You are not authorised for this patient.")
    topics = [family_topic(patient_id)]
    if own:
        topics.append(family_topic(patient_id, user.sub))
    return sse_events(hub, topics, last_event_id, request)
