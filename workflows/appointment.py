"""AppointmentWorkflow: one appointment from booking to completion, on the routine task queue.

It sends reminders on durable timers before the start (default 24 h and 2 h,
planned by an activity that reads the patient's quiet hours, so a replay sees
the same plan), takes every SPEC §2 update as a validated workflow update
(one that makes no sense in the current state is refused and changes nothing),
fans each out through the one delivery path (workflows/appointment_fanout.py
says to whom), and records a no-show when nobody checks in within the grace
period after the start. A reschedule re-plans the pending reminders; a cancel
ends the workflow, and with it every timer. The patient answers a reminder
through the `reply` update (confirm, or ask to reschedule: the coordinators are
told); an emergency appointment's pages run on the emergency task queue; an
offline patient (asked of an activity) is emailed too below high urgency.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow

from workflows.appointment_fanout import (
    CHANNELS_BY_URGENCY,
    FALLBACK,
    fan_out,
    needs_presence,
    patient_channels,
    update_urgency,
)
from workflows.appointment_types import (
    CLOSED,
    NOT_ARRIVED,
    PATIENT_ANSWERS,
    REPLY_CHANNELS,
    UPDATE_TYPES,
    URGENCIES,
    AppointmentInput,
    AppointmentState,
    AppointmentUpdate,
    AppointmentView,
    PatientReply,
    ReminderPlanRequest,
    ReplyResult,
    UpdateResult,
    detail_of,
)
from workflows.base import RECORD_RETRY, RECORD_TIMEOUT, Accepted, PagingWorkflow
from workflows.refusals import Refusal, refuse

with workflow.unsafe.imports_passed_through():
    from activities.appointment_plans import AppointmentPlanActivities, FamilyQuery
    from activities.appointment_records import AppointmentChange, AppointmentRecordActivities
    from activities.directory import DirectoryActivities, on_duty_query
    from activities.presence import PresenceActivities, PresenceQuery

REMINDER_CHANNELS = ["websocket", "push"]
# Patches: each a change to what running appointments do (see tests/replay).
EMERGENCY_QUEUE_PATCH = "appointment-emergency-queue"  # emergency pages on the emergency queue
OFFLINE_EMAIL_PATCH = "appointment-offline-email"  # an offline patient is emailed too
LOOKUP_TIMEOUT = timedelta(seconds=10)
# Which statuses each update may be applied in (the rest are refused as invalid transitions).
ALLOWED_FROM: dict[str, tuple[str, ...]] = {
    "created": (),  # an appointment is created once, by starting it
    "scheduled": ("created",),
    "rescheduled": NOT_ARRIVED,
    "cancelled": ("created", "scheduled", "checked_in"),
    "checked_in": NOT_ARRIVED,
    "in_progress": ("checked_in",),
    "completed": ("in_progress",),
    "no_show": NOT_ARRIVED,
    "emergency": ("created", "scheduled", "checked_in", "in_progress"),
    "provider_delay": ("scheduled", "checked_in"),
    "patient_delay": NOT_ARRIVED,
    "room_change": ("created", "scheduled", "checked_in", "in_progress"),
    "provider_change": ("created", "scheduled", "checked_in"),
    "urgency_change": ("created", "scheduled", "checked_in", "in_progress"),
}
# The status an update moves the appointment to (the others leave it where it is).
MOVES_TO = {"scheduled": "scheduled", "cancelled": "cancelled", "checked_in": "checked_in",
            "in_progress": "in_progress", "completed": "completed", "no_show": "no_show"}


@workflow.defn
class AppointmentWorkflow(PagingWorkflow):
    @workflow.init
    def __init__(self, input: AppointmentInput) -> None:
        self._input = input
        self._state = input.carried or AppointmentState(
            status=input.status, starts_at=input.starts_at, ends_at=input.ends_at,
            provider_id=input.provider_id, department=input.department, room=input.room,
            urgency=input.urgency, emergency=input.emergency)
        self._init_paging(input.appointment_id, input.carried_attempts)

    @workflow.run
    async def run(self, input: AppointmentInput) -> AppointmentState:
        if input.carried is None:
            await self._record("created", input.created_by, {"status": input.status},
                               with_input=True)
            await self._fan_out("created", {})
        while self._state.status not in CLOSED:
            await self._apply_changes()
            if self._state.status in CLOSED:
                break
            await self._plan_reminders()
            await self._wait_for_next_moment()
            if self._history_is_long() and self._state.status not in CLOSED:
                await self._continue_as_new()  # returns if commands arrived meanwhile
        await self._apply_changes()
        await self._pager.drain()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._state

    @workflow.query
    def state(self) -> AppointmentView:
        s = self._state
        return AppointmentView(self._input.appointment_id, s.status, s.starts_at, s.ends_at,
                               s.provider_id, s.room, s.urgency, s.emergency,
                               list(s.reminders), list(s.history), s.department)

    # --- time: reminders and the no-show clock ----------------------------------------

    async def _plan_reminders(self) -> None:
        """(Re)plan the reminders after booking or a reschedule, while the patient is still due."""
        s, data = self._state, self._input
        if s.status not in NOT_ARRIVED or s.planned == s.plan:
            return
        plan = s.plan
        reminders = await workflow.execute_activity_method(
            AppointmentPlanActivities.plan_reminders,
            ReminderPlanRequest(data.patient_id, data.time_zone, s.starts_at,
                                list(data.reminder_offsets_s), workflow.now()),
            start_to_close_timeout=LOOKUP_TIMEOUT, retry_policy=RECORD_RETRY)
        if s.plan != plan:
            return  # a reschedule overtook this plan: the loop plans again for the new time
        s.reminders, s.planned = reminders, plan
        if s.status in NOT_ARRIVED:  # (a check-in or cancel may have overtaken it instead)
            await self._record("reminders_planned", "vigil", {"plan": plan})

    def _no_show_at(self) -> datetime:
        s = self._state
        return s.starts_at + timedelta(seconds=self._input.no_show_grace_s + s.late_allowance_s)

    def _next_moment(self) -> tuple[datetime, int] | None:
        """The next thing due and what it is: a reminder's index, or -1 for the no-show check."""
        s = self._state
        if s.status not in NOT_ARRIVED:
            return None  # in the building: only commands move it on now
        due = [(r.due_at, i) for i, r in enumerate(s.reminders) if not r.sent]
        return min(due + [(self._no_show_at(), -1)])

    async def _wait_for_next_moment(self) -> None:
        """Sleep until the next moment or a command; a command wins (the loop applies it)."""
        moment = self._next_moment()
        if moment is None:
            await workflow.wait_condition(lambda: bool(self._changes))
            return
        at, what = moment
        left = (at - workflow.now()).total_seconds()
        if left > 0:
            try:
                await workflow.wait_condition(lambda: bool(self._changes),
                                              timeout=timedelta(seconds=left))
                return
            except TimeoutError:
                pass
        if what < 0:
            self._apply(AppointmentUpdate("no_show", "vigil", reason="not checked in in time"))
        else:
            await self._send_reminder(what)

    async def _send_reminder(self, index: int) -> None:
        s = self._state
        reminder = s.reminders[index]
        reminder.sent = True
        if workflow.now() >= s.starts_at:  # the moment passed during an outage: too late now
            await self._record("reminder_skipped", "vigil", {"offset_s": reminder.offset_s})
            return
        offline = needs_presence("reminder", s.urgency) and await self._patient_offline()
        self._pager.page(people=[self._input.patient_id],
                         channels=patient_channels(REMINDER_CHANNELS, offline=offline),
                         kind="appointment_reminder", content=self._content("reminder"),
                         scope=f"p{s.plan}r{index}", fallback=FALLBACK)
        await self._record("reminder_sent", "vigil", {
            "offset_s": reminder.offset_s, "due_at": reminder.due_at.isoformat(),
            "moved_from": reminder.moved_from and reminder.moved_from.isoformat(),
            **({"moved_for": reminder.moved_for} if reminder.moved_for else {})})

    # --- updates -------------------------------------------------------------------

    def _check(self, update: AppointmentUpdate) -> None:
        s = self._state
        if update.type not in UPDATE_TYPES:
            raise refuse(Refusal.InvalidUpdate, f"Unknown update type {update.type!r}.",
                         field="type")
        if s.status in CLOSED:
            raise refuse(Refusal.AppointmentClosed, f"This appointment is already {s.status}.",
                         status=s.status)
        if s.status not in ALLOWED_FROM[update.type]:
            raise refuse(Refusal.InvalidTransition,
                         f"Cannot apply {update.type} to an appointment that is {s.status}.",
                         status=s.status, update=update.type)
        self._check_fields(update)

    def _check_fields(self, update: AppointmentUpdate) -> None:
        s, kind, now = self._state, update.type, workflow.now()
        if kind == "rescheduled":
            if update.starts_at is None or update.ends_at is None:
                raise refuse(Refusal.InvalidUpdate, "starts_at and ends_at are required.",
                             field="starts_at")
            if update.ends_at <= update.starts_at or update.starts_at <= now:
                raise refuse(Refusal.InvalidUpdate,
                             "starts_at must be in the future and before ends_at.", field="starts_at")
        elif kind == "no_show" and now < s.starts_at:
            raise refuse(Refusal.InvalidTransition, "A no-show can only be recorded after the start.",
                         status=s.status, update=kind)
        elif kind == "room_change" and not update.room:
            raise refuse(Refusal.InvalidUpdate, "room is required.", field="room")
        elif kind == "provider_change" and not update.provider_id:
            raise refuse(Refusal.InvalidUpdate, "provider_id is required.", field="provider_id")
        elif kind == "urgency_change" and update.urgency not in URGENCIES:
            raise refuse(Refusal.InvalidUpdate, f"urgency must be one of {', '.join(URGENCIES)}.",
                         field="urgency")
        elif kind in ("provider_delay", "patient_delay") and not (update.delay_minutes or 0) > 0:
            raise refuse(Refusal.InvalidUpdate, "delay_minutes must be positive.",
                         field="delay_minutes")

    @workflow.update
    def apply(self, update: AppointmentUpdate) -> UpdateResult:
        """Apply one SPEC §2 update; its recording and fan-out run in the main loop."""
        self._check(update)  # again: two updates may pass validation together
        self._apply(update)
        return UpdateResult(self._state.status, update.type, self._state.starts_at)

    @apply.validator
    def _validate_apply(self, update: AppointmentUpdate) -> None:
        self._check(update)

    def _apply(self, update: AppointmentUpdate) -> None:
        """Change the state now (so the next update is checked against it); effects queue up."""
        s, kind = self._state, update.type
        s.status = MOVES_TO.get(kind, s.status)
        if kind == "rescheduled":
            assert update.starts_at is not None and update.ends_at is not None
            s.starts_at, s.ends_at, s.plan, s.late_allowance_s = (update.starts_at, update.ends_at,
                                                                  s.plan + 1, 0.0)
            s.reminders = []  # re-planned by the loop before it waits again
        elif kind == "checked_in":
            s.checked_in_at = workflow.now()
        elif kind == "emergency":
            s.emergency, s.urgency = True, "critical"
        elif kind == "patient_delay":
            s.late_allowance_s += 60.0 * (update.delay_minutes or 0)
        elif kind == "room_change":
            s.room, s.department = update.room or s.room, update.department or s.department
        elif kind == "provider_change":
            s.provider_id = update.provider_id or s.provider_id
        elif kind == "urgency_change":
            s.urgency = update.urgency or s.urgency
        s.history.append(kind)
        self._accept(kind, update.actor, detail_of(update))

    # --- the patient's answer to a reminder ------------------------------------------

    def _check_reply(self, reply: PatientReply) -> None:
        s = self._state
        if reply.answer not in PATIENT_ANSWERS:
            raise refuse(Refusal.InvalidUpdate, "answer must be confirm or reschedule.",
                         field="answer")
        if reply.via not in REPLY_CHANNELS or reply.actor != self._input.patient_id:
            raise refuse(Refusal.NotAllowed, "Only the patient answers their reminders.")
        if s.status not in NOT_ARRIVED:
            raise refuse(Refusal.InvalidTransition,
                         f"This appointment is {s.status}: there is nothing to confirm now.",
                         status=s.status, update=PATIENT_ANSWERS[reply.answer])

    @workflow.update
    def reply(self, reply: PatientReply) -> ReplyResult:
        """The patient confirms, or asks to reschedule (the clinic's coordinators are told)."""
        self._check_reply(reply)
        self._state.patient_answer = reply.answer
        self._accept(PATIENT_ANSWERS[reply.answer], reply.actor, {"via": reply.via})
        return ReplyResult(self._state.status, reply.answer, self._state.starts_at)

    @reply.validator
    def _validate_reply(self, reply: PatientReply) -> None:
        self._check_reply(reply)

    async def _tell_coordinators(self, change: str) -> None:
        """A request to reschedule goes to the clinic's coordinators, who find a new time."""
        s = self._state
        s.updates += 1
        self._pager.page(people=list(self._input.coordinators),
                         channels=CHANNELS_BY_URGENCY[update_urgency(change, s.urgency)],
                         kind="appointment", content=self._content(change),
                         scope=f"u{s.updates}", fallback=FALLBACK)

    # --- side effects of accepted updates -------------------------------------------

    async def _on_accepted(self, accepted: Accepted) -> None:
        await self._record(accepted.change, accepted.actor, accepted.detail)
        if accepted.change == "reschedule_requested":
            await self._tell_coordinators(accepted.change)
        elif accepted.change != "patient_confirmed":
            await self._fan_out(accepted.change, accepted.detail)

    async def _fan_out(self, update_type: str, detail: dict[str, Any]) -> None:
        """Tell everyone this update concerns, through the one delivery path."""
        s, data = self._state, self._input
        s.updates += 1
        on_duty = await self._on_duty() if update_type in ("checked_in", "room_change",
                                                           "emergency") else []
        family = await workflow.execute_activity_method(
            AppointmentPlanActivities.family, FamilyQuery(data.patient_id),
            start_to_close_timeout=LOOKUP_TIMEOUT, retry_policy=RECORD_RETRY)
        offline = needs_presence(update_type, s.urgency) and await self._patient_offline()
        pages = fan_out(update_type, urgency=s.urgency, emergency=s.emergency,
                        patient_id=data.patient_id, provider_id=s.provider_id,
                        care_team=data.care_team, on_duty=on_duty,
                        coordinators=data.coordinators, family=family, patient_offline=offline)
        content = self._content(update_type, detail)
        queue = self._queue_for(update_type)
        for page in pages:
            self._pager.page(people=[page.person_id], channels=page.channels, kind=page.kind,
                             content=content, scope=f"u{s.updates}", fallback=FALLBACK,
                             task_queue=queue)

    def _queue_for(self, update_type: str) -> str | None:
        """An emergency appointment's pages run on the emergency task queue, so a flood of
        routine work never delays them; everything else stays on the workflow's own queue."""
        if not (self._state.emergency or update_type == "emergency"):
            return None
        if not self._input.emergency_task_queue or not workflow.patched(EMERGENCY_QUEUE_PATCH):
            return None
        return self._input.emergency_task_queue

    async def _patient_offline(self) -> bool:
        """Whether the patient has no inbox WebSocket open, as an activity answers now."""
        if not workflow.patched(OFFLINE_EMAIL_PATCH):
            return False  # runs recorded before the rule replay without asking
        online = await workflow.execute_activity_method(
            PresenceActivities.online, PresenceQuery(self._input.patient_id),
            start_to_close_timeout=LOOKUP_TIMEOUT, retry_policy=RECORD_RETRY)
        return not online

    async def _on_duty(self) -> list[str]:
        """Who is on duty at the facility (one directory function; see on_duty_query)."""
        targets = await workflow.execute_local_activity_method(
            DirectoryActivities.resolve_targets, on_duty_query(self._input.facility_id),
            start_to_close_timeout=LOOKUP_TIMEOUT)
        return [t.staff_id for t in targets]

    def _content(self, update_type: str, detail: dict[str, Any] | None = None) -> dict[str, Any]:
        """What a message may say: ids, the place and the time; never a diagnosis or a name."""
        data, s = self._input, self._state
        delay = (detail or {}).get("delay_minutes")
        return {
            "appointment_id": data.appointment_id, "update": update_type,
            "severity": update_urgency(update_type, s.urgency), "status": s.status,
            "starts_at": s.starts_at.isoformat(), "time_zone": data.time_zone,
            "location": {"facility_name": data.facility_name, "department": s.department,
                         "room": s.room},
            "patient_id": data.patient_id, "facility_id": data.facility_id,
            **({"delay_minutes": delay} if delay else {}),
        }

    async def _record(self, change: str, actor: str = "vigil",
                      detail: dict[str, Any] | None = None, with_input: bool = False) -> None:
        data = self._input
        self._index_status(self._state.status)
        await workflow.execute_activity_method(
            AppointmentRecordActivities.record_change,
            AppointmentChange(appointment_id=data.appointment_id, patient_id=data.patient_id,
                              facility_id=data.facility_id, change=change, actor=actor,
                              state=copy.deepcopy(self._state), detail=detail or {},
                              time_zone=data.time_zone,
                              input=(replace(data, carried=None, carried_attempts=[])
                                     if with_input else None)),
            start_to_close_timeout=RECORD_TIMEOUT, retry_policy=RECORD_RETRY)

    def _history_is_long(self) -> bool:
        info = workflow.info()
        return (info.is_continue_as_new_suggested()
                or info.get_current_history_length() > self._input.history_limit)

    # --- what the shared machinery asks of this workflow -------------------------

    def _takes_late_failures(self) -> bool:
        return self._state.status not in CLOSED

    def _is_finished(self) -> bool:
        return self._state.status in CLOSED

    def _next_run_input(self) -> AppointmentInput:
        return replace(self._input, carried=self._state,
                       carried_attempts=self._pager.open_attempts())
