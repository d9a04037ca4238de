"""The application's tables. Workflows own behaviour; these rows are what they recorded."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, Text, UniqueConstraint, text
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


class Patient(SQLModel, table=True):
    """A patient Vigil can reach: reminders, their own updates, the people they authorise.

    `preferences` is one validated JSON document (services/schemas/people.py
    `PatientPreferences`): it is read and snapshotted whole by the workflows that
    use it, never queried field by field, and grows new keys without a migration.
    """

    id: str = Field(primary_key=True)  # "patient-..." by convention; unique across all people
    name: str
    language: str = "en"
    time_zone: str  # IANA, e.g. Asia/Kuala_Lumpur
    phone: str | None = Field(default=None, index=True)
    email: str | None = None
    push_token: str | None = None
    home_latitude: float | None = None  # for prayer times
    home_longitude: float | None = None
    preferences: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    created_at: datetime = Timestamp()
    updated_at: datetime = Timestamp()


class Caregiver(SQLModel, table=True):
    """A caregiver or family member: reachable, but sees a patient only through a Consent."""

    id: str = Field(primary_key=True)  # "cg-..." by convention; unique across all people
    name: str
    relationship: str
    language: str = "en"
    phone: str | None = Field(default=None, index=True)
    email: str | None = None
    push_token: str | None = None
    created_at: datetime = Timestamp()
    updated_at: datetime = Timestamp()


class Consent(SQLModel, table=True):
    """A patient's authorisation of one person, for some scopes, until it is revoked.

    A revoked consent is never used again; a change of scope is a new record.
    """

    __table_args__ = (
        # At most one consent in force per patient and person.
        Index("uq_consent_in_force", "patient_id", "person_id", unique=True,
              sqlite_where=text("revoked_at IS NULL"), postgresql_where=text("revoked_at IS NULL")),
    )

    id: str = Field(primary_key=True)
    patient_id: str = Field(foreign_key="patient.id", index=True)
    person_id: str = Field(foreign_key="caregiver.id", index=True)  # the caregiver
    scopes: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    escalation_contact: bool = False
    granted_by: str  # the patient, or the coordinator/admin acting for them
    reason: str | None = Field(default=None, sa_column=Column(Text))  # required when on behalf
    granted_at: datetime = Timestamp()
    revoked_at: datetime | None = Timestamp(nullable=True)
    revoked_by: str | None = None
    revoke_reason: str | None = Field(default=None, sa_column=Column(Text))


class OnCallSchedule(SQLModel, table=True):
    """A rota for one team at one facility, in that facility's time zone (clinical/oncall.py)."""

    id: str = Field(primary_key=True)
    name: str
    facility_id: str = Field(index=True)
    specialisation: str | None = Field(default=None, index=True)  # the team: cardiology, ...
    time_zone: str  # IANA name, e.g. Asia/Kuala_Lumpur
    version: int = 1  # goes up with every change to it, its layers or its overrides
    updated_at: datetime = Timestamp()


class OnCallLayer(SQLModel, table=True):
    """One rotation of a schedule: members take turns from the first hand-off."""

    id: str = Field(primary_key=True)
    schedule_id: str = Field(index=True)
    name: str
    members: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    # Local wall time of the first hand-off, in the schedule's zone: naive on purpose.
    rotation_start: datetime = Field(sa_type=DateTime(timezone=False))
    turn: str  # daily, weekly, 12h, custom
    turn_hours: int | None = None  # the custom turn's length
    priority: int = 0
    windows: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))


class OnCallOverride(SQLModel, table=True):
    """A named person on call for [starts_at, ends_at), over every layer (a swap, sick cover)."""

    id: str = Field(primary_key=True)
    schedule_id: str = Field(index=True)
    person: str
    starts_at: datetime = Field(sa_type=DateTime(timezone=True))
    ends_at: datetime = Field(sa_type=DateTime(timezone=True))
    reason: str | None = Field(default=None, sa_column=Column(Text))
    created_by: str
    created_at: datetime = Timestamp()


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
