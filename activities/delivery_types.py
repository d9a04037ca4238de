"""What the `deliver` activity takes and returns: plain data that workflows carry too."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class DeliveryRequest:
    attempt_id: str  # stable across retries: "<subject>/<step>/<staff>/<channel>"
    subject_id: str
    recipient_id: str
    channel: str
    kind: str  # page, ack_notice, stand_down, handover, alarm, ...
    content: dict[str, Any] = field(default_factory=dict)
    tier: int = 0
    round: int = 0


@dataclass
class DeliveryResult:
    attempt_id: str
    channel: str
    recipient_id: str
    outcome: str  # sent, delivered, failed
    provider_message_id: str | None = None
    error: str | None = None
