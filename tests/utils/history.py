"""What a workflow has decided, read from its Temporal history: for tests that must show
something will NOT happen, by showing the timer or activity that could do it is closed."""

from __future__ import annotations

import asyncio

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

_TIMER_CLOSED = (EventType.EVENT_TYPE_TIMER_FIRED, EventType.EVENT_TYPE_TIMER_CANCELED)


async def events(temporal_address: str, workflow_id: str) -> list:  # type: ignore[type-arg]
    client = await Client.connect(temporal_address)
    return [e async for e in client.get_workflow_handle(workflow_id).fetch_history_events()]


def count(history: list, event_type: int) -> int:  # type: ignore[type-arg]
    return sum(1 for e in history if e.event_type == event_type)


async def idle(temporal_address: str, workflow_id: str, timeout_s: float = 30.0) -> None:
    """Wait until the workflow has acted on everything it was sent and every activity it
    started has finished (its timers may still be open: a session always has one)."""
    client = await Client.connect(temporal_address)
    handle = client.get_workflow_handle(workflow_id)
    async with asyncio.timeout(timeout_s):
        while not await _settled(handle):
            await asyncio.sleep(0.1)


async def _settled(handle) -> bool:  # type: ignore[no-untyped-def]
    """No activity in flight and no workflow task waiting or running."""
    raw = (await handle.describe()).raw_description
    return not raw.pending_activities and not raw.HasField("pending_workflow_task")


async def quiescent(temporal_address: str, workflow_id: str, timeout_s: float = 30.0) -> list:  # type: ignore[type-arg]
    """Wait until the workflow has no open timer and no activity in flight: nothing it has
    decided is still to happen. Returns the history at that point."""
    client = await Client.connect(temporal_address)
    handle = client.get_workflow_handle(workflow_id)
    async with asyncio.timeout(timeout_s):
        while True:
            history = [e async for e in handle.fetch_history_events()]
            started = count(history, EventType.EVENT_TYPE_TIMER_STARTED)
            closed = sum(count(history, t) for t in _TIMER_CLOSED)
            if started == closed and await _settled(handle):
                return history
            await asyncio.sleep(0.1)


async def timer_fired_after_last_update(temporal_address: str, workflow_id: str,
                                        timeout_s: float = 30.0) -> None:
    """Wait until a timer set before the workflow's latest update has fired since it, and the
    workflow has acted on it: what that timer would have done is now decided."""
    client = await Client.connect(temporal_address)
    handle = client.get_workflow_handle(workflow_id)
    async with asyncio.timeout(timeout_s):
        while True:
            history = [e async for e in handle.fetch_history_events()]
            updates = [i for i, e in enumerate(history) if e.event_type ==
                       EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED]
            after = history[updates[-1]:] if updates else []
            if any(e.event_type == EventType.EVENT_TYPE_TIMER_FIRED for e in after):
                break
            await asyncio.sleep(0.1)
    await idle(temporal_address, workflow_id, timeout_s)
