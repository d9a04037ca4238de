"""The side of outbound webhooks that acts: read the outbox, send tries, give up on one.

Every try is recorded (`WebhookAttempt`: status code, latency, error) and
audited in one transaction with the delivery's new state. The URL is checked
again before each try (SSRF: a host may since resolve somewhere private), the
request is signed per Standard Webhooks with the endpoint's secret, and with
the previous one too while a rotation's overlap lasts.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone

import httpx
from sqlmodel import col, select
from temporalio import activity

from activities.webhook_payloads import body as render_body
from audit.chain import append as audit
from channels import webhook_http
from channels.webhook_addresses import UnsafeWebhookUrl, check_url
from channels.webhook_http import Answer
from channels.webhook_secrets import decrypt, signature_header
from db.engine import reading, writing
from db.models import Staff, WebhookAttempt, WebhookDelivery, WebhookEndpoint, as_utc, utcnow
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

RETRY_LATER_STATUSES = (429, 503)  # the receiver may say when, in Retry-After


def classify(answer: Answer) -> str:
    """delivered for 2xx, gone for 410, retry for everything else (3xx included)."""
    if answer.status_code is not None and 200 <= answer.status_code < 300:
        return "delivered"
    if answer.status_code == 410:
        return "gone"
    return "retry"


class WebhookActivities:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @activity.defn(name="webhook_next_deliveries")
    def next_deliveries(self, query: OutboxQuery) -> OutboxBatch:
        """The endpoint's oldest undelivered events, in order, and its retry schedule."""
        with reading() as session:
            endpoint = session.get(WebhookEndpoint, query.endpoint_id)
            if endpoint is None or not endpoint.enabled:
                return OutboxBatch(enabled=False)
            rows = session.exec(
                select(WebhookDelivery)
                .where(WebhookDelivery.endpoint_id == query.endpoint_id,
                       WebhookDelivery.status == "pending")
                .order_by(col(WebhookDelivery.seq)).limit(query.limit)).all()
            return OutboxBatch(
                enabled=True,
                retry=RetrySchedule(endpoint.retry_initial_s, endpoint.retry_max_s,
                                    endpoint.retry_window_s),
                # A replayed event's retry window runs from its replay, not from the event.
                pending=[PendingDelivery(
                    r.seq or 0, r.webhook_id, r.event_type,
                    as_utc(r.replayed_at or r.occurred_at))  # type: ignore[arg-type]
                    for r in rows])

    @activity.defn(name="webhook_send")
    def send_webhook(self, request: SendRequest) -> SendOutcome:
        """One signed try of one event; records and audits it."""
        return self._try(request)

    @activity.defn(name="webhook_send_batch")
    def send_batch(self, batch: SendBatch) -> BatchOutcome:
        """First tries of the endpoint's next events, in order, each recorded and audited as
        `send_webhook` records it, stopping at the first that is not delivered (so the workflow
        retries that one before any later event) or when the batch's time budget is spent."""
        began = time.monotonic()
        with webhook_http.client(self.settings.webhook_timeout_s) as http:
            for done, seq in enumerate(batch.seqs):
                if done and time.monotonic() - began > batch.budget_s:
                    return BatchOutcome(done)
                activity.heartbeat(done)
                outcome = self._try(
                    SendRequest(batch.endpoint_id, seq, 1, batch.scheduled_at), http)
                if outcome.outcome != "delivered":
                    return BatchOutcome(done, outcome)
        return BatchOutcome(len(batch.seqs))

    def _try(self, request: SendRequest, http: httpx.Client | None = None) -> SendOutcome:
        with reading() as session:
            endpoint = session.get(WebhookEndpoint, request.endpoint_id)
            delivery = session.get(WebhookDelivery, request.seq)
        if endpoint is None or not endpoint.enabled:
            return SendOutcome("disabled", error="the endpoint is disabled")
        if delivery is None or delivery.status != "pending":
            return SendOutcome("delivered")  # settled by an earlier try whose answer was lost
        try:
            text = json.dumps(render_body(delivery, endpoint.payload), separators=(",", ":"))
        except ValueError as error:
            return self._record(request, "refused", Answer(None, 0.0, error=str(error)))
        try:
            target = check_url(endpoint.url, dev_mode=self.settings.dev_mode)
        except UnsafeWebhookUrl as error:
            return self._record(request, "retry", Answer(None, 0.0, error=f"refused: {error}"))
        now = datetime.now(timezone.utc)
        headers = {"webhook-id": delivery.webhook_id,
                   "webhook-timestamp": str(int(now.timestamp())),
                   "webhook-signature": signature_header(self._secrets(endpoint, now),
                                                         delivery.webhook_id, now, text),
                   "user-agent": "Vigil-Webhooks/1"}
        answer = webhook_http.post(target, text, headers, timeout_s=self.settings.webhook_timeout_s,
                                   max_bytes=self.settings.webhook_max_response_bytes, using=http)
        return self._record(request, classify(answer), answer)

    def _secrets(self, endpoint: WebhookEndpoint, now: datetime) -> list[str]:
        """The current secret, and the previous one while the rotation overlap lasts."""
        found = [decrypt(endpoint.secret_encrypted, self.settings)]
        until = as_utc(endpoint.previous_secret_expires_at)
        if endpoint.previous_secret_encrypted and until and until > now:
            found.append(decrypt(endpoint.previous_secret_encrypted, self.settings))
        return found

    def _record(self, request: SendRequest, outcome: str, answer: Answer) -> SendOutcome:
        error = answer.error
        if error is None and outcome != "delivered":
            error = f"HTTP {answer.status_code}: {answer.body[:200]}".strip()
        with writing() as session:
            delivery = session.get(WebhookDelivery, request.seq)
            assert delivery is not None
            session.add(WebhookAttempt(
                delivery_seq=request.seq, endpoint_id=request.endpoint_id, number=request.attempt,
                status_code=answer.status_code, latency_ms=round(answer.latency_ms, 3),
                outcome=outcome, error=error))
            delivery.attempts = max(delivery.attempts, request.attempt)
            delivery.last_status_code, delivery.last_error = answer.status_code, error
            if outcome == "delivered":
                delivery.status, delivery.delivered_at = "delivered", utcnow()
            if outcome == "gone":
                endpoint = session.get(WebhookEndpoint, request.endpoint_id)
                assert endpoint is not None
                endpoint.enabled, endpoint.updated_at = False, utcnow()
                endpoint.disabled_reason = "the receiver answered 410 Gone"
                session.add(endpoint)
            session.add(delivery)
            audit(session, actor="vigil", action=f"webhook.{outcome}", subject=request.endpoint_id,
                  detail={"webhook_id": delivery.webhook_id, "event_type": delivery.event_type,
                          "attempt": request.attempt, "status_code": answer.status_code,
                          "latency_ms": round(answer.latency_ms, 3), "error": error})
        return SendOutcome(outcome, answer.status_code,
                           answer.retry_after_s if answer.status_code in RETRY_LATER_STATUSES
                           else None, error)

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
