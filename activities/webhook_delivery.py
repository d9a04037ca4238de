"""The side of outbound webhooks that acts: read the outbox, send tries, give up on one.

Every try is recorded (`WebhookAttempt`: status code, latency, error) and
audited, with the delivery's new state (activities/webhook_try_records.py); a
batch's tries are recorded several to a transaction. The request is signed per
Standard Webhooks with the endpoint's secret, and with the previous one too
while a rotation's overlap lasts, and goes only to an address the SSRF check
approved (activities/webhook_sender.py: checked once per batch, and again
whenever the endpoint's URL changes).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from sqlmodel import Session, col, select
from temporalio import activity

from activities import webhook_idle
from activities.webhook_sender import EndpointSender, Tried
from activities.webhook_try_records import TryRecords, record
from audit.chain import append as audit
from channels import webhook_http
from db.engine import reading, writing
from db.models import Staff, WebhookDelivery, WebhookEndpoint, as_utc, utcnow
from settings import Settings
from workflows.webhook_delivery_types import (
    BatchOutcome,
    GiveUp,
    OutboxBatch,
    OutboxQuery,
    PendingDelivery,
    RetrySchedule,
    SendBatch,
    SendOutcome,
    SendRequest,
)

# A batch's tries are recorded this many to a transaction at most, and none waits for its
# record much longer than RECORD_WITHIN_S (a try not delivered is recorded at once).
RECORD_AT_ONCE = 50
RECORD_WITHIN_S = 1.0


class WebhookActivities:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @activity.defn(name="webhook_next_deliveries")
    def next_deliveries(self, query: OutboxQuery) -> OutboxBatch:
        """The endpoint's oldest undelivered events, in order, and its retry schedule.

        Found none, the endpoint is left marked idle, so the next writer of a row for it wakes
        its workflow (activities/webhook_idle.py). A busy endpoint (rows found, no mark to
        clear) costs a read only; the mark is set and read in a write transaction."""
        with reading() as session:
            endpoint = session.get(WebhookEndpoint, query.endpoint_id)
            if endpoint is None or not endpoint.enabled:
                return OutboxBatch(enabled=False)
            rows = _pending(session, query)
            if rows and not endpoint.idle:
                return self._batch(endpoint, rows)
        with writing() as session:
            endpoint = session.get(WebhookEndpoint, query.endpoint_id)
            if endpoint is None or not endpoint.enabled:
                return OutboxBatch(enabled=False)
            return self._batch(endpoint, webhook_idle.settle(session, query.endpoint_id,
                                                             lambda: _pending(session, query)))

    def _batch(self, endpoint: WebhookEndpoint, rows: Sequence[WebhookDelivery]) -> OutboxBatch:
        return OutboxBatch(
            enabled=True,
            retry=RetrySchedule(endpoint.retry_initial_s, endpoint.retry_max_s,
                                endpoint.retry_window_s),
            # A replayed event's retry window runs from its replay, not from the event.
            pending=[PendingDelivery(
                r.seq or 0, r.webhook_id, r.event_type,
                as_utc(r.replayed_at or r.occurred_at))  # type: ignore[arg-type]
                for r in rows],
            poll_interval_s=self.settings.webhook_poll_interval_s)

    @activity.defn(name="webhook_send")
    def send_webhook(self, request: SendRequest) -> SendOutcome:
        """One signed try of one event; records and audits it."""
        return self._try(request)

    @activity.defn(name="webhook_send_batch")
    def send_batch(self, batch: SendBatch) -> BatchOutcome:
        """First tries of the endpoint's next events, in order, each recorded and audited as
        its own try, stopping at the first that is not delivered (so the workflow retries that
        one before any later event) or when the batch's time budget is spent.

        The endpoint and the events are read once, and the tries recorded several to a
        transaction (`RECORD_AT_ONCE`, `RECORD_WITHIN_S`; always before returning). A worker
        killed between a try and its group's commit loses that try's record, not the event:
        the event is still pending, so it is sent again with the same webhook-id, which is
        what the webhook-id is for (a receiver drops a webhook-id it has already accepted).
        """
        began = time.monotonic()
        with reading() as session:
            endpoint = session.get(WebhookEndpoint, batch.endpoint_id)
            deliveries = {d.seq: d for d in session.exec(select(WebhookDelivery).where(
                col(WebhookDelivery.seq).in_(batch.seqs)))}
        records = TryRecords(RECORD_AT_ONCE, RECORD_WITHIN_S)
        with webhook_http.client(self.settings.webhook_timeout_s) as http:
            sender = EndpointSender(self.settings, endpoint, http)
            try:
                for done, seq in enumerate(batch.seqs):
                    if done and time.monotonic() - began > batch.budget_s:
                        return BatchOutcome(done)
                    activity.heartbeat(done)
                    tried = sender.send(deliveries.get(seq), attempt=1)
                    if not isinstance(tried, Tried):
                        outcome = tried  # nothing sent: the endpoint disabled, or already settled
                    else:
                        outcome = tried.result()
                        if records.add(tried) and outcome.outcome == "delivered":
                            sender.refresh(records.write())  # and see the endpoint as it is now
                    if outcome.outcome != "delivered":
                        return BatchOutcome(done, outcome)
            finally:
                records.write()  # what was sent is recorded, however the batch ends
        return BatchOutcome(len(batch.seqs))

    def _try(self, request: SendRequest) -> SendOutcome:
        with reading() as session:
            endpoint = session.get(WebhookEndpoint, request.endpoint_id)
            delivery = session.get(WebhookDelivery, request.seq)
        tried = EndpointSender(self.settings, endpoint).send(delivery, request.attempt)
        if not isinstance(tried, Tried):
            return tried
        record([tried])
        return tried.result()

    @activity.defn(name="webhook_give_up")
    def give_up_delivery(self, request: GiveUp) -> list[str]:
        """Mark an event failed for good, audit it, and name the admins to page about it."""
        with writing() as session:
            delivery = session.get(WebhookDelivery, request.seq)
            if delivery is not None and delivery.status == "pending":
                delivery.status, delivery.failed_at = "failed", utcnow()
                session.add(delivery)
                audit(session, actor="vigil", action="webhook.failed", subject=request.endpoint_id,
                      detail={"webhook_id": delivery.webhook_id,
                              "event_type": delivery.event_type, "reason": request.reason})
            admins = session.exec(select(Staff.id).where(Staff.role == "admin")
                                  .order_by(col(Staff.id))).all()
        return list(admins)


def _pending(session: Session, query: OutboxQuery) -> Sequence[WebhookDelivery]:
    return session.exec(
        select(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == query.endpoint_id,
               WebhookDelivery.status == "pending")
        .order_by(col(WebhookDelivery.seq)).limit(query.limit)).all()

