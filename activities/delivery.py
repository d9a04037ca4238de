"""The one delivery path: every page from every workflow goes out through these activities.

`deliver_batch` sends every message of one page (its people times its channels)
in one activity; `deliver` sends one (a delivery retried after a provider's
passing fault, and histories recorded before batches). Both work the same way:

- Messages on our own channels (WebSocket, the outbox) are written, and every
  provider attempt opened, in one transaction: a tier's WebSocket pages commit
  together, before any provider is called.
- Each attempt is recorded before its provider is called and again after, so a
  crash that cuts a provider call short is visible: the retry finds the attempt
  still "sending", sends again and counts `tries` up. An attempt already
  finished is answered from its record, never sent twice.
- What the workflow decided with a page (`BatchWithChanges.changes`) is recorded once its
  own-channel messages are committed, before any provider is called.
- The providers of a batch are called at once; each answer is recorded as it
  comes back. A passing fault (TransientChannelError) leaves its attempt
  open: `deliver` raises it, so Temporal retries with backoff; `deliver_batch`
  reports it `retrying` and the workflow hands that delivery to `deliver`.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from sqlmodel import Session, col, select
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.delivery_records import record_attempt
from activities.delivery_types import (
    RETRYING,
    DeliveryBatch,
    DeliveryBatchResult,
    DeliveryRequest,
    DeliveryResult,
)
from activities.emergency_records import BatchWithChanges, StateChange, write_change
from activities.recipients import forget_push_token, recipients_for
from channels.base import (
    ChannelAdapter,
    ChannelError,
    OutboundMessage,
    PermanentChannelError,
    Recipient,
    SendResult,
    TransientChannelError,
)
from channels.local import LocalChannel
from channels.messages import location_text, safe_text
from db.engine import writing
from db.models import DeliveryAttempt, utcnow

Call = tuple[DeliveryRequest, Recipient]
Answer = SendResult | ChannelError


class DeliveryActivities:
    def __init__(self, channels: dict[str, ChannelAdapter], send_threads: int = 16) -> None:
        self.channels = channels
        # Provider calls of one batch run side by side on these threads.
        self._senders = ThreadPoolExecutor(max_workers=send_threads,
                                           thread_name_prefix="vigil-send")

    @activity.defn(name="deliver")
    def deliver(self, request: DeliveryRequest) -> DeliveryResult:
        """Send one message to one person on one channel and record the attempt."""
        (result,) = self._deliver_all([request])
        if result.outcome == RETRYING:
            raise ApplicationError(f"{request.channel}: {result.error}", type="TransientChannelError")
        return result

    @activity.defn(name="deliver_batch")
    def deliver_batch(self, batch: BatchWithChanges) -> DeliveryBatchResult:
        """Send every message of one page and record each attempt (one result per request),
        and the emergency's changes that came with the page, if any."""
        changes = batch.changes if isinstance(batch, BatchWithChanges) else []
        return DeliveryBatchResult(self._deliver_all(batch.requests, changes))

    def _deliver_all(self, requests: list[DeliveryRequest],
                     changes: list[StateChange] | None = None) -> list[DeliveryResult]:
        results: dict[str, DeliveryResult] = {}
        calls: list[Call] = []
        with writing() as session:
            # Every attempt and person of the batch in a few queries, not one (and a flush of
            # everything written so far) per message. `attempts` holds the new ones too: the
            # session only keeps a weak hold on what it has flushed, and `_close` finds them
            # there instead of reading them back.
            attempts = {attempt.id: attempt for attempt in session.exec(
                select(DeliveryAttempt).where(
                    col(DeliveryAttempt.id).in_([r.attempt_id for r in requests]))).all()}
            recipients = recipients_for(session, {r.recipient_id for r in requests})
            for request in requests:
                adapter = self.channels[request.channel]
                begun = self._open(session, request, attempts,
                                   recipients.get(request.recipient_id))
                if isinstance(begun, DeliveryResult):
                    results[request.attempt_id] = begun
                elif isinstance(adapter, LocalChannel):
                    results[request.attempt_id] = self._write_locally(session, request, adapter,
                                                                      begun)
                else:
                    calls.append((request, begun))
        if changes:
            # A transaction of their own, so the pages above reach people first. A retry
            # (a try cut short after this commit) writes them again, as a retried
            # `record_emergency_change` would.
            with writing() as session:
                for change in changes:
                    write_change(session, change)
        broken: list[Exception] = []
        for answered in self._call_providers(calls):
            with writing() as session:
                for (request, recipient), answer in answered:
                    if isinstance(answer, ChannelError | SendResult):
                        results[request.attempt_id] = self._record_answer(session, request,
                                                                          recipient, answer)
                    else:
                        broken.append(answer)  # its attempt stays open for the retry
        if broken:  # (only once every other answer is on record, so none is sent again)
            raise broken[0]
        return [results[request.attempt_id] for request in requests]

    def _open(self, session: Session, request: DeliveryRequest,
              attempts: dict[str, DeliveryAttempt],
              recipient: Recipient | None) -> DeliveryResult | Recipient:
        """Count a try on the attempt (adding it to `attempts` if it is new); a finished
        attempt is answered from the record instead."""
        attempt = attempts.get(request.attempt_id)
        if attempt and attempt.outcome != "sending":
            return DeliveryResult(attempt.id, attempt.channel, attempt.recipient_id,
                                  attempt.outcome, attempt.provider_message_id, attempt.error)
        if attempt is None:
            attempt = DeliveryAttempt(id=request.attempt_id, subject_id=request.subject_id,
                                      recipient_id=request.recipient_id, channel=request.channel,
                                      kind=request.kind, tier=request.tier, round=request.round,
                                      dose_id=request.content.get("dose_id") or None)
            attempts[attempt.id] = attempt
        attempt.tries += 1
        session.add(attempt)
        if recipient is None:
            attempt.outcome, attempt.error = "failed", "unknown person"
            return DeliveryResult(attempt.id, attempt.channel, attempt.recipient_id,
                                  attempt.outcome, None, attempt.error)
        return recipient

    def _write_locally(self, session: Session, request: DeliveryRequest, adapter: LocalChannel,
                       recipient: Recipient) -> DeliveryResult:
        """A channel that only writes to our own database: sent in the attempt's transaction."""
        try:
            sent = adapter.write(session, self._message(request, recipient))
        except PermanentChannelError as error:
            return self._close(session, request, outcome="failed", error=str(error))
        return self._close(session, request, outcome=sent.status, sent=sent)

    def _call_providers(self, calls: list[Call]
                        ) -> Iterator[list[tuple[Call, Answer | Exception]]]:
        """Call every provider at once; yield their answers in groups, as they come back."""
        if len(calls) == 1:  # nothing to wait beside: call it on this thread
            yield [(calls[0], self._call(*calls[0]))]
            return
        pending: dict[Future[Answer | Exception], Call] = {
            self._senders.submit(self._call, *call): call for call in calls}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            yield [(pending.pop(future), future.result()) for future in done]

    def _call(self, request: DeliveryRequest, recipient: Recipient) -> Answer | Exception:
        try:
            return self.channels[request.channel].send(self._message(request, recipient))
        except Exception as error:  # noqa: BLE001 - recorded or raised by the caller
            return error

    def _record_answer(self, session: Session, request: DeliveryRequest, recipient: Recipient,
                       answer: Answer) -> DeliveryResult:
        if isinstance(answer, TransientChannelError):
            self._note_error(session, request, str(answer))
            return DeliveryResult(request.attempt_id, request.channel, request.recipient_id,
                                  RETRYING, None, str(answer))
        if isinstance(answer, ChannelError):
            if getattr(answer, "token_invalid", False):
                forget_push_token(session, request.recipient_id, recipient.push_token)
            return self._close(session, request, outcome="failed", error=str(answer))
        return self._close(session, request, outcome=answer.status, sent=answer)

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

    def _note_error(self, session: Session, request: DeliveryRequest, error: str) -> None:
        attempt = session.get(DeliveryAttempt, request.attempt_id)
        if attempt:
            attempt.error = error
            record_attempt(session, attempt, actor="vigil", action="delivery.retrying",
                           event_kind=None)
