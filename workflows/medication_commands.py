"""The validated updates of MedicationScheduleWorkflow: confirm a dose; pause, resume, change, stop.

Each validator refuses (workflows/refusals.py) before anything reaches the
history; each handler checks again (two updates may pass validation together),
applies the change to the state and queues its recording with `_accept`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from temporalio import workflow

from clinical.dose_times import ScheduleError, parse_date, parse_hhmm
from workflows.medication_types import (
    CLOSED,
    ChangeTerms,
    ConfirmDose,
    ConfirmResult,
    OpenDose,
    ScheduleState,
    SteerCommand,
    Terms,
)
from workflows.refusals import Refusal, refuse

STEERS = ("coordinator", "admin", "provider")
CONFIRMS = ("patient", "caregiver", "coordinator", "admin", "provider")
LATE_ADVICE = ("Recorded as taken late. Take your next dose at its usual time; "
               "never take two doses together.")


class MedicationCommands:
    """Mixed into MedicationScheduleWorkflow, before PagingWorkflow (which supplies `_accept`)."""

    _state: ScheduleState

    # --- confirming a dose ----------------------------------------------------------------

    def _dose_for(self, cmd: ConfirmDose) -> OpenDose:
        s = self._state
        if s.status in CLOSED:
            raise refuse(Refusal.ScheduleClosed, f"This schedule is {s.status}.")
        if cmd.actor.role not in CONFIRMS:
            raise refuse(Refusal.NotAllowed,
                         "Only the patient, a caregiver or staff confirm doses.")
        if cmd.outcome not in ("taken", "skipped"):
            raise refuse(Refusal.InvalidConfirmation, "outcome must be 'taken' or 'skipped'.",
                         field="outcome")
        if cmd.outcome == "skipped" and not cmd.reason.strip():
            raise refuse(Refusal.InvalidConfirmation, "Say why the dose was skipped.",
                         field="reason")
        for dose in (s.open, s.late):
            if dose is not None and dose.dose.dose_id == cmd.dose_id:
                return dose
        raise refuse(Refusal.DoseNotOpen, self._why_not_open(cmd.dose_id), dose_id=cmd.dose_id,
                     open=[d.dose.dose_id for d in (s.open, s.late) if d is not None])

    def _why_not_open(self, dose_id: str) -> str:
        s = self._state
        done = next((d for d in reversed(s.recent) if d.dose_id == dose_id), None)
        if done is not None:
            if done.outcome == "missed":
                return (f"Dose {dose_id} was missed and the next dose has begun, so it can no "
                        "longer be confirmed; never take two doses together.")
            return f"Dose {dose_id} is already recorded {done.outcome}."
        if s.status == "paused":
            return "This schedule is paused; no dose is open."
        if s.plan and any(d.dose_id == dose_id for d in s.plan.doses[s.next_index:]):
            return f"Dose {dose_id} is not due yet."
        return f"No open dose {dose_id} on this schedule."

    @workflow.update
    def confirm_dose(self, cmd: ConfirmDose) -> ConfirmResult:
        """Taken or skipped; inside the window it counts as on time, after it as late."""
        o = self._dose_for(cmd)
        s, now = self._state, workflow.now()
        late = o.missed
        outcome = ("late" if late else "taken") if cmd.outcome == "taken" else "skipped"
        if late:
            self._count(o.medications, "missed", -1)  # the same dose, now late: never both
            s.late = None
        else:
            s.open = None
        self._count(o.medications, outcome, +1)
        dose = self._outcome(o, outcome, confirmed_at=now, confirmed_by=cmd.actor.person_id,
                             on_behalf=cmd.actor.on_behalf, via=cmd.via, reason=cmd.reason or None)
        self._accept(f"dose_{outcome}", cmd.actor.person_id,
                     {"dose": dose, "role": cmd.actor.role, "on_behalf": cmd.actor.on_behalf,
                      "via": cmd.via})
        message = {"taken": "Recorded as taken.", "late": LATE_ADVICE,
                   "skipped": "Recorded as skipped."}[outcome]
        return ConfirmResult(o.dose.dose_id, outcome, message, self._next_dose_at())

    @confirm_dose.validator
    def _validate_confirm_dose(self, cmd: ConfirmDose) -> None:
        self._dose_for(cmd)

    # --- steering -------------------------------------------------------------------------

    def _check_steer(self, cmd: Any, *, want: str | None = None) -> None:
        s = self._state
        if s.status in CLOSED:
            raise refuse(Refusal.ScheduleClosed, f"This schedule is {s.status}.")
        if cmd.actor.role not in STEERS:
            raise refuse(Refusal.NotAllowed, "Only a coordinator, an admin or the care team may "
                         "steer a schedule.")
        if want == "active" and s.status == "paused":
            raise refuse(Refusal.SchedulePaused, f"Already paused by {s.paused_by}.")
        if want == "paused" and s.status != "paused":
            raise refuse(Refusal.ScheduleNotPaused, "This schedule is not paused.")

    @workflow.update
    def pause(self, cmd: SteerCommand) -> str:
        """Stop reminding until resumed; an open dose is closed as paused, never counted."""
        self._check_steer(cmd, want="active")
        s = self._state
        s.status, s.paused_by = "paused", cmd.actor.person_id
        detail: dict[str, Any] = {"reason": cmd.reason}
        if s.open is not None:
            detail["dose"] = self._outcome(s.open, "paused")
            s.open = None
        s.late = None
        self._accept("paused", cmd.actor.person_id, detail)
        return s.status

    @pause.validator
    def _validate_pause(self, cmd: SteerCommand) -> None:
        self._check_steer(cmd, want="active")

    @workflow.update
    def resume(self, cmd: SteerCommand) -> str:
        """Remind again from the next dose after now; doses due while paused are not sent."""
        self._check_steer(cmd, want="paused")
        s = self._state
        s.status, s.paused_by, s.handled_through = "active", None, workflow.now()
        self._accept("resumed", cmd.actor.person_id, {"reason": cmd.reason})
        return s.status

    @resume.validator
    def _validate_resume(self, cmd: SteerCommand) -> None:
        self._check_steer(cmd, want="paused")

    def _new_terms(self, cmd: ChangeTerms) -> Terms:
        self._check_steer(cmd)
        old = self._state.terms or self._input.terms  # type: ignore[attr-defined]
        terms = replace(old, medications=cmd.medications or old.medications,
                        schedule=cmd.schedule or old.schedule,
                        reminders=cmd.reminders or old.reminders)
        try:
            for i, t in enumerate(terms.schedule.times):
                parse_hhmm(t, f"schedule.times[{i}]")
            parse_date(terms.schedule.start_date, "schedule.start_date")
            if terms.schedule.end_date and terms.schedule.end_date < terms.schedule.start_date:
                raise ScheduleError("schedule.end_date", "ends before it starts")
            if terms.schedule.every_hours is not None and terms.schedule.every_hours < 1:
                raise ScheduleError("schedule.every_hours", "must be at least 1")
        except ScheduleError as error:
            raise refuse(Refusal.InvalidSchedule, str(error), field=error.field)
        if not terms.medications:
            raise refuse(Refusal.InvalidSchedule, "A schedule needs a medication.",
                         field="medications")
        return terms

    @workflow.update
    def change(self, cmd: ChangeTerms) -> str:
        """New medications or schedule from the next dose; the dose in flight keeps its terms."""
        terms = self._new_terms(cmd)
        s = self._state
        s.terms = terms
        if s.plan is not None:  # plan the rest of this day again under the new terms
            s.plan, s.replan_from = None, s.plan.day
        self._accept("changed", cmd.actor.person_id, {"reason": cmd.reason})
        return s.status

    @change.validator
    def _validate_change(self, cmd: ChangeTerms) -> None:
        self._new_terms(cmd)

    @workflow.update
    def stop(self, cmd: SteerCommand) -> str:
        """End the schedule; an open dose is closed as stopped, never counted."""
        self._check_steer(cmd)
        s = self._state
        detail: dict[str, Any] = {"reason": cmd.reason}
        if s.open is not None:
            detail["dose"] = self._outcome(s.open, "stopped")
            s.open = None
        s.status, s.late = "stopped", None
        self._accept("stopped", cmd.actor.person_id, detail)
        return s.status

    @stop.validator
    def _validate_stop(self, cmd: SteerCommand) -> None:
        self._check_steer(cmd)

    # --- provided by the workflow ------------------------------------------------------------

    def _count(self, medications: list[str], outcome: str, by: int) -> None:
        raise NotImplementedError

    def _outcome(self, o: OpenDose, outcome: str, **confirmed: Any) -> Any:
        raise NotImplementedError

    def _next_dose_at(self) -> Any:
        raise NotImplementedError
