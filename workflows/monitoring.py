"""MonitoringSessionWorkflow: score every reading, get the right person there, never page for noise.

Readings arrive as signals the API has already validated. Each is scored
(thresholds, NEWS2 and its trend) and stepped through the alarm-fatigue state
machine in `clinical/`; what the machine says to announce goes out through the
one delivery path (`Pager`): low to the viewers, medium to the care team with
a short escalation, high as a child EmergencyEscalationWorkflow. Readings are
stored by a background flush so a slow database never delays an alarm. The
run continues as new before its history grows large, carrying alarm state,
thresholds, trend and every reading not yet evaluated.
"""

from __future__ import annotations

import asyncio
from bisect import bisect_left, insort
from dataclasses import asdict, replace
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RawValue

from clinical.alarms import (
    SILENT_INTERVALS,
    TECHNICAL_PREFIX,
    TECHNICAL_PRIORITY,
    AlarmAction,
    check_device_silence,
    step_alarms,
    step_technical_alarms,
)
from clinical.assessment import assess
from clinical.news2 import trend_ends
from clinical.vitals import Reading, reading_from_json
from workflows.monitoring_commands import SessionCommands
from workflows.monitoring_escalation import SessionEscalation
from workflows.monitoring_storage import FLUSH_LIMIT, ReadingStorage
from workflows.monitoring_types import (
    PRIORITY_ORDER,
    ActiveAlarm,
    AlarmChange,
    AlarmEpisode,
    EndSession,
    SessionInput,
    SessionState,
    SessionSummary,
    SessionView,
    StoredPoint,
    session_input_from_json,
    TrendPoint,
)
from workflows.base import RECORD_RETRY, RECORD_TIMEOUT, Accepted, PagingWorkflow

with workflow.unsafe.imports_passed_through():
    from activities.monitoring_records import (
        MonitoringRecordActivities,
        SessionChange,
    )

CARE_TEAM_CHANNELS = ["websocket", "push"]
VIEWER_CHANNELS = ["websocket"]
FALLBACK = ["websocket", "push", "sms", "email"]
TREND_WINDOW = timedelta(hours=1)  # the window clinical.news2.news2_trend looks at
MAX_EPISODES = 1000  # the summary lists this many alarms; counts cover them all
# Readings scored per workflow activation under a backlog. Temporal fails a task that holds
# its thread 2 s ("didn't yield"), on a worker shared by thousands of sessions; a reading with
# a reading costs well under a millisecond, but the worker's threads share one core.
SCORE_SLICE = 100


def _trend_key(point: TrendPoint) -> tuple[datetime, int]:
    return point.at, point.score


