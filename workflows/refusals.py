"""Every way a workflow refuses a command, named once, with how the API answers it.

A workflow raises `refuse(Refusal.X, ...)` from an update's validator (and
again in its handler); the service layer turns the refusal's type back into
the HTTP status and stable code listed here, so the two cannot drift apart.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from temporalio.exceptions import ApplicationError


class Refusal(Enum):
    # value: (HTTP status, the API's stable error code)
    AlreadyAcknowledged = (409, "already_acknowledged")
    NotAcknowledged = (409, "not_acknowledged")
    EmergencyClosed = (409, "emergency_closed")
    NotPaged = (403, "not_paged")
    NotOwner = (403, "not_owner")
    InvalidHandover = (422, "invalid_handover")
    SessionEnded = (409, "session_ended")
    NotOnSession = (403, "not_on_session")
    InvalidThresholds = (422, "invalid_thresholds")
    AlarmNotActive = (409, "alarm_not_active")
    InvalidTransition = (409, "invalid_transition")  # an update that makes no sense now
    AppointmentClosed = (409, "appointment_closed")
    InvalidUpdate = (422, "invalid_update")  # an update missing what its type needs
    DoseNotOpen = (409, "dose_not_open")
    InvalidConfirmation = (422, "invalid_confirmation")
    ScheduleClosed = (409, "schedule_closed")
    SchedulePaused = (409, "schedule_paused")
    ScheduleNotPaused = (409, "schedule_not_paused")
    InvalidSchedule = (422, "invalid_schedule")
    NotAllowed = (403, "not_allowed")

    @property
    def status(self) -> int:
        return self.value[0]

    @property
    def code(self) -> str:
        return self.value[1]


def refuse(kind: Refusal, message: str, **details: Any) -> ApplicationError:
    """The error an update raises to refuse: non-retryable, typed by the refusal's name."""
    return ApplicationError(message, details, type=kind.name, non_retryable=True)


def refusal_named(type_name: str | None) -> Refusal | None:
    """The refusal an ApplicationError's type names, if it is one of ours."""
    return Refusal.__members__.get(type_name or "")
