"""The Ramadan calendar: admins set each Hijri year's sighted dates; staff read it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from api.deps import require
from api.errors import ERROR_RESPONSES
from services import ramadan_calendar
from services.principal import Principal
from services.schemas.calendar import RamadanDatesIn, RamadanDatesPublic

router = APIRouter(prefix="/ramadan-calendar", tags=["medication"], responses=ERROR_RESPONSES)
Admin = Annotated[Principal, Depends(require("admin"))]
Staff = Annotated[Principal, Depends(require("provider", "coordinator", "admin", "auditor"))]


@router.get("", response_model=list[RamadanDatesPublic])
def read_calendar(user: Staff, from_year: int | None = None,
                  to_year: int | None = None) -> list[RamadanDatesPublic]:
    """Ramadan per Hijri year (this year and the next two by default): sighted or computed."""
    first = from_year if from_year is not None else ramadan_calendar.this_hijri_year()
    return ramadan_calendar.calendar(from_year=first,
                                     to_year=to_year if to_year is not None else first + 2)


@router.put("/{hijri_year}", response_model=RamadanDatesPublic)
def set_dates(hijri_year: int, body: RamadanDatesIn, user: Admin) -> RamadanDatesPublic:
    """Set one year's dates as announced; medication schedules use them from their next day."""
    return ramadan_calendar.set_dates(hijri_year=hijri_year, body=body, principal=user)


@router.delete("/{hijri_year}", response_model=RamadanDatesPublic)
def clear_dates(hijri_year: int, user: Admin) -> RamadanDatesPublic:
    """Forget one year's sighted dates: the computed ones apply again."""
    return ramadan_calendar.clear_dates(hijri_year=hijri_year, principal=user)
