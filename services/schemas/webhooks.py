"""Bodies and answers for outbound webhook endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

EventType = Literal[  # activities/webhook_events.EVENT_TYPES (a unit test keeps them equal)
    "emergency.created", "emergency.acknowledged", "emergency.escalated", "emergency.resolved",
    "emergency.cancelled", "emergency.unacknowledged", "monitoring.alarm", "monitoring.ended",
    "medication.dose_missed", "medication.dose_taken", "medication.dose_late",
    "medication.dose_skipped", "medication.schedule_paused", "medication.schedule_resumed",
    "medication.schedule_stopped", "appointment.created", "appointment.updated",
]
PayloadShape = Literal["thin", "fhir"]
DAY = 86_400.0


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WebhookRetry(Strict):
    """Between tries: doubling from `initial_s` to `max_s`; give up `window_s` after the event."""

    initial_s: float = Field(5.0, ge=0.1, le=3600)
    max_s: float = Field(DAY, ge=0.1, le=DAY)
    window_s: float = Field(3 * DAY, ge=1, le=14 * DAY)

    @model_validator(mode="after")
    def _ordered(self) -> WebhookRetry:
        if self.max_s < self.initial_s:
            raise ValueError("max_s must be at least initial_s")
        return self


class _EndpointFields(Strict):
    url: str = Field(min_length=1, max_length=2048, description="https:// (loopback http only in"
                     " development mode); refused if it resolves to a private address")
    event_types: list[EventType] = Field(min_length=1, max_length=20)
    patient_id: str | None = Field(None, min_length=1, max_length=100)
    facility_id: str | None = Field(None, min_length=1, max_length=100)
    payload: PayloadShape = "thin"
    enabled: bool = True

    @field_validator("event_types")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))


class WebhookEndpointCreate(_EndpointFields):
    retry: WebhookRetry = Field(default_factory=WebhookRetry)


class WebhookEndpointUpdate(Strict):
    url: str | None = Field(None, min_length=1, max_length=2048)
    event_types: list[EventType] | None = Field(None, min_length=1, max_length=20)
    patient_id: str | None = Field(None, min_length=1, max_length=100)
    facility_id: str | None = Field(None, min_length=1, max_length=100)
    payload: PayloadShape | None = None
    enabled: bool | None = None
    retry: WebhookRetry | None = None


class SecretRotation(Strict):
    overlap_s: int = Field(86_400, ge=0, le=7 * 86_400,
                           description="How long the old secret still signs too")


class WebhookReplay(Strict):
    """One event by its `webhook_id`, or every event that occurred in [since, until)."""

    webhook_id: str | None = Field(None, min_length=1, max_length=100)
    since: AwareDatetime | None = Field(None, description="With its UTC offset")
    until: AwareDatetime | None = Field(None, description="Defaults to now")


class WebhookReplayed(BaseModel):
    replayed: list[str]  # webhook ids queued again, in their original order
    already_pending: list[str]  # still on their way: not queued twice


class WebhookStats(BaseModel):
    sent: int = 0  # events delivered
    failed: int = 0  # events given up on
    pending: int = 0
    attempts: int = 0
    last_success_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    p50_latency_ms: float | None = None  # over the latest answered tries


class WebhookEndpointPublic(BaseModel):
    id: str
    url: str
    event_types: list[str]
    patient_id: str | None
    facility_id: str | None
    payload: str
    enabled: bool
    disabled_reason: str | None
    retry: WebhookRetry
    previous_secret_expires_at: datetime | None
    created_by: str
    created_at: datetime
    stats: WebhookStats


class WebhookEndpointCreated(WebhookEndpointPublic):
    secret: str = Field(description="The signing secret (whsec_...): shown this once, never again")


class WebhookDeliveryPublic(BaseModel):
    webhook_id: str
    event_type: str
    subject_id: str
    status: str
    attempts: int
    last_status_code: int | None
    last_error: str | None
    occurred_at: datetime
    delivered_at: datetime | None
    failed_at: datetime | None
    replays: int = 0
    replayed_at: datetime | None = None
