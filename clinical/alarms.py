"""Alarm-fatigue state machine: decides when a condition pages, re-pages and clears.

Rules, because alarm fatigue is a patient-safety issue:
- an active alarm pages once; it pages again ("escalate") only when it gets
  worse than the worst it has been since it was raised, so a value flapping
  around a limit pages once, not on every reading;
- it clears only after every reading for the hysteresis window shows it gone;
- acknowledging silences that one alarm for a window: a rise in score at the
  same priority stays quiet, but a rise to a higher priority still pages,
  because a silenced deterioration is the failure this system exists to stop.

One step's actions all come from one reading; deliver them as one message.
"""

import copy
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from clinical.assessment import PRIORITIES, Assessment

TECHNICAL_PREFIX = "device_silent:"
# Silent devices page the care team: a dead sensor hides every other alarm.
TECHNICAL_PRIORITY = "medium"
SILENT_INTERVALS = 3


@dataclass
class Alarm:
    """State of one alarm condition, kept after it clears for the session record."""

    key: str
    active: bool
    # Worst priority and score since raised: the level people were paged for.
    priority: str
    score: int | None
    raised_at: datetime
    last_paged_at: datetime | None = None
    acknowledged_until: datetime | None = None
    normal_since: datetime | None = None
    cleared_at: datetime | None = None
    reasons: list[str] = field(default_factory=list)
    parameters: list[str] = field(default_factory=list)


@dataclass
class AlarmState:
    """Every alarm a session has raised, by key."""

    alarms: dict[str, Alarm] = field(default_factory=dict)

    def active_keys(self) -> list[str]:
        """Keys of the alarms currently active."""
        return sorted(key for key, alarm in self.alarms.items() if alarm.active)


@dataclass
class AlarmConfig:
    """Timings in seconds, so the config travels as plain JSON."""

    hysteresis_seconds: float = 300
    ack_silence_seconds: float = 900


@dataclass
class AlarmAction:
    """Something the workflow must deliver: kind is raise, escalate or clear."""

    kind: str
    key: str
    priority: str
    reasons: list[str] = field(default_factory=list)
    score: int | None = None


def step_alarms(
    state: AlarmState, assessment: Assessment, now: datetime, config: AlarmConfig | None = None
) -> tuple[AlarmState, list[AlarmAction]]:
    """Advance the clinical alarms by one assessed reading."""
    config = config or AlarmConfig()
    state = copy.deepcopy(state)
    actions = []
    present = {c.key: c for c in assessment.conditions}
    for key, condition in present.items():
        alarm = state.alarms.get(key)
        if alarm is None or not alarm.active:
            state.alarms[key] = Alarm(
                key=key,
                active=True,
                priority=condition.priority,
                score=condition.score,
                raised_at=now,
                last_paged_at=now,
                reasons=list(condition.reasons),
                parameters=list(condition.parameters),
            )
            actions.append(_action("raise", state.alarms[key]))
            continue
        alarm.normal_since = None
        alarm.reasons = list(condition.reasons)
        higher = _rank(condition.priority) > _rank(alarm.priority)
        more = condition.score is not None and (
            alarm.score is None or condition.score > alarm.score
        )
        if higher:
            alarm.priority = condition.priority
        if more:
            alarm.score = condition.score
        silenced = alarm.acknowledged_until is not None and now < alarm.acknowledged_until
        if higher or (more and not silenced):
            alarm.last_paged_at = now
            # A new page needs its own acknowledgement.
            alarm.acknowledged_until = None
            actions.append(_action("escalate", alarm))
    measured = set(assessment.measured)
    hysteresis = timedelta(seconds=config.hysteresis_seconds)
    for key, alarm in state.alarms.items():
        if not alarm.active or key in present or key.startswith(TECHNICAL_PREFIX):
            continue
        # A reading that did not measure what the alarm is about (a BP cuff
        # reading during an SpO2 alarm) says nothing about it being over.
        if not set(alarm.parameters) <= measured:
            continue
        if alarm.normal_since is None:
            alarm.normal_since = now
        if now - alarm.normal_since >= hysteresis:
            _clear(alarm, now, [f"normal since {alarm.normal_since.isoformat()}"])
            actions.append(_action("clear", alarm))
    return state, actions


def acknowledge_alarm(
    state: AlarmState, key: str, now: datetime, config: AlarmConfig | None = None
) -> AlarmState:
    """Silence one active alarm for the acknowledgement window; KeyError if not active."""
    config = config or AlarmConfig()
    alarm = state.alarms.get(key)
    if alarm is None or not alarm.active:
        raise KeyError(key)
    state = copy.deepcopy(state)
    state.alarms[key].acknowledged_until = now + timedelta(seconds=config.ack_silence_seconds)
    return state


def check_device_silence(
    last_seen: dict[str, datetime], expected_interval: timedelta, now: datetime
) -> list[str]:
    """Devices that have sent nothing for three expected intervals, sorted."""
    # Callers seed last_seen with the session start so a device that never
    # sends anything is caught too.
    limit = expected_interval * SILENT_INTERVALS
    return sorted(device for device, seen in last_seen.items() if now - seen >= limit)


def step_technical_alarms(
    state: AlarmState, silent_devices: list[str], now: datetime
) -> tuple[AlarmState, list[AlarmAction]]:
    """Raise device_silent:<id> for newly silent devices; clear those sending again."""
    state = copy.deepcopy(state)
    actions = []
    silent_keys = {TECHNICAL_PREFIX + device for device in silent_devices}
    for key in sorted(silent_keys):
        alarm = state.alarms.get(key)
        if alarm is not None and alarm.active:
            continue
        device = key[len(TECHNICAL_PREFIX):]
        state.alarms[key] = Alarm(
            key=key,
            active=True,
            priority=TECHNICAL_PRIORITY,
            score=None,
            raised_at=now,
            last_paged_at=now,
            reasons=[f"device {device} silent for {SILENT_INTERVALS} expected intervals"],
        )
        actions.append(_action("raise", state.alarms[key]))
    for key, alarm in state.alarms.items():
        if alarm.active and key.startswith(TECHNICAL_PREFIX) and key not in silent_keys:
            _clear(alarm, now, ["device is sending readings again"])
            actions.append(_action("clear", alarm))
    return state, actions


def _clear(alarm: Alarm, now: datetime, reasons: list[str]) -> None:
    alarm.active = False
    alarm.cleared_at = now
    alarm.normal_since = None
    alarm.acknowledged_until = None
    alarm.reasons = reasons


def _action(kind: str, alarm: Alarm) -> AlarmAction:
    return AlarmAction(kind, alarm.key, alarm.priority, list(alarm.reasons), alarm.score)


def _rank(priority: str) -> int:
    return PRIORITIES.index(priority)
