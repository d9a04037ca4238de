"""EmergencyEscalationWorkflow on the time-skipping server: outages, continue-as-new and commands.

Stand-in activities record what the workflow decided; the assertions read
those decisions (which page went out, which change was recorded), never the
absence of something after a sleep.
"""

from __future__ import annotations

import asyncio
import uuid

from temporalio import activity
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.delivery_types import DeliveryRequest, DeliveryResult
from activities.directory import TargetQuery
from activities.emergency_records import StateChange
from tests.utils.standins import batched, emergency_input
from worker import SANDBOX
from workflows.emergency import EmergencyEscalationWorkflow
from workflows.emergency_types import AcknowledgeInput, Actor, EmergencyInput, Target
from workflows.policy import ChannelStep, TierSpec

PEOPLE = {"responders": "dr-a", "charge_nurse": "nurse-b"}


class Recorder:
    """Stand-in activities: a person per tier, deliveries and state changes kept in order."""

    def __init__(self) -> None:
        self.sent: list[DeliveryRequest] = []
        self.changes: list[StateChange] = []
        self.lookups: list[str] = []  # each directory lookup's selector, in order
        self.hold_deliveries = asyncio.Event()
        self.hold_deliveries.set()  # deliveries return at once unless a test clears this

    def activities(self) -> list:
        @activity.defn(name="deliver")
        async def deliver(request: DeliveryRequest) -> DeliveryResult:
            self.sent.append(request)
            await self.hold_deliveries.wait()
            return DeliveryResult(request.attempt_id, request.channel, request.recipient_id,
                                  "sent")

        @activity.defn(name="resolve_targets")
        async def resolve_targets(query: TargetQuery) -> list[Target]:
            self.lookups.append(query.selector)
            person = PEOPLE.get(query.selector, "admin-c")
            return [Target(person, person, "provider", "emergency", 1.0)]

        @activity.defn(name="record_emergency_change")
        async def record(change: StateChange) -> None:
            self.changes.append(change)

        return [deliver, batched(deliver, record), resolve_targets, record]

    def recorded(self, change: str) -> list[StateChange]:
        return [c for c in self.changes if c.change == change]

    def pages(self, recipient: str) -> list[str]:
        return [r.channel for r in self.sent if r.kind == "page" and r.recipient_id == recipient]


def worker(env: WorkflowEnvironment, recorder: Recorder, queue: str) -> Worker:
    """No workflow cache: every task replays the history so far, so these tests also prove the
    decisions replay as made; and no sticky queue outlives a stopped worker."""
    return Worker(env.client, task_queue=queue, workflows=[EmergencyEscalationWorkflow],
                  activities=recorder.activities(), workflow_runner=SANDBOX,
                  max_cached_workflows=0)


def sms_after_3_s() -> EmergencyInput:
    """Tier 1: WebSocket at once, SMS after 3 s, 6 s to acknowledge; then tier 2."""
    return emergency_input([ChannelStep("websocket"), ChannelStep("sms", 3)],
                           [TierSpec("first", "responders", 6),
                            TierSpec("second", "charge_nurse", 60)])


