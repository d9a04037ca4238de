"""Bodies and answers of the on-call schedule API (rotas: clinical/oncall.py)."""

from __future__ import annotations

from datetime import datetime, time
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from services.schemas.emergencies import Utc

ID = r"^[A-Za-z0-9._-]+$"
Turn = Literal["daily", "weekly", "12h", "custom"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Why(Strict):
    reason: str | None = Field(None, max_length=500, description="Why: kept in the audit log.")


class WindowIn(Strict):
    days: list[int] = Field(min_length=1, max_length=7, description="Days it opens, 0 = Monday.")
    opens: time = Field(description="Local time it opens, e.g. 20:00.")
    closes: time = Field(description="Local time it closes; at or before `opens`: the next day.")

    @field_validator("days")
    @classmethod
    def _weekdays(cls, value: list[int]) -> list[int]:
        if any(day < 0 or day > 6 for day in value) or len(set(value)) != len(value):
            raise ValueError("days are distinct numbers 0 (Monday) to 6 (Sunday)")
        return sorted(value)

    def stored(self) -> dict:
        return {"days": self.days, "opens": self.opens.isoformat("minutes"),
                "closes": self.closes.isoformat("minutes")}


class LayerIn(Why):
    name: str = Field(min_length=1, max_length=200)
    members: list[str] = Field(min_length=1, max_length=100,
                               description="Staff ids in rotation order; a layer needs somebody.")
    rotation_start: datetime = Field(
        description="The first hand-off, in the schedule's local wall time (an offset, if "
                    "given, is converted to it).")
    turn: Turn = "weekly"
    turn_hours: int | None = Field(None, ge=1, le=8760,
                                   description="Length of a custom turn in elapsed hours.")
    priority: int = Field(0, ge=0, le=100, description="Higher wins where it has someone.")
    windows: list[WindowIn] = Field(default_factory=list, max_length=14,
                                    description="Only inside these weekly windows; none: always.")

    @field_validator("members")
    @classmethod
    def _once_each(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("each member may appear once")
        return value

    @model_validator(mode="after")
    def _custom_needs_hours(self) -> LayerIn:
        if self.turn == "custom" and self.turn_hours is None:
            raise ValueError("turn_hours: a custom turn needs its length in hours")
        if self.turn != "custom" and self.turn_hours is not None:
            raise ValueError("turn_hours: only a custom turn takes a length")
        return self


class ScheduleIn(Why):
    name: str = Field(min_length=1, max_length=200)
    facility_id: str = Field(min_length=1, max_length=100)
    specialisation: str | None = Field(None, max_length=100, description="The team, if any.")
    time_zone: str = Field(description="IANA zone of the facility, e.g. Asia/Kuala_Lumpur.")
    handoff_notice_minutes: int = Field(
        30, ge=0, le=1440, description="How long before a shift the person coming on is told "
                                       "(0: when it starts).")

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value


class ScheduleCreate(ScheduleIn):
    id: str = Field(min_length=1, max_length=100, pattern=ID)
    layers: list[LayerIn] = Field(default_factory=list, max_length=20)


class OverrideIn(Why):
    person: str = Field(min_length=1, max_length=100)
    starts_at: AwareDatetime
    ends_at: AwareDatetime

    @model_validator(mode="after")
    def _forwards(self) -> OverrideIn:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class SwapIn(Why):
    colleague: str = Field(min_length=1, max_length=100, description="Who covers the time.")
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    person: str | None = Field(None, min_length=1, max_length=100,
                               description="Whose time it is; default the caller (an admin "
                                           "imposing a swap names them).")
    impose: bool = Field(False, description="Admins only: the override is made at once, "
                                            "without the colleague's acceptance.")

    @model_validator(mode="after")
    def _forwards(self) -> SwapIn:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class ImportIn(Why):
    calendar: str = Field(min_length=1, max_length=250_000,
                          description="The text of an iCalendar (.ics) file.")


class SwapPublic(BaseModel):
    id: str
    schedule_id: str
    person: str
    colleague: str
    starts_at: Utc
    ends_at: Utc
    status: str = Field(description="requested, accepted, declined or imposed.")
    reason: str | None
    requested_by: str
    decided_by: str | None
    decision_reason: str | None
    override_id: str | None
    created_at: Utc
    decided_at: Utc | None


class CalendarLinkPublic(BaseModel):
    url: str = Field(description="Subscribe to it in a calendar app; no token needed.")
    expires_at: Utc


class WindowPublic(BaseModel):
    days: list[int]
    opens: str
    closes: str


class LayerPublic(BaseModel):
    id: str
    name: str
    members: list[str]
    rotation_start: datetime
    turn: str
    turn_hours: int | None
    priority: int
    windows: list[WindowPublic]


class OverridePublic(BaseModel):
    id: str
    person: str
    starts_at: Utc
    ends_at: Utc
    reason: str | None
    created_by: str


class SchedulePublic(BaseModel):
    id: str
    name: str
    facility_id: str
    specialisation: str | None
    time_zone: str
    handoff_notice_minutes: int
    version: int
    layers: list[LayerPublic]
    overrides: list[OverridePublic]


class OnCallPublic(BaseModel):
    schedule_id: str
    at: Utc
    person: str | None = Field(description="Nobody (null) is a gap in the rota.")
    person_name: str | None
    source: str | None = Field(description="layer:<id> or override:<id>.")
    until: Utc | None = Field(description="When this answer next changes (null: not within a year).")


class ShiftPublic(BaseModel):
    schedule_id: str
    person: str | None
    source: str | None
    starts_at: Utc
    ends_at: Utc


class ImportPublic(BaseModel):
    layers: list[str] = Field(description="Ids of the layers made from repeating events.")
    overrides: list[str] = Field(description="Ids of the overrides made from one-off events.")
    schedule: SchedulePublic
