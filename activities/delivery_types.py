"""What the delivery activities take and return: plain data that workflows carry too."""

from dataclasses import dataclass, field
from typing import Any

# A batch's outcome for a delivery whose provider had a passing fault: the attempt is
# still open ("sending", its try counted) and the delivery's own retries take it over.
RETRYING = "retrying"


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
    outcome: str  # sent, delivered, failed (and, from `deliver_batch` only, retrying)
    provider_message_id: str | None = None
    error: str | None = None


@dataclass
class DeliveryBatch:
    """Every delivery of one page (its people times its channels), sent by one activity."""

    requests: list[DeliveryRequest] = field(default_factory=list)


@dataclass
class DeliveryBatchResult:
    results: list[DeliveryResult] = field(default_factory=list)  # one per request, same order
    # When an earlier try first wrote this batch's attempts (epoch seconds), None if this try
    # was the first. Set, the task that sent the batch has run before (a write inside a
    # workflow task whose completion was lost): the page went out then, not now.
    written_before: float | None = None
