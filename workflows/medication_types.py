"""Inputs, state and messages of MedicationScheduleWorkflow: one dataclass each."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from clinical.dose_plan import DayPlan, PlannedDose
from clinical.dose_times import DoseSchedule
from clinical.prayer_times import PrayerSettings
from clinical.quiet_hours import QuietHours
from workflows.paging_types import OpenAttempt

OUTCOMES = ("taken", "late", "skipped", "missed")
CLOSED = ("stopped", "completed")


@dataclass
class Medication:
    id: str
    name: str
    dose: str
    instructions: str = ""
    time_critical: bool = False
    max_shift_min: int = 30
    halal: str | None = None  # halal, not_halal, unknown
    with_breakfast: bool = False


@dataclass
class Preferences:
    """The patient's, snapshotted at start; the directory's copy wins when it has one."""

    zone: str
    language: str = "en"
    latitude: float | None = None
    longitude: float | None = None
    quiet_hours: QuietHours | None = None
    prayer: PrayerSettings | None = None  # None: prayer-time awareness off
    ramadan_mode: bool = False
    ramadan_calendar: list[tuple[str, str]] = field(default_factory=list)
    halal_only: bool = False


@dataclass
class ReminderPolicy:
    channels: list[str] = field(default_factory=lambda: ["websocket", "push", "sms"])
    confirm_window_min: int = 60  # after the reminder; the dose is missed when it closes
    re_reminders: int = 2
    re_reminder_every_min: int = 15
    escalation_channels: list[str] = field(default_factory=lambda: ["websocket", "push", "sms"])


@dataclass
class Terms:
    """What a dose is given under; a change applies from the next dose."""

    medications: list[Medication]
    schedule: DoseSchedule
    reminders: ReminderPolicy = field(default_factory=ReminderPolicy)


@dataclass
class DoseOutcome:
    dose_id: str
    due_at: datetime
    remind_at: datetime
    outcome: str  # open, taken, late, skipped, missed, suppressed, stopped
    medications: list[str] = field(default_factory=list)  # ids
    moves: list[str] = field(default_factory=list)
    reminders: int = 0
    escalated_to: list[str] = field(default_factory=list)
    confirmed_at: datetime | None = None
    confirmed_by: str | None = None
    on_behalf: bool = False
    via: str | None = None
    reason: str | None = None


@dataclass
class OpenDose:
    dose: PlannedDose
    seq: int  # numbers doses across the whole schedule (attempt ids)
    closes_at: datetime  # the confirmation window's end
    medications: list[str] = field(default_factory=list)
    policy: ReminderPolicy = field(default_factory=lambda: ReminderPolicy())  # the dose's own
    reminders: int = 0
    escalated_to: list[str] = field(default_factory=list)
    missed: bool = False  # window closed; a confirmation now is late, until the next dose opens


@dataclass
class Adherence:
    taken: int = 0
    late: int = 0
    skipped: int = 0
    missed: int = 0


@dataclass
class ScheduleState:
    status: str = "active"  # active, paused, stopped, completed
    terms: Terms | None = None  # current terms (None: the input's)
    plan: DayPlan | None = None  # the day being worked through
    next_index: int = 0
    replan_from: str | None = None  # after a change: plan this day again
    handled_through: datetime | None = None  # reminders up to here are done (or skipped)
    open: OpenDose | None = None  # reminded, inside its confirmation window
    late: OpenDose | None = None  # missed, still confirmable (late) until the next dose opens
    doses: int = 0  # doses opened so far
    adherence: dict[str, Adherence] = field(default_factory=dict)  # per medication id
    recent: list[DoseOutcome] = field(default_factory=list)  # newest last, bounded
    flags: list[str] = field(default_factory=list)
    paused_by: str | None = None
    runs: int = 1


@dataclass
class ScheduleInput:
    schedule_id: str
    patient_id: str
    terms: Terms
    preferences: Preferences
    created_by: str
    escalation_contacts: list[str] = field(default_factory=list)  # fallback without a directory
    warnings: list[str] = field(default_factory=list)
    carried: ScheduleState | None = None
    carried_attempts: list[OpenAttempt] = field(default_factory=list)
    history_limit: int = 8_000
    # Every timer of this schedule's doses fires this long after its time (reminder_offset_s):
    # schedules due at the same minute spread over it. 0 in histories from before it existed.
    reminder_offset_s: float = 0.0


@dataclass
class ScheduleActor:
    person_id: str
    role: str  # patient, caregiver, coordinator, admin, provider
    on_behalf: bool = False  # a caregiver or coordinator confirming for the patient


@dataclass
class ConfirmDose:
    actor: ScheduleActor
    dose_id: str
    outcome: str  # taken or skipped
    reason: str = ""
    via: str = "app"  # app, websocket, push, sms, email


@dataclass
class ConfirmResult:
    dose_id: str
    outcome: str  # taken, late, skipped
    message: str
    next_dose_at: datetime | None = None


@dataclass
class SteerCommand:
    actor: ScheduleActor
    reason: str = ""


@dataclass
class ChangeTerms:
    actor: ScheduleActor
    medications: list[Medication] | None = None
    schedule: DoseSchedule | None = None
    reminders: ReminderPolicy | None = None
    reason: str = ""


@dataclass
class ScheduleView:
    schedule_id: str
    patient_id: str
    status: str
    open_dose: DoseOutcome | None
    next_dose_at: datetime | None
    doses: int
    adherence: dict[str, Adherence]
    recent: list[DoseOutcome]
    flags: list[str]
    warnings: list[str]
    runs: int
    detail: dict[str, Any] = field(default_factory=dict)
