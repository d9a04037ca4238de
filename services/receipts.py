"""A client says it received a page: record it on the attempt and in the audit log."""

from __future__ import annotations

from services.errors import VigilError
from audit.chain import append as audit
from db.engine import writing
from db.models import DeliveryAttempt, utcnow
from events.publish import publish
from events.topics import subject_topic


def record_receipt(*, attempt_id: str, staff_id: str, channel: str) -> DeliveryAttempt:
    """Mark the attempt delivered; only its own recipient can confirm it."""
    with writing() as session:
        attempt = session.get(DeliveryAttempt, attempt_id)
        if attempt is None or attempt.recipient_id != staff_id:
            raise VigilError(404, "not_found", f"No page {attempt_id!r} was sent to you.")
        if attempt.delivered_at is None:
            attempt.outcome, attempt.delivered_at = "delivered", utcnow()
            session.add(attempt)
            detail = {"attempt_id": attempt.id, "recipient_id": staff_id, "channel": channel,
                      "outcome": "delivered"}
            audit(session, actor=staff_id, action="delivery.receipt", subject=attempt.subject_id,
                  detail=detail)
            publish(session, topic=subject_topic(attempt.subject_id), kind="receipt", payload=detail)
        return attempt
