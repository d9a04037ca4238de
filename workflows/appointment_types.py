"""Inputs, state and messages of AppointmentWorkflow: one dataclass each, and the update vocabulary."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from workflows.paging_types import OpenAttempt

# SPEC §2's appointment update types.
UPDATE_TYPES = ("created", "scheduled", "rescheduled", "cancelled", "checked_in", "in_progress",
                "completed", "no_show", "emergency", "provider_delay", "patient_delay",
                "room_change", "provider_change", "urgency_change")
URGENCIES = ("low", "normal", "high", "critical")
# Statuses: created -> scheduled -> checked_in -> in_progress -> completed; or cancelled / no_show.
OPEN = ("created", "scheduled", "checked_in", "in_progress")
CLOSED = ("completed", "cancelled", "no_show")
NOT_ARRIVED = ("created", "scheduled")  # reminders and the no-show clock run only here

# What a patient may answer a reminder (by SMS, in the app or by the email's link), and the
# change each records.
PATIENT_ANSWERS = {"confirm": "patient_confirmed", "reschedule": "reschedule_requested"}
REPLY_CHANNELS = ("sms", "app", "email")

DEFAULT_REMINDER_OFFSETS_S = [24 * 3600.0, 2 * 3600.0]
DEFAULT_NO_SHOW_GRACE_S = 15 * 60.0


@dataclass
class Reminder:
    offset_s: float
    due_at: datetime  # when it goes out (moved out of prayer and quiet hours, never past the start)
    moved_from: datetime | None = None  # the unmoved time, when something moved it
    sent: bool = False
    moved_for: list[str] = field(default_factory=list)  # "prayer:asr", "quiet_hours"


@dataclass
class AppointmentState:
    status: str
    starts_at: datetime
    ends_at: datetime
    provider_id: str
    department: str
    room: str
    urgency: str
    emergency: bool
    reminders: list[Reminder] = field(default_factory=list)
    plan: int = 0  # bumped by every reschedule: reminder attempt ids stay unique
    planned: int = -1  # the plan the reminders were computed for
    late_allowance_s: float = 0.0  # patient_delay adds to the no-show grace
    updates: int = 0  # every accepted update, to keep attempt ids unique
    checked_in_at: datetime | None = None
    history: list[str] = field(default_factory=list)  # update types accepted, oldest first
    patient_answer: str = ""  # confirm or reschedule: the patient's latest answer to a reminder


@dataclass
class AppointmentInput:
    appointment_id: str
    patient_id: str
    provider_id: str
    facility_id: str
    starts_at: datetime  # aware; stored and compared in UTC
    ends_at: datetime
    time_zone: str  # the patient's IANA zone: reminders and quiet hours are in their local time
    created_by: str
    facility_name: str = ""
    department: str = ""
    room: str = ""
    care_team: list[str] = field(default_factory=list)
    coordinators: list[str] = field(default_factory=list)  # the clinic's, told of no-shows
    urgency: str = "normal"  # one of URGENCIES
    emergency: bool = False  # an emergency appointment: care team paged, pages on every channel
    reminder_offsets_s: list[float] = field(default_factory=lambda: list(DEFAULT_REMINDER_OFFSETS_S))
    language: str = "en"
    no_show_grace_s: float = DEFAULT_NO_SHOW_GRACE_S
    status: str = "scheduled"  # created (proposed) or scheduled (booked)
    emergency_task_queue: str = ""  # where an emergency appointment's pages go (see the workflow)
    carried: AppointmentState | None = None  # set when the workflow continues as new
    carried_attempts: list[OpenAttempt] = field(default_factory=list)
    history_limit: int = 8_000


@dataclass
class AppointmentUpdate:
    """One SPEC §2 update, with the fields its type needs (the validator says which)."""

    type: str
    actor: str
    starts_at: datetime | None = None  # rescheduled
    ends_at: datetime | None = None
    room: str | None = None  # room_change
    department: str | None = None
    provider_id: str | None = None  # provider_change
    urgency: str | None = None  # urgency_change
    delay_minutes: int | None = None  # provider_delay, patient_delay
    reason: str = ""


@dataclass
class PatientReply:
    """The patient's answer to a reminder: they are coming, or they ask for another time."""

    answer: str  # a key of PATIENT_ANSWERS
    actor: str  # the patient's id
    via: str  # one of REPLY_CHANNELS


@dataclass
class ReplyResult:
    status: str
    answer: str
    starts_at: datetime


@dataclass
class UpdateResult:
    status: str
    update: str
    starts_at: datetime


@dataclass
class ReminderPlanRequest:
    """What the reminder planner needs; it loads the patient's quiet hours and prayer-time
    preferences itself (so a change to them reaches the next plan)."""

    patient_id: str
    time_zone: str
    starts_at: datetime
    offsets_s: list[float]
    now: datetime


@dataclass
class AppointmentView:
    appointment_id: str
    status: str
    starts_at: datetime
    ends_at: datetime
    provider_id: str
    room: str
    urgency: str
    emergency: bool
    reminders: list[Reminder]
    history: list[str]
    department: str = ""


def detail_of(update: AppointmentUpdate) -> dict[str, Any]:
    """The fields an update set, for its record."""
    return {k: v for k, v in vars(update).items() if v not in (None, "") and k not in ("type", "actor")}
