"""A tier's WebSocket page written inside the workflow task that decides it, and what happens
when that write is slow (workflows/paging.py `in_task`, on the time-skipping server).

Stand-in activities record each page; the worker keeps no workflow cache, so every task
replays the history so far, and each test replays the finished history once more.
"""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest

from temporalio import activity
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, Worker

from activities.delivery_types import DeliveryBatchResult, DeliveryRequest, DeliveryResult
from activities.directory import TargetQuery
from activities.emergency_records import BatchWithChanges, StateChange
from tests.utils.standins import emergency_input
from worker import SANDBOX
from workflows.emergency import EmergencyEscalationWorkflow
from workflows.emergency_types import EmergencyInput, Target
from workflows.paging import IN_TASK_BUDGET
from workflows.policy import ChannelStep, TierSpec

PEOPLE = {"responders": "dr-a", "charge_nurse": "nurse-b"}


class Pages:
    """Stand-ins: every try of every page, the changes recorded, and a first WebSocket write
    that can be made to stall past the in-task budget or to fail."""

    def __init__(self, first_websocket_write: str = "") -> None:
        self.tries: list[tuple[str, list[str]]] = []  # (how it ran, attempt ids) per batch try
        self.changes: list[StateChange] = []
        self._first_write = first_websocket_write  # "", "stalls" or "fails"

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
            return [Target(person, person, "provider", "emergency", 1.0)]

        @activity.defn(name="record_emergency_change")
        async def record(change: StateChange) -> None:
            self.changes.append(change)

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


async def _run_until_tier_2(env: WorkflowEnvironment, pages: Pages) -> WorkflowHandle:
    data = _two_tiers()
    emergency_id = data.emergency_id
    queue = f"q-{uuid.uuid4().hex[:8]}"
    async with Worker(env.client, task_queue=queue, workflows=[EmergencyEscalationWorkflow],
                      activities=pages.activities(), workflow_runner=SANDBOX,
                      max_cached_workflows=0):
        handle = await env.client.start_workflow(EmergencyEscalationWorkflow.run, data,
                                                 id=emergency_id, task_queue=queue)
        async with asyncio.timeout(30):
            while not pages.tried(f"{emergency_id}/r0t1/nurse-b/websocket"):
                await asyncio.sleep(0.02)
        # Tier 2's page has been written; let its task finish before the history is read.
        await _settled(handle)
        await handle.terminate("test over")
    return handle


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
    # Each tier's page carried its record, once.
    assert [c.detail["tier_name"] for c in pages.recorded("tier_paged")] == ["first", "second"]
    assert len(pages.recorded("escalated")) == 1
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
