"""A wake that arrives while WebhookDeliveryWorkflow reads its outbox is kept, not dropped.

The row behind such a wake was committed too late for the read in flight; the workflow
must read again at once, not wait for its poll (an hour here). Its history shows which:
a timer started means it waited.
"""

from __future__ import annotations

import uuid

from temporalio import activity
from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from workflows.webhook_delivery import WebhookDeliveryWorkflow
from workflows.webhook_delivery_types import (
    WAKE_SIGNAL,
    OutboxBatch,
    OutboxQuery,
    WebhookDeliveryInput,
)


async def test_a_wake_during_the_read_ends_the_wait_at_once(time_env: WorkflowEnvironment) -> None:
    workflow_id = f"webhook-wake-{uuid.uuid4().hex[:8]}"
    reads = 0

    @activity.defn(name="webhook_next_deliveries")
    async def next_deliveries(query: OutboxQuery) -> OutboxBatch:
        """The first read finds nothing, and a writer's wake lands while it is in flight;
        the second ends the run (the endpoint disabled)."""
        nonlocal reads
        reads += 1
        if reads == 1:
            await time_env.client.get_workflow_handle(workflow_id).signal(WAKE_SIGNAL)
            return OutboxBatch(enabled=True)
        return OutboxBatch(enabled=False)

    from worker import SANDBOX

    queue = f"unit-{uuid.uuid4().hex[:8]}"
    async with Worker(time_env.client, task_queue=queue, workflows=[WebhookDeliveryWorkflow],
                      activities=[next_deliveries], workflow_runner=SANDBOX):
        handle = await time_env.client.start_workflow(
            WebhookDeliveryWorkflow.run, WebhookDeliveryInput("ep-1", poll_interval_s=3600),
            id=workflow_id, task_queue=queue)
        await handle.result()

    history = [e async for e in handle.fetch_history_events()]
    kinds = [e.event_type for e in history]
    assert reads == 2
    assert EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED in kinds
    assert EventType.EVENT_TYPE_TIMER_STARTED not in kinds, "it waited for the poll"
