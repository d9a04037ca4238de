"""A tier's WebSocket page written inside the workflow task that decides it, and what happens
when that write is slow, or when the task dies after it (workflows/paging.py `in_task`, on the
time-skipping server).

Stand-in activities record each page; the worker keeps no workflow cache, so every task
replays the history so far, and each test replays the finished history once more.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable

import pytest

from temporalio import activity, workflow
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import (
    ExecuteWorkflowInput,
    Interceptor,
    Replayer,
    StartLocalActivityInput,
    Worker,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
    WorkflowOutboundInterceptor,
)

from activities.delivery_types import DeliveryBatchResult, DeliveryRequest, DeliveryResult
from activities.directory import TargetQuery
from activities.emergency_records import BatchWithChanges, StateChange
from tests.utils.standins import emergency_input
from worker import SANDBOX
from workflows.emergency import EmergencyEscalationWorkflow
from workflows.emergency_types import EmergencyInput, Target
from workflows.paging import IN_TASK_BUDGET
from workflows.policy import ChannelStep, TierSpec

PEOPLE = {"responders": "dr-a", "charge_nurse": "nurse-b", "nobody_on_shift": None}


class Pages:
    """Stand-ins: every try of every page, the changes recorded, and a first WebSocket write
    that can be made to stall past the in-task budget or to fail."""

    def __init__(self, first_websocket_write: str = "", env: WorkflowEnvironment | None = None,
                 first_write_takes_s: float = 0.0) -> None:
        self.tries: list[tuple[str, list[str]]] = []  # (how it ran, attempt ids) per batch try
        self.changes: list[StateChange] = []
        self.recorded_alone: list[str] = []  # changes written by a record activity of their own
        self._first_write = first_websocket_write  # "", "stalls" or "fails"
        # When each batch was first written (the server's time), as the attempts' records keep
        # it: a batch written again answers with it, as `deliver_batch` does.
        self.written: dict[str, float] = {}
        self._env = env
        self._first_write_takes_s = first_write_takes_s

    def activities(self) -> list:
        @activity.defn(name="deliver_batch")
        async def deliver_batch(batch: BatchWithChanges) -> DeliveryBatchResult:
            how = "local" if activity.info().is_local else "activity"
            self.tries.append((how, [r.attempt_id for r in batch.requests]))
            if self._first_write and batch.requests[0].channel == "websocket":
                trouble, self._first_write = self._first_write, ""
                if trouble == "fails":
                    raise RuntimeError("database is locked")
                # A stalled database: the try is cut off first.
                await asyncio.sleep(IN_TASK_BUDGET.total_seconds() + 2)
            first = batch.requests[0].attempt_id
            if first in self.written:  # on record: nobody is paged or recorded twice
                return DeliveryBatchResult([_sent(r) for r in batch.requests],
                                           written_before=self.written[first])
            if self._env is not None:
                self.written[first] = (await self._env.get_current_time()).timestamp()
                if len(self.written) == 1:
                    await asyncio.sleep(self._first_write_takes_s)
            for change in batch.changes:
                self.changes.append(change)
            return DeliveryBatchResult([_sent(r) for r in batch.requests])

        @activity.defn(name="deliver")
        async def deliver(request: DeliveryRequest) -> DeliveryResult:
            self.tries.append(("activity", [request.attempt_id]))
            return _sent(request)

        @activity.defn(name="resolve_targets")
        async def resolve_targets(query: TargetQuery) -> list[Target]:
            person = PEOPLE.get(query.selector, "admin-c")
            return [Target(person, person, "provider", "emergency", 1.0)] if person else []

        @activity.defn(name="record_emergency_change")
        async def record(change: StateChange) -> None:
            self.changes.append(change)
            self.recorded_alone.append(change.change)

        return [deliver_batch, deliver, resolve_targets, record]

    def tried(self, attempt_id: str) -> list[str]:
        """How each try that carried `attempt_id` ran, in order."""
        return [how for how, ids in self.tries if attempt_id in ids]

    def recorded(self, change: str) -> list[StateChange]:
        return [c for c in self.changes if c.change == change]


def _sent(request: DeliveryRequest) -> DeliveryResult:
    return DeliveryResult(request.attempt_id, request.channel, request.recipient_id, "sent")


def _two_tiers() -> EmergencyInput:
    """Tier 1: WebSocket and SMS at once, 5 s to acknowledge; then tier 2."""
    return emergency_input([ChannelStep("websocket"), ChannelStep("sms")],
                           [TierSpec("first", "responders", 5),
                            TierSpec("second", "charge_nurse", 600)])


async def _run_until(env: WorkflowEnvironment, pages: Pages, data: EmergencyInput,
                     done: Callable[[], bool], interceptors: list[Interceptor] | None = None,
                     settle: bool = False) -> WorkflowHandle:
    """Run the emergency on a worker of its own until `done()`; then (after the last task has
    completed, if `settle`) terminate it."""
    queue = f"q-{uuid.uuid4().hex[:8]}"
    async with Worker(env.client, task_queue=queue, workflows=[EmergencyEscalationWorkflow],
                      activities=pages.activities(), workflow_runner=SANDBOX,
                      max_cached_workflows=0, interceptors=interceptors or []):
        handle = await env.client.start_workflow(EmergencyEscalationWorkflow.run, data,
                                                 id=data.emergency_id, task_queue=queue)
        async with asyncio.timeout(30):
            while not done():
                await asyncio.sleep(0.02)
        if settle:
            await _settled(handle)
        await handle.terminate("test over")
    return handle


async def _run_until_tier_2(env: WorkflowEnvironment, pages: Pages,
                            interceptors: list[Interceptor] | None = None) -> WorkflowHandle:
    data = _two_tiers()
    tier_2_page = f"{data.emergency_id}/r0t1/nurse-b/websocket"
    # Once tier 2's page has been written, its task is let finish before the history is read.
    return await _run_until(env, pages, data, lambda: bool(pages.tried(tier_2_page)),
                            interceptors, settle=True)


async def _settled(handle: WorkflowHandle) -> None:
    """Wait until the task that wrote tier 2's page has completed: its commands (the page's
    marker, the SMS batch, the tier's timer) are then in the history."""
    async with asyncio.timeout(20):
        while True:
            events = [e async for e in handle.fetch_history_events()]
            if events[-1].HasField("workflow_task_completed_event_attributes") or any(
                    e.HasField("timer_started_event_attributes") for e in events[-3:]):
                return
            await asyncio.sleep(0.05)


