"""Emergencies: raise one, list and read them, and steer them (acknowledge, resolve, ...)."""

from __future__ import annotations

import asyncio
import re
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from sqlmodel import col, select
from sse_starlette.sse import EventSourceResponse

from services.emergency_reads import emergency_detail
from services.emergencies import (
    actor_for,
    create_emergency,
    find_colleague,
    get_emergency,
    run_command,
)
from api.deps import HubDep, Responder, Staff, TemporalDep
from api.errors import ERROR_RESPONSES, VigilError
from api.metrics import EMERGENCIES_CREATED
from services.schemas.emergencies import (
    IDEMPOTENCY_KEY,
    AcknowledgeBody,
    CancelBody,
    CommandOutcome,
    EmergencyCreate,
    EmergencyDetail,
    EmergencyPublic,
    EscalateBody,
    HandOverBody,
    ResolveBody,
    Severity,
)
from api.streams import sse_events
from events.topics import emergency_topic
from db.engine import reading
from db.models import Emergency
from workflows.emergency import EmergencyEscalationWorkflow as Wf
from workflows.emergency_types import (
    AcknowledgeInput,
    CancelInput,
    EscalateInput,
    HandOverInput,
    ResolveInput,
)

router = APIRouter(prefix="/emergencies", tags=["emergencies"], responses=ERROR_RESPONSES)


@router.post("", status_code=201, response_model=EmergencyPublic)
async def raise_emergency(body: EmergencyCreate, user: Responder, client: TemporalDep,
                          hub: HubDep, response: Response,
                          idempotency_key: Annotated[str | None, Header()] = None) -> Emergency:
    """Raise an emergency; the same idempotency key returns the first one and pages nobody."""
    key = body.idempotency_key or idempotency_key
    if not key:
        raise VigilError(422, "invalid_request", "idempotency_key (or an Idempotency-Key header) is required.")
    if body.idempotency_key and idempotency_key and body.idempotency_key != idempotency_key:
        raise VigilError(422, "invalid_request", "The body and header idempotency keys differ.")
    if not re.fullmatch(IDEMPOTENCY_KEY, key):
        raise VigilError(422, "invalid_request", "The idempotency key may use letters, digits and ._:- (1-100).")
    row, created = await create_emergency(client=client, hub=hub, body=body, key=key, user=user)
    if created:
        EMERGENCIES_CREATED.labels(severity=body.severity).inc()
    else:
        response.status_code = 200
    return row


@router.get("", response_model=list[EmergencyPublic])
def list_emergencies(user: Staff, status: str | None = None, severity: Severity | None = None,
                     facility_id: str | None = None,
                     limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[Emergency]:
    """Newest first, filtered by status, severity or facility."""
    query = select(Emergency).order_by(col(Emergency.created_at).desc()).limit(limit)
    if status:
        query = query.where(Emergency.status == status)
    if severity:
        query = query.where(Emergency.severity == severity)
    if facility_id:
        query = query.where(Emergency.facility_id == facility_id)
    with reading() as session:
        return list(session.exec(query).all())


@router.get("/{emergency_id}", response_model=EmergencyDetail)
def read_emergency(emergency_id: str, user: Staff) -> dict:
    """One emergency with every delivery attempt made for it (the read is audited)."""
    return emergency_detail(emergency_id=emergency_id, user=user)


@router.get("/{emergency_id}/events")
async def emergency_events(emergency_id: str, user: Staff, hub: HubDep, request: Request,
                           last_event_id: Annotated[str | None, Header()] = None) -> EventSourceResponse:
    """Server-Sent Events of this emergency's changes and deliveries; resumes from Last-Event-ID."""
    await asyncio.to_thread(get_emergency, emergency_id)
    return await sse_events(hub, [emergency_topic(emergency_id)], last_event_id, request)


def _outcome(emergency_id: str, result) -> CommandOutcome:  # type: ignore[no-untyped-def]
    return CommandOutcome(emergency_id=emergency_id, status=getattr(result, "status", "acknowledged"),
                          owner_id=result.owner_id, owner_name=result.owner_name)


@router.post("/{emergency_id}/acknowledge", response_model=CommandOutcome)
async def acknowledge(emergency_id: str, user: Responder, client: TemporalDep,
                      body: AcknowledgeBody | None = None) -> CommandOutcome:
    """Take the emergency. 409 names who already has it; 403 if you were never paged."""
    cmd = AcknowledgeInput(actor=await actor_for(user), via=(body or AcknowledgeBody()).via)
    result = await run_command(client=client, emergency_id=emergency_id, update=Wf.acknowledge, arg=cmd)
    return _outcome(emergency_id, result)


@router.post("/{emergency_id}/resolve", response_model=CommandOutcome)
async def resolve(emergency_id: str, body: ResolveBody, user: Responder,
                  client: TemporalDep) -> CommandOutcome:
    """Close the emergency with its outcome."""
    cmd = ResolveInput(actor=await actor_for(user), outcome=body.outcome)
    return _outcome(emergency_id, await run_command(
        client=client, emergency_id=emergency_id, update=Wf.resolve, arg=cmd))


@router.post("/{emergency_id}/cancel", response_model=CommandOutcome)
async def cancel(emergency_id: str, body: CancelBody, user: Responder,
                 client: TemporalDep) -> CommandOutcome:
    """Cancel a false alarm, with the reason; everyone paged is stood down."""
    cmd = CancelInput(actor=await actor_for(user), reason=body.reason)
    return _outcome(emergency_id, await run_command(
        client=client, emergency_id=emergency_id, update=Wf.cancel, arg=cmd))


@router.post("/{emergency_id}/hand-over", response_model=CommandOutcome)
async def hand_over(emergency_id: str, body: HandOverBody, user: Responder,
                    client: TemporalDep) -> CommandOutcome:
    """Hand the emergency to a named colleague, who is paged with it."""
    colleague = await asyncio.to_thread(find_colleague, body.to_staff_id)
    cmd = HandOverInput(actor=await actor_for(user), to_staff_id=colleague.id, to_name=colleague.name,
                        note=body.note)
    return _outcome(emergency_id, await run_command(
        client=client, emergency_id=emergency_id, update=Wf.hand_over, arg=cmd))


@router.post("/{emergency_id}/escalate", response_model=CommandOutcome)
async def escalate(emergency_id: str, user: Responder, client: TemporalDep,
                   body: EscalateBody | None = None) -> CommandOutcome:
    """Page the next tier now."""
    cmd = EscalateInput(actor=await actor_for(user), reason=(body or EscalateBody()).reason)
    return _outcome(emergency_id, await run_command(
        client=client, emergency_id=emergency_id, update=Wf.escalate_now, arg=cmd))
