"""Start a schedule's watcher (hand-off notices, gap alarms), or wake it after a change."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError

from services.errors import VigilError
from settings import get_settings
from workflows.oncall_watch import OnCallWatchWorkflow
from workflows.oncall_watch_types import WAKE_SIGNAL, OnCallWatchInput, workflow_id_for


async def ensure_watching(client: Client, schedule_id: str) -> None:
    """Signal-with-start: the watcher looks at the rota again now, started if need be."""
    settings = get_settings()
    try:
        await client.start_workflow(
            OnCallWatchWorkflow.run,
            OnCallWatchInput(schedule_id, recheck_s=settings.oncall_recheck_s),
            id=workflow_id_for(schedule_id), task_queue=settings.routine_task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING, start_signal=WAKE_SIGNAL)
    except RPCError as error:
        raise VigilError(503, "temporal_unavailable", "The change is saved, but the schedule's "
                         "hand-off notices and gap alarms could not be started; send any change "
                         "to it again.") from error
