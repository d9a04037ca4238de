"""AppointmentWorkflow on the time-skipping server: reminders, reschedule, cancel, no-show, refusals.

Stand-in activities record what the workflow decided (pages, recorded
changes); the assertions read those decisions, never the absence of something
after a sleep.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from temporalio import activity
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.appointment_plans import (
    AppointmentPlanActivities,
    FamilyQuery,
    ReminderTerms,
    prayer_settings_of,
)
from activities.appointment_records import AppointmentChange
from activities.delivery_types import DeliveryRequest, DeliveryResult
from activities.presence import PresenceQuery
from activities.directory import TargetQuery
from clinical.appointment_reminders import plan_reminders
from clinical.prayer_times import prayer_times_on
from worker import SANDBOX
from tests.utils.standins import batched
from workflows.appointment import AppointmentWorkflow
from workflows.appointment_types import (
    AppointmentInput,
    AppointmentUpdate,
    PatientReply,
    Reminder,
    ReminderPlanRequest,
)
from workflows.emergency_types import Target

HOUR = 3600.0


class Recorder:
    """Stand-ins: deliveries and recorded changes kept in order; an on-duty nurse; one family
    member; reminders planned by the real pure rule with no quiet hours."""

    def __init__(self, planner: AppointmentPlanActivities | None = None) -> None:
        self.planner = planner  # the real reminder planner, when a test gives it a patient
        self.sent: list[DeliveryRequest] = []
        self.sent_at: dict[str, datetime] = {}  # attempt id -> the workflow clock when sent
        self.changes: list[AppointmentChange] = []
        self.queue_of: dict[str, str] = {}  # attempt id -> the task queue its delivery ran on
        self.online = True  # whether the patient has an inbox WebSocket open
        self.presence_asked = 0

    def activities(self) -> list:
        @activity.defn(name="deliver")
        async def deliver(request: DeliveryRequest) -> DeliveryResult:
            self.sent.append(request)
            self.queue_of[request.attempt_id] = activity.info().task_queue
            self.sent_at[request.attempt_id] = activity.info().current_attempt_scheduled_time
            return DeliveryResult(request.attempt_id, request.channel, request.recipient_id, "sent")

        @activity.defn(name="resolve_targets")
        async def resolve_targets(query: TargetQuery) -> list[Target]:
            return [Target("nurse-on-duty", "Nurse", "provider", "nurse")]

        @activity.defn(name="record_appointment_change")
        async def record(change: AppointmentChange) -> None:
            self.changes.append(change)

        @activity.defn(name="plan_appointment_reminders")
        async def plan(request: ReminderPlanRequest) -> list[Reminder]:
            if self.planner is not None:
                return self.planner.plan_reminders(request)
            return [Reminder(p.offset_s, p.due_at, p.moved_from) for p in plan_reminders(
                starts_at=request.starts_at, offsets_s=request.offsets_s,
                time_zone=request.time_zone, now=request.now, quiet_hours=None)]

        @activity.defn(name="appointment_family")
        async def family(query: FamilyQuery) -> list[str]:
            return ["cg-family"]

        @activity.defn(name="person_online")
        async def online(query: PresenceQuery) -> bool:
            self.presence_asked += 1
            return self.online

        return [deliver, batched(deliver), resolve_targets, record, plan, family, online]

    def recorded(self, change: str) -> list[AppointmentChange]:
        return [c for c in self.changes if c.change == change]

    def reminders(self) -> list[DeliveryRequest]:
        return [r for r in self.sent if r.kind == "appointment_reminder"]

    def told(self, update: str) -> dict[str, list[str]]:
        """person -> channels (sorted: deliveries run concurrently), for one update's fan-out."""
        people: dict[str, list[str]] = {}
        for r in self.sent:
            if r.content.get("update") == update and r.kind != "appointment_reminder":
                people.setdefault(r.recipient_id, []).append(r.channel)
        return {person: sorted(channels) for person, channels in people.items()}


