"""OnCallWatchWorkflow: one per on-call schedule, the durable timer behind hand-off notices
and gap alarms.

It looks at the rota (an activity, through the one resolver), tells the person
coming on a configurable time before their shift (their preferred channel
first, then the others), reports each gap in the next 7 days to the
facility's admins once with its window, and sleeps until the next notice is
due, the next periodic look, or a change to the schedule wakes it. It runs on
the routine queue and continues as new when its history grows long, carrying
what it has already told. It ends when its schedule is gone.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta

from temporalio import workflow

from workflows.base import RECORD_RETRY, RECORD_TIMEOUT
from workflows.paging import Pager

with workflow.unsafe.imports_passed_through():
    from activities.oncall_watch import OnCallWatchActivities
    from workflows.oncall_watch_types import (
        FALLBACK,
        GAP_CHANNELS,
        WAKE_SIGNAL,
        OnCallWatchInput,
        OnCallWatchState,
        RotaLook,
        RotaLookRequest,
        workflow_id_for,
    )

KEPT_FOR = timedelta(days=1)  # what was told stays remembered this long after it ended


@workflow.defn
class OnCallWatchWorkflow:
    def __init__(self) -> None:
        self._woken = False
        self._state = OnCallWatchState(schedule_id="")

    @workflow.signal(name=WAKE_SIGNAL)
    def wake(self) -> None:
        """The schedule changed: look again now."""
        self._woken = True

    @workflow.query
    def state(self) -> OnCallWatchState:
        return self._state

    @workflow.run
    async def run(self, input: OnCallWatchInput) -> OnCallWatchState:
        self._input = input
        self._state = OnCallWatchState(input.schedule_id, looks=input.looks,
                                       noticed=list(input.noticed),
                                       reported_gaps=list(input.reported_gaps))
        self._pager = Pager(workflow_id_for(input.schedule_id))
        while True:
            self._woken = False
            now = workflow.now()
            look: RotaLook = await workflow.execute_activity_method(
                OnCallWatchActivities.look, RotaLookRequest(input.schedule_id, now),
                start_to_close_timeout=RECORD_TIMEOUT, retry_policy=RECORD_RETRY)
            self._state.looks += 1
            if not look.exists:
                break
            self._forget(now)
            self._report_gaps(look)
            wake_at = self._tell_hand_offs(look, now)
            self._state.next_look_at = wake_at
            await self._pager.drain()
            if self._history_is_long():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(replace(input, noticed=self._state.noticed,
                                                 reported_gaps=self._state.reported_gaps,
                                                 looks=self._state.looks))
            try:
                await workflow.wait_condition(lambda: self._woken,
                                              timeout=max(wake_at - workflow.now(),
                                                          timedelta(seconds=1)))
            except asyncio.TimeoutError:
                pass
        await self._pager.drain()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._state

    def _tell_hand_offs(self, look: RotaLook, now: datetime) -> datetime:
        """Tell everyone whose notice is due; return when the next one falls due (or the
        periodic look)."""
        lead = timedelta(seconds=look.notice_s)
        wake_at = now + timedelta(seconds=self._input.recheck_s)
        for handoff in look.handoffs:
            if handoff.key in self._state.noticed:
                continue
            due = handoff.starts_at - lead
            if due > now:
                wake_at = min(wake_at, due)
                continue
            self._state.noticed.append(handoff.key)
            self._pager.page(
                people=[handoff.person], channels=[handoff.channel], kind="shift_handoff",
                content={"schedule_id": self._input.schedule_id,
                         "schedule_name": look.schedule_name, "starts_local": handoff.starts_local,
                         "starts_at": handoff.starts_at.isoformat(),
                         "ends_at": handoff.ends_at.isoformat(), "source": handoff.source},
                scope=f"handoff/{handoff.starts_at.isoformat()}", fallback=FALLBACK)
        return wake_at

    def _report_gaps(self, look: RotaLook) -> None:
        """Each gap once: one overlapping a gap already reported is the same gap, seen later."""
        for gap in look.gaps:
            if any(gap.window.overlaps(known) for known in self._state.reported_gaps):
                continue
            self._state.reported_gaps.append(gap.window)
            self._pager.page(
                people=look.admins, channels=GAP_CHANNELS, kind="rota_gap",
                content={"schedule_id": self._input.schedule_id,
                         "schedule_name": look.schedule_name,
                         "starts_at": gap.window.starts_at.isoformat(),
                         "ends_at": gap.window.ends_at.isoformat() if gap.window.ends_at else None,
                         "starts_local": gap.starts_local, "ends_local": gap.ends_local},
                scope=f"gap/{gap.window.starts_at.isoformat()}")

    def _forget(self, now: datetime) -> None:
        """Drop what ended long ago, so the carried state stays small."""
        before = now - KEPT_FOR
        self._state.reported_gaps = [w for w in self._state.reported_gaps
                                     if w.ends_at is None or w.ends_at > before]
        self._state.noticed = [k for k in self._state.noticed
                               if datetime.fromisoformat(k.split("@", 1)[1]) > before]

    def _history_is_long(self) -> bool:
        info = workflow.info()
        return (info.is_continue_as_new_suggested()
                or info.get_current_history_length() > self._input.history_limit)
