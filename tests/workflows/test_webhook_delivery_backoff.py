"""WebhookDeliveryWorkflow's retry loop on the time-skipping server: three days in a second.

These tests skip days, so they get a time-skipping server of their own: workflows other
tests leave waiting on the shared one (with no worker left) hold its clock still.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from temporalio import activity
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.delivery_types import DeliveryRequest, DeliveryResult
from tests.utils.standins import batched
from workflows.webhook_delivery import WebhookDeliveryWorkflow
from workflows.webhook_delivery_types import (
    BatchOutcome,
    GiveUp,
    OutboxBatch,
    OutboxQuery,
    PendingDelivery,
    RetrySchedule,
    SendBatch,
    SendOutcome,
    SendRequest,
    WebhookDeliveryInput,
    WebhookProgress,
    backoff_s,
)

DAY = 86_400.0


@pytest.fixture(scope="module")
async def days_env() -> AsyncIterator[WorkflowEnvironment]:
    from tests.workflows.conftest import _test_server

    env = await WorkflowEnvironment.start_time_skipping(test_server_existing_path=_test_server())
    yield env
    await env.shutdown()


async def _run(env: WorkflowEnvironment, answers: dict[int, list[SendOutcome]],
               tries: list[SendRequest], given_up: list[GiveUp],
               paged: list[DeliveryRequest]) -> WebhookProgress:
    """Two events (seq 1, 2) owed to one endpoint; `answers` scripts each seq's tries (the last
    answer repeats). The outbox is read once, then the endpoint is disabled, ending the run."""
    occurred: datetime = await env.get_current_time()
    reads = 0

    @activity.defn(name="webhook_next_deliveries")
    async def next_deliveries(query: OutboxQuery) -> OutboxBatch:
        nonlocal reads
        reads += 1
        if reads > 1:
            return OutboxBatch(enabled=False)
        return OutboxBatch(True, RetrySchedule(5, DAY, 3 * DAY),
                           [PendingDelivery(1, "msg_1", "emergency.created", occurred),
                            PendingDelivery(2, "msg_2", "emergency.acknowledged", occurred)])

    @activity.defn(name="webhook_send")
    async def send(request: SendRequest) -> SendOutcome:
        tries.append(request)
        script = answers[request.seq]
        return script[min(request.attempt, len(script)) - 1]

    @activity.defn(name="webhook_send_batch")
    async def send_batch(batch: SendBatch) -> BatchOutcome:
        """First tries in order, as the real batch sends them: each scripted like `send`."""
        for done, seq in enumerate(batch.seqs):
            outcome = await send(SendRequest(batch.endpoint_id, seq, 1, batch.scheduled_at))
            if outcome.outcome != "delivered":
                return BatchOutcome(done, outcome)
        return BatchOutcome(len(batch.seqs))

    @activity.defn(name="webhook_give_up")
    async def give_up(request: GiveUp) -> list[str]:
        given_up.append(request)
        return ["admin-a"]

    @activity.defn(name="deliver")
    async def deliver(request: DeliveryRequest) -> DeliveryResult:
        paged.append(request)
        return DeliveryResult(request.attempt_id, request.channel, request.recipient_id, "sent")

    from worker import SANDBOX

    queue = f"unit-{uuid.uuid4().hex[:8]}"
    async with Worker(env.client, task_queue=queue, workflows=[WebhookDeliveryWorkflow],
                      activities=[next_deliveries, send, send_batch, give_up, deliver,
                                  batched(deliver)],
                      workflow_runner=SANDBOX):
        return await env.client.execute_workflow(
            WebhookDeliveryWorkflow.run, WebhookDeliveryInput("ep-1", poll_interval_s=60),
            id=f"webhook-unit-{uuid.uuid4().hex[:8]}", task_queue=queue)


async def test_a_dead_receiver_is_retried_with_growing_jittered_waits_for_three_days_then_admins_paged(
        days_env: WorkflowEnvironment) -> None:
    tries: list[SendRequest] = []
    given_up: list[GiveUp] = []
    paged: list[DeliveryRequest] = []
    down = SendOutcome("retry", status_code=500, error="HTTP 500")
    progress = await _run(days_env, {1: [down], 2: [SendOutcome("delivered", 200)]},
                          tries, given_up, paged)

    first = [t for t in tries if t.seq == 1]
    span = first[-1].scheduled_at - first[0].scheduled_at
    assert timedelta(days=3) - timedelta(seconds=5) <= span <= timedelta(days=3, seconds=5)
    gaps = [(b.scheduled_at - a.scheduled_at).total_seconds() for a, b in zip(first, first[1:])]
    assert 2.5 <= gaps[0] <= 5.5, gaps  # seconds at first (5 s, with jitter in [2.5, 5])
    assert max(gaps) <= DAY + 1 and max(gaps) >= DAY / 2, gaps  # up to a day
    assert 10 <= len(first) <= 30, len(first)
    # Order: the second event waited until the first was given up on.
    assert [t.seq for t in tries][-1] == 2 and tries.index(next(t for t in tries if t.seq == 2)) \
        == len(first)
    assert [g.seq for g in given_up] == [1]
    assert {(p.recipient_id, p.kind) for p in paged} == {("admin-a", "webhook_failed")}
    assert progress.delivered == 1 and progress.failed == 1


async def test_retry_after_is_honoured_and_410_stops_the_endpoint(
        days_env: WorkflowEnvironment) -> None:
    tries: list[SendRequest] = []
    busy = SendOutcome("retry", status_code=429, retry_after_s=3600)
    progress = await _run(days_env, {1: [busy, SendOutcome("gone", 410)],
                                     2: [SendOutcome("delivered", 200)]}, tries, [], [])
    assert [(t.seq, t.attempt) for t in tries] == [(1, 1), (1, 2)]  # event 2 never tried
    assert (tries[1].scheduled_at - tries[0].scheduled_at).total_seconds() >= 3600
    assert progress.waits_s == [3600]


def test_backoff_doubles_with_equal_jitter_and_is_capped_at_a_day() -> None:
    schedule, rand = RetrySchedule(5, DAY, 3 * DAY), random.Random(7)
    for attempt in range(1, 40):
        step = min(5 * 2 ** (attempt - 1), DAY)
        assert step / 2 <= backoff_s(attempt, schedule, rand) <= step
    assert backoff_s(3, schedule, rand, retry_after_s=0) == 5  # never a hot loop
    assert backoff_s(3, schedule, rand, retry_after_s=10 * DAY) == DAY
