"""Bodies for creating, reading and steering emergencies."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    field_validator,
    model_validator,
)

from services.schemas.text import RequestModel

from clinical.vitals import Reading, ReadingError, VitalSigns, validate_reading
from db.models import as_utc

EmergencyType = Literal["cardiac_arrest", "stroke", "severe_trauma", "allergic_reaction",
                        "overdose", "choking", "seizure", "severe_asthma", "other"]
Severity = Literal["critical", "emergent", "urgent", "semi_urgent", "non_urgent"]
Channel = Literal["websocket", "push", "sms", "voice", "email"]
IDEMPOTENCY_KEY = r"^[A-Za-z0-9._:-]{1,100}$"

# Stored times are UTC; SQLite hands them back without a zone, so say so on the way out.
Utc = Annotated[datetime, AfterValidator(as_utc)]


Strict = RequestModel  # every request body: see services/schemas/text.py


class LocationIn(Strict):
    facility_id: str = Field(min_length=1, max_length=100)
    department: str | None = Field(None, max_length=100)
    room: str | None = Field(None, max_length=50)
    floor: str | None = Field(None, max_length=20)
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)


class VitalsIn(Strict):
    """Vital signs as sent; plausibility is clinical.vitals' job, not the schema's."""

    heart_rate: float | None = None
    systolic_bp: float | None = None
    diastolic_bp: float | None = None
    respiratory_rate: float | None = None
    temperature_c: float | None = None
    spo2: float | None = None
    on_oxygen: StrictBool | None = None
    blood_glucose: float | None = None
    consciousness: str | None = None
    pain_scale: float | None = None


class EmergencyCreate(Strict):
    idempotency_key: str | None = Field(
        None, pattern=IDEMPOTENCY_KEY,
        description="The same key never pages twice. May also be sent as Idempotency-Key.")
    type: EmergencyType
    type_detail: str | None = Field(None, max_length=200, description="Required for type 'other'.")
    severity: Severity
    patient_id: str = Field(min_length=1, max_length=100)
    location: LocationIn
    description: str = Field("", max_length=2000)
    vitals: VitalsIn | None = None
    required_specialisations: list[str] = Field(default_factory=list, max_length=10)
    policy_id: str | None = Field(None, description="Default: the policy for this severity.")

    @field_validator("vitals")
    @classmethod
    def _plausible_vitals(cls, vitals: VitalsIn | None) -> VitalsIn | None:
        """The same physiological checks a monitoring reading gets."""
        if vitals is not None:
            now = datetime.now(timezone.utc)
            snapshot = Reading("snapshot", now, VitalSigns(**vitals.model_dump()))
            try:
                validate_reading(snapshot, now)
            except ReadingError as error:
                raise ValueError(str(error)) from None
        return vitals

    @model_validator(mode="after")
    def _other_needs_detail(self) -> EmergencyCreate:
        if self.type == "other" and not (self.type_detail or "").strip():
            raise ValueError("type 'other' needs a type_detail saying what it is")
        return self


class AttemptPublic(BaseModel):
    id: str
    recipient_id: str
    channel: str
    kind: str
    tier: int
    round: int
    tries: int
    outcome: str
    provider_message_id: str | None
    provider_status: str | None = None  # the provider's own word: queued, delivered, no-answer, ...
    error: str | None
    created_at: Utc
    sent_at: Utc | None
    delivered_at: Utc | None


class EmergencyPublic(BaseModel):
    id: str
    idempotency_key: str
    type: str
    type_detail: str | None
    severity: str
    patient_id: str
    facility_id: str
    location: dict[str, Any]
    description: str
    vitals: dict[str, Any] | None
    required_specialisations: list[str]
    short_code: str
    status: str
    round: int
    tier: int
    owner_id: str | None
    owner_name: str | None
    acknowledged_at: Utc | None
    outcome: str | None
    created_by: str
    created_at: Utc
    updated_at: Utc
    policy: dict[str, Any]


class EmergencyDetail(EmergencyPublic):
    attempts: list[AttemptPublic] = Field(default_factory=list)


class AcknowledgeBody(Strict):
    via: Literal["web", "push", "email"] = "web"


class ResolveBody(Strict):
    outcome: str = Field(min_length=1, max_length=500)


class CancelBody(Strict):
    reason: str = Field(min_length=1, max_length=500)


class HandOverBody(Strict):
    to_staff_id: str = Field(min_length=1, max_length=100)
    note: str = Field("", max_length=500)


class EscalateBody(Strict):
    reason: str = Field("", max_length=500)


class CommandOutcome(BaseModel):
    emergency_id: str
    status: str
    owner_id: str | None = None
    owner_name: str | None = None
