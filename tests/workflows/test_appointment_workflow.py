"""AppointmentWorkflow on the time-skipping server: reminders, reschedule, cancel, no-show, refusals.

Stand-in activities record what the workflow decided (pages, recorded
changes); the assertions read those decisions, never the absence of something
after a sleep.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

import pytest
from temporalio import activity
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.appointment_plans import FamilyQuery
from activities.appointment_records import AppointmentChange
from activities.delivery_types import DeliveryRequest, DeliveryResult
from activities.directory import TargetQuery
from clinical.appointment_reminders import plan_reminders
from worker import SANDBOX
from tests.utils.standins import batched
from workflows.appointment import AppointmentWorkflow
from workflows.appointment_types import (
    AppointmentInput,
    AppointmentUpdate,
    Reminder,
    ReminderPlanRequest,
)
from workflows.emergency_types import Target

HOUR = 3600.0


class Recorder:
    """Stand-ins: deliveries and recorded changes kept in order; an on-duty nurse; one family
    member; reminders planned by the real pure rule with no quiet hours."""

    def __init__(self) -> None:
        self.sent: list[DeliveryRequest] = []
        self.changes: list[AppointmentChange] = []

    def activities(self) -> list:
        @activity.defn(name="deliver")
        async def deliver(request: DeliveryRequest) -> DeliveryResult:
            self.sent.append(request)
            return DeliveryResult(request.attempt_id, request.channel, request.recipient_id, "sent")

        @activity.defn(name="resolve_targets")
        async def resolve_targets(query: TargetQuery) -> list[Target]:
            return [Target("nurse-on-duty", "Nurse", "provider", "nurse")]

        @activity.defn(name="record_appointment_change")
        async def record(change: AppointmentChange) -> None:
            self.changes.append(change)

        @activity.defn(name="plan_appointment_reminders")
        async def plan(request: ReminderPlanRequest) -> list[Reminder]:
            return [Reminder(p.offset_s, p.due_at, p.moved_from) for p in plan_reminders(
                starts_at=request.starts_at, offsets_s=request.offsets_s,
                time_zone=request.time_zone, now=request.now, quiet_hours=None)]

        @activity.defn(name="appointment_family")
        async def family(query: FamilyQuery) -> list[str]:
            return ["cg-family"]

        return [deliver, batched(deliver), resolve_targets, record, plan, family]

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
    async with Worker(env.client, task_queue=queue, workflows=[AppointmentWorkflow],
                      activities=recorder.activities(), workflow_runner=SANDBOX):
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
    data = appointment(now, starts_in_h=48, care_team=["dr-b"])
    async with running(time_env, recorder, data) as handle:
        await handle.execute_update(AppointmentWorkflow.apply,
                                    AppointmentUpdate("emergency", "dr-a"))
        await until(lambda: "dr-b" in recorder.told("emergency"), "care team paged")
        await until(lambda: "nurse-on-duty" in recorder.told("emergency"), "on duty paged")
        await handle.terminate("test over")
    told = recorder.told("emergency")
    assert sorted(told["dr-b"]) == sorted(["websocket", "push", "sms", "voice", "email"])
    assert sorted(told["patient-1"]) == sorted(told["dr-b"]), "critical: every channel"
