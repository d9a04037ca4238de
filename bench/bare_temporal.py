"""The yardstick: a bare Temporal start-to-activity round trip, with nothing of Vigil in it."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import Worker

_started: dict[str, float] = {}


@activity.defn(name="bench_touch")
async def touch(key: str) -> None:
    _started.setdefault(key, time.perf_counter())


@workflow.defn(name="BenchBareWorkflow")
class BareWorkflow:
    @workflow.run
    async def run(self, key: str) -> None:
        await workflow.execute_activity(touch, key, start_to_close_timeout=timedelta(seconds=30))


async def bare_round_trips(client: Client, *, rate: float, count: int) -> list[float]:
    """Start `count` workflows at `rate`/s; seconds from each start call to its activity running."""
    queue = f"bench-bare-{uuid.uuid4().hex[:6]}"
    sent: dict[str, float] = {}
    async with Worker(client, task_queue=queue, workflows=[BareWorkflow], activities=[touch]):
        async def one(key: str) -> None:
            sent[key] = time.perf_counter()
            await client.start_workflow(BareWorkflow.run, key, id=key, task_queue=queue)

        tasks = []
        for i in range(count):
            tasks.append(asyncio.create_task(one(f"bare-{queue}-{i}")))
            await asyncio.sleep(1 / rate)
        await asyncio.gather(*tasks)
        deadline = time.monotonic() + 30
        while len([k for k in sent if k in _started]) < count and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
    return [_started[k] - sent[k] for k in sent if k in _started]