def appointment(now: datetime, starts_in_h: float = 48, **fields: object) -> AppointmentInput:
    start = now + timedelta(hours=starts_in_h)
    return AppointmentInput(
        appointment_id=f"appointment-{uuid.uuid4().hex[:8]}", patient_id="patient-1",
        provider_id="dr-a", facility_id="f", starts_at=start, ends_at=start + timedelta(minutes=30),
        time_zone="Asia/Kuala_Lumpur", created_by="coord", room="7",
        coordinators=["coord"], **fields)  # type: ignore[arg-type]


@asynccontextmanager
async def running(env: WorkflowEnvironment, recorder: Recorder,
                  data: AppointmentInput) -> AsyncIterator[WorkflowHandle]:
    queue = f"q-{uuid.uuid4().hex[:8]}"
    async with AsyncExitStack() as workers:
        await workers.enter_async_context(Worker(
            env.client, task_queue=queue, workflows=[AppointmentWorkflow],
            activities=recorder.activities(), workflow_runner=SANDBOX))
        if data.emergency_task_queue:  # the emergency queue's worker runs activities only
            await workers.enter_async_context(Worker(
                env.client, task_queue=data.emergency_task_queue,
                activities=recorder.activities()))
        yield await env.client.start_workflow(AppointmentWorkflow.run, data,
                                              id=data.appointment_id, task_queue=queue)


async def until(condition, what: str, timeout_s: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    try:
        async with asyncio.timeout(timeout_s):
            while not condition():
                await asyncio.sleep(0.02)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}")


async def test_reminders_go_out_24_and_2_hours_before_the_start(time_env: WorkflowEnvironment) -> None:
    recorder, now = Recorder(), await time_env.get_current_time()
    data = appointment(now, starts_in_h=48)
    async with running(time_env, recorder, data) as handle:
        await until(lambda: recorder.recorded("reminders_planned"), "reminders planned")
        await time_env.sleep(47 * HOUR)  # past both reminders, before the start
        await until(lambda: len(recorder.recorded("reminder_sent")) == 2, "both reminders")
        await handle.terminate("test over")
    sent = recorder.recorded("reminder_sent")
    assert [c.detail["offset_s"] for c in sent] == [24 * HOUR, 2 * HOUR]
    assert [c.detail["due_at"] for c in sent] == [
        (data.starts_at - timedelta(hours=h)).isoformat() for h in (24, 2)]
    assert {r.recipient_id for r in recorder.reminders()} == {"patient-1"}


async def test_a_reschedule_moves_the_pending_reminders(time_env: WorkflowEnvironment) -> None:
    recorder, now = Recorder(), await time_env.get_current_time()
    data = appointment(now, starts_in_h=48)
    later = data.starts_at + timedelta(days=3)
    async with running(time_env, recorder, data) as handle:
        await until(lambda: recorder.recorded("reminders_planned"), "first plan")
        result = await handle.execute_update(AppointmentWorkflow.apply, AppointmentUpdate(
            "rescheduled", "coord", starts_at=later, ends_at=later + timedelta(minutes=30)))
        assert result.starts_at == later
        await until(lambda: len(recorder.recorded("reminders_planned")) == 2, "re-planned")
        await time_env.sleep(5 * 24 * HOUR - 1 * HOUR)  # past the new 2 h reminder
        await until(lambda: len(recorder.recorded("reminder_sent")) == 2, "the moved reminders")
        await handle.terminate("test over")
    due = [c.detail["due_at"] for c in recorder.recorded("reminder_sent")]
    assert due == [(later - timedelta(hours=h)).isoformat() for h in (24, 2)], due
    assert "patient-1" in recorder.told("rescheduled")
    assert recorder.told("rescheduled")["cg-family"] == ["push", "websocket"], "in words, high"


async def test_a_cancel_stops_the_reminders_and_ends_the_workflow(
        time_env: WorkflowEnvironment) -> None:
    recorder, now = Recorder(), await time_env.get_current_time()
    data = appointment(now, starts_in_h=48)
    async with running(time_env, recorder, data) as handle:
        await until(lambda: recorder.recorded("reminders_planned"), "reminders planned")
        await handle.execute_update(AppointmentWorkflow.apply,
                                    AppointmentUpdate("cancelled", "coord", reason="patient asked"))
        final = await handle.result()
    assert final.status == "cancelled"
    assert recorder.recorded("reminder_sent") == [] and recorder.reminders() == []
    # The decision, not the absence: the run closed with its reminders still unsent.
    assert [r.sent for r in final.reminders] == [False, False]


