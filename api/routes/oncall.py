"""On-call schedules: rotas of layers and overrides, swaps, imports, and who is on call now or
at a moment. Every change wakes the schedule's watcher (hand-off notices, gap alarms)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from api.deps import Responder, Staff, TemporalDep, require
from api.errors import ERROR_RESPONSES
from services import oncall, oncall_import, oncall_queries, oncall_swaps
from services.errors import VigilError
from services.oncall_watching import ensure_watching
from services.principal import Principal
from services.schemas.oncall import (
    CalendarLinkPublic,
    ImportIn,
    ImportPublic,
    LayerIn,
    OnCallPublic,
    OverrideIn,
    ScheduleCreate,
    SchedulePublic,
    ShiftPublic,
    SwapIn,
    SwapPublic,
    Why,
)

router = APIRouter(tags=["on-call"], responses=ERROR_RESPONSES)
Rota = Annotated[Principal, Depends(require(*oncall.WRITERS))]
At = Annotated[datetime | None, Query(description="A moment (ISO 8601); default now.")]
Start = Annotated[datetime | None, Query(alias="start")]
End = Annotated[datetime | None, Query(alias="end")]
Reason = Annotated[str | None, Query(max_length=500)]
CALENDAR = {200: {"content": {"text/calendar": {}}}}


async def _changed(temporal: TemporalDep, schedule_id: str) -> dict:
    """Wake the schedule's watcher, then answer with the schedule as it now stands."""
    await ensure_watching(temporal, schedule_id)
    return await asyncio.to_thread(oncall_queries.read_schedule, schedule_id=schedule_id)


@router.get("/schedules", response_model=list[SchedulePublic])
def list_schedules(user: Staff, facility_id: str | None = None,
                   specialisation: str | None = None) -> list[dict]:
    """Every on-call schedule, optionally of one facility or team."""
    return oncall_queries.list_schedules(facility_id=facility_id, specialisation=specialisation)


@router.post("/schedules", status_code=201, response_model=SchedulePublic)
async def create_schedule(body: ScheduleCreate, user: Rota, temporal: TemporalDep) -> dict:
    """Create a schedule, with any layers."""
    schedule_id = await asyncio.to_thread(oncall.create_schedule, user=user, body=body)
    return await _changed(temporal, schedule_id)


@router.get("/schedules/{schedule_id}", response_model=SchedulePublic)
def read_schedule(schedule_id: str, user: Staff) -> dict:
    """One schedule with its layers and overrides."""
    return oncall_queries.read_schedule(schedule_id=schedule_id)


@router.post("/schedules/{schedule_id}/layers", status_code=201, response_model=SchedulePublic)
async def add_layer(schedule_id: str, body: LayerIn, user: Rota, temporal: TemporalDep) -> dict:
    """Add a rotation."""
    await asyncio.to_thread(oncall.add_layer, user=user, schedule_id=schedule_id, body=body)
    return await _changed(temporal, schedule_id)


@router.put("/schedules/{schedule_id}/layers/{layer_id}", response_model=SchedulePublic)
async def replace_layer(schedule_id: str, layer_id: str, body: LayerIn, user: Rota,
                        temporal: TemporalDep) -> dict:
    """Change a rotation."""
    await asyncio.to_thread(oncall.replace_layer, user=user, schedule_id=schedule_id,
                            layer_id=layer_id, body=body)
    return await _changed(temporal, schedule_id)


@router.delete("/schedules/{schedule_id}/layers/{layer_id}", response_model=SchedulePublic)
async def remove_layer(schedule_id: str, layer_id: str, user: Rota, temporal: TemporalDep,
                       reason: Reason = None) -> dict:
    """Take a rotation out."""
    await asyncio.to_thread(oncall.remove_layer, user=user, schedule_id=schedule_id,
                            layer_id=layer_id, reason=reason)
    return await _changed(temporal, schedule_id)


@router.post("/schedules/{schedule_id}/overrides", status_code=201, response_model=SchedulePublic)
async def add_override(schedule_id: str, body: OverrideIn, user: Rota,
                       temporal: TemporalDep) -> dict:
    """Put a named person on call for a time range (a swap, sick cover), over every layer."""
    await asyncio.to_thread(oncall.add_override, user=user, schedule_id=schedule_id, body=body)
    return await _changed(temporal, schedule_id)


@router.delete("/schedules/{schedule_id}/overrides/{override_id}", response_model=SchedulePublic)
async def remove_override(schedule_id: str, override_id: str, user: Rota, temporal: TemporalDep,
                          reason: Reason = None) -> dict:
    """Cancel an override."""
    await asyncio.to_thread(oncall.remove_override, user=user, schedule_id=schedule_id,
                            override_id=override_id, reason=reason)
    return await _changed(temporal, schedule_id)


@router.post("/schedules/{schedule_id}/import", status_code=201, response_model=ImportPublic)
async def import_calendar(schedule_id: str, body: ImportIn, user: Rota,
                          temporal: TemporalDep) -> dict:
    """Import an .ics file: repeating events become rotations, one-off events overrides."""
    made = await asyncio.to_thread(oncall_import.import_calendar, user=user,
                                   schedule_id=schedule_id, body=body)
    return {**made, "schedule": await _changed(temporal, schedule_id)}


