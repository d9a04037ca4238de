"""Recording webhook tries, several to a transaction: each still its own attempt and audit entry.

A try's record is its `WebhookAttempt` (status code, latency, error), its
delivery's new state and its own entry in the audit chain. Written one
transaction per try, that was ~40 % of a send (a transaction, the audit lock
and a read of the chain's head each); a group of tries written in one
transaction takes the lock and reads the head once (audit/chain.append
chains the rest onto the entry appended last).
"""

from __future__ import annotations

import time

from sqlalchemy import insert
from sqlmodel import col, select

from activities.webhook_sender import Tried
from audit.chain import append as audit
from db.engine import writing
from db.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, utcnow


def record(tries: list[Tried]) -> WebhookEndpoint | None:
    """Write one endpoint's tries, in the order made, in one transaction; the endpoint as it
    is now (a 410 among them has disabled it), or None if it is gone."""
    with writing() as session:
        deliveries = {d.seq: d for d in session.exec(select(WebhookDelivery).where(
            col(WebhookDelivery.seq).in_(sorted({t.seq for t in tries}))))}
        endpoint = session.get(WebhookEndpoint, tries[0].endpoint_id)
        # One multi-row INSERT: no attempt's id is read back, so none needs a statement of its own.
        session.execute(insert(WebhookAttempt), [
            {"delivery_seq": t.seq, "endpoint_id": t.endpoint_id, "number": t.attempt, "at": t.at,
             "status_code": t.answer.status_code, "latency_ms": round(t.answer.latency_ms, 3),
             "outcome": t.outcome, "error": t.error} for t in tries])
        for tried in tries:
            answer, error = tried.answer, tried.error
            delivery = deliveries.get(tried.seq)
            if delivery is not None:
                delivery.attempts = max(delivery.attempts, tried.attempt)
                delivery.last_status_code, delivery.last_error = answer.status_code, error
                if tried.outcome == "delivered":
                    delivery.status, delivery.delivered_at = "delivered", tried.at
                session.add(delivery)
            if tried.outcome == "gone" and endpoint is not None:
                endpoint.enabled, endpoint.updated_at = False, utcnow()
                endpoint.disabled_reason = "the receiver answered 410 Gone"
                session.add(endpoint)
        # The deliveries' updates go in the first append's flush, together; then one entry a try.
        for tried in tries:
            audit(session, actor="vigil", action=f"webhook.{tried.outcome}",
                  subject=tried.endpoint_id,
                  detail={"webhook_id": tried.webhook_id, "event_type": tried.event_type,
                          "attempt": tried.attempt, "status_code": tried.answer.status_code,
                          "latency_ms": round(tried.answer.latency_ms, 3), "error": tried.error})
    return endpoint


class TryRecords:
    """Tries made but not yet recorded: written once `at_once` wait, or the oldest has waited
    `within_s`, or whenever the caller says (before it returns, at a try not delivered)."""

    def __init__(self, at_once: int, within_s: float) -> None:
        self.at_once, self.within_s = at_once, within_s
        self._waiting: list[Tried] = []
        self._oldest = 0.0

    def add(self, tried: Tried) -> bool:
        """Keep a try for the next write; True when that write is due."""
        if not self._waiting:
            self._oldest = time.monotonic()
        self._waiting.append(tried)
        return (len(self._waiting) >= self.at_once
                or time.monotonic() - self._oldest >= self.within_s)

    def write(self) -> WebhookEndpoint | None:
        """Record the waiting tries in one transaction (see `record`); None if none waited."""
        group, self._waiting = self._waiting, []
        return record(group) if group else None
