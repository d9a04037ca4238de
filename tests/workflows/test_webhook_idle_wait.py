"""How WebhookDeliveryWorkflow waits when its outbox reads empty, on the time-skipping server.

A wake that arrives while the outbox is being read is kept, not dropped: the row behind it
was committed too late for that read, so the workflow must read again at once, not wait for
its poll (an hour here). And the poll's interval is the one the worker reports with each
read, not the one the workflow started with. Its history shows both: a timer started means
it waited, and for how long.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from temporalio import activity
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from workflows.webhook_delivery import WebhookDeliveryWorkflow
from workflows.webhook_delivery_types import (
    WAKE_SIGNAL,
    OutboxBatch,
    OutboxQuery,
    WebhookDeliveryInput,
)

HOUR_S = 3600


async def _run(env: WorkflowEnvironment,
               first_read: Callable[[str], Awaitable[OutboxBatch]]) -> list[HistoryEvent]:
    """An endpoint whose first read finds nothing (after `first_read(workflow_id)` has run)
    and whose second finds it disabled, ending the run; its history."""
    workflow_id = f"webhook-idle-{uuid.uuid4().hex[:8]}"
    reads = 0

    @activity.defn(name="webhook_next_deliveries")
    async def next_deliveries(query: OutboxQuery) -> OutboxBatch:
        nonlocal reads
        reads += 1
        if reads == 1:
            return await first_read(workflow_id)
        return OutboxBatch(enabled=False)

    from worker import SANDBOX

    queue = f"unit-{uuid.uuid4().hex[:8]}"
    async with Worker(env.client, task_queue=queue, workflows=[WebhookDeliveryWorkflow],
                      activities=[next_deliveries], workflow_runner=SANDBOX):
        handle: WorkflowHandle = await env.client.start_workflow(
            WebhookDeliveryWorkflow.run, WebhookDeliveryInput("ep-1", poll_interval_s=HOUR_S),
            id=workflow_id, task_queue=queue)
        await handle.result()
    assert reads == 2
    return [e async for e in handle.fetch_history_events()]


async def test_a_wake_during_the_read_ends_the_wait_at_once(time_env: WorkflowEnvironment) -> None:
    async def woken_meanwhile(workflow_id: str) -> OutboxBatch:
        """A writer's wake lands while the read is in flight."""
        await time_env.client.get_workflow_handle(workflow_id).signal(WAKE_SIGNAL)
        return OutboxBatch(enabled=True)

    kinds = [e.event_type for e in await _run(time_env, woken_meanwhile)]
    assert EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED in kinds
    assert EventType.EVENT_TYPE_TIMER_STARTED not in kinds, "it waited for the poll"


async def test_the_poll_waits_as_long_as_the_worker_says_now(
        time_env: WorkflowEnvironment) -> None:
    # Seconds, not a minute: the session's time-skipping server does not always skip (in a
    # full run this timer once took a real minute), and any interval but the hour will do.
    async def deployment_says_two_seconds(_workflow_id: str) -> OutboxBatch:
        return OutboxBatch(enabled=True, poll_interval_s=2)

    history = await _run(time_env, deployment_says_two_seconds)
    [timer] = [e for e in history if e.event_type == EventType.EVENT_TYPE_TIMER_STARTED]
    assert timer.timer_started_event_attributes.start_to_fire_timeout.ToSeconds() == 2
