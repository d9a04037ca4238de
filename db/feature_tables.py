"""Tables of outbound webhooks, appointments and medication schedules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, Text
from sqlmodel import Field, SQLModel

from db.models import Timestamp, utcnow  # noqa: F401 - shared column helpers


class WebhookEndpoint(SQLModel, table=True):
    """An integrator's receiver: what it wants, how it is shaped, and its signing secret.

    The secret is stored encrypted (services/webhook_secrets.py, Fernet under a key from
    settings), so a read of this table does not hand it out; it is shown once, at creation.
    """

    id: str = Field(primary_key=True)  # "whe-..."
    url: str = Field(sa_column=Column(Text, nullable=False))
    event_types: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    patient_id: str | None = None  # only this patient's events, when set
    facility_id: str | None = None  # only this facility's events, when set
    payload: str = "thin"  # thin (ids only) or fhir (FHIR R4 resources)
    enabled: bool = True
    disabled_reason: str | None = None  # e.g. "the receiver answered 410 Gone"
    secret_encrypted: str = Field(sa_column=Column(Text, nullable=False))
    # While rotating: the old secret still signs too, until this moment.
    previous_secret_encrypted: str | None = Field(default=None, sa_column=Column(Text))
    previous_secret_expires_at: datetime | None = Timestamp(nullable=True)
    # Retry schedule: exponential from `retry_initial_s` to `retry_max_s`, for `retry_window_s`.
    retry_initial_s: float = 5.0
    retry_max_s: float = 86_400.0
    retry_window_s: float = 3 * 86_400.0
    # Its delivery workflow found the outbox empty and waits to be woken: the next writer of a
    # row for it clears this and signals it (activities/webhook_idle.py).
    idle: bool = False
    created_by: str
    created_at: datetime = Timestamp()
    updated_at: datetime = Timestamp()


class WebhookDelivery(SQLModel, table=True):
    """One event owed to one endpoint: the outbox row, written with the change it reports."""

    __table_args__ = (Index("ix_webhookdelivery_endpoint_status_seq", "endpoint_id", "status", "seq"),)

    seq: int | None = Field(default=None, primary_key=True)  # per-endpoint order is seq order
    webhook_id: str = Field(unique=True)  # the `webhook-id` header, stable across retries
    endpoint_id: str = Field(index=True)
    event_type: str  # emergency.created, monitoring.alarm, ...
    subject_id: str = Field(index=True)
    patient_id: str | None = None
    facility_id: str | None = None
    facts: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))  # ids, states, times
    occurred_at: datetime = Timestamp()
    status: str = "pending"  # pending, delivered, failed
    attempts: int = 0
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    delivered_at: datetime | None = Timestamp(nullable=True)
    failed_at: datetime | None = Timestamp(nullable=True)
    # An admin's replay sends the same event (same webhook-id) again; its retry window
    # starts afresh at `replayed_at`.
    replays: int = 0
    replayed_at: datetime | None = Timestamp(nullable=True)


class WebhookAttempt(SQLModel, table=True):
    """One try to deliver one event: what the receiver answered, and how long it took."""

    id: int | None = Field(default=None, primary_key=True)
    delivery_seq: int = Field(index=True)
    endpoint_id: str = Field(index=True)
    number: int  # 1, 2, 3 ... for this delivery
    at: datetime = Timestamp()
    status_code: int | None = None
    latency_ms: float | None = None
    outcome: str  # delivered, retry, gone, refused
    error: str | None = Field(default=None, sa_column=Column(Text))


class Appointment(SQLModel, table=True):
    """Projection of an appointment workflow's state: the clinic board, lists and access checks."""

    __table_args__ = (Index("ix_appointment_facility_starts", "facility_id", "starts_at"),)

    id: str = Field(primary_key=True)  # the Temporal workflow id
    patient_id: str = Field(index=True)
    provider_id: str = Field(index=True)
    facility_id: str
    department: str = ""
    room: str = ""
    starts_at: datetime = Field(sa_type=DateTime(timezone=True))
    ends_at: datetime = Field(sa_type=DateTime(timezone=True))
    time_zone: str
    care_team: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    urgency: str = "normal"
    emergency: bool = False
    language: str = "en"
    status: str = Field(default="scheduled", index=True)
    last_update: str = "created"  # the SPEC §2 update type last applied
    reminders: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    checked_in_at: datetime | None = Timestamp(nullable=True)
    created_by: str
    created_at: datetime = Timestamp()
    updated_at: datetime = Timestamp()


class MedicationSchedule(SQLModel, table=True):
    """Projection of a medication schedule workflow: for listing, access checks and adherence."""

    id: str = Field(primary_key=True)  # the Temporal workflow id
    patient_id: str = Field(index=True)
    status: str = Field(default="active", index=True)  # active, paused, stopped, completed
    medications: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    schedule: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    reminders: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    preferences: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    escalation_contacts: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    warnings: list[str] = Field(default_factory=list, sa_column=Column(JSON))  # halal, ...
    flags: list[str] = Field(default_factory=list, sa_column=Column(JSON))  # for a clinician
    next_dose_at: datetime | None = Timestamp(nullable=True)
    paused_by: str | None = None
    created_by: str
    created_at: datetime = Timestamp()
    updated_at: datetime = Timestamp()


class DoseRecord(SQLModel, table=True):
    """One dose of a schedule and what became of it; a late confirmation updates its row."""

    __table_args__ = (Index("ix_doserecord_patient_due", "patient_id", "due_at"),)

    id: str = Field(primary_key=True)  # "<schedule id>/<dose id>"
    schedule_id: str = Field(index=True)
    patient_id: str
    dose_id: str  # the nominal local time, "2026-03-29T08:00" (or "...Tiftar" in Ramadan)
    due_at: datetime = Field(sa_type=DateTime(timezone=True))
    remind_at: datetime = Field(sa_type=DateTime(timezone=True))
    outcome: str = "open"  # open, taken, late, skipped, missed, suppressed, paused, stopped
    medications: list[str] = Field(default_factory=list, sa_column=Column(JSON))  # ids
    moves: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    reminders: int = 0
    escalated_to: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    confirmed_at: datetime | None = Timestamp(nullable=True)
    confirmed_by: str | None = None
    on_behalf: bool = False
    via: str | None = None
    reason: str | None = Field(default=None, sa_column=Column(Text))
    updated_at: datetime = Timestamp()


class LiveSocket(SQLModel, table=True):
    """An open WebSocket to someone's inbox, while it is open: how Vigil knows who is offline.

    The API process serving the socket adds the row when it opens, refreshes `seen_at` while
    it stays open and removes it when it closes; a row whose `seen_at` is stale was left by a
    process that died, and counts for nothing (activities/presence.py).
    """

    id: str = Field(primary_key=True)  # the socket's own key
    person_id: str = Field(index=True)
    opened_at: datetime = Timestamp()
    seen_at: datetime = Timestamp()
