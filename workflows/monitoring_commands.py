"""The commands a monitoring session takes: change thresholds, acknowledge an alarm, end.

Each is a validated update: the validator refuses before anything is written
to history, and the handler checks again (two updates may pass validation
together). Their side effects run in the workflow's main loop, in order.
"""

from __future__ import annotations

from dataclasses import asdict
from collections.abc import Awaitable, Callable

from temporalio import workflow

from clinical.alarms import acknowledge_alarm
from clinical.thresholds import ThresholdError, Thresholds, apply_overrides
from workflows.monitoring_types import (
    AlarmAcknowledge,
    AlarmAckResult,
    AlarmEpisode,
    EndSession,
    SessionActor,
    SessionInput,
    SessionState,
    SessionSummary,
    ThresholdsChange,
)
from workflows.paging import Pager
from workflows.refusals import Refusal, refuse


class SessionCommands:
    """Mixed into MonitoringSessionWorkflow, which holds the state these read and change."""

    # The workflow's own (and PagingWorkflow's `_accept`); declared here for readers.
    _input: SessionInput
    _state: SessionState
    _ending: EndSession | None
    _summary: SessionSummary | None
    _accept: Callable[..., None]
    _episode: Callable[[str], AlarmEpisode | None]
    _flush_everything: Callable[[], Awaitable[None]]
    _record: Callable[..., Awaitable[None]]
    _pager: Pager

    def _check_open(self) -> None:
        if self._state.status != "active" or self._ending is not None:
            raise refuse(Refusal.SessionEnded, "This monitoring session has ended.")

    def _check_on_session(self, actor: SessionActor, *, viewers: bool) -> None:
        data = self._input
        allowed = data.care_team + (data.viewers if viewers else [])
        if not actor.may_steer and actor.staff_id not in allowed:
            raise refuse(Refusal.NotOnSession, "Only this session's care team, its viewers (to "
                         "acknowledge) or a coordinator may do this.")

    def _new_thresholds(self, cmd: ThresholdsChange) -> Thresholds:
        self._check_open()
        self._check_on_session(cmd.actor, viewers=False)
        try:
            return apply_overrides(self._state.thresholds, cmd.overrides)
        except ThresholdError as error:
            raise refuse(Refusal.InvalidThresholds, str(error), field=error.field,
                         reason=error.reason)

    @workflow.update
    def change_thresholds(self, cmd: ThresholdsChange) -> Thresholds:
        """New limits apply from the next reading; the change is audited with before and after."""
        new = self._new_thresholds(cmd)
        before, self._state.thresholds = self._state.thresholds, new
        self._accept("thresholds_changed", cmd.actor.staff_id, {
            "before": asdict(before), "after": asdict(new), "overrides": cmd.overrides,
            "reason": cmd.reason})
        return new

    @change_thresholds.validator
    def _validate_change_thresholds(self, cmd: ThresholdsChange) -> None:
        self._new_thresholds(cmd)

    def _check_acknowledge(self, cmd: AlarmAcknowledge) -> None:
        self._check_open()
        self._check_on_session(cmd.actor, viewers=True)
        alarm = self._state.alarms.alarms.get(cmd.key)
        if alarm is None or not alarm.active:
            raise refuse(Refusal.AlarmNotActive, f"No active alarm {cmd.key!r} on this session.",
                         active=self._state.alarms.active_keys())

    @workflow.update
    def acknowledge(self, cmd: AlarmAcknowledge) -> AlarmAckResult:
        """Silence one alarm for the acknowledgement window; the others still page."""
        self._check_acknowledge(cmd)
        s, now = self._state, workflow.now()
        s.alarms = acknowledge_alarm(s.alarms, cmd.key, now, self._input.timing.alarm_config())
        until = s.alarms.alarms[cmd.key].acknowledged_until
        assert until is not None
        s.escalations.pop(cmd.key, None)
        episode, took = self._episode(cmd.key), None
        if episode and episode.acknowledged_at is None:
            took = (now - episode.raised_at).total_seconds()
            episode.acknowledged_at, episode.acknowledged_by = now, cmd.actor.staff_id
            episode.time_to_acknowledge_s = took
        self._accept("alarm_acknowledged", cmd.actor.staff_id, {
            "key": cmd.key, "by": cmd.actor.name, "acknowledged_until": until,
            "time_to_acknowledge_s": took})
        return AlarmAckResult(cmd.key, until, took)

    @acknowledge.validator
    def _validate_acknowledge(self, cmd: AlarmAcknowledge) -> None:
        self._check_acknowledge(cmd)

    def _check_end(self, cmd: EndSession) -> None:
        self._check_open()
        if not cmd.actor.may_steer:
            raise refuse(Refusal.NotOnSession, "Only a coordinator or an admin may end a session.")

    @workflow.update
    async def end(self, cmd: EndSession) -> SessionSummary:
        """Score what is waiting, store everything, and answer with the session's summary."""
        self._check_end(cmd)
        self._ending = cmd
        if workflow.patched("record-ending"):
            # Recorded at once, so every API replica refuses new readings (409) from now on.
            self._accept("ending", cmd.actor.staff_id, {"reason": cmd.reason})
        await workflow.wait_condition(lambda: self._summary is not None)
        assert self._summary is not None
        return self._summary

    @end.validator
    def _validate_end(self, cmd: EndSession) -> None:
        self._check_end(cmd)

    async def _close(self) -> bool:
        """Store everything, record the summary; False if readings raced in meanwhile."""
        assert self._ending is not None
        await self._flush_everything()
        await self._pager.drain()
        s, now = self._state, workflow.now()
        s.status = "ended"
        summary = SessionSummary(
            session_id=self._input.session_id, started_at=s.started_at, ended_at=now,
            duration_s=(now - s.started_at).total_seconds(), readings=s.evaluated,
            alarms_by_priority={p: s.alarm_counts.get(p, 0) for p in ("high", "medium", "low")},
            technical_alarms=s.technical_alarms, alarms=list(s.episodes),
            emergencies=list(s.emergencies), ended_by=self._ending.actor.staff_id,
            reason=self._ending.reason, readings_refused_after_end=s.refused_after_end)
        await self._record("ended", self._ending.actor.staff_id, asdict(summary))
        self._summary = summary  # answered only now, so the projection already says "ended"
        return not s.pending and not self._changes
