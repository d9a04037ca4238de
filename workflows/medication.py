"""MedicationScheduleWorkflow: every dose a durable timer, a reminder, a wait, and a person.

For each dose: sleep to its reminder time; remind the patient through the one
delivery path; re-remind on the policy's spacing; when the confirmation window
closes, tell the caregivers whose consent covers it and record the dose
missed. A confirmation after the window, before the next dose opens, makes it
late (the same row; never counted twice). Reminder times come day by day from
the `plan_medication_day` activity, so the prayer-time and time-zone answers
the workflow acted on are in its history. Runs on the routine task queue:
emergencies are never delayed by it.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, replace
from datetime import date, datetime, timedelta
from typing import Any

from temporalio import workflow

from workflows.base import RECORD_RETRY, RECORD_TIMEOUT, Accepted, PagingWorkflow
from workflows.medication_commands import MedicationCommands
from workflows.medication_types import (
    CLOSED,
    Adherence,
    DoseOutcome,
    OpenDose,
    ScheduleInput,
    ScheduleState,
    ScheduleView,
    Terms,
)

with workflow.unsafe.imports_passed_through():
    from activities.medication_plans import (
        ContactsRequest,
        DayPlanRequest,
        DayPlanResult,
        MedicationPlanActivities,
    )
    from activities.medication_records import MedicationChange, MedicationRecordActivities

FALLBACK = ["websocket", "push", "sms", "email"]
RECENT = 50  # doses kept in the state for the query; the dose table keeps them all


@workflow.defn
class MedicationScheduleWorkflow(MedicationCommands, PagingWorkflow):
    @workflow.init
    def __init__(self, input: ScheduleInput) -> None:
        self._input = input
        self._state = input.carried or ScheduleState(terms=input.terms)
        self._init_paging(input.schedule_id, input.carried_attempts)
        self._language = input.preferences.language
        self._patient_name = ""  # from the directory with each day's plan
        # This schedule's place in its minute: every dose timer fires this much later.
        self._offset = timedelta(seconds=input.reminder_offset_s)

    @workflow.run
    async def run(self, input: ScheduleInput) -> ScheduleView:
        s = self._state
        if input.carried is None:
            s.handled_through = workflow.now()  # a dose earlier today than the start is not due
            await self._record("started", input.created_by, {"warnings": input.warnings},
                               with_input=True)
        while s.status not in CLOSED:
            await self._apply_changes()
            if s.status in CLOSED:
                break
            if s.status == "paused":
                await workflow.wait_condition(lambda: bool(self._changes))
            elif s.open is not None:
                await self._dose_step()
            else:
                await self._next_dose()
            if self._history_is_long() and s.status not in CLOSED and not self._changes:
                await self._continue_as_new()  # returns if commands arrived meanwhile
        await self._apply_changes()
        await self._pager.drain()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.state()

    @workflow.query
    def state(self) -> ScheduleView:
        s = self._state
        return ScheduleView(
            self._input.schedule_id, self._input.patient_id, s.status,
            self._outcome(s.open, "open") if s.open else None, self._next_dose_at(), s.doses,
            s.adherence, list(s.recent), list(s.flags), list(self._input.warnings), s.runs,
            {"paused_by": s.paused_by, "late_dose": s.late.dose.dose_id if s.late else None})

    # --- the day's doses ----------------------------------------------------------------

    def _terms(self) -> Terms:
        return self._state.terms or self._input.terms

    async def _plan(self, from_day: str | None) -> bool:
        """Load the next day with doses; False when the schedule has none left."""
        s, data = self._state, self._input
        result: DayPlanResult = await workflow.execute_activity_method(
            MedicationPlanActivities.plan_day,
            DayPlanRequest(data.schedule_id, data.patient_id, self._terms(), data.preferences,
                           workflow.now(), from_day),
            start_to_close_timeout=timedelta(seconds=30), retry_policy=RECORD_RETRY)
        self._language, self._patient_name = result.language, result.patient_name
        if result.plan is None:
            return False
        s.plan, s.next_index = result.plan, 0
        new = [flag for flag in result.plan.flags if flag not in s.flags]
        if new:
            s.flags.extend(new)
            await self._record("flagged", detail={"flags": new, "day": result.plan.day})
        return True

    async def _next_dose(self) -> None:
        s = self._state
        if s.plan is None or s.next_index >= len(s.plan.doses):
            following = (s.replan_from if s.plan is None
                         else (date.fromisoformat(s.plan.day) + timedelta(days=1)).isoformat())
            s.replan_from = None
            if not await self._plan(following):
                s.status = "completed"
                await self._close_late()
                await self._record("completed")
            return
        dose = s.plan.doses[s.next_index]
        if s.handled_through is not None and dose.remind_at <= s.handled_through:
            s.next_index += 1  # before the start, a resume or a change: not this run's to send
            return
        if dose.suppressed:
            s.next_index += 1
            s.handled_through = dose.remind_at
            outcome = DoseOutcome(dose.dose_id, dose.due_at, dose.remind_at, "suppressed",
                                  self._medication_ids(), list(dose.moves), reason=dose.suppressed)
            await self._record("dose_suppressed", dose=outcome)
            return
        if await self._sleep_until(dose.remind_at + self._offset):
            return  # a command arrived: the loop applies it, then comes back here
        await self._open(dose)

    async def _open(self, dose: Any) -> None:
        s = self._state
        await self._close_late()  # the next dose has begun: a missed one can no longer be late
        policy = self._terms().reminders
        following = (s.plan.doses[s.next_index + 1].remind_at
                     if s.plan and s.next_index + 1 < len(s.plan.doses) else None)
        closes = dose.remind_at + timedelta(minutes=policy.confirm_window_min)
        if following is not None:
            closes = min(closes, following)
        s.next_index += 1
        s.handled_through = dose.remind_at
        s.doses += 1
        s.open = OpenDose(dose, s.doses, closes, self._medication_ids(), policy)
        await self._remind()

    async def _dose_step(self) -> None:
        """Re-remind on the policy's spacing; when the window closes, escalate and record missed."""
        s = self._state
        assert s.open is not None
        o, policy = s.open, s.open.policy
        re_due = o.dose.remind_at + timedelta(minutes=policy.re_reminder_every_min * o.reminders)
        reminding = o.reminders <= policy.re_reminders and re_due < o.closes_at
        if await self._sleep_until((re_due if reminding else o.closes_at) + self._offset):
            return
        if reminding:
            await self._remind()
        else:
            await self._missed()

    async def _remind(self) -> None:
        s = self._state
        assert s.open is not None
        o = s.open
        self._pager.page(people=[self._input.patient_id], channels=o.policy.channels,
                         kind="medication_reminder", content=self._content(o, o.reminders),
                         scope=f"d{o.seq}r{o.reminders}", fallback=FALLBACK)
        o.reminders += 1
        await self._record("reminded", detail={"reminder": o.reminders},
                           dose=self._outcome(o, "open"))

    async def _missed(self) -> None:
        s, data = self._state, self._input
        assert s.open is not None
        o = s.open
        contacts = await workflow.execute_activity_method(
            MedicationPlanActivities.contacts,
            ContactsRequest(data.patient_id, list(data.escalation_contacts)),
            start_to_close_timeout=timedelta(seconds=30), retry_policy=RECORD_RETRY)
        if contacts:
            self._pager.page(people=contacts, channels=o.policy.escalation_channels,
                             kind="medication_missed", content=self._content(o, o.reminders),
                             scope=f"d{o.seq}x", fallback=FALLBACK)
        o.escalated_to, o.missed, s.open, s.late = list(contacts), True, None, o
        self._count(o.medications, "missed", +1)
        await self._record("dose_missed", detail={"escalated_to": contacts},
                           dose=self._outcome(o, "missed"))

    async def _close_late(self) -> None:
        """The missed dose stays missed: its late-confirmation window ends now."""
        self._state.late = None

    # --- helpers ------------------------------------------------------------------------

    async def _sleep_until(self, at: datetime) -> bool:
        """Durable timer to `at`; True if a command woke us first."""
        left = (at - workflow.now()).total_seconds()
        if left <= 0:
            return False
        try:
            await workflow.wait_condition(lambda: bool(self._changes),
                                          timeout=timedelta(seconds=left))
            return True
        except TimeoutError:
            return False

    def _medication_ids(self) -> list[str]:
        return [m.id for m in self._terms().medications]

    def _count(self, medications: list[str], outcome: str, by: int) -> None:
        for med in medications:
            tally = self._state.adherence.setdefault(med, Adherence())
            setattr(tally, outcome, getattr(tally, outcome) + by)

    def _outcome(self, o: OpenDose, outcome: str, **confirmed: Any) -> DoseOutcome:
        return DoseOutcome(o.dose.dose_id, o.dose.due_at, o.dose.remind_at, outcome,
                           list(o.medications), list(o.dose.moves), o.reminders,
                           list(o.escalated_to), **confirmed)

    def _remember(self, outcome: DoseOutcome) -> None:
        self._state.recent = [*self._state.recent, outcome][-RECENT:]

    def _content(self, o: OpenDose, reminder: int) -> dict[str, Any]:
        meds = {m.id: m for m in self._terms().medications}
        return {
            "schedule_id": self._input.schedule_id, "patient_id": self._input.patient_id,
            "dose_id": o.dose.dose_id, "dose_time": o.dose.label, "reminder": reminder,
            "language": self._language, "severity": "", "patient_name": self._patient_name,
            # For the app and email only: channels/messages.py never puts them on a lock screen.
            "medications": [{"name": meds[i].name, "dose": meds[i].dose,
                             "instructions": meds[i].instructions} for i in o.medications
                            if i in meds],
        }

    def _next_dose_at(self) -> datetime | None:
        s = self._state
        if s.status in CLOSED or s.plan is None:
            return None
        for dose in s.plan.doses[s.next_index:]:
            if not dose.suppressed and (s.handled_through is None
                                        or dose.remind_at > s.handled_through):
                return dose.remind_at
        return None

    async def _record(self, change: str, actor: str = "vigil",
                      detail: dict[str, Any] | None = None, dose: DoseOutcome | None = None,
                      with_input: bool = False) -> None:
        data = self._input
        self._index_status(self._state.status)
        if dose is not None and dose.outcome != "open":
            self._remember(dose)
        await workflow.execute_local_activity_method(
            MedicationRecordActivities.record_change,
            MedicationChange(schedule_id=data.schedule_id, patient_id=data.patient_id,
                             change=change, actor=actor, view=copy.deepcopy(self.state()),
                             detail=detail or {}, dose=dose,
                             input=(replace(data, carried=None, carried_attempts=[])
                                    if with_input else None)),
            start_to_close_timeout=RECORD_TIMEOUT, retry_policy=RECORD_RETRY)

    def _history_is_long(self) -> bool:
        info = workflow.info()
        return (info.is_continue_as_new_suggested()
                or info.get_current_history_length() > self._input.history_limit)

    # --- what the shared machinery asks of this workflow ---------------------------------

    async def _on_accepted(self, accepted: Accepted) -> None:
        detail = dict(accepted.detail)
        dose = detail.pop("dose", None)
        if accepted.change == "changed":
            detail["terms"] = asdict(self._terms())
        await self._record(accepted.change, accepted.actor, detail, dose=dose)

    def _takes_late_failures(self) -> bool:
        return self._state.status not in CLOSED

    def _is_finished(self) -> bool:
        return self._state.status in CLOSED

    def _next_run_input(self) -> ScheduleInput:
        self._state.runs += 1
        return replace(self._input, carried=self._state,
                       carried_attempts=self._pager.open_attempts())