async def test_nobody_checked_in_after_the_grace_period_is_a_no_show_told_to_provider_and_coordinators(
        time_env: WorkflowEnvironment) -> None:
    recorder, now = Recorder(), await time_env.get_current_time()
    data = appointment(now, starts_in_h=1, no_show_grace_s=600)  # too close for any reminder
    async with running(time_env, recorder, data) as handle:
        await time_env.sleep(HOUR + 700)
        final = await handle.result()
    assert final.status == "no_show" and recorder.recorded("no_show")[0].actor == "vigil"
    told = recorder.told("no_show")
    assert {"patient-1", "dr-a", "coord"} <= set(told) and told["dr-a"] == ["push", "websocket"]
    assert recorder.recorded("reminder_sent") == []


async def test_a_late_check_in_inside_the_grace_period_is_just_late(
        time_env: WorkflowEnvironment) -> None:
    recorder, now = Recorder(), await time_env.get_current_time()
    data = appointment(now, starts_in_h=1, no_show_grace_s=900)
    async with running(time_env, recorder, data) as handle:
        await time_env.sleep(HOUR + 300)
        checked = await handle.execute_update(AppointmentWorkflow.apply,
                                              AppointmentUpdate("checked_in", "front-desk"))
        assert checked.status == "checked_in"
        await time_env.sleep(HOUR)  # well past the grace period: nothing is due any more
        view = await handle.query(AppointmentWorkflow.state)
        await handle.terminate("test over")
    assert view.status == "checked_in" and "no_show" not in view.history
    told = recorder.told("checked_in")
    assert told["dr-a"] == ["push", "websocket"], "a check-in raises the provider's urgency"
    assert told["nurse-on-duty"] == ["websocket"] and told["patient-1"] == ["websocket"]


@pytest.mark.parametrize("update, code", [
    (AppointmentUpdate("completed", "dr-a"), "InvalidTransition"),  # never started
    (AppointmentUpdate("in_progress", "dr-a"), "InvalidTransition"),  # never checked in
    (AppointmentUpdate("no_show", "dr-a"), "InvalidTransition"),  # before the start
    (AppointmentUpdate("room_change", "dr-a"), "InvalidUpdate"),  # no room
    (AppointmentUpdate("teleported", "dr-a"), "InvalidUpdate"),
])
async def test_an_update_that_makes_no_sense_now_is_refused_and_changes_nothing(
        time_env: WorkflowEnvironment, update: AppointmentUpdate, code: str) -> None:
    recorder, now = Recorder(), await time_env.get_current_time()
    data = appointment(now, starts_in_h=48)
    async with running(time_env, recorder, data) as handle:
        await until(lambda: recorder.recorded("reminders_planned"), "started")
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(AppointmentWorkflow.apply, update)
        view = await handle.query(AppointmentWorkflow.state)
        await handle.terminate("test over")
    cause = refused.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == code
    assert view.status == "scheduled" and view.history == []


async def test_a_cancelled_appointment_cannot_be_checked_in(time_env: WorkflowEnvironment) -> None:
    recorder, now = Recorder(), await time_env.get_current_time()
    data = appointment(now, starts_in_h=48)
    async with running(time_env, recorder, data) as handle:
        await handle.execute_update(AppointmentWorkflow.apply,
                                    AppointmentUpdate("cancelled", "coord"))
        await handle.result()
        with pytest.raises(RPCError):  # a closed workflow takes no update (the API says 409)
            await handle.execute_update(AppointmentWorkflow.apply,
                                        AppointmentUpdate("checked_in", "front-desk"))
    assert recorder.recorded("checked_in") == []


