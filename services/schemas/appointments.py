"""Bodies for appointments: booking, SPEC §2 updates, and what each kind of caller reads back."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from services.schemas.directory import Language, Strict
from services.schemas.emergencies import Utc

Urgency = Literal["low", "normal", "high", "critical"]
UpdateType = Literal["scheduled", "rescheduled", "cancelled", "checked_in", "in_progress",
                     "completed", "no_show", "emergency", "provider_delay", "patient_delay",
                     "room_change", "provider_change", "urgency_change"]


def _after_start(ends_at: Any, info: ValidationInfo) -> Any:
    """ends_at after starts_at: checked on ends_at, so the error names that field."""
    starts_at = info.data.get("starts_at")
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        raise ValueError("must be after starts_at")
    return ends_at


class AppointmentCreate(Strict):
    patient_id: str = Field(min_length=1, max_length=100)
    provider_id: str = Field(min_length=1, max_length=100)
    facility_id: str = Field(min_length=1, max_length=100)
    department: str = Field("", max_length=200)
    room: str = Field("", max_length=50)
    starts_at: AwareDatetime = Field(description="With its UTC offset, e.g. 2026-12-01T09:30:00+08:00")
    ends_at: AwareDatetime
    care_team: list[str] = Field(default_factory=list, max_length=50)
    urgency: Urgency = "normal"
    emergency: bool = False
    reminder_offsets_h: list[float] = Field([24, 2], max_length=10,
                                            description="Hours before the start, each 0 < h <= 720")
    language: Language | None = Field(None, description="Defaults to the patient's")
    no_show_grace_minutes: int = Field(15, ge=0, le=240)
    status: Literal["created", "scheduled"] = Field("scheduled",
                                                    description="created = proposed, not yet booked")

    _ends_after_start = field_validator("ends_at")(_after_start)

    @field_validator("reminder_offsets_h")
    @classmethod
    def _offsets(cls, value: list[float]) -> list[float]:
        if any(not 0 < h <= 720 for h in value):
            raise ValueError("each must be more than 0 and at most 720 hours")
        return value


class AppointmentUpdateIn(Strict):
    """One SPEC §2 update; the fields its type needs (the workflow refuses one without them)."""

    type: UpdateType
    starts_at: AwareDatetime | None = None  # rescheduled
    ends_at: AwareDatetime | None = None
    room: str | None = Field(None, min_length=1, max_length=50)  # room_change
    department: str | None = Field(None, max_length=200)
    provider_id: str | None = Field(None, min_length=1, max_length=100)  # provider_change
    urgency: Urgency | None = None  # urgency_change
    delay_minutes: int | None = Field(None, ge=1, le=24 * 60)  # provider_delay, patient_delay
    reason: str = Field("", max_length=500)

    _ends_after_start = field_validator("ends_at")(_after_start)


class AppointmentPublic(BaseModel):
    """What staff and the patient read."""

    model_config = ConfigDict(extra="ignore")
    id: str
    patient_id: str
    provider_id: str
    facility_id: str
    department: str
    room: str
    starts_at: Utc
    ends_at: Utc
    time_zone: str
    care_team: list[str]
    urgency: str
    emergency: bool
    language: str
    status: str
    last_update: str
    reminders: list[dict[str, Any]]
    checked_in_at: Utc | None
    created_by: str
    created_at: Utc
    updated_at: Utc


class AppointmentFamilyView(BaseModel):
    """What a caregiver with `appointments` consent reads: where and when, not who treats."""

    model_config = ConfigDict(extra="ignore")
    id: str
    patient_id: str
    facility_id: str
    department: str
    room: str
    starts_at: Utc
    ends_at: Utc
    status: str
    last_update: str


class UpdateApplied(BaseModel):
    id: str
    status: str
    update: str
    starts_at: Utc


class FhirApplied(BaseModel):
    """The SPEC §2 updates a FHIR Appointment implied, as applied, and the status after them."""

    id: str
    applied: list[str]
    status: str


class AppointmentReplyIn(Strict):
    """The patient's answer to a reminder."""

    answer: Literal["confirm", "reschedule"] = Field(
        description="confirm: they are coming; reschedule: the clinic's coordinators are asked "
        "to find another time")


class ReplyApplied(BaseModel):
    id: str
    status: str
    answer: str
    starts_at: Utc