async def until(condition, what: str, timeout_s: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(timeout_s):
        while not condition():
            await asyncio.sleep(0.02)


async def test_a_channel_step_due_during_an_outage_goes_out_late_before_the_tier_advances(
        time_env: WorkflowEnvironment) -> None:
    """Tier 1: WebSocket at 0 s, SMS at 3 s, 6 s to acknowledge. The worker is gone from just
    after the WebSocket page until 8 s: the SMS is sent (marked late) before tier 2 is paged."""
    recorder, queue, data = Recorder(), f"q-{uuid.uuid4().hex[:8]}", sms_after_3_s()
    async with worker(time_env, recorder, queue):
        handle = await time_env.client.start_workflow(
            EmergencyEscalationWorkflow.run, data, id=data.emergency_id, task_queue=queue)
        await until(lambda: recorder.recorded("tier_paged"), "tier 1's first step recorded")
    assert recorder.pages("dr-a") == ["websocket"]

    await time_env.sleep(8)  # the outage: no worker while both deadlines pass

    async with worker(time_env, recorder, queue):
        await until(lambda: recorder.pages("nurse-b"), "tier 2 paged")
        await handle.terminate("test over")

    assert recorder.pages("dr-a") == ["websocket", "sms"], "the SMS step was skipped"
    first_sms = next(i for i, r in enumerate(recorder.sent) if r.channel == "sms")
    first_tier2 = next(i for i, r in enumerate(recorder.sent) if r.recipient_id == "nurse-b")
    assert first_sms < first_tier2, "the late SMS must go out before the tier advances"
    late = [c.detail for c in recorder.recorded("tier_paged") if c.detail.get("late")]
    assert late and late[0]["channels"] == ["sms"] and late[0]["late_by_s"] >= 4
    assert late[0]["due_after_s"] == 3


async def test_a_step_on_time_is_not_marked_late(time_env: WorkflowEnvironment) -> None:
    recorder, queue, data = Recorder(), f"q-{uuid.uuid4().hex[:8]}", sms_after_3_s()
    async with worker(time_env, recorder, queue):
        handle = await time_env.client.start_workflow(
            EmergencyEscalationWorkflow.run, data, id=data.emergency_id, task_queue=queue)
        await until(lambda: recorder.pages("nurse-b"), "tier 2 paged")
        await handle.terminate("test over")
    steps = [c.detail for c in recorder.recorded("tier_paged")]
    assert [s["channels"] for s in steps[:2]] == [["websocket"], ["sms"]]
    assert not any(s.get("late") for s in steps)


async def test_tier_1_found_by_the_api_is_paged_without_a_lookup_and_later_tiers_are_looked_up(
        time_env: WorkflowEnvironment) -> None:
    """The API looked up tier 1 as it started the emergency (first_tier_targets): the workflow
    pages those people in its first task. Tier 2, and tier 1 again on the repeat round, are
    looked up when they are due, as ever."""
    recorder, queue = Recorder(), f"q-{uuid.uuid4().hex[:8]}"
    found = Target("found-by-api", "Found By API", "provider", "emergency", 1.0)
    data = emergency_input([ChannelStep("websocket")],
                           [TierSpec("first", "responders", 2), TierSpec("second", "charge_nurse", 2)],
                           repeat_count=1, first_tier_targets=[found])
    async with worker(time_env, recorder, queue):
        handle = await time_env.client.start_workflow(
            EmergencyEscalationWorkflow.run, data, id=data.emergency_id, task_queue=queue)
        await until(lambda: len(recorder.pages("nurse-b")) == 2, "both rounds of tier 2 paged")
        await handle.terminate("test over")
    assert recorder.pages("found-by-api") == ["websocket"]
    assert recorder.pages("dr-a") == ["websocket"], "the repeat round looks tier 1 up afresh"
    assert recorder.lookups[:3] == ["charge_nurse", "responders", "charge_nurse"]
    first = recorder.recorded("tier_paged")[0].detail
    assert first["targets"] == ["found-by-api"]


async def _history_has_settled_after(handle: WorkflowHandle, activity_completions: int) -> None:
    """Wait until the workflow has finished the task that followed the n-th completed activity:
    only then is it parked where the test wants it."""
    async with asyncio.timeout(20):
        while True:
            events = [e async for e in handle.fetch_history_events()]
            done = [i for i, e in enumerate(events) if e.HasField(
                "activity_task_completed_event_attributes")]
            if len(done) >= activity_completions and any(
                    e.HasField("workflow_task_completed_event_attributes")
                    for e in events[done[activity_completions - 1]:]):
                return
            await asyncio.sleep(0.05)


async def test_an_acknowledgement_accepted_while_draining_for_continue_as_new_is_recorded(
        time_env: WorkflowEnvironment) -> None:
    """The history is long, so the run settles to continue as new; its pages are still in
    flight when a responder acknowledges. The acknowledgement is recorded (projection, audit,
    live event) instead of being carried silently into the next run."""
    recorder, queue = Recorder(), f"q-{uuid.uuid4().hex[:8]}"
    data = emergency_input([ChannelStep("websocket")],
                           [TierSpec("first", "responders", 2), TierSpec("second", "charge_nurse", 60)],
                           history_limit=1)
    recorder.hold_deliveries.clear()  # every page stays in flight: the drain cannot finish
    async with worker(time_env, recorder, queue):
        handle = await time_env.client.start_workflow(
            EmergencyEscalationWorkflow.run, data, id=data.emergency_id, task_queue=queue)
        await until(lambda: recorder.recorded("escalated"), "tier 1 timed out")
        # started, tier_paged, escalated: after the third record the run is draining.
        await _history_has_settled_after(handle, 3)
        await handle.execute_update(EmergencyEscalationWorkflow.acknowledge,
                                    AcknowledgeInput(Actor("dr-a", "Dr A")))
        recorder.hold_deliveries.set()
        await until(lambda: recorder.recorded("acknowledged"), "the acknowledgement recorded")
        state = await handle.query(EmergencyEscalationWorkflow.state)
        await handle.terminate("test over")
    assert state.status == "acknowledged" and state.owner_id == "dr-a"
    assert len(recorder.recorded("acknowledged")) == 1
