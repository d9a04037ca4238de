"""The messages a person was sent and did not lose: what their reply can be answering.

A reply by SMS ("TAKEN", "CONFIRM") answers something Vigil sent that person: the
newest medication SMS (services/texted_doses.py), the newest appointment reminder
(services/appointment_replies.py). Both look in the delivery records the same way:
that person's attempts of those kinds, newest first, leaving out any the provider
reported failed or undelivered.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from db.models import DeliveryAttempt

NOT_RECEIVED = ("failed", "undelivered")


def received_messages(recipient_ids: list[str], kinds: tuple[str, ...], *,
                      channel: str | None = None) -> Any:
    """A query: these people's delivery attempts of these kinds (on `channel`, if given) that
    were not reported lost, newest first."""
    query = select(DeliveryAttempt).where(
        col(DeliveryAttempt.recipient_id).in_(recipient_ids), col(DeliveryAttempt.kind).in_(kinds),
        col(DeliveryAttempt.outcome).not_in(NOT_RECEIVED))
    if channel is not None:
        query = query.where(DeliveryAttempt.channel == channel)
    return query.order_by(col(DeliveryAttempt.created_at).desc())
