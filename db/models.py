"""The application's tables. Workflows own behaviour; these rows are what they recorded."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=timezone.utc)


def Timestamp(nullable: bool = False):  # noqa: N802 - reads like a type in the tables below
    """A timezone-aware timestamp column (timestamptz on PostgreSQL)."""
    if nullable:
        return Field(default=None, sa_type=DateTime(timezone=True))
    return Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class Facility(SQLModel, table=True):
    id: str = Field(primary_key=True)
    name: str
    latitude: float | None = None
    longitude: float | None = None


class Staff(SQLModel, table=True):
    """A person Vigil can page or who can use the API (roles decide which)."""

    id: str = Field(primary_key=True)
    name: str
    role: str = Field(index=True)  # provider, coordinator, admin, auditor
    provider_type: str | None = None  # emergency, primary_care, specialist, nurse, rapid_response
    facility_id: str | None = Field(default=None, index=True)
    on_call: bool = False
    emergency_capable: bool = False
    charge_nurse: bool = False
    specialisations: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    phone: str | None = Field(default=None, index=True)
    email: str | None = None
    push_token: str | None = None
    language: str = "en"
    latitude: float | None = None
    longitude: float | None = None


class EscalationPolicy(SQLModel, table=True):
    """An editable policy. Emergencies snapshot it when they start."""

    id: str = Field(primary_key=True)
    name: str
    severity: str | None = Field(default=None, index=True)  # default policy for this severity
    channels: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    tiers: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    repeat_count: int = 0
    version: int = 1
    updated_at: datetime = Timestamp()


class Emergency(SQLModel, table=True):
    """Projection of an emergency workflow's state, for listing and reading."""

    id: str = Field(primary_key=True)  # the Temporal workflow id
    idempotency_key: str = Field(unique=True)
    type: str
    type_detail: str | None = None
    severity: str = Field(index=True)
    patient_id: str = Field(index=True)
    facility_id: str = Field(index=True)
    location: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    description: str = Field(default="", sa_column=Column(Text))
    vitals: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    required_specialisations: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    policy: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    short_code: str
    status: str = Field(default="active", index=True)
    round: int = 0
    tier: int = 0
    owner_id: str | None = None
    owner_name: str | None = None
    acknowledged_at: datetime | None = Timestamp(nullable=True)
    outcome: str | None = None
    created_by: str
    created_at: datetime = Timestamp()
    updated_at: datetime = Timestamp()


class DeliveryAttempt(SQLModel, table=True):
    """One try to reach one person on one channel, and what became of it."""

    id: str = Field(primary_key=True)  # "<workflow id>/<step key>", stable across retries
    subject_id: str = Field(index=True)
    recipient_id: str = Field(index=True)
    channel: str
    kind: str = "page"
    # The dose a medication message is about (its schedule is `subject_id`): what an SMS
    # reply to it answers (services/texted_doses.py). None for every other message.
    dose_id: str | None = None
    tier: int = 0
    round: int = 0
    tries: int = 0  # >1 means a crash or retry cut a provider call short and it was sent again
    outcome: str = "sending"  # sending, sent, delivered, failed, undelivered
    provider_message_id: str | None = Field(default=None, index=True)
    provider_status: str | None = None  # the provider's last word: queued, ringing, bounce, ...
    error: str | None = None
    created_at: datetime = Timestamp()
    sent_at: datetime | None = Timestamp(nullable=True)
    delivered_at: datetime | None = Timestamp(nullable=True)


class OutboxMessage(SQLModel, table=True):
    """What a channel without provider credentials would have sent."""

    id: int | None = Field(default=None, primary_key=True)
    attempt_id: str = Field(index=True)
    channel: str
    recipient_id: str
    address: str | None = None
    text: str = Field(sa_column=Column(Text))
    created_at: datetime = Timestamp()


class Event(SQLModel, table=True):
    """The live event log: SSE and WebSocket clients tail it and resume from its ids."""

    id: int | None = Field(default=None, primary_key=True)
    topic: str = Field(index=True)  # emergency:<id>, staff:<id>, family:<patient id>
    kind: str
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    created_at: datetime = Timestamp()


class AuditEntry(SQLModel, table=True):
    """Append-only, hash-chained record of everything that matters to an auditor."""

    __table_args__ = (Index("ix_auditentry_subject", "subject"),)

    seq: int = Field(primary_key=True)  # 1, 2, 3 ... with no gaps; assigned under a lock
    at: str  # ISO 8601 UTC, stored as text so the hash is over exactly what is kept
    actor: str
    action: str
    subject: str
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    prev_hash: str
    hash: str
    # HMAC over the same fields chained on the previous entry's mac (audit/keys.py);
    # None on entries written before the key existed.
    mac: str | None = None


class MonitoringSession(SQLModel, table=True):
    """Projection of a monitoring session workflow: for listing, access checks and the summary."""

    id: str = Field(primary_key=True)  # the Temporal workflow id
    patient_id: str = Field(index=True)
    monitoring_type: str
    facility_id: str = Field(index=True)
    location: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    short_code: str
    devices: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    care_team: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    viewers: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    family_viewers: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    thresholds: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    expected_interval_s: float
    timing: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    status: str = Field(default="active", index=True)  # active, ended
    readings: int = 0
    last_flush: int = 0  # the newest storage batch applied; a retried one is skipped
    latest_news2: int | None = None
    latest_priority: str | None = None
    active_alarms: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    emergencies: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    summary: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    created_by: str
    created_at: datetime = Timestamp()
    updated_at: datetime = Timestamp()
    last_reading_at: datetime | None = Timestamp(nullable=True)
    ended_at: datetime | None = Timestamp(nullable=True)


class VitalReading(SQLModel, table=True):
    """One scored reading of a monitoring session, kept for history and charts."""

    __table_args__ = (
        UniqueConstraint("session_id", "seq", name="uq_vitalreading_session_seq"),
        Index("ix_vitalreading_session_taken", "session_id", "taken_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    session_id: str
    seq: int  # 1, 2, 3 ... in the order the session evaluated them
    patient_id: str = Field(index=True)
    device_id: str
    taken_at: datetime = Field(sa_type=DateTime(timezone=True))
    received_at: datetime = Field(sa_type=DateTime(timezone=True))
    vitals: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    news2: int | None = None
    news2_complete: bool = False
    trend: str = "unknown"
    priority: str = "none"


class WebhookReceipt(SQLModel, table=True):
    """An inbound provider request already acted on, so a replay of it changes nothing."""

    key: str = Field(primary_key=True)  # "twilio-sms:<MessageSid>", "twilio-gather:<CallSid>:<Digits>"
    response: str | None = Field(default=None, sa_column=Column(Text))  # answered again on replay
    created_at: datetime = Timestamp()


# The rest of the schema lives beside this file, one room per purpose; importing them here
# keeps `from db.models import X` the one way to reach any table (and Alembic sees them all).
from db.feature_tables import (  # noqa: E402,F401
    WebhookEndpoint,
    WebhookDelivery,
    WebhookAttempt,
    Appointment,
    LiveSocket,
    MedicationSchedule,
    DoseRecord,
)
from db.people_tables import (  # noqa: E402,F401
    Patient,
    Caregiver,
    Consent,
    OnCallSchedule,
    OnCallLayer,
    OnCallOverride,
    OnCallSwap,
)
from db.calendar_tables import RamadanDates  # noqa: E402,F401
