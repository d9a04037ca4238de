"""The one writer of delivery records: an attempt's row, its audit entry and its live event.

Whatever changes an attempt (the `deliver` activity sending it, a provider's
status callback, a client's receipt) writes all three here, in the caller's
transaction, so the record, the audit trail and what viewers see never differ.
A page's attempts are recorded together: their audit entries and events go in
as one statement each.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from sqlmodel import Session

from audit.chain import Entry, append_many
from db.models import DeliveryAttempt
from events.publish import publish_many
from events.topics import subject_topic


class AttemptChange(NamedTuple):
    """What happened to an attempt: `action` by `actor`, streamed as `event_kind` (or not)."""

    attempt: DeliveryAttempt
    actor: str
    action: str
    event_kind: str | None = "delivery"
    extra: dict[str, Any] | None = None


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
    (detail,) = record_attempts(session, [AttemptChange(attempt, actor, action, event_kind, extra)])
    return detail


def record_attempts(session: Session, changes: list[AttemptChange]) -> list[dict[str, Any]]:
    """Save each attempt, audit each change, and stream those with an event kind, in order."""
    details = []
    for change in changes:
        session.add(change.attempt)
        details.append({**attempt_detail(change.attempt), **(change.extra or {})})
    append_many(session, [Entry(c.actor, c.action, c.attempt.subject_id, detail)
                          for c, detail in zip(changes, details)])
    publish_many(session, [(subject_topic(c.attempt.subject_id), c.event_kind, detail)
                           for c, detail in zip(changes, details) if c.event_kind is not None])
    return details