async def test_an_emergency_appointment_pages_the_care_team_on_every_channel(
        time_env: WorkflowEnvironment) -> None:
    recorder, now = Recorder(), await time_env.get_current_time()
    emergency_queue = f"emergency-{uuid.uuid4().hex[:8]}"
    data = appointment(now, starts_in_h=48, care_team=["dr-b"],
                       emergency_task_queue=emergency_queue)
    async with running(time_env, recorder, data) as handle:
        await until(lambda: recorder.told("created"), "the booking told")
        await handle.execute_update(AppointmentWorkflow.apply,
                                    AppointmentUpdate("emergency", "dr-a"))
        await until(lambda: "dr-b" in recorder.told("emergency"), "care team paged")
        await until(lambda: "nurse-on-duty" in recorder.told("emergency"), "on duty paged")
        # Ended the ordinary way (the run drains its pages first), not terminated: a delivery
        # cut off on the emergency queue would stop the shared server's clock for later tests.
        await handle.execute_update(AppointmentWorkflow.apply,
                                    AppointmentUpdate("cancelled", "dr-a"))
        await handle.result()
    told = recorder.told("emergency")
    assert sorted(told["dr-b"]) == sorted(["websocket", "push", "sms", "voice", "email"])
    assert sorted(told["patient-1"]) == sorted(told["dr-b"]), "critical: every channel"
    queues = {recorder.queue_of[r.attempt_id] for r in recorder.sent
              if r.content.get("update") == "emergency"}
    assert queues == {emergency_queue}, "every emergency page ran on the emergency queue"
    created = {recorder.queue_of[r.attempt_id] for r in recorder.sent
               if r.content.get("update") == "created"}
    assert emergency_queue not in created, "before the emergency, pages stayed routine"


KL_HOME = (3.1570, 101.7123)


def prayerful_planner() -> AppointmentPlanActivities:
    """The real reminder planner, for a patient at home in Kuala Lumpur who asked for
    prayer-time awareness (their stored preference, as the patient directory keeps it)."""
    prayer = prayer_settings_of({"enabled": True})
    return AppointmentPlanActivities(lambda patient_id: ReminderTerms(
        prayer=prayer, latitude=KL_HOME[0], longitude=KL_HOME[1]))


def asr_in_two_days(now: datetime) -> datetime:
    day = (now + timedelta(days=2)).astimezone(ZoneInfo("Asia/Kuala_Lumpur")).date()
    settings = prayer_settings_of({"enabled": True})
    assert settings is not None
    return prayer_times_on(day, *KL_HOME, "Asia/Kuala_Lumpur", settings)["asr"]


@pytest.mark.parametrize("start_after_asr_min, offset_min, goes_at_min, moved", [
    (125, 120, 20, True),  # 5 min into the window, 2 h ahead: waits for the window's end
    (15, 10, 5, False),  # the window ends after the start: it goes at once, unmoved
])
async def test_a_prayer_window_moves_a_reminder_to_its_end_but_never_past_the_start(
        time_env: WorkflowEnvironment, start_after_asr_min: int, offset_min: int,
        goes_at_min: int, moved: bool) -> None:
    recorder, now = Recorder(prayerful_planner()), await time_env.get_current_time()
    asr = asr_in_two_days(now)
    start = asr + timedelta(minutes=start_after_asr_min)
    data = appointment(now, reminder_offsets_s=[offset_min * 60.0])
    data.starts_at, data.ends_at = start, start + timedelta(minutes=30)
    async with running(time_env, recorder, data) as handle:
        await until(lambda: recorder.recorded("reminders_planned"), "reminders planned")
        await time_env.sleep((start - now).total_seconds() - 60)  # just before the start
        await until(lambda: recorder.recorded("reminder_sent"), "the reminder")
        await handle.terminate("test over")
    sent = recorder.recorded("reminder_sent")[0].detail
    goes_at = asr + timedelta(minutes=goes_at_min)
    assert datetime.fromisoformat(sent["due_at"]) == goes_at
    assert sent.get("moved_for") == (["prayer:asr"] if moved else None)
    assert (sent["moved_from"] is not None) == moved
    reminder = recorder.reminders()[0]
    assert recorder.sent_at[reminder.attempt_id] >= goes_at, "not sent before its moved time"
    assert recorder.sent_at[reminder.attempt_id] < start, "never past the start"


