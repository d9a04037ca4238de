"""The Vigil worker: runs every workflow and activity. Start it with `python worker.py`."""

from __future__ import annotations

import asyncio
import logging
import signal
from concurrent.futures import ThreadPoolExecutor

from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.delivery import DeliveryActivities
from activities.directory import DirectoryActivities
from activities.emergency_records import EmergencyRecordActivities
from channels.registry import build_channels
from settings import Settings, get_settings
from workflows.client import connect_temporal
from workflows.emergency import EmergencyEscalationWorkflow

WORKFLOWS = [EmergencyEscalationWorkflow]

# Deterministic modules of our own: share them with the sandbox instead of reloading per run.
SANDBOX = SandboxedWorkflowRunner(
    restrictions=SandboxRestrictions.default.with_passthrough_modules(
        "workflows.policy", "workflows.emergency_types", "clinical"
    )
)


def activities_for(settings: Settings) -> list:
    """Every activity, bound to the clients it needs."""
    delivery = DeliveryActivities(build_channels(settings))
    directory = DirectoryActivities()
    records = EmergencyRecordActivities()
    return [delivery.deliver, directory.resolve_targets, records.record_change]


async def run_worker(settings: Settings, stop: asyncio.Event) -> None:
    """Poll the emergency task queue until `stop` is set."""
    client = await connect_temporal(settings)
    with ThreadPoolExecutor(max_workers=settings.activity_threads) as executor:
        worker = Worker(
            client,
            task_queue=settings.task_queue,
            workflows=WORKFLOWS,
            activities=activities_for(settings),
            activity_executor=executor,
            max_concurrent_activities=settings.activity_threads,
            workflow_runner=SANDBOX,
        )
        async with worker:
            logging.getLogger("vigil.worker").info("worker polling %s", settings.task_queue)
            await stop.wait()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    stop = asyncio.Event()

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run_worker(get_settings(), stop)

    asyncio.run(serve())


if __name__ == "__main__":
    main()