def _local_activity_markers(events: list[HistoryEvent]) -> list[dict]:
    """What each local activity marker says (its type, and whether it failed)."""
    found = []
    for event in events:
        if not event.HasField("marker_recorded_event_attributes"):
            continue
        marker = event.marker_recorded_event_attributes
        if marker.marker_name != "core_local_activity":
            continue
        data = json.loads(marker.details["data"].payloads[0].data)
        found.append({"activity_type": data["activity_type"],
                      "failed": marker.HasField("failure")})
    return found


def _scheduled_batches(events: list[HistoryEvent]) -> int:
    return sum(1 for e in events if e.HasField("activity_task_scheduled_event_attributes")
               and e.activity_task_scheduled_event_attributes.activity_type.name == "deliver_batch")


async def _replays(handle: WorkflowHandle) -> None:
    replayer = Replayer(workflows=[EmergencyEscalationWorkflow], workflow_runner=SANDBOX)
    result = await replayer.replay_workflow(await handle.fetch_history(),
                                            raise_on_replay_failure=False)
    assert result.replay_failure is None, f"the history does not replay: {result.replay_failure}"


async def test_each_tiers_websocket_page_is_written_in_the_task_that_decides_it(
        time_env: WorkflowEnvironment) -> None:
    pages = Pages()
    handle = await _run_until_tier_2(time_env, pages)
    eid = handle.id
    assert pages.tried(f"{eid}/r0t0/dr-a/websocket") == ["local"]
    assert pages.tried(f"{eid}/r0t1/nurse-b/websocket") == ["local"]
    assert pages.tried(f"{eid}/r0t0/dr-a/sms") == ["activity"], "provider calls stay activities"
    events = [e async for e in handle.fetch_history_events()]
    assert [m for m in _local_activity_markers(events) if m["activity_type"] == "deliver_batch"] \
        == [{"activity_type": "deliver_batch", "failed": False}] * 2
    assert _scheduled_batches(events) == 2, "only the two SMS batches go through the server"
    # Each tier's page carried its record, once; the escalation went with tier 2's page, in
    # order, and no record needed an activity of its own.
    assert [(c.change, c.state.tier) for c in pages.changes] == [
        ("started", 0), ("tier_paged", 0), ("escalated", 1), ("tier_paged", 1)]
    assert pages.recorded_alone == []
    await _replays(handle)


@pytest.mark.parametrize("trouble", ["stalls", "fails"])
async def test_a_page_write_that_stalls_or_fails_goes_on_as_an_activity_and_replays(
        time_env: WorkflowEnvironment, trouble: str) -> None:
    """Tier 1's WebSocket write stalls past IN_TASK_BUDGET, or fails: that one try ends, the
    same batch goes on as an activity, the tier's page and record are made once, and tier 2
    follows. The history replays. (A local activity's failure comes back in forms an
    activity's never takes: one that raised as a bare ApplicationError, one that timed out as
    a bare TimeoutError on replay. The pager must take each the same way.)"""
    pages = Pages(first_websocket_write=trouble)
    handle = await _run_until_tier_2(time_env, pages)
    eid = handle.id
    assert pages.tried(f"{eid}/r0t0/dr-a/websocket") == ["local", "activity"]
    assert pages.tried(f"{eid}/r0t1/nurse-b/websocket") == ["local"]
    events = [e async for e in handle.fetch_history_events()]
    batches = [m for m in _local_activity_markers(events) if m["activity_type"] == "deliver_batch"]
    assert batches == [{"activity_type": "deliver_batch", "failed": True},
                       {"activity_type": "deliver_batch", "failed": False}]
    assert _scheduled_batches(events) == 3, "the cut-off page, then both SMS batches"
    assert [c.detail["tier_name"] for c in pages.recorded("tier_paged")] == ["first", "second"]
    assert len(pages.recorded("escalated")) == 1
    await _replays(handle)


