"""Appointments: book, list, read, apply SPEC §2 updates, and watch one or a facility's board."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Query, Request
from sse_starlette.sse import EventSourceResponse

from api.deps import CurrentUser, HubDep, PatientUser, Responder, Staff, TemporalDep
from api.errors import ERROR_RESPONSES
from api.streams import sse_events
from events.topics import appointment_topic, facility_appointments_topic
from services.appointment_replies import check_own, reply_as
from services.appointments import (
    apply_update,
    book,
    book_from_fhir,
    check_stream,
    get_row,
    list_for,
    read_as,
    update_from_fhir,
)
from services.schemas.appointments import (
    AppointmentCreate,
    AppointmentPublic,
    AppointmentReplyIn,
    ReplyApplied,
    AppointmentUpdateIn,
    FhirApplied,
    UpdateApplied,
)

router = APIRouter(prefix="/appointments", tags=["appointments"], responses=ERROR_RESPONSES)


@router.post("", status_code=201, response_model=AppointmentPublic)
async def create(body: AppointmentCreate, user: Responder, client: TemporalDep,
                 hub: HubDep) -> Any:
    """Book an appointment: its workflow reminds, fans out every update and notices a no-show."""
    return await book(client=client, hub=hub, body=body, user=user)


@router.post("/fhir", status_code=201, response_model=AppointmentPublic)
async def create_fhir(payload: Annotated[dict[str, Any], Body()], user: Responder,
                      client: TemporalDep, hub: HubDep) -> Any:
    """Book from a FHIR R4 Appointment (proposed/pending or booked)."""
    return await book_from_fhir(client=client, hub=hub, payload=payload, user=user)


@router.put("/{appointment_id}/fhir", response_model=FhirApplied)
async def update_fhir(appointment_id: str, payload: Annotated[dict[str, Any], Body()],
                      user: Responder, client: TemporalDep) -> FhirApplied:
    """Apply what a FHIR R4 Appointment changes (status, times, practitioner, room), in order."""
    results = await update_from_fhir(client=client, appointment_id=appointment_id,
                                     payload=payload, user=user)
    status = results[-1].status if results else (
        await asyncio.to_thread(get_row, appointment_id)).status
    return FhirApplied(id=appointment_id, applied=[r.update for r in results], status=status)


@router.get("")
def list_appointments(user: CurrentUser, patient_id: str | None = None,
                      facility_id: str | None = None, status: str | None = None,
                      limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[dict[str, Any]]:
    """Soonest first; a patient or caregiver lists one patient they may see."""
    return list_for(user, patient_id=patient_id, facility_id=facility_id, status=status,
                    limit=limit)


@router.get("/{appointment_id}")
def read(appointment_id: str, user: CurrentUser) -> dict[str, Any]:
    """One appointment; caregivers see where and when only (the read is audited)."""
    return read_as(user, appointment_id)


@router.post("/{appointment_id}/updates", response_model=UpdateApplied)
async def update(appointment_id: str, body: AppointmentUpdateIn, user: Responder,
                 client: TemporalDep) -> UpdateApplied:
    """Apply one update; one that makes no sense in the current state is a 409 and changes nothing."""
    result = await apply_update(client=client, appointment_id=appointment_id, body=body, user=user)
    return UpdateApplied(id=appointment_id, status=result.status, update=result.update,
                         starts_at=result.starts_at)


@router.post("/{appointment_id}/reply", response_model=ReplyApplied)
async def reply(appointment_id: str, body: AppointmentReplyIn, user: PatientUser,
                client: TemporalDep) -> ReplyApplied:
    """The patient confirms, or asks to reschedule (the clinic's coordinators are told)."""
    row = await asyncio.to_thread(check_own, user, appointment_id)
    result = await reply_as(client=client, appointment_id=appointment_id,
                            patient_id=row.patient_id, answer=body.answer, via="app")
    return ReplyApplied(id=appointment_id, status=result.status, answer=result.answer,
                        starts_at=result.starts_at)


@router.get("/{appointment_id}/events")
async def appointment_events(appointment_id: str, user: CurrentUser, hub: HubDep, request: Request,
                             last_event_id: Annotated[str | None, Header()] = None
                             ) -> EventSourceResponse:
    """Server-Sent Events of one appointment's updates, reminders and deliveries."""
    await asyncio.to_thread(check_stream, user, appointment_id)
    return await sse_events(hub, [appointment_topic(appointment_id)], last_event_id, request)


@router.get("/facilities/{facility_id}/events")
async def board_events(facility_id: str, user: Staff, hub: HubDep, request: Request,
                       last_event_id: Annotated[str | None, Header()] = None) -> EventSourceResponse:
    """Server-Sent Events of every appointment change at a facility: the clinic board."""
    return await sse_events(hub, [facility_appointments_topic(facility_id)], last_event_id, request)
