"""Inputs, messages and answers of OnCallWatchWorkflow: one dataclass each."""

from dataclasses import dataclass, field
from datetime import datetime

WAKE_SIGNAL = "rota_changed"
# The person coming on is reached first on the channel they can be reached on soonest.
PREFERENCE = ("push", "sms", "email")
FALLBACK = ["websocket", "push", "sms", "email"]
GAP_CHANNELS = ["websocket", "email"]


def workflow_id_for(schedule_id: str) -> str:
    return f"oncall-{schedule_id}"


@dataclass
class Window:
    """[starts_at, ends_at); ends_at None: open-ended."""

    starts_at: datetime
    ends_at: datetime | None = None

    def overlaps(self, other: "Window") -> bool:
        return ((other.ends_at is None or self.starts_at < other.ends_at)
                and (self.ends_at is None or other.starts_at < self.ends_at))


@dataclass
class OnCallWatchInput:
    schedule_id: str
    recheck_s: float = 3600.0
    reported_gaps: list[Window] = field(default_factory=list)  # carried across continue-as-new
    noticed: list[str] = field(default_factory=list)  # hand-off keys already told
    history_limit: int = 2000  # continue as new past this many events (or when suggested)
    looks: int = 0  # how many looks the runs before this one made


@dataclass
class RotaLookRequest:
    schedule_id: str
    now: datetime  # the workflow's clock, so a look is the same on replay


@dataclass
class HandOffNotice:
    person: str
    channel: str  # the person's preferred channel
    starts_at: datetime
    ends_at: datetime
    starts_local: str  # on the schedule's wall clock, for the message
    source: str

    @property
    def key(self) -> str:
        return f"{self.person}@{self.starts_at.isoformat()}"


@dataclass
class GapNotice:
    window: Window
    starts_local: str
    ends_local: str  # "" when open-ended


@dataclass
class RotaLook:
    exists: bool
    schedule_name: str = ""
    notice_s: float = 1800.0  # how long before a shift its person is told
    handoffs: list[HandOffNotice] = field(default_factory=list)
    gaps: list[GapNotice] = field(default_factory=list)
    admins: list[str] = field(default_factory=list)  # who hears of a gap


@dataclass
class OnCallWatchState:
    schedule_id: str
    looks: int = 0
    noticed: list[str] = field(default_factory=list)
    reported_gaps: list[Window] = field(default_factory=list)
    next_look_at: datetime | None = None