@workflow.defn
class MonitoringSessionWorkflow(SessionCommands, SessionEscalation, ReadingStorage,
                                PagingWorkflow):
    @workflow.init
    def __init__(self, input: RawValue) -> None:
        # A SessionInput, decoded by hand: see session_input_from_json.
        self._input = session_input_from_json(workflow.payload_converter().from_payload(
            input.payload))
        input = self._input
        now = workflow.now()
        self._state = input.carried or SessionState(
            thresholds=input.thresholds, started_at=now,
            last_seen={device.id: now for device in input.devices})
        self._state.trend.sort(key=_trend_key)  # a run before trend_ends kept arrival order
        self._init_paging(input.session_id, input.carried_attempts)
        self._unstored: list[StoredPoint] = []
        self._alarm_log: list[AlarmChange] = []
        self._flush_due: float | None = None
        self._flushing: asyncio.Task[None] | None = None
        self._critical: tuple[list[str], Reading] | None = None  # an emergency still to start
        self._timers: set[float] = set()
        self._woken = False
        self._ending: EndSession | None = None
        self._summary: SessionSummary | None = None
        self._run_readings = 0
        self._bounded: bool | None = None  # workflow.patched("bounded-scoring"), asked once

    @workflow.run
    async def run(self, input: RawValue) -> SessionSummary:
        input = self._input  # type: ignore[assignment]  # decoded once, in __init__
        if input.carried is None:
            await self._record("started", input.created_by, {
                "monitoring_type": input.monitoring_type, "thresholds": asdict(input.thresholds),
                "care_team": input.care_team}, with_input=True)
        while True:
            await self._apply_changes()
            self._evaluate_pending()
            self._check_devices()
            await self._escalate_unacknowledged()
            await self._start_emergency()
            self._flush(force=False)
            if self._ending is not None and not self._state.pending:
                if await self._close():
                    break
            elif self._ending is None and self._time_to_continue():
                await self._continue_as_new()  # returns only if work arrived meanwhile
            else:
                await self._wait()
        await workflow.wait_condition(workflow.all_handlers_finished)
        assert self._summary is not None
        return self._summary

    @workflow.signal
    def add_readings(self, batch: RawValue) -> None:
        """Validated readings (a ReadingBatch); they wait in the state until scored.

        Decoded by hand (`reading_from_json`): the generic converter is slow enough in
        the sandbox that one batch of thousands would wedge the session on every task.
        Once the session is ending nothing new is scored: a reading then could page
        staff or start an emergency after "ended" was recorded. It is counted instead.
        """
        items = workflow.payload_converter().from_payload(batch.payload)["readings"]
        if self._ending is not None and workflow.patched("refuse-readings-after-end"):
            self._state.refused_after_end += len(items)
            return
        self._state.pending.extend(reading_from_json(item) for item in items)

    @workflow.query
    def state(self) -> SessionView:
        s = self._state
        active = [ActiveAlarm(a.key, a.priority, list(a.reasons), a.acknowledged_until)
                  for a in sorted(s.alarms.alarms.values(), key=lambda a: a.key) if a.active]
        status = "ending" if self._ending is not None and s.status == "active" else s.status
        return SessionView(self._input.session_id, status, s.thresholds, active,
                           s.evaluated + len(s.pending), s.evaluated, s.stored, s.latest_news2,
                           s.latest_trend, s.latest_priority, list(s.emergencies), s.runs,
                           s.carried)

    # --- scoring and alarms ---------------------------------------------------------------

    def _evaluate_pending(self) -> None:
        s, timing = self._state, self._input.timing
        room = len(s.pending) if self._ending else timing.max_readings_per_run - self._run_readings
        # A bounded slice per step keeps one workflow activation short under a backlog.
        take = max(0, min(len(s.pending), room, self._slice()))
        batch, s.pending = s.pending[:take], s.pending[take:]
        for reading in batch:
            self._evaluate(reading)

    def _slice(self) -> int:
        """How many readings one step scores; the loop yields between steps (see _wait)."""
        if self._bounded is None and len(self._state.pending) > SCORE_SLICE:
            # Asked only under a backlog, so a history without one replays unchanged.
            self._bounded = workflow.patched("bounded-scoring")
        return SCORE_SLICE if self._bounded else FLUSH_LIMIT

    def _evaluate(self, reading: Reading) -> None:
        s, timing, now = self._state, self._input.timing, workflow.now()
        # s.trend is kept sorted, so a reading costs the same with an hour of points behind it.
        ends = trend_ends(s.trend, reading.taken_at, _trend_key, TREND_WINDOW)
        verdict = assess(reading.vitals, s.thresholds, [(p.at, p.score) for p in ends],
                         reading.taken_at)
        if verdict.news2.complete:
            insort(s.trend, TrendPoint(reading.taken_at, verdict.news2.total), key=_trend_key)
            del s.trend[:bisect_left(s.trend, (s.trend[-1].at - TREND_WINDOW,), key=_trend_key)]
        s.alarms, actions = step_alarms(s.alarms, verdict, now, timing.alarm_config())
        s.last_seen[reading.device_id] = now
        s.evaluated += 1
        self._run_readings += 1
        news2 = verdict.news2.total if verdict.news2.scores else None
        s.latest_news2 = news2 if news2 is not None else s.latest_news2
        s.latest_trend, s.latest_priority = verdict.trend, verdict.priority
        self._unstored.append(StoredPoint(
            seq=s.evaluated, device_id=reading.device_id, taken_at=reading.taken_at,
            received_at=now, vitals=reading.vitals, news2=news2,
            news2_complete=verdict.news2.complete, trend=verdict.trend, priority=verdict.priority))
        if self._flush_due is None:
            self._flush_due = now.timestamp() + timing.flush_interval_s
        self._announce(actions, reading)

    def _announce(self, actions: list[AlarmAction], reading: Reading) -> None:
        """One reading, one message, at the highest priority it raised or worsened."""
        for action in actions:
            self._note(action)
        loud = [a for a in actions if a.kind in ("raise", "escalate")]
        if not loud:
            return
        priority = max((a.priority for a in loud), key=PRIORITY_ORDER.index)
        keys, reasons = [a.key for a in loud], [r for a in loud for r in a.reasons]
        data, s = self._input, self._state
        if priority == "high":
            for action in loud:
                s.escalations.pop(action.key, None)  # the emergency takes over from here
            self._critical = self._critical or (reasons, reading)
            self._send(data.care_team, CARE_TEAM_CHANNELS, "alarm", "high", keys, reasons)
        elif priority == "medium":
            self._send(data.care_team, CARE_TEAM_CHANNELS, "alarm", "medium", keys, reasons)
            due = workflow.now().timestamp() + data.timing.care_team_escalation_s
            for action in loud:
                if action.priority == "medium":
                    s.escalations[action.key] = due
        else:
            self._send(data.viewers, VIEWER_CHANNELS, "alarm", "low", keys, reasons)

    def _note(self, action: AlarmAction) -> None:
        """Log an alarm change for storage and keep the summary's episodes and counts."""
        s, now = self._state, workflow.now()
        self._alarm_log.append(AlarmChange(action.kind, action.key, action.priority, now,
                                           list(action.reasons), action.score))
        technical = action.key.startswith(TECHNICAL_PREFIX)
        episode = self._episode(action.key)
        if action.kind == "raise":
            episode = AlarmEpisode(action.key, action.priority, now)
            s.episodes = [*s.episodes, episode][-MAX_EPISODES:]
            if technical:
                s.technical_alarms += 1
            else:
                s.alarm_counts[action.priority] = s.alarm_counts.get(action.priority, 0) + 1
        elif action.kind == "escalate" and episode and episode.priority != action.priority:
            s.alarm_counts[episode.priority] -= 1
            s.alarm_counts[action.priority] = s.alarm_counts.get(action.priority, 0) + 1
            episode.priority = action.priority
        elif action.kind == "clear":
            s.escalations.pop(action.key, None)
            if episode:
                episode.cleared_at = now

    def _episode(self, key: str) -> AlarmEpisode | None:
        return next((e for e in reversed(self._state.episodes)
                     if e.key == key and e.cleared_at is None), None)

    def _check_devices(self) -> None:
        """Technical alarm for a device silent three intervals; it clears when the device sends."""
        s, now = self._state, workflow.now()
        silent = check_device_silence(
            s.last_seen, timedelta(seconds=self._input.expected_interval_s), now)
        if not silent and not any(k.startswith(TECHNICAL_PREFIX) for k in s.alarms.active_keys()):
            return
        s.alarms, actions = step_technical_alarms(s.alarms, silent, now)
        for action in actions:
            self._note(action)
        raised = [a for a in actions if a.kind == "raise"]
        if raised:
            self._send(self._input.care_team, CARE_TEAM_CHANNELS, "technical_alarm",
                       TECHNICAL_PRIORITY, [a.key for a in raised],
                       [r for a in raised for r in a.reasons])

    def _send(self, people: list[str], channels: list[str], kind: str, priority: str,
              keys: list[str], reasons: list[str]) -> None:
        people = list(dict.fromkeys(people))
        if not people:
            return
        s, data = self._state, self._input
        s.messages += 1
        content = {
            "session_id": data.session_id, "patient_id": data.patient_id,
            "facility_id": data.facility_id, "priority": priority, "severity": priority,
            "short_code": data.short_code, "location": data.location, "alarms": keys,
            "reasons": reasons, "news2": s.latest_news2, "trend": s.latest_trend,
            "emergency_id": s.emergencies[-1] if s.emergencies else None,
        }
        self._pager.page(people=people, channels=channels, kind=kind, content=content,
                         scope=f"m{s.messages}", fallback=FALLBACK)

    async def _on_accepted(self, accepted: Accepted) -> None:
        await self._record(accepted.change, accepted.actor, accepted.detail)

    def _next_deadline(self) -> float | None:
        """The next moment something is due without a reading: silence, storage, escalation."""
        s = self._state
        active = set(s.alarms.active_keys())
        limit = SILENT_INTERVALS * self._input.expected_interval_s
        due = [seen.timestamp() + limit for device, seen in s.last_seen.items()
               if TECHNICAL_PREFIX + device not in active]
        flushing = self._flushing is not None and not self._flushing.done()
        if self._unstored and self._flush_due is not None and not flushing:
            due.append(self._flush_due)
        return min([*due, *s.escalations.values()], default=None)

    async def _wait(self) -> None:
        if self._bounded and self._state.pending:
            # Readings still wait: store the slice just scored and score the next in an
            # activation of its own, well inside Temporal's deadlock limit. (A timer would
            # yield too, but the server fires timers a few tenths of a second late.)
            self._flush(force=True)
            if self._flushing is not None and not self._flushing.done():
                await self._flushing
            else:
                await workflow.sleep(0.001)
            return
        deadline = self._next_deadline()
        # One timer per deadline, not per reading: a reading that moves a deadline later
        # lets the old timer fire harmlessly instead of cancelling and re-arming it.
        if deadline is not None and (not self._timers or deadline < min(self._timers)):
            self._timers.add(deadline)
            asyncio.create_task(self._alarm_clock(deadline))
        await workflow.wait_condition(lambda: bool(
            self._state.pending or self._changes or self._ending or self._woken))
        self._woken = False

    async def _alarm_clock(self, at: float) -> None:
        await asyncio.sleep(max(0.0, at - workflow.now().timestamp()))
        self._timers.discard(at)
        self._woken = True

    def _time_to_continue(self) -> bool:
        return (self._run_readings >= self._input.timing.max_readings_per_run
                or workflow.info().is_continue_as_new_suggested())

    # --- what the shared machinery asks of this workflow -----------------------------------

    def _takes_late_failures(self) -> bool:
        return self._ending is None

    def _is_finished(self) -> bool:
        return self._state.status != "active"

    async def _settle(self) -> None:
        await self._flush_everything()

    def _has_waiting_work(self) -> bool:
        return bool(self._changes or self._ending or self._critical or self._unstored
                    or self._alarm_log)

    def _next_run_input(self) -> SessionInput:
        self._state.runs += 1
        self._state.carried += len(self._state.pending)
        # Unevaluated readings (signals that arrived during the switch) ride in `pending`.
        return replace(self._input, carried=self._state,
                       carried_attempts=self._pager.open_attempts())

    async def _record(self, change: str, actor: str, detail: dict[str, Any] | None = None,
                      with_input: bool = False) -> None:
        data = self._input
        self._index_status(self._state.status)
        # Local: a record is one short write, and opening a session should cost the
        # Temporal server one workflow task, not three (docs/PERFORMANCE.md).
        await workflow.execute_local_activity_method(
            MonitoringRecordActivities.record_change,
            SessionChange(session_id=data.session_id, patient_id=data.patient_id, change=change,
                          actor=actor, view=self.state(), detail=detail or {},
                          input=(replace(data, carried=None, carried_attempts=[])
                                 if with_input else None)),
            start_to_close_timeout=RECORD_TIMEOUT, retry_policy=RECORD_RETRY)
