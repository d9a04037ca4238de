"""The yardstick for starting long-lived workflows: bare ones that run one activity and stay open."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

_touched: set[str] = set()


@activity.defn(name="bench_open_touch")
async def touch(key: str) -> None:
    _touched.add(key)


@workflow.defn(name="BenchOpenWorkflow")
class OpenWorkflow:
    """Started, one activity (a schedule's first step also leaves the workflow), then waits."""

    @workflow.run
    async def run(self, key: str) -> None:
        await workflow.execute_activity(touch, key, start_to_close_timeout=timedelta(seconds=60))
        await workflow.wait_condition(lambda: False)


async def bare_start_seconds(client: Client, *, count: int, concurrency: int,
                             timeout_s: float = 600) -> float:
    """Seconds to start `count` bare workflows and see each one's activity run; then ends them."""
    queue = f"bench-open-{uuid.uuid4().hex[:6]}"
    keys = [f"{queue}-{i}" for i in range(count)]
    gate = asyncio.Semaphore(concurrency)
    # Unsandboxed: the yardstick measures Temporal, not Python's import machinery.
    async with Worker(client, task_queue=queue, workflows=[OpenWorkflow], activities=[touch],
                      workflow_runner=UnsandboxedWorkflowRunner()):
        async def start(key: str) -> None:
            async with gate:
                await client.start_workflow(OpenWorkflow.run, key, id=key, task_queue=queue)

        began = time.perf_counter()
        await asyncio.gather(*(start(k) for k in keys))
        deadline = time.monotonic() + timeout_s
        while any(k not in _touched for k in keys):
            if time.monotonic() > deadline:
                raise TimeoutError(f"bare: {len([k for k in keys if k in _touched])} of {count}")
            await asyncio.sleep(0.05)
        seconds = time.perf_counter() - began
        async def end(key: str) -> None:
            async with gate:
                await client.get_workflow_handle(key).terminate()

        await asyncio.gather(*(end(k) for k in keys))
    return seconds
