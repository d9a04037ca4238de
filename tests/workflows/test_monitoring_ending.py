"""MonitoringSessionWorkflow on the time-skipping server: nothing is scored once it is ending.

A reading that arrives after the end was accepted could page staff or start an
emergency after "ended" was recorded; it is counted as refused instead.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timezone

from temporalio import activity
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.delivery_types import DeliveryRequest, DeliveryResult
from activities.directory import TargetQuery
from activities.monitoring_emergency import EmergencyPlan, EmergencyPlanRequest
from activities.monitoring_records import ReadingsFlush, SessionChange
from clinical.thresholds import default_thresholds
from clinical.vitals import Reading, VitalSigns
from worker import SANDBOX
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

NEWS2_5 = VitalSigns(respiratory_rate=22, spo2=94, on_oxygen=False, systolic_bp=120,
                     heart_rate=105, consciousness="alert", temperature_c=38.2)
NEWS2_8 = VitalSigns(respiratory_rate=25, spo2=93, on_oxygen=False, systolic_bp=120,
                     heart_rate=115, consciousness="alert", temperature_c=38.2)


class SessionRecorder:
    def __init__(self) -> None:
        self.changes: list[SessionChange] = []
        self.sent: list[DeliveryRequest] = []
        self.plans: list[EmergencyPlanRequest] = []
        self.stores = 0
        self.release_store = asyncio.Event()

    def activities(self) -> list:
        @activity.defn(name="record_session_change")
        async def record(change: SessionChange) -> None:
            self.changes.append(change)

        @activity.defn(name="store_session_readings")
        async def store(flush: ReadingsFlush) -> None:
            self.stores += 1
            await self.release_store.wait()

        @activity.defn(name="deliver")
        async def deliver(request: DeliveryRequest) -> DeliveryResult:
            self.sent.append(request)
            return DeliveryResult(request.attempt_id, request.channel, request.recipient_id,
                                  "sent")

        @activity.defn(name="resolve_targets")
        async def resolve_targets(query: TargetQuery) -> list[Target]:
            return [Target("nurse-b", "Nurse B", "provider", "nurse", 1.0)]

        @activity.defn(name="plan_monitoring_emergency")
        async def plan(request: EmergencyPlanRequest) -> EmergencyPlan:
            self.plans.append(request)
            return EmergencyPlan(f"emergency-{request.idempotency_key}", already_open=True)

        return [record, store, deliver, batched(deliver), resolve_targets, plan]

    def recorded(self, change: str) -> list[SessionChange]:
        return [c for c in self.changes if c.change == change]


def session_input() -> SessionInput:
    return SessionInput(
        session_id=f"session-{uuid.uuid4().hex[:8]}", patient_id="p-1",
        monitoring_type="continuous_vitals", facility_id="f", location={}, short_code="M00001",
        devices=[Device("mon-1", "ekg_monitor")], care_team=["nurse-a"], viewers=["dr-v"],
        family_viewers=[], thresholds=default_thresholds("continuous_vitals"),
        expected_interval_s=3600, created_by="coord", emergency_task_queue="nowhere",
        timing=SessionTiming())


def alarm_pages(recorder: SessionRecorder) -> list[DeliveryRequest]:
    return [r for r in recorder.sent if r.kind == "alarm"]


def reading(vitals: VitalSigns) -> Reading:
    return Reading("mon-1", datetime.now(timezone.utc), vitals)


async def until(condition, timeout_s: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(timeout_s):
        while not condition():
            await asyncio.sleep(0.02)


async def test_readings_that_arrive_while_a_session_ends_are_refused_not_scored(
        time_env: WorkflowEnvironment) -> None:
    recorder, queue, data = SessionRecorder(), f"q-{uuid.uuid4().hex[:8]}", session_input()
    async with Worker(time_env.client, task_queue=queue, workflows=[MonitoringSessionWorkflow],
                      activities=recorder.activities(), workflow_runner=SANDBOX):
        handle = await time_env.client.start_workflow(
            MonitoringSessionWorkflow.run, data, id=data.session_id, task_queue=queue)
        # A medium alarm: its pages go out, and its storage is held in flight.
        await handle.signal(MonitoringSessionWorkflow.add_readings, ReadingBatch([reading(NEWS2_5)]))
        await until(lambda: recorder.stores >= 1 and len(alarm_pages(recorder)) >= 2)
        pages_before = alarm_pages(recorder)  # the care team's websocket and push
        ending = asyncio.create_task(handle.execute_update(
            MonitoringSessionWorkflow.end, EndSession(SessionActor("coord", "C", may_steer=True))))
        await until(lambda: recorder.recorded("ending"))
        # The end is accepted and waits on the storage: critical readings arrive now.
        await handle.signal(MonitoringSessionWorkflow.add_readings,
                            ReadingBatch([reading(NEWS2_8), reading(NEWS2_8)]))
        recorder.release_store.set()
        summary = await ending
        await handle.result()

    assert summary.readings == 1
    assert summary.readings_refused_after_end == 2
    assert len(recorder.recorded("ended")) == 1
    assert alarm_pages(recorder) == pages_before
    assert not [r for r in recorder.sent if r.content.get("priority") == "high"]
    assert not recorder.plans, "no emergency was started for a reading after the end"
