"""The one writer of delivery records: an attempt's row, its audit entry and its live event.

Whatever changes an attempt (the `deliver` activity sending it, a provider's
status callback, a client's receipt) writes all three here, in the caller's
transaction, so the record, the audit trail and what viewers see never differ.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from audit.chain import append as audit
from db.models import DeliveryAttempt
from events.publish import publish
from events.topics import subject_topic


def attempt_detail(attempt: DeliveryAttempt) -> dict[str, Any]:
    """What the audit entry and the live event say about an attempt."""
    return {"attempt_id": attempt.id, "recipient_id": attempt.recipient_id,
            "channel": attempt.channel, "kind": attempt.kind, "tier": attempt.tier,
            "outcome": attempt.outcome, "tries": attempt.tries,
            "provider_message_id": attempt.provider_message_id, "error": attempt.error}


def record_attempt(session: Session, attempt: DeliveryAttempt, *, actor: str, action: str,
                   event_kind: str | None = "delivery",
                   extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Save the attempt, audit `action` by `actor`, and stream it (unless `event_kind` is None)."""
    session.add(attempt)
    detail = {**attempt_detail(attempt), **(extra or {})}
    audit(session, actor=actor, action=action, subject=attempt.subject_id, detail=detail)
    if event_kind is not None:
        publish(session, topic=subject_topic(attempt.subject_id), kind=event_kind, payload=detail,
                flush=False)  # one flush per message at most: the channel's, for its id
    return detail