async def test_an_offline_patient_is_emailed_too_below_high_urgency_and_only_then(
        time_env: WorkflowEnvironment) -> None:
    recorder, now = Recorder(), await time_env.get_current_time()
    recorder.online = False
    data = appointment(now, starts_in_h=3)  # the 2 h reminder is an hour away
    async with running(time_env, recorder, data) as handle:
        await until(lambda: recorder.recorded("reminders_planned"), "reminders planned")
        await handle.execute_update(AppointmentWorkflow.apply, AppointmentUpdate(
            "provider_delay", "dr-a", delay_minutes=10))  # normal urgency
        await until(lambda: "patient-1" in recorder.told("provider_delay"), "the delay told")
        await handle.execute_update(AppointmentWorkflow.apply,
                                    AppointmentUpdate("room_change", "dr-a", room="9"))  # high
        await until(lambda: "patient-1" in recorder.told("room_change"), "the room change told")
        asked = recorder.presence_asked
        await time_env.sleep(HOUR + 60)
        await until(lambda: recorder.reminders(), "the reminder")
        recorder.online = True
        await handle.execute_update(AppointmentWorkflow.apply, AppointmentUpdate(
            "provider_delay", "dr-a", delay_minutes=20))
        await until(lambda: len([r for r in recorder.sent if r.content.get("update") ==
                                 "provider_delay" and r.recipient_id == "patient-1"]) == 3,
                    "the second delay told")
        await handle.terminate("test over")
    assert recorder.told("provider_delay")["patient-1"] == ["email", "websocket", "websocket"], \
        "emailed while offline; online again, WebSocket only"
    assert recorder.told("room_change")["patient-1"] == ["push", "websocket"], "high: no email"
    assert recorder.told("provider_delay")["dr-a"] == ["websocket", "websocket"], "only the patient"
    assert sorted(r.channel for r in recorder.reminders()) == ["email", "push", "websocket"]
    assert asked == 2, "asked for the created and provider_delay fan-outs, not the room change"


async def test_the_patient_confirms_or_asks_to_reschedule_and_the_coordinators_hear_of_it(
        time_env: WorkflowEnvironment) -> None:
    recorder, now = Recorder(), await time_env.get_current_time()
    data = appointment(now, starts_in_h=48)
    async with running(time_env, recorder, data) as handle:
        await until(lambda: recorder.recorded("reminders_planned"), "started")
        confirmed = await handle.execute_update(AppointmentWorkflow.reply,
                                                PatientReply("confirm", "patient-1", "sms"))
        asked = await handle.execute_update(AppointmentWorkflow.reply,
                                            PatientReply("reschedule", "patient-1", "app"))
        await until(lambda: recorder.told("reschedule_requested"), "the coordinators told")
        with pytest.raises(WorkflowUpdateFailedError) as someone_else:
            await handle.execute_update(AppointmentWorkflow.reply,
                                        PatientReply("confirm", "dr-a", "app"))
        await handle.execute_update(AppointmentWorkflow.apply,
                                    AppointmentUpdate("checked_in", "front-desk"))
        with pytest.raises(WorkflowUpdateFailedError) as too_late:
            await handle.execute_update(AppointmentWorkflow.reply,
                                        PatientReply("reschedule", "patient-1", "email"))
        view = await handle.query(AppointmentWorkflow.state)
        await handle.terminate("test over")
    assert (confirmed.answer, asked.answer) == ("confirm", "reschedule")
    assert [c.detail["via"] for c in recorder.recorded("patient_confirmed")] == ["sms"]
    assert [c.detail["via"] for c in recorder.recorded("reschedule_requested")] == ["app"]
    assert recorder.told("reschedule_requested") == {"coord": ["push", "websocket"]}
    assert recorder.told("patient_confirmed") == {}, "a confirmation is recorded, not broadcast"
    assert isinstance(someone_else.value.cause, ApplicationError)
    assert someone_else.value.cause.type == "NotAllowed"
    assert isinstance(too_late.value.cause, ApplicationError)
    assert too_late.value.cause.type == "InvalidTransition"
    assert view.status == "checked_in" and len(recorder.recorded("reschedule_requested")) == 1
