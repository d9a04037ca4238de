"""What a workflow's pager hears and remembers: late failures, and pages that may still fail."""

from dataclasses import dataclass, field
from datetime import datetime

from activities.delivery_types import DeliveryRequest

# The signal a provider's late failure report arrives on, for every workflow that pages.
DELIVERY_FAILED_SIGNAL = "delivery_failed"


@dataclass
class DeliveryFailed:
    """A provider reported after sending that this attempt never reached its recipient."""

    attempt_id: str
    channel: str
    recipient_id: str
    reason: str = ""


@dataclass
class OpenAttempt:
    """A page a provider may still report undelivered, carried across continue-as-new so
    the report still moves that person on to their next channel."""

    request: DeliveryRequest
    fallback: list[str]
    scope: str
    started_at: datetime
    tried: list[str] = field(default_factory=list)  # the person's channels tried in `scope`
