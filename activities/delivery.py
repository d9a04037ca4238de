"""The one delivery path: every page from every workflow goes out through `deliver`.

Each attempt is recorded before the provider is called and again after, so a
crash that cuts a provider call short is visible: the retry finds the attempt
still "sending", sends again and counts `tries` up. An attempt already sent is
never sent twice.
"""

from __future__ import annotations

from sqlmodel import Session
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.delivery_records import record_attempt
from activities.delivery_types import DeliveryRequest, DeliveryResult
from audit.chain import append as audit
from channels.base import (
    ChannelAdapter,
    OutboundMessage,
    PermanentChannelError,
    Recipient,
    SendResult,
    TransientChannelError,
)
from channels.local import LocalChannel
from channels.messages import location_text, safe_text
from db.engine import writing
from db.models import DeliveryAttempt, Staff, utcnow


class DeliveryActivities:
    def __init__(self, channels: dict[str, ChannelAdapter]) -> None:
        self.channels = channels

    @activity.defn(name="deliver")
    def deliver(self, request: DeliveryRequest) -> DeliveryResult:
        """Send one message to one person on one channel and record the attempt."""
        adapter = self.channels[request.channel]
        if isinstance(adapter, LocalChannel):
            return self._deliver_locally(request, adapter)
        with writing() as session:
            begun = self._open(session, request)
        if isinstance(begun, DeliveryResult):
            return begun
        try:
            sent = adapter.send(self._message(request, begun))
        except PermanentChannelError as error:
            if getattr(error, "token_invalid", False):
                self._forget_push_token(request.recipient_id, begun.push_token)
            return self._finish(request, outcome="failed", error=str(error))
        except TransientChannelError as error:
            self._note_error(request, str(error))
            raise ApplicationError(f"{request.channel}: {error}", type="TransientChannelError")
        return self._finish(request, outcome=sent.status, sent=sent)

    def _deliver_locally(self, request: DeliveryRequest, adapter: LocalChannel) -> DeliveryResult:
        """A channel that only writes to our own database: record and send in one transaction."""
        with writing() as session:
            begun = self._open(session, request)
            if isinstance(begun, DeliveryResult):
                return begun
            try:
                sent = adapter.write(session, self._message(request, begun))
            except PermanentChannelError as error:
                return self._close(session, request, outcome="failed", error=str(error))
            return self._close(session, request, outcome=sent.status, sent=sent)

    def _open(self, session: Session, request: DeliveryRequest) -> DeliveryResult | Recipient:
        """Count a try on the attempt; a finished attempt is answered from the record instead."""
        attempt = session.get(DeliveryAttempt, request.attempt_id)
        if attempt and attempt.outcome != "sending":
            return DeliveryResult(attempt.id, attempt.channel, attempt.recipient_id,
                                  attempt.outcome, attempt.provider_message_id, attempt.error)
        person = session.get(Staff, request.recipient_id)
        if attempt is None:
            attempt = DeliveryAttempt(id=request.attempt_id, subject_id=request.subject_id,
                                      recipient_id=request.recipient_id, channel=request.channel,
                                      kind=request.kind, tier=request.tier, round=request.round)
        attempt.tries += 1
        session.add(attempt)
        if person is None:
            attempt.outcome, attempt.error = "failed", "unknown staff member"
            return DeliveryResult(attempt.id, attempt.channel, attempt.recipient_id,
                                  attempt.outcome, None, attempt.error)
        return Recipient(staff_id=person.id, name=person.name, phone=person.phone,
                         email=person.email, push_token=person.push_token,
                         language=person.language or "en")

    def _message(self, request: DeliveryRequest, recipient: Recipient) -> OutboundMessage:
        content = request.content
        return OutboundMessage(
            attempt_id=request.attempt_id, channel=request.channel, recipient=recipient,
            subject_id=request.subject_id, kind=request.kind,
            severity=str(content.get("severity", "")), short_code=str(content.get("short_code", "")),
            location_text=location_text(content.get("location", {}), recipient.language),
            safe_text=safe_text(request.kind, content, recipient.language, request.channel),
            detail=content,
        )

    def _finish(self, request: DeliveryRequest, *, outcome: str, sent: SendResult | None = None,
                error: str | None = None) -> DeliveryResult:
        with writing() as session:
            return self._close(session, request, outcome=outcome, sent=sent, error=error)

    def _close(self, session: Session, request: DeliveryRequest, *, outcome: str,
               sent: SendResult | None = None, error: str | None = None) -> DeliveryResult:
        """Record how the attempt ended, audit it and stream it, in the caller's transaction."""
        attempt = session.get(DeliveryAttempt, request.attempt_id)
        assert attempt is not None
        attempt.outcome, attempt.error = outcome, error
        if sent:
            attempt.provider_message_id, attempt.sent_at = sent.provider_message_id, utcnow()
            if sent.status == "delivered":
                attempt.delivered_at = attempt.sent_at
        record_attempt(session, attempt, actor="vigil", action=f"delivery.{outcome}")
        return DeliveryResult(attempt.id, attempt.channel, attempt.recipient_id, outcome,
                              attempt.provider_message_id, error)

    def _note_error(self, request: DeliveryRequest, error: str) -> None:
        with writing() as session:
            attempt = session.get(DeliveryAttempt, request.attempt_id)
            if attempt:
                attempt.error = error
                record_attempt(session, attempt, actor="vigil", action="delivery.retrying",
                               event_kind=None)

    def _forget_push_token(self, staff_id: str, token: str | None) -> None:
        with writing() as session:
            person = session.get(Staff, staff_id)
            # Only the token that failed: the app may already have registered a new one.
            if person and person.push_token and person.push_token == token:
                person.push_token = None
                session.add(person)
                audit(session, actor="vigil", action="staff.push_token_removed", subject=staff_id,
                      detail={"reason": "provider reported the token invalid"})
