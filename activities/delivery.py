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
- What the workflow decided with a page (`BatchWithChanges.changes`) is recorded in the
  transaction of its own-channel messages, before any provider is called, and only by the
  try that first writes the batch: a later try (a retry, or the workflow task that wrote it
  run again) finds its attempts on record, says since when (`written_before`), and records
  nothing twice.
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

from activities.delivery_records import AttemptChange, record_attempts
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
    Recipient,
    SendResult,
    TransientChannelError,
)
from channels.local import LocalChannel
from channels.messages import location_text, safe_text
from db.engine import writing
from db.models import DeliveryAttempt, as_utc, utcnow

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
        (result,) = self._deliver_all([request]).results
        if result.outcome == RETRYING:
            raise ApplicationError(f"{request.channel}: {result.error}", type="TransientChannelError")
        return result

    @activity.defn(name="deliver_batch")
    def deliver_batch(self, batch: BatchWithChanges) -> DeliveryBatchResult:
        """Send every message of one page and record each attempt (one result per request),
        and the emergency's changes that came with the page, if any."""
        changes = batch.changes if isinstance(batch, BatchWithChanges) else []
        return self._deliver_all(batch.requests, changes)

    def _deliver_all(self, requests: list[DeliveryRequest],
                     changes: list[StateChange] | None = None) -> DeliveryBatchResult:
        results: dict[str, DeliveryResult] = {}
        calls: list[Call] = []
        with writing() as session:
            # Every attempt and person of the batch in a few queries, not one per message.
            # `attempts` holds the new ones too (written when the transaction commits, with
            # how they ended): `_write_locally` finds them there.
            attempts = {attempt.id: attempt for attempt in session.exec(
                select(DeliveryAttempt).where(
                    col(DeliveryAttempt.id).in_([r.attempt_id for r in requests]))).all()}
            written_before = min((as_utc(a.created_at).timestamp() for a in attempts.values()),
                                 default=None)
            recipients = recipients_for(session, {r.recipient_id for r in requests})
            local: list[tuple[DeliveryRequest, LocalChannel, Recipient]] = []
            for request in requests:
                adapter = self.channels[request.channel]
                begun = self._open(session, request, attempts,
                                   recipients.get(request.recipient_id))
                if isinstance(begun, DeliveryResult):
                    results[request.attempt_id] = begun
                elif isinstance(adapter, LocalChannel):
                    local.append((request, adapter, begun))
                else:
                    calls.append((request, begun))
            results.update(self._write_locally(session, local, attempts))
            if written_before is None:
                # With the pages they came with: all on record or none, so a try that finds
                # the batch written finds them written too.
                for change in changes or []:
                    write_change(session, change)
        broken: list[Exception] = []
        for answered in self._call_providers(calls):
            with writing() as session:
                recorded = [(call, answer) for call, answer in answered
                            if isinstance(answer, ChannelError | SendResult)]
                broken.extend(answer for _, answer in answered  # their attempts stay open
                              if not isinstance(answer, ChannelError | SendResult))
                results.update(self._record_answers(session, recorded))
        if broken:  # (only once every other answer is on record, so none is sent again)
            raise broken[0]
        return DeliveryBatchResult([results[request.attempt_id] for request in requests],
                                   written_before)

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

    def _write_locally(self, session: Session,
                       messages: list[tuple[DeliveryRequest, LocalChannel, Recipient]],
                       attempts: dict[str, DeliveryAttempt]) -> dict[str, DeliveryResult]:
        """Channels that only write to our own database, in the attempts' transaction: each
        channel writes all its messages of the page at once, and the attempts are recorded
        together."""
        by_channel: dict[LocalChannel, list[tuple[DeliveryRequest, Recipient]]] = {}
        for request, adapter, recipient in messages:
            by_channel.setdefault(adapter, []).append((request, recipient))
        changes = []
        for adapter, group in by_channel.items():
            answers = adapter.write_many(session, [self._message(*m) for m in group])
            changes.extend(_ended(attempts[request.attempt_id], answer)
                           for (request, _), answer in zip(group, answers))
        record_attempts(session, changes)
        return {change.attempt.id: _result(change.attempt) for change in changes}

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

    def _record_answers(self, session: Session, answered: list[tuple[Call, Answer]]
                        ) -> dict[str, DeliveryResult]:
        """Record what the providers answered. A passing fault leaves its attempt open, noting
        the error (reported `retrying`); any other answer ends it."""
        if not answered:
            return {}
        attempts = {attempt.id: attempt for attempt in session.exec(
            select(DeliveryAttempt).where(
                col(DeliveryAttempt.id).in_([request.attempt_id for (request, _), _ in answered])
            )).all()}
        changes, results = [], {}
        for (request, recipient), answer in answered:
            attempt = attempts[request.attempt_id]
            if isinstance(answer, TransientChannelError):
                attempt.error = str(answer)
                changes.append(AttemptChange(attempt, "vigil", "delivery.retrying", None))
                results[attempt.id] = DeliveryResult(attempt.id, attempt.channel,
                                                     attempt.recipient_id, RETRYING, None,
                                                     str(answer))
                continue
            if getattr(answer, "token_invalid", False):
                forget_push_token(session, request.recipient_id, recipient.push_token)
            changes.append(_ended(attempt, answer))
            results[attempt.id] = _result(attempt)
        record_attempts(session, changes)
        return results

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


def _ended(attempt: DeliveryAttempt, answer: SendResult | ChannelError) -> AttemptChange:
    """End the attempt with the channel's answer (not yet recorded)."""
    if isinstance(answer, ChannelError):
        attempt.outcome, attempt.error = "failed", str(answer)
    else:
        attempt.outcome, attempt.error = answer.status, None
        attempt.provider_message_id, attempt.sent_at = answer.provider_message_id, utcnow()
        if answer.status == "delivered":
            attempt.delivered_at = attempt.sent_at
    return AttemptChange(attempt, "vigil", f"delivery.{attempt.outcome}")


def _result(attempt: DeliveryAttempt) -> DeliveryResult:
    return DeliveryResult(attempt.id, attempt.channel, attempt.recipient_id, attempt.outcome,
                          attempt.provider_message_id, attempt.error)
