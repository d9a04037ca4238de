"""A client says it received a page: record it on the attempt and in the audit log."""

from __future__ import annotations

from services.errors import VigilError
from activities.delivery_records import record_attempt
from db.engine import writing
from db.models import DeliveryAttempt, utcnow


def record_receipt(*, attempt_id: str, staff_id: str, channel: str) -> DeliveryAttempt:
    """Mark the attempt delivered; only its own recipient can confirm it."""
    with writing() as session:
        attempt = session.get(DeliveryAttempt, attempt_id)
        if attempt is None or attempt.recipient_id != staff_id:
            raise VigilError(404, "not_found", f"No page {attempt_id!r} was sent to you.")
        if attempt.delivered_at is None:
            attempt.outcome, attempt.delivered_at = "delivered", utcnow()
            record_attempt(session, attempt, actor=staff_id, action="delivery.receipt",
                           event_kind="receipt", extra={"receipt_channel": channel})
        return attempt
