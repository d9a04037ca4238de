"""Whether Temporal answers and each of Vigil's task queues has a worker polling it."""

from __future__ import annotations

from typing import Any

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from settings import get_settings


async def engine_health(client: Client | None) -> dict[str, Any]:
    """{"temporal": "ok" | why not, "queues": {name: number of workers polling}}."""
    if client is None:
        return {"temporal": "not connected", "queues": {}}
    try:
        await client.service_client.check_health()
    except Exception as error:  # a health read reports, it never fails the page
        return {"temporal": f"error: {error}", "queues": {}}
    settings = get_settings()
    queues: dict[str, int] = {}
    for name in (settings.task_queue, settings.routine_task_queue,
                 settings.webhook_task_queue):
        answer = await client.workflow_service.describe_task_queue(DescribeTaskQueueRequest(
            namespace=client.namespace, task_queue=TaskQueue(name=name),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW))
        queues[name] = len(answer.pollers)
    return {"temporal": "ok", "queues": queues}
