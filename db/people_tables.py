"""Tables of people who are not staff, their consent, and the on-call rotas."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, Text, text
from sqlmodel import Field, SQLModel

from db.models import Timestamp, utcnow  # noqa: F401 - shared column helpers


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
    # How long before a shift the person coming on is told (workflows/oncall_watch.py).
    handoff_notice_minutes: int = 30
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


class OnCallSwap(SQLModel, table=True):
    """A request that `colleague` covers `person`'s time on call for [starts_at, ends_at).

    requested -> accepted (an override puts the colleague on) or declined; an admin's
    imposed swap is its override at once. The override keeps the swap's id in its reason.
    """

    id: str = Field(primary_key=True)
    schedule_id: str = Field(index=True)
    person: str  # whose time it is
    colleague: str = Field(index=True)  # who covers it
    starts_at: datetime = Field(sa_type=DateTime(timezone=True))
    ends_at: datetime = Field(sa_type=DateTime(timezone=True))
    status: str = "requested"  # requested, accepted, declined, imposed
    reason: str | None = Field(default=None, sa_column=Column(Text))
    requested_by: str
    decided_by: str | None = None
    decision_reason: str | None = Field(default=None, sa_column=Column(Text))
    override_id: str | None = None
    created_at: datetime = Timestamp()
    decided_at: datetime | None = Timestamp(nullable=True)