@router.get("/schedules/{schedule_id}/swaps", response_model=list[SwapPublic])
def list_swaps(schedule_id: str, user: Staff, status: str | None = None) -> list[dict]:
    """The schedule's swaps, newest first (`status`: requested, accepted, declined, imposed)."""
    return oncall_swaps.list_swaps(schedule_id=schedule_id, status=status)


@router.post("/schedules/{schedule_id}/swaps", status_code=201, response_model=SwapPublic)
async def request_swap(schedule_id: str, body: SwapIn, user: Responder,
                       temporal: TemporalDep) -> dict:
    """Ask a colleague to cover your time; an admin may name whose time and `impose` it."""
    swap_id = await asyncio.to_thread(oncall_swaps.request_swap, user=user,
                                      schedule_id=schedule_id, body=body)
    if body.impose:
        await ensure_watching(temporal, schedule_id)
    return await asyncio.to_thread(oncall_swaps.read_swap, schedule_id=schedule_id,
                                   swap_id=swap_id)


@router.post("/schedules/{schedule_id}/swaps/{swap_id}/accept", response_model=SwapPublic)
async def accept_swap(schedule_id: str, swap_id: str, body: Why, user: Responder,
                      temporal: TemporalDep) -> dict:
    """The colleague asked takes the time: it becomes an override."""
    await asyncio.to_thread(oncall_swaps.accept_swap, user=user, schedule_id=schedule_id,
                            swap_id=swap_id, reason=body.reason)
    await ensure_watching(temporal, schedule_id)
    return await asyncio.to_thread(oncall_swaps.read_swap, schedule_id=schedule_id,
                                   swap_id=swap_id)


@router.post("/schedules/{schedule_id}/swaps/{swap_id}/decline", response_model=SwapPublic)
def decline_swap(schedule_id: str, swap_id: str, body: Why, user: Responder) -> dict:
    """The colleague declines, the person asking withdraws, or an admin closes it."""
    oncall_swaps.decline_swap(user=user, schedule_id=schedule_id, swap_id=swap_id,
                              reason=body.reason)
    return oncall_swaps.read_swap(schedule_id=schedule_id, swap_id=swap_id)


@router.get("/schedules/{schedule_id}/on-call", response_model=OnCallPublic)
def schedule_on_call(schedule_id: str, user: Staff, at: At = None) -> dict:
    """Who is on call for this schedule now (or at `at`), from which layer or override, until when."""
    return oncall_queries.on_call(schedule_id=schedule_id, at=at)


@router.get("/schedules/{schedule_id}/shifts", response_model=list[ShiftPublic])
def schedule_shifts(schedule_id: str, user: Staff, start: Start = None, end: End = None) -> list:
    """The schedule's shifts (default: the next 28 days); a gap has no person."""
    return oncall_queries.schedule_shifts(schedule_id=schedule_id, starts_at=start, ends_at=end)


@router.get("/schedules/{schedule_id}/calendar.ics", response_class=Response, responses=CALENDAR)
def schedule_calendar(schedule_id: str, user: Staff, start: Start = None,
                      end: End = None) -> Response:
    """The schedule's shifts as an iCalendar feed (default: the next 28 days)."""
    body = oncall_queries.calendar(schedule_id=schedule_id, starts_at=start, ends_at=end)
    return Response(body, media_type="text/calendar; charset=utf-8")


@router.get("/schedules/{schedule_id}/calendar-link", response_model=CalendarLinkPublic)
def schedule_calendar_link(schedule_id: str, user: Staff) -> dict:
    """A signed, expiring feed URL of the schedule that a calendar app subscribes to."""
    return oncall_queries.calendar_link(kind="schedule", ident=schedule_id)


@router.get("/on-call", response_model=list[OnCallPublic])
def on_call(user: Staff, facility_id: str | None = None, specialisation: str | None = None,
            at: At = None) -> list:
    """Who is on call for every schedule of a facility and/or a specialisation."""
    return oncall_queries.on_call_where(facility_id=facility_id, specialisation=specialisation,
                                        at=at)


@router.get("/on-call/people/{staff_id}/shifts", response_model=list[ShiftPublic])
def person_shifts(staff_id: str, user: Staff, start: Start = None, end: End = None) -> list:
    """A person's upcoming shifts on every schedule (default: the next 14 days)."""
    return oncall_queries.person_shifts(staff_id=staff_id, starts_at=start, ends_at=end)


@router.get("/on-call/people/{staff_id}/calendar-link", response_model=CalendarLinkPublic)
def person_calendar_link(staff_id: str, user: Staff) -> dict:
    """A signed, expiring feed URL of a person's own shifts (their own, or any for a
    coordinator or admin)."""
    if user.sub != staff_id and not user.has_any(oncall.WRITERS):
        raise VigilError(403, "forbidden", "Staff get their own feed; coordinators and admins "
                         "anyone's.")
    return oncall_queries.calendar_link(kind="staff", ident=staff_id)
