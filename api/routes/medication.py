"""Medication schedules: create, read, steer, confirm doses, adherence, watch."""

from __future__ import annotations

import asyncio

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Query, Request
from sse_starlette.sse import EventSourceResponse

from api.auth import Principal
from api.deps import CurrentUser, HubDep, TemporalDep, require
from api.errors import ERROR_RESPONSES
from api.streams import sse_events
from db.models import MedicationSchedule
from events.topics import medication_topic
from services.dose_confirmations import confirm_dose
from services.medication import (
    actor_for,
    check_schedule,
    check_read,
    get_schedule,
    list_schedules,
    live_state,
    medications_from,
    read_adherence,
    read_schedule_as,
    reminders_from,
    run_command,
    schedule_from,
    start_schedule,
)
from services.medication_fhir import start_from_fhir
from services.schemas.medication import ChangeBody, ConfirmBody, ScheduleCreate, SteerBody
from workflows.medication import MedicationScheduleWorkflow as Wf
from workflows.medication_types import ChangeTerms, ConfirmResult, SteerCommand

router = APIRouter(prefix="/medication-schedules", tags=["medication"],
                   responses=ERROR_RESPONSES)
Coordinator = Annotated[Principal, Depends(require("coordinator", "admin"))]


@router.post("", status_code=201, response_model=MedicationSchedule)
async def create(body: ScheduleCreate, user: Coordinator, client: TemporalDep,
                 hub: HubDep) -> MedicationSchedule:
    """Start a schedule; an impossible one is a 422 naming the field, and nothing starts."""
    return await start_schedule(client=client, hub=hub, body=body, user=user)


@router.post("/fhir", status_code=201, response_model=MedicationSchedule)
async def create_fhir(payload: Annotated[dict[str, Any], Body()], user: Coordinator,
                      client: TemporalDep, hub: HubDep) -> MedicationSchedule:
    """Start a schedule from a FHIR R4 MedicationRequest; a Timing Vigil cannot follow is a 422."""
    return await start_from_fhir(client=client, hub=hub, payload=payload, user=user)


@router.get("", response_model=list[MedicationSchedule])
def list_all(user: CurrentUser, patient_id: str | None = None, status: str | None = None,
             limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[MedicationSchedule]:
    """Newest first; patients and caregivers see their own only."""
    return list_schedules(user, patient_id, status, limit)


@router.get("/{schedule_id}")
async def read(schedule_id: str, user: CurrentUser, client: TemporalDep) -> dict[str, Any]:
    """One schedule with its live state: open dose, next dose, adherence (read audited)."""
    row = await asyncio.to_thread(read_schedule_as, user, schedule_id, "schedule")
    return {**row.model_dump(), "live": await live_state(client, row)}


@router.post("/{schedule_id}/doses/confirm", response_model=ConfirmResult)
async def confirm(schedule_id: str, body: ConfirmBody, user: CurrentUser,
                  client: TemporalDep) -> ConfirmResult:
    """Taken or skipped (with a reason); a caregiver or staff confirm on the patient's behalf."""
    return await confirm_dose(client=client, user=user, schedule_id=schedule_id,
                              dose_id=body.dose_id, outcome=body.outcome, reason=body.reason,
                              via=body.via)


async def _steer(client: Any, user: Principal, schedule_id: str, update: Any,
                 body: SteerBody | None) -> dict[str, str]:
    """Pause, resume or stop: the same command, with the actor and their reason."""
    row = await asyncio.to_thread(get_schedule, schedule_id)
    cmd = SteerCommand(await asyncio.to_thread(actor_for, user, row), (body or SteerBody()).reason)
    return {"status": await run_command(client=client, row=row, update=update, arg=cmd)}


@router.post("/{schedule_id}/pause")
async def pause(schedule_id: str, user: Coordinator, client: TemporalDep,
                body: SteerBody | None = None) -> dict[str, str]:
    """No reminders until resumed; an open dose is closed as paused and never counted."""
    return await _steer(client, user, schedule_id, Wf.pause, body)


@router.post("/{schedule_id}/resume")
async def resume(schedule_id: str, user: Coordinator, client: TemporalDep,
                 body: SteerBody | None = None) -> dict[str, str]:
    """Remind again from the next dose after now."""
    return await _steer(client, user, schedule_id, Wf.resume, body)


@router.put("/{schedule_id}")
async def change(schedule_id: str, body: ChangeBody, user: Coordinator,
                 client: TemporalDep) -> dict[str, str]:
    """New medications, schedule or reminders from the next dose; the one in flight keeps its."""
    row = await asyncio.to_thread(get_schedule, schedule_id)
    schedule = schedule_from(body.schedule) if body.schedule else None
    if schedule is not None:
        check_schedule(schedule, row.preferences["zone"])
    cmd = ChangeTerms(await asyncio.to_thread(actor_for, user, row),
                      medications_from(body.medications) if body.medications else None,
                      schedule, reminders_from(body.reminders) if body.reminders else None,
                      body.reason)
    return {"status": await run_command(client=client, row=row, update=Wf.change, arg=cmd)}


@router.post("/{schedule_id}/stop")
async def stop(schedule_id: str, user: Coordinator, client: TemporalDep,
               body: SteerBody | None = None) -> dict[str, str]:
    """End the schedule; an open dose is closed as stopped and never counted."""
    return await _steer(client, user, schedule_id, Wf.stop, body)


@router.get("/{schedule_id}/adherence")
async def schedule_adherence(schedule_id: str, user: CurrentUser) -> dict[str, Any]:
    """Taken on time, late, skipped and missed per medication over 7 and 30 days."""
    await asyncio.to_thread(read_schedule_as, user, schedule_id, "adherence")
    return {"schedule_id": schedule_id,
            "last_7_days": await read_adherence(schedule_id=schedule_id, days=7),
            "last_30_days": await read_adherence(schedule_id=schedule_id, days=30)}


@router.get("/{schedule_id}/events")
async def events(schedule_id: str, user: CurrentUser, hub: HubDep, request: Request,
                 last_event_id: Annotated[str | None, Header()] = None) -> EventSourceResponse:
    """Server-Sent Events of every reminder, confirmation and change; resumes from Last-Event-ID."""
    await asyncio.to_thread(lambda: check_read(get_schedule(schedule_id), user))
    return await sse_events(hub, [medication_topic(schedule_id)], last_event_id, request)
