"""How a monitoring session stores what it scored: in batches, in the background.

Readings and alarm changes wait in memory and are stored by one activity at a
time, so a slow database never delays an alarm; the session drains them all
before it continues as new or ends.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

from temporalio import workflow

from workflows.base import RECORD_RETRY
from workflows.monitoring_types import (
    AlarmChange,
    SessionInput,
    SessionState,
    SessionView,
    StoredPoint,
)

with workflow.unsafe.imports_passed_through():
    from activities.monitoring_records import MonitoringRecordActivities, ReadingsFlush

FLUSH_LIMIT = 500  # readings per storage activity, well inside Temporal's payload limit


class ReadingStorage:
    """Mixed into MonitoringSessionWorkflow, which scores readings into `_unstored`."""

    _input: SessionInput
    _state: SessionState
    _unstored: list[StoredPoint]
    _alarm_log: list[AlarmChange]
    _flush_due: float | None
    _flushing: asyncio.Task[None] | None
    _woken: bool
    state: Callable[[], SessionView]  # the workflow's query

    def _flush(self, *, force: bool) -> None:
        """Start storing waiting readings and alarm changes, one batch in flight at a time."""
        if self._flushing is not None and not self._flushing.done():
            return
        if not self._unstored and not self._alarm_log:
            return
        due = self._flush_due is not None and workflow.now().timestamp() >= self._flush_due
        if not (force or due or self._alarm_log
                or len(self._unstored) >= self._input.timing.flush_max):
            return
        s = self._state
        points, self._unstored = self._unstored[:FLUSH_LIMIT], self._unstored[FLUSH_LIMIT:]
        changes, self._alarm_log = self._alarm_log, []
        self._flush_due = None
        s.flushes += 1
        batch = ReadingsFlush(self._input.session_id, self._input.patient_id, s.flushes,
                              self.state(), points, changes)
        self._flushing = asyncio.create_task(self._store(batch))

    async def _store(self, batch: ReadingsFlush) -> None:
        # Ordinary readings go by local activity: one workflow task per batch instead of
        # three, most of what a reading costs the Temporal server (docs/PERFORMANCE.md).
        # A batch with alarm changes goes by ordinary activity, because a local one holds
        # the workflow task, and the pages this step started, until the write is done.
        store = (workflow.execute_activity_method if batch.alarm_changes
                 else workflow.execute_local_activity_method)
        await store(MonitoringRecordActivities.store_readings, batch,
                    start_to_close_timeout=timedelta(seconds=30), retry_policy=RECORD_RETRY)
        self._state.stored += len(batch.points)
        self._woken = True  # more may have queued up behind it

    async def _flush_everything(self) -> None:
        while True:
            if self._flushing is not None:
                await self._flushing
            if not self._unstored and not self._alarm_log:
                return
            self._flush(force=True)
