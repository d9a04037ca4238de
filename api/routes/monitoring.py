"""Monitoring sessions: start, feed readings (Vigil JSON or FHIR R4), steer, chart, watch, end."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Query, Request
from sse_starlette.sse import EventSourceResponse

from api.auth import Principal
from api.deps import HubDep, Responder, Staff, TemporalDep, require
from api.errors import ERROR_RESPONSES
from services.monitoring import (
    actor_for,
    check_access,
    forget_for_intake,
    get_session,
    list_sessions as sessions_for,
    live_state,
    readings_from_json,
    run_command,
    send_readings,
    intake_session,
    session_for_intake,
    read_session_as,
    start_session,
    time_series,
)
from services.fhir_intake import readings_from_fhir_body
from services.schemas.monitoring import (
    AlarmAckOut,
    EndBody,
    ReadingBatchIn,
    ReadingIn,
    ReadingsAccepted,
    SessionCreate,
    SessionDetail,
    SessionPublic,
    ThresholdsUpdate,
    TimeSeries,
)
from api.streams import sse_events
from events.topics import session_topic
from audit.chain import append as audit
from clinical.thresholds import Thresholds
from clinical.vitals import Reading
from db.engine import writing
from db.models import MonitoringSession
from workflows.monitoring import MonitoringSessionWorkflow as Wf
from workflows.monitoring_types import (
    AlarmAcknowledge,
    EndSession,
    SessionSummary,
    ThresholdsChange,
)

router = APIRouter(prefix="/sessions", tags=["monitoring"], responses=ERROR_RESPONSES)
Coordinator = Annotated[Principal, Depends(require("coordinator", "admin"))]
# The FHIR route reads its body itself (to parse it off the event loop); say what it takes.
FHIR_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {"application/json": {
    "schema": {"type": "object", "description": "A FHIR R4 Observation or Bundle"}}}}}


@router.post("", status_code=201, response_model=SessionPublic)
async def start(body: SessionCreate, user: Coordinator, client: TemporalDep,
                hub: HubDep) -> MonitoringSession:
    """Start monitoring a patient; thresholds are the monitoring type's defaults plus overrides."""
    return await start_session(client=client, hub=hub, body=body, user=user)


@router.get("", response_model=list[SessionPublic])
def list_sessions(user: Staff, patient_id: str | None = None, status: str | None = None,
                  limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[MonitoringSession]:
    """Newest first; providers see only the sessions they are on."""
    return sessions_for(user, patient_id=patient_id, status=status, limit=limit)


@router.get("/{session_id}", response_model=SessionDetail)
async def read_session(session_id: str, user: Staff, client: TemporalDep) -> dict[str, Any]:
    """One session with its live state (the read is audited)."""
    row = await asyncio.to_thread(read_session_as, user, session_id)
    return {**row.model_dump(), "live": await live_state(client, row)}


@router.post("/{session_id}/readings", status_code=202, response_model=ReadingsAccepted)
async def add_readings(session_id: str, user: Responder, client: TemporalDep,
                       body: Annotated[ReadingBatchIn | ReadingIn, Body()]) -> ReadingsAccepted:
    """One reading or {"readings": [...]}; one bad value rejects the whole request, naming it."""
    row = await intake_session(session_id)
    check_access(row, user, write=True)
    accepted = await send_readings(client=client, row=row, readings=readings_from_json(body, row))
    return ReadingsAccepted(session_id=session_id, accepted=accepted)


def _fhir_intake(session_id: str, user: Principal, body: bytes) -> tuple[MonitoringSession,
                                                                           list[Reading]]:
    row = session_for_intake(session_id)
    check_access(row, user, write=True)
    return row, readings_from_fhir_body(body, row)


@router.post("/{session_id}/readings/fhir", status_code=202, response_model=ReadingsAccepted,
             openapi_extra=FHIR_BODY)
async def add_fhir_readings(session_id: str, user: Responder, client: TemporalDep,
                            request: Request) -> ReadingsAccepted:
    """A FHIR R4 Observation or Bundle of vital-sign Observations (LOINC coded), up to 500."""
    # Parsed in a worker thread: a large Bundle must not stop the API answering others.
    row, readings = await asyncio.to_thread(_fhir_intake, session_id, user, await request.body())
    accepted = await send_readings(client=client, row=row, readings=readings)
    return ReadingsAccepted(session_id=session_id, accepted=accepted)


@router.get("/{session_id}/readings", response_model=TimeSeries)
def readings(session_id: str, user: Staff, since: datetime | None = None,
             until: datetime | None = None,
             limit: Annotated[int, Query(ge=1, le=10_000)] = 2000) -> dict[str, Any]:
    """Stored readings as a time series for charting, oldest first (the read is audited)."""
    row = get_session(session_id)
    check_access(row, user)
    with writing() as session:
        audit(session, actor=user.sub, action="patient_data.read", subject=session_id,
              detail={"patient_id": row.patient_id, "what": "readings"})
    return time_series(session_id, since, until, limit)


@router.put("/{session_id}/thresholds", response_model=Thresholds)
async def change_thresholds(session_id: str, body: ThresholdsUpdate, user: Responder,
                            client: TemporalDep) -> Thresholds:
    """Change limits mid-session; nonsense is refused with the field and the reason."""
    row = await asyncio.to_thread(get_session, session_id)
    cmd = ThresholdsChange(actor=await actor_for(user), overrides=body.overrides, reason=body.reason)
    return await run_command(client=client, row=row, update=Wf.change_thresholds, arg=cmd)


@router.post("/{session_id}/alarms/{key}/acknowledge", response_model=AlarmAckOut)
async def acknowledge_alarm(session_id: str, key: str, user: Responder,
                            client: TemporalDep) -> AlarmAckOut:
    """Silence one active alarm for the session's acknowledgement window."""
    row = await asyncio.to_thread(get_session, session_id)
    cmd = AlarmAcknowledge(actor=await actor_for(user), key=key)
    result = await run_command(client=client, row=row, update=Wf.acknowledge, arg=cmd)
    return AlarmAckOut(session_id=session_id, key=result.key,
                       acknowledged_until=result.acknowledged_until,
                       time_to_acknowledge_s=result.time_to_acknowledge_s)


@router.post("/{session_id}/end", response_model=SessionSummary)
async def end(session_id: str, user: Coordinator, client: TemporalDep,
              body: EndBody | None = None) -> SessionSummary:
    """End the session: every waiting reading is scored and stored, then the summary."""
    row = await asyncio.to_thread(get_session, session_id)
    cmd = EndSession(actor=await actor_for(user), reason=(body or EndBody()).reason)
    summary = await run_command(client=client, row=row, update=Wf.end, arg=cmd)
    forget_for_intake(session_id)
    return summary


@router.get("/{session_id}/events")
async def session_events(session_id: str, user: Staff, hub: HubDep, request: Request,
                         last_event_id: Annotated[str | None, Header()] = None
                         ) -> EventSourceResponse:
    """Server-Sent Events of every reading, score and alarm change; resumes from Last-Event-ID."""
    check_access(await asyncio.to_thread(get_session, session_id), user)
    return await sse_events(hub, [session_topic(session_id)], last_event_id, request)
