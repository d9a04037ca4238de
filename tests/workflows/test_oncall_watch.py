"""OnCallWatchWorkflow on the time-skipping server: three days of a rota in a second.

The stand-in look answers from an in-memory rota through the real resolver
(clinical/oncall_watch.py), so the times asserted are the rota's own.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from temporalio import activity
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.delivery_types import DeliveryRequest, DeliveryResult
from clinical.oncall import Layer, Schedule
from clinical.oncall_watch import watch
from tests.utils.standins import batched
from workflows.oncall_watch import OnCallWatchWorkflow
from workflows.oncall_watch_types import (
    GapNotice,
    HandOffNotice,
    OnCallWatchInput,
    OnCallWatchState,
    RotaLook,
    RotaLookRequest,
    Window,
)

ZONE = ZoneInfo("Asia/Kuala_Lumpur")
NOTICE = timedelta(minutes=30)


@pytest.fixture(scope="module")
async def rota_env() -> AsyncIterator[WorkflowEnvironment]:
    from tests.workflows.conftest import _test_server

    env = await WorkflowEnvironment.start_time_skipping(test_server_existing_path=_test_server())
    yield env
    await env.shutdown()


async def _run(env: WorkflowEnvironment, history_limit: int = 2000
               ) -> tuple[datetime, list[tuple[datetime, DeliveryRequest]], OnCallWatchState]:
    """A daily ana/ben rota whose first hand-off is two days away (a gap until then), watched
    until three days and an hour have passed; returns the start, each delivery with when it
    was sent, and the final state."""
    start = (await env.get_current_time()).replace(microsecond=0)
    first = (start + timedelta(days=2)).astimezone(ZONE).replace(tzinfo=None)
    rota = Schedule("cardio", "Asia/Kuala_Lumpur",
                    layers=(Layer("days", ("ana", "ben"), first, "daily"),))
    sent: list[tuple[datetime, DeliveryRequest]] = []

    @activity.defn(name="look_at_rota")
    async def look(request: RotaLookRequest) -> RotaLook:
        if request.now > start + timedelta(days=3, hours=1):
            return RotaLook(exists=False)
        handoffs, gaps = watch(rota, request.now)
        return RotaLook(True, "Cardiology", NOTICE.total_seconds(),
                        [HandOffNotice(h.person, "sms", h.starts_at, h.ends_at, "local",
                                       h.source) for h in handoffs],
                        [GapNotice(Window(g.starts_at, g.ends_at), "from", "to") for g in gaps],
                        admins=["admin-a"])

    @activity.defn(name="deliver")
    async def deliver(request: DeliveryRequest) -> DeliveryResult:
        sent.append((activity.info().current_attempt_scheduled_time, request))
        return DeliveryResult(request.attempt_id, request.channel, request.recipient_id, "sent")

    from worker import SANDBOX

    queue = f"unit-{uuid.uuid4().hex[:8]}"
    async with Worker(env.client, task_queue=queue, workflows=[OnCallWatchWorkflow],
                      activities=[look, deliver, batched(deliver)], workflow_runner=SANDBOX):
        state = await env.client.execute_workflow(
            OnCallWatchWorkflow.run,
            OnCallWatchInput("cardio", recheck_s=3600, history_limit=history_limit),
            id=f"oncall-unit-{uuid.uuid4().hex[:8]}", task_queue=queue)
    return start, sent, state


def _on_time(at: datetime, due: datetime) -> bool:
    """Never early, and not at the next hourly look: the workflow woke for it. (A minute's
    leeway: the server's clock runs on while the activities do.)"""
    return due <= at < due + timedelta(minutes=1)


@pytest.mark.parametrize("history_limit", [2000, 60], ids=["one run", "continued as new"])
async def test_the_person_coming_on_is_told_before_each_shift_and_a_gap_is_reported_once(
        rota_env: WorkflowEnvironment, history_limit: int) -> None:
    start, sent, state = await _run(rota_env, history_limit)
    handoffs = [(at, r) for at, r in sent if r.kind == "shift_handoff"]
    gaps = [(at, r) for at, r in sent if r.kind == "rota_gap"]

    # Ana comes on in two days, Ben a day later: each told 30 minutes before, by SMS, once.
    assert [(r.recipient_id, r.channel) for _, r in handoffs] == [("ana", "sms"), ("ben", "sms")]
    assert _on_time(handoffs[0][0], start + timedelta(days=2) - NOTICE)
    assert _on_time(handoffs[1][0], start + timedelta(days=3) - NOTICE)
    assert datetime.fromisoformat(handoffs[0][1].content["starts_at"]) == start + timedelta(days=2)

    # The two days with nobody on call reach the admin once, on each gap channel, at the start,
    # with the whole window, though the rota was looked at every hour for three days.
    assert state.looks > 70
    assert sorted((r.recipient_id, r.channel) for _, r in gaps) == [("admin-a", "email"),
                                                                   ("admin-a", "websocket")]
    assert all(_on_time(at, start) for at, _ in gaps)
    window = gaps[0][1].content
    assert _on_time(datetime.fromisoformat(window["starts_at"]), start)
    assert datetime.fromisoformat(window["ends_at"]) == start + timedelta(days=2)
