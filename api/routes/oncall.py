"""On-call schedules: rotas of layers and overrides, and who is on call now or at a moment."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from api.deps import Staff, require
from api.errors import ERROR_RESPONSES
from services import oncall, oncall_queries
from services.principal import Principal
from services.schemas.oncall import (
    LayerIn,
    OnCallPublic,
    OverrideIn,
    ScheduleCreate,
    SchedulePublic,
    ShiftPublic,
)

router = APIRouter(tags=["on-call"], responses=ERROR_RESPONSES)
Rota = Annotated[Principal, Depends(require(*oncall.WRITERS))]
At = Annotated[datetime | None, Query(description="A moment (ISO 8601); default now.")]
Start = Annotated[datetime | None, Query(alias="start")]
End = Annotated[datetime | None, Query(alias="end")]
Reason = Annotated[str | None, Query(max_length=500)]


@router.get("/schedules", response_model=list[SchedulePublic])
def list_schedules(user: Staff, facility_id: str | None = None,
                   specialisation: str | None = None) -> list[dict]:
    """Every on-call schedule, optionally of one facility or team."""
    return oncall_queries.list_schedules(facility_id=facility_id, specialisation=specialisation)


@router.post("/schedules", status_code=201, response_model=SchedulePublic)
def create_schedule(body: ScheduleCreate, user: Rota) -> dict:
    """Create a schedule, with any layers."""
    return oncall_queries.read_schedule(schedule_id=oncall.create_schedule(user=user, body=body))


@router.get("/schedules/{schedule_id}", response_model=SchedulePublic)
def read_schedule(schedule_id: str, user: Staff) -> dict:
    """One schedule with its layers and overrides."""
    return oncall_queries.read_schedule(schedule_id=schedule_id)


@router.post("/schedules/{schedule_id}/layers", status_code=201, response_model=SchedulePublic)
def add_layer(schedule_id: str, body: LayerIn, user: Rota) -> dict:
    """Add a rotation."""
    oncall.add_layer(user=user, schedule_id=schedule_id, body=body)
    return oncall_queries.read_schedule(schedule_id=schedule_id)


@router.put("/schedules/{schedule_id}/layers/{layer_id}", response_model=SchedulePublic)
def replace_layer(schedule_id: str, layer_id: str, body: LayerIn, user: Rota) -> dict:
    """Change a rotation."""
    oncall.replace_layer(user=user, schedule_id=schedule_id, layer_id=layer_id, body=body)
    return oncall_queries.read_schedule(schedule_id=schedule_id)


@router.delete("/schedules/{schedule_id}/layers/{layer_id}", response_model=SchedulePublic)
def remove_layer(schedule_id: str, layer_id: str, user: Rota, reason: Reason = None) -> dict:
    """Take a rotation out."""
    oncall.remove_layer(user=user, schedule_id=schedule_id, layer_id=layer_id, reason=reason)
    return oncall_queries.read_schedule(schedule_id=schedule_id)


@router.post("/schedules/{schedule_id}/overrides", status_code=201, response_model=SchedulePublic)
def add_override(schedule_id: str, body: OverrideIn, user: Rota) -> dict:
    """Put a named person on call for a time range (a swap, sick cover), over every layer."""
    oncall.add_override(user=user, schedule_id=schedule_id, body=body)
    return oncall_queries.read_schedule(schedule_id=schedule_id)


@router.delete("/schedules/{schedule_id}/overrides/{override_id}", response_model=SchedulePublic)
def remove_override(schedule_id: str, override_id: str, user: Rota, reason: Reason = None) -> dict:
    """Cancel an override."""
    oncall.remove_override(user=user, schedule_id=schedule_id, override_id=override_id,
                           reason=reason)
    return oncall_queries.read_schedule(schedule_id=schedule_id)


@router.get("/schedules/{schedule_id}/on-call", response_model=OnCallPublic)
def schedule_on_call(schedule_id: str, user: Staff, at: At = None) -> dict:
    """Who is on call for this schedule now (or at `at`), from which layer or override, until when."""
    return oncall_queries.on_call(schedule_id=schedule_id, at=at)


@router.get("/schedules/{schedule_id}/shifts", response_model=list[ShiftPublic])
def schedule_shifts(schedule_id: str, user: Staff, start: Start = None, end: End = None) -> list:
    """The schedule's shifts (default: the next 28 days); a gap has no person."""
    return oncall_queries.schedule_shifts(schedule_id=schedule_id, starts_at=start, ends_at=end)


@router.get("/schedules/{schedule_id}/calendar.ics", response_class=Response,
            responses={200: {"content": {"text/calendar": {}}}})
def schedule_calendar(schedule_id: str, user: Staff, start: Start = None,
                      end: End = None) -> Response:
    """The schedule's shifts as an iCalendar feed (default: the next 28 days)."""
    body = oncall_queries.calendar(schedule_id=schedule_id, starts_at=start, ends_at=end)
    return Response(body, media_type="text/calendar; charset=utf-8")


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