class DiesAfterTheFirstWrite(Interceptor):
    """Fails the workflow task in which the first page's local activity came back, once: it is
    written, but the task's completion (and the activity's marker in it) never reaches the
    server, as when the worker or Temporal is killed at that moment. The server runs the
    task again."""

    def __init__(self) -> None:
        self.died: list[float] = []  # the workflow time of the task that died

    def workflow_interceptor_class(self, input: WorkflowInterceptorClassInput
                                   ) -> type[WorkflowInboundInterceptor]:
        died = self.died

        class Inbound(WorkflowInboundInterceptor):
            def init(self, outbound: WorkflowOutboundInterceptor) -> None:
                self.written = asyncio.Event()
                inbound = self

                class Outbound(WorkflowOutboundInterceptor):
                    def start_local_activity(self, input: StartLocalActivityInput
                                             ) -> workflow.ActivityHandle:
                        handle = super().start_local_activity(input)
                        if not died and input.activity == "deliver_batch":
                            handle.add_done_callback(lambda _: inbound.written.set())
                        return handle

                super().init(Outbound(outbound))

            async def execute_workflow(self, input: ExecuteWorkflowInput) -> object:
                run = asyncio.create_task(super().execute_workflow(input))
                written = asyncio.create_task(self.written.wait())
                await asyncio.wait([run, written], return_when=asyncio.FIRST_COMPLETED)
                if written.done() and not died:
                    died.append(workflow.now().timestamp())
                    raise RuntimeError("the task died after the page was written")
                written.cancel()
                return await run

        return Inbound


async def test_a_task_that_dies_after_writing_the_page_runs_again_on_the_clock_of_that_write(
        time_env: WorkflowEnvironment) -> None:
    """Tier 1's page is written inside its task (the write takes 2 s), and the task dies
    before completing. It runs again: the write answers from its records (nobody paged
    twice), the tier's records are not made twice, and the tier's clock is the first write's,
    not the second run's: the tier times out 5 s after the page went out, so a step falling
    due in between goes out at once, marked late (SPEC §8). The history replays."""
    pages = Pages(env=time_env, first_write_takes_s=2.0)
    dies = DiesAfterTheFirstWrite()
    handle = await _run_until_tier_2(time_env, pages, [dies])
    eid = handle.id
    assert dies.died, "the first task died after the write"
    first_page = f"{eid}/r0t0/dr-a/websocket"
    assert pages.tried(first_page) == ["local", "local"], "written, then answered again"
    assert dies.died[0] - pages.written[first_page] > 1.5, "the task died 2 s after the write"
    assert [c.detail["tier_name"] for c in pages.recorded("tier_paged")] == ["first", "second"]
    assert len(pages.recorded("started")) == 1, "the run's first record is made once"
    events = [e async for e in handle.fetch_history_events()]
    timers = [e.timer_started_event_attributes.start_to_fire_timeout.ToTimedelta().total_seconds()
              for e in events if e.HasField("timer_started_event_attributes")]
    # Tier 1's 5 s run from the first write, 2 s before the task ran again (on the second
    # run's clock the timer would be set for 5 s).
    assert timers and timers[0] <= 3.5, f"tier 1's timeout runs from the first write: {timers}"
    await _replays(handle)


async def test_an_escalation_with_no_page_after_it_is_recorded_before_the_next_record(
        time_env: WorkflowEnvironment) -> None:
    """The escalation to tier 2 waits to go with tier 2's page; tier 2 has nobody on shift, so
    no page follows and the policy is spent. The escalation is written first, then the
    exhaustion, in order, each once. The history replays."""
    data = emergency_input([ChannelStep("websocket")],
                           [TierSpec("first", "responders", 5),
                            TierSpec("second", "nobody_on_shift", 5)])
    pages = Pages()
    handle = await _run_until(time_env, pages, data, lambda: bool(pages.recorded("extra_page")))
    assert [c.change for c in pages.changes] == [
        "started", "tier_paged", "escalated", "unacknowledged", "extra_page"]
    assert pages.recorded_alone == ["escalated", "unacknowledged", "extra_page"]
    assert pages.recorded("escalated")[0].detail["to_tier"] == 1
    await _replays(handle)
