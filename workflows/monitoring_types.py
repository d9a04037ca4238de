"""Inputs, state and messages of MonitoringSessionWorkflow: one dataclass each.

Everything here is plain data (standard library and `clinical` dataclasses),
so it passes through Temporal's sandbox and its payloads as JSON.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from temporalio.converter import value_to_type

from clinical.alarms import AlarmConfig, AlarmState
from clinical.thresholds import Thresholds
from clinical.vitals import Reading, VitalSigns, reading_from_json
from workflows.paging_types import OpenAttempt

PRIORITY_ORDER = ("none", "low", "medium", "high")


@dataclass
class SessionTiming:
    """The session's clocks, in seconds; tests shorten them, production keeps the defaults."""

    hysteresis_s: float = 300  # an alarm clears only after this long without its condition
    ack_silence_s: float = 900  # an acknowledged alarm stays quiet this long
    care_team_escalation_s: float = 120  # unacknowledged medium page -> SMS + charge nurse
    # Readings are stored as soon as the session is idle (0), or after at most this long,
    # or as soon as flush_max are waiting; under load, batches form by themselves.
    flush_interval_s: float = 0.0
    flush_max: int = 100
    max_readings_per_run: int = 2000  # continue-as-new after this many, even if not suggested

    def alarm_config(self) -> AlarmConfig:
        return AlarmConfig(hysteresis_seconds=self.hysteresis_s,
                           ack_silence_seconds=self.ack_silence_s)


@dataclass
class Device:
    id: str
    type: str


@dataclass
class TrendPoint:
    at: datetime
    score: int


@dataclass
class AlarmEpisode:
    """One alarm from raised to cleared: what the end-of-session summary lists."""

    key: str
    priority: str  # the worst it reached
    raised_at: datetime
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    time_to_acknowledge_s: float | None = None
    cleared_at: datetime | None = None


@dataclass
class SessionState:
    """Everything a run hands to the next one when it continues as new."""

    thresholds: Thresholds
    started_at: datetime
    last_seen: dict[str, datetime]  # device id -> when Vigil last heard from it
    status: str = "active"  # active, ended
    alarms: AlarmState = field(default_factory=AlarmState)
    trend: list[TrendPoint] = field(default_factory=list)  # complete NEWS2 totals, last hour
    pending: list[Reading] = field(default_factory=list)  # received, not yet evaluated
    evaluated: int = 0  # also the sequence number of the latest evaluated reading
    stored: int = 0
    escalations: dict[str, float] = field(default_factory=dict)  # alarm key -> epoch due
    episodes: list[AlarmEpisode] = field(default_factory=list)
    alarm_counts: dict[str, int] = field(default_factory=dict)  # clinical, by worst priority
    technical_alarms: int = 0
    messages: int = 0  # numbers every message, so delivery attempt ids never repeat
    flushes: int = 0  # numbers every storage batch, so a retried one is applied once
    emergencies: list[str] = field(default_factory=list)
    latest_news2: int | None = None
    latest_trend: str = "unknown"
    latest_priority: str = "none"
    runs: int = 1
    carried: int = 0  # readings handed to a next run before they were evaluated
    refused_after_end: int = 0  # readings that arrived once the session was ending


@dataclass
class SessionInput:
    session_id: str
    patient_id: str
    monitoring_type: str
    facility_id: str
    location: dict[str, Any]
    short_code: str
    devices: list[Device]
    care_team: list[str]  # staff ids paged for medium alarms
    viewers: list[str]  # staff ids notified of low alarms
    family_viewers: list[str]
    thresholds: Thresholds
    expected_interval_s: float
    created_by: str
    emergency_task_queue: str  # where a critical finding's child emergency runs
    timing: SessionTiming = field(default_factory=SessionTiming)
    carried: SessionState | None = None  # set when the workflow continues as new
    carried_attempts: list[OpenAttempt] = field(default_factory=list)  # and its open pages


@dataclass
class ReadingBatch:
    """Readings the API has already validated, oldest first."""

    readings: list[Reading]


@dataclass
class SessionActor:
    """Who sends a command; coordinators and admins may steer any session."""

    staff_id: str
    name: str
    may_steer: bool = False


@dataclass
class ThresholdsChange:
    actor: SessionActor
    overrides: dict[str, Any]
    reason: str = ""


@dataclass
class AlarmAcknowledge:
    actor: SessionActor
    key: str


@dataclass
class AlarmAckResult:
    key: str
    acknowledged_until: datetime
    time_to_acknowledge_s: float | None


@dataclass
class EndSession:
    actor: SessionActor
    reason: str = ""


@dataclass
class SessionSummary:
    session_id: str
    started_at: datetime
    ended_at: datetime
    duration_s: float
    readings: int
    alarms_by_priority: dict[str, int]
    technical_alarms: int
    alarms: list[AlarmEpisode]
    emergencies: list[str]
    ended_by: str
    reason: str = ""
    readings_refused_after_end: int = 0  # arrived after the end was asked for; never scored


@dataclass
class ActiveAlarm:
    key: str
    priority: str
    reasons: list[str]
    acknowledged_until: datetime | None = None


@dataclass
class SessionView:
    """The `state` query: what a console shows right now."""

    session_id: str
    status: str
    thresholds: Thresholds
    active_alarms: list[ActiveAlarm]
    received: int
    evaluated: int
    stored: int
    latest_news2: int | None
    latest_trend: str
    latest_priority: str
    emergencies: list[str]
    runs: int
    carried: int = 0


@dataclass
class StoredPoint:
    """One evaluated reading as it is stored and charted."""

    seq: int
    device_id: str
    taken_at: datetime
    received_at: datetime
    vitals: VitalSigns
    news2: int | None
    news2_complete: bool
    trend: str
    priority: str


@dataclass
class AlarmChange:
    """An alarm raised, escalated, cleared or escalated for want of acknowledgement."""

    kind: str
    key: str
    priority: str
    at: datetime
    reasons: list[str] = field(default_factory=list)
    score: int | None = None


def session_input_from_json(data: dict[str, Any]) -> SessionInput:
    """A SessionInput from its JSON form; the carried readings and trend decoded by hand.

    A run that continues as new can carry thousands of unscored readings and an hour
    of NEWS2 points; Temporal's generic converter, which looks up type hints for every
    item, takes longer than the 2 s a workflow task may hold its thread in the sandbox.
    """
    data, pending, trend = dict(data), [], []
    if data.get("carried"):
        carried = data["carried"] = dict(data["carried"])
        pending, trend = carried.pop("pending", []), carried.pop("trend", [])
    result: SessionInput = value_to_type(SessionInput, data, [])
    if result.carried is not None:
        result.carried.pending = [reading_from_json(item) for item in pending]
        result.carried.trend = [TrendPoint(datetime.fromisoformat(p["at"]), p["score"])
                                for p in trend]
    return result
