"""A huge batch of readings signalled straight to a session cannot wedge it (time-skipping server).

The API caps and splits what it sends, but the workflow must be safe against
any batch it can receive: Temporal fails a workflow task that holds the
thread for 2 s ("didn't yield"), and a wedged session never scores another
reading nor answers /end.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone

from temporalio import activity
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, Worker

from activities.delivery_types import DeliveryRequest, DeliveryResult
from activities.directory import TargetQuery
from activities.monitoring_records import ReadingsFlush, SessionChange
from clinical.thresholds import default_thresholds
from clinical.vitals import Reading, VitalSigns
from tests.utils.standins import batched
from workflows.emergency_types import Target
from workflows.monitoring import MonitoringSessionWorkflow
from workflows.monitoring_types import (
    Device,
    EndSession,
    ReadingBatch,
    SessionActor,
    SessionInput,
    SessionTiming,
)


def _stand_ins(stored: dict[int, int]) -> list:
    @activity.defn(name="record_session_change")
    async def record(change: SessionChange) -> None:
        return None

    @activity.defn(name="store_session_readings")
    async def store(flush: ReadingsFlush) -> None:
        # Applied once per flush number, as the real store does: on a loaded machine the
        # time-skipping server can time a slow try out and send the same flush again.
        stored[flush.batch] = len(flush.points)

    @activity.defn(name="deliver")
    async def deliver(request: DeliveryRequest) -> DeliveryResult:
        return DeliveryResult(request.attempt_id, request.channel, request.recipient_id, "sent")

    @activity.defn(name="resolve_targets")
    async def resolve_targets(query: TargetQuery) -> list[Target]:
        return []

    return [record, store, deliver, batched(deliver), resolve_targets]


@asynccontextmanager
async def _session(client: Client, stored: dict[int, int]) -> AsyncIterator[WorkflowHandle]:
    from worker import SANDBOX

    queue = f"unit-{uuid.uuid4().hex[:8]}"
    data = SessionInput(
        session_id=f"unit-session-{uuid.uuid4().hex[:8]}", patient_id="p", monitoring_type=
        "continuous_vitals", facility_id="f", location={}, short_code="M00001",
        devices=[Device("mon-1", "ekg_monitor")], care_team=["nurse"], viewers=["dr"],
        family_viewers=[], thresholds=default_thresholds("continuous_vitals"),
        expected_interval_s=3600, created_by="coord", emergency_task_queue=queue,
        timing=SessionTiming())
    async with Worker(client, task_queue=queue, workflows=[MonitoringSessionWorkflow],
                      activities=_stand_ins(stored), workflow_runner=SANDBOX):
        yield await client.start_workflow(MonitoringSessionWorkflow.run, data,
                                          id=data.session_id, task_queue=queue)


def _normal_readings(count: int) -> list[Reading]:
    # One a second over the last count seconds: all inside the NEWS2 trend window.
    start = datetime.now(timezone.utc) - timedelta(seconds=count + 5)
    vitals = VitalSigns(heart_rate=75, respiratory_rate=16, spo2=97, on_oxygen=False,
                        systolic_bp=120, consciousness="alert", temperature_c=37.0)
    return [Reading("mon-1", start + timedelta(seconds=i), vitals) for i in range(count)]


async def test_a_huge_batch_signalled_directly_is_scored_and_the_session_still_ends(
        time_env: WorkflowEnvironment) -> None:
    client = time_env.client
    stored: dict[int, int] = {}
    readings = _normal_readings(5000)
    async with _session(client, stored) as handle:
        await handle.signal(MonitoringSessionWorkflow.add_readings, ReadingBatch(readings))
        summary = await handle.execute_update(
            MonitoringSessionWorkflow.end, EndSession(SessionActor("coord", "C", may_steer=True)),
            rpc_timeout=timedelta(seconds=120))
        history = await handle.fetch_history()
    assert summary.readings == 5000
    assert sum(stored.values()) == 5000
    # The sliced scoring is deterministic: the first run (up to its continue-as-new) replays.
    assert any(b"bounded-scoring" in e.SerializeToString() for e in history.events), \
        "scored in slices, behind its patch"
    from worker import SANDBOX

    replayed = await Replayer(workflows=[MonitoringSessionWorkflow],
                              workflow_runner=SANDBOX).replay_workflow(history)
    assert replayed.replay_failure is None
