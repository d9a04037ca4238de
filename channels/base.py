"""The contract every channel adapter keeps.

The delivery activity builds an `OutboundMessage`, hands it to the adapter for
its channel and records what comes back. Adapters never decide policy: a
transient provider error is raised as `TransientChannelError` (Temporal's retry
policy retries the activity with backoff); a permanent one as
`PermanentChannelError` (recorded, and the workflow falls through to the next
channel at once).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Recipient:
    staff_id: str
    name: str
    phone: str | None = None
    email: str | None = None
    push_token: str | None = None
    language: str = "en"


@dataclass(frozen=True)
class OutboundMessage:
    """One page to one person on one channel.

    `safe_text` is what may appear on a lock screen, in an SMS or spoken on a
    call: severity, location, short code, never a diagnosis or a patient name.
    `detail` is the full, authenticated in-app view (WebSocket only).
    """

    attempt_id: str
    channel: str
    recipient: Recipient
    subject_id: str  # the emergency (or session/schedule) this page is about
    kind: str  # "page", "ack_notice", "stand_down", "handover", "status"
    severity: str
    short_code: str
    location_text: str
    safe_text: str
    detail: dict = field(default_factory=dict)


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str | None = None
    status: str = "sent"  # "sent" (accepted by provider) or "delivered" (known received)


class ChannelError(Exception):
    """Base for provider failures; `message` is recorded on the attempt."""


class TransientChannelError(ChannelError):
    """Timeouts, 429, 5xx: worth retrying with backoff."""


class PermanentChannelError(ChannelError):
    """Invalid number, unregistered token, unsubscribed: retrying cannot help."""


# What a provider's delivery status callback means: status -> (rank, the outcome it implies;
# None leaves the outcome alone). A status applies only if it outranks the one recorded, so a
# replayed or late callback never moves an attempt backwards; the first final word stands.
StatusRanks = dict[str, tuple[int, str | None]]
UNDELIVERED = "undelivered"
FINAL_RANK = 4


class ChannelAdapter(Protocol):
    channel: str

    def send(self, message: OutboundMessage) -> SendResult: ...
