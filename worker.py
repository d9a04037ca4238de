"""The Vigil worker: runs every workflow and activity. Start it with `python worker.py`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from concurrent.futures import ThreadPoolExecutor

from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities import webhook_idle, webhook_wake
from activities.appointment_plans import AppointmentPlanActivities
from activities.appointment_records import AppointmentRecordActivities
from activities.calls import CallActivities
from activities.delivery import DeliveryActivities
from activities.directory import DirectoryActivities
from activities.emergency_records import EmergencyRecordActivities
from activities.care_directory import PatientDirectory
from activities.medication_plans import MedicationPlanActivities
from activities.medication_records import MedicationRecordActivities
from activities.monitoring_emergency import MonitoringEmergencyActivities
from activities.monitoring_records import MonitoringRecordActivities
from activities.oncall_watch import OnCallWatchActivities
from activities.presence import PresenceActivities
from activities.webhook_delivery import WebhookActivities
from channels.registry import build_channels
from db.engine import yield_writes
from settings import Settings, get_settings
from workflows.appointment import AppointmentWorkflow
from workflows.client import connect_temporal
from workflows.emergency import EmergencyEscalationWorkflow
from workflows.medication import MedicationScheduleWorkflow
from workflows.monitoring import MonitoringSessionWorkflow
from workflows.oncall_watch import OnCallWatchWorkflow
from workflows.webhook_delivery import WebhookDeliveryWorkflow

# Emergencies get a task queue of their own, so a flood of routine work (monitoring
# notices, medication reminders) can never delay a page. Webhook delivery has one too: a
# receiver that answers slowly holds a webhook slot for as long as it takes, never a
# routine slot a reminder or a reading write is waiting for.
EMERGENCY_WORKFLOWS: list[type] = [EmergencyEscalationWorkflow]
# WebhookDeliveryWorkflow stays registered on the routine queue for the endpoints' workflows
# started there before the webhook queue existed: they (and their continue-as-new runs, which
# keep their queue) run on to completion there, their activities on the workflow's queue.
# New endpoints' workflows start on the webhook queue (services/webhook_endpoints.py).
ROUTINE_WORKFLOWS: list[type] = [MonitoringSessionWorkflow, WebhookDeliveryWorkflow,
                                  AppointmentWorkflow, MedicationScheduleWorkflow,
                                  OnCallWatchWorkflow]
WEBHOOK_WORKFLOWS: list[type] = [WebhookDeliveryWorkflow]

# Deterministic modules of our own: share them with the sandbox instead of reloading per run.
SANDBOX = SandboxedWorkflowRunner(
    restrictions=SandboxRestrictions.default.with_passthrough_modules(
        "workflows.policy", "workflows.emergency_types", "workflows.monitoring_types",
        "workflows.paging", "workflows.paging_types", "workflows.search_attributes",
        "workflows.base", "workflows.refusals", "workflows.monitoring_commands",
        # (not monitoring_storage or monitoring_escalation: they import activities, whose
        # result types the sandbox must see imported inside it to decode them)
        "workflows.webhook_delivery_types",
        "workflows.appointment_types", "workflows.appointment_fanout",
        "workflows.medication_types", "workflows.medication_commands", "workflows.emergency_commands",
        "workflows.oncall_watch_types",
        "activities.delivery_types", "clinical"
    )
)
# The page path runs outside the sandbox: building one for each new emergency cost 16 ms of
# its first workflow task, a fifth of POST -> first frame (docs/PERFORMANCE.md, "Where a
# page's time goes"). The sandbox stays the guard where it catches a non-deterministic call:
# the workflow tests and every replay (audit/replay.py) run emergencies inside it.
EMERGENCY_RUNNER = UnsandboxedWorkflowRunner()
# Every open monitoring session stays cached (about 0.2 MB each, docs/PERFORMANCE.md):
# a workflow pushed out of the cache replays its whole history on its next reading.
MAX_CACHED_WORKFLOWS = 12_000


def activities_for(settings: Settings) -> list:
    """Every activity, bound to the clients it needs."""
    channels = build_channels(settings)
    delivery = DeliveryActivities(channels, send_threads=settings.activity_threads)
    calls = CallActivities(channels["voice"])
    directory = DirectoryActivities()
    records = EmergencyRecordActivities()
    monitoring, planning = MonitoringRecordActivities(), MonitoringEmergencyActivities()
    webhooks = WebhookActivities(settings)
    appointments, appointment_plans = AppointmentRecordActivities(), AppointmentPlanActivities()
    medication = MedicationPlanActivities(PatientDirectory())
    medication_records = MedicationRecordActivities()
    rota = OnCallWatchActivities()
    return [delivery.deliver, delivery.deliver_batch, directory.resolve_targets,
            records.record_change, monitoring.record_change, monitoring.store_readings,
            planning.plan_emergency,
            calls.end_ringing_calls, webhooks.next_deliveries, webhooks.send_webhook,
            webhooks.send_batch, webhooks.give_up_delivery, appointments.record_change,
            appointment_plans.plan_reminders, appointment_plans.family, medication.plan_day,
            medication.contacts, medication_records.record_change, rota.look,
            PresenceActivities().online]


async def run_worker(settings: Settings, stop: asyncio.Event) -> None:
    """Poll the task queues VIGIL_WORKER_QUEUES names (all three by default) until `stop` is set."""
    client = await connect_temporal(settings)
    # Record activities (on threads) wake idle endpoints' workflows through this client.
    webhook_wake.install(client, asyncio.get_running_loop())
    # A worker that died between committing an event and waking its endpoint owed that wake.
    owed = webhook_wake.wake(await asyncio.to_thread(webhook_idle.with_rows_pending))
    if owed:
        logging.getLogger("vigil.worker").info("woke %d webhook endpoints with events waiting",
                                               owed)
    try:
        await _poll(settings, client, stop)
    finally:
        webhook_wake.uninstall()


async def _poll(settings: Settings, client: Client, stop: asyncio.Event) -> None:
    activities = activities_for(settings)
    polled = settings.worker_queues.split(",")
    # Each queue has threads of its own, so routine activities can never fill the threads an
    # emergency's need, nor webhook sends the threads of routine work; routine and webhook
    # threads yield the SQLite writer to any other writer
    # (docs/PERFORMANCE.md "Priority under routine floods").
    urgent = ThreadPoolExecutor(max_workers=settings.activity_threads,
                                thread_name_prefix="emergency")
    routine = ThreadPoolExecutor(max_workers=settings.routine_activity_slots,
                                 thread_name_prefix="routine", initializer=yield_writes)
    webhooks = ThreadPoolExecutor(max_workers=settings.webhook_send_slots,
                                  thread_name_prefix="webhooks", initializer=yield_writes)
    with urgent, routine, webhooks:
        made = {
            "emergency": lambda: Worker(
                client, task_queue=settings.task_queue, workflows=EMERGENCY_WORKFLOWS,
                activities=activities, activity_executor=urgent,
                max_concurrent_activities=settings.activity_threads,
                workflow_runner=EMERGENCY_RUNNER, max_cached_workflows=MAX_CACHED_WORKFLOWS),
            "routine": lambda: Worker(
                client, task_queue=settings.routine_task_queue, workflows=ROUTINE_WORKFLOWS,
                activities=activities, activity_executor=routine,
                max_concurrent_activities=settings.routine_activity_slots,
                max_concurrent_local_activities=settings.routine_activity_slots,
                max_concurrent_workflow_tasks=settings.routine_workflow_task_slots,
                workflow_runner=SANDBOX, max_cached_workflows=MAX_CACHED_WORKFLOWS),
            "webhooks": lambda: Worker(
                client, task_queue=settings.webhook_task_queue, workflows=WEBHOOK_WORKFLOWS,
                activities=activities, activity_executor=webhooks,
                max_concurrent_activities=settings.webhook_send_slots,
                max_concurrent_local_activities=settings.webhook_send_slots,
                max_concurrent_workflow_tasks=settings.routine_workflow_task_slots,
                workflow_runner=SANDBOX, max_cached_workflows=MAX_CACHED_WORKFLOWS),
        }
        names = {"emergency": settings.task_queue, "routine": settings.routine_task_queue,
                 "webhooks": settings.webhook_task_queue}
        async with contextlib.AsyncExitStack() as running:
            for kind in polled:
                await running.enter_async_context(made[kind]())
            logging.getLogger("vigil.worker").info(
                "worker polling %s", ", ".join(names[kind] for kind in polled))
            await stop.wait()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    get_settings().check_safe_to_serve()
    if get_settings().worker_nice:
        os.nice(get_settings().worker_nice)  # routine work yields the cores to pages
    stop = asyncio.Event()

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run_worker(get_settings(), stop)

    asyncio.run(serve())


if __name__ == "__main__":
    main()
