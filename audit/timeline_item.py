"""One line of a workflow's timeline."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class TimelineItem:
    at: str  # ISO 8601, UTC
    source: str  # "temporal" (ref = history event id) or "audit" (ref = audit entry seq)
    ref: int
    kind: str  # started, command, timer, page, notice, receipt, acknowledgement, escalation,
    #            handover, threshold_change, alarm, status, failure, closed, access, other
    actor: str | None
    summary: str
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
