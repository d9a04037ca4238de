"""WebhookDeliveryWorkflow: one per endpoint, sending its outbox in order, retrying for days.

One workflow per endpoint keeps that endpoint's events in order and lets a
slow or dead receiver hold up only itself. The workflow reads its outbox
through an activity (rows the record activities wrote in the same transaction
as the change), so an event is sent if and only if its change committed. Found
empty, the read leaves the endpoint marked idle, and the workflow waits for a
`wake` signal, which the first writer of a new row sends once its transaction
has committed (activities/webhook_idle.py: one signal per idle period, none
while busy); a poll every VIGIL_WEBHOOK_POLL_INTERVAL_S (a minute; the worker's
setting, told with each read, so runs begun under another setting follow it) is
the safety net for a signal lost with a crash. The wake flag is
cleared before each read, not when the wait begins, so a signal that arrives
while the read is in flight (its row committed too late for the read) ends the
wait at once instead of being dropped (`WAKE_KEPT`: runs started before that
change keep clearing it at the wait, as their histories did). First tries
go several to an activity, one request after another in order, so an endpoint
keeps up with its receiver rather than with activity round trips; the batch
stops at the first event not delivered. That event is retried on its own,
waited on with a workflow timer between tries (exponential backoff with
jitter, or the receiver's Retry-After) until it is delivered or its retry
window has passed; then it is marked failed and the admins are paged through
the one delivery path. A 410 disables the endpoint and ends the workflow.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

from workflows.base import RECORD_RETRY, RECORD_TIMEOUT
from workflows.paging import Pager

with workflow.unsafe.imports_passed_through():
    from activities.webhook_delivery import WebhookActivities
    from workflows.webhook_delivery_types import (
        WAKE_SIGNAL,
        BatchOutcome,
        GiveUp,
        OutboxBatch,
        OutboxQuery,
        PendingDelivery,
        RetrySchedule,
        SendBatch,
        SendOutcome,
        SendRequest,
        WebhookDeliveryInput,
        WebhookProgress,
        backoff_s,
        workflow_id_for,
    )

# One try is one request (15 s at most) and two short writes. The loop below does the
# retrying, with timers, so a try is never retried by Temporal: a try lost with a killed
# worker simply counts as a failed one.
SEND_TIMEOUT = timedelta(seconds=45)
ONE_TRY = RetryPolicy(maximum_attempts=1)
# A batch of first tries starts no request after its 10 s budget, and beats before each try:
# a batch lost with its worker is noticed once a beat is missed (as long as one try may take),
# not after the whole batch's timeout.
BATCH_TIMEOUT = SEND_TIMEOUT + timedelta(seconds=SendBatch.budget_s)
BATCH_HEARTBEAT = SEND_TIMEOUT
READ_AT_ONCE = 100  # outbox rows read, and first tries sent, per batch
SEND_IN_BATCHES = "webhook-send-in-batches"  # workflow.patched: first tries go several at a time
# workflow.patched: a wake that arrives while the outbox is being read is kept, not dropped.
WAKE_KEPT = "webhook-wake-kept"
FAILURE_CHANNELS = ["websocket", "email"]
KEPT_WAITS = 20


@workflow.defn
class WebhookDeliveryWorkflow:
    def __init__(self) -> None:
        self._woken = False
        self._progress = WebhookProgress(endpoint_id="")

    @workflow.signal(name=WAKE_SIGNAL)
    def wake(self) -> None:
        """Look at the outbox now (new rows were committed while it was marked idle, or the
        endpoint was created, enabled or changed)."""
        self._woken = True

    @workflow.query
    def progress(self) -> WebhookProgress:
        return self._progress

    @workflow.run
    async def run(self, input: WebhookDeliveryInput) -> WebhookProgress:
        self._input = input
        self._progress = WebhookProgress(input.endpoint_id, input.delivered, input.failed)
        self._pager = Pager(workflow_id_for(input.endpoint_id))
        self._wake_kept = workflow.patched(WAKE_KEPT)
        self._poll_s = input.poll_interval_s
        while True:
            if self._wake_kept:
                self._woken = False  # a wake from here on asks for a read after this one
            batch: OutboxBatch = await workflow.execute_activity_method(
                WebhookActivities.next_deliveries, OutboxQuery(input.endpoint_id, READ_AT_ONCE),
                start_to_close_timeout=RECORD_TIMEOUT, retry_policy=RECORD_RETRY)
            if not batch.enabled:
                break
            if self._wake_kept and batch.poll_interval_s:
                self._poll_s = batch.poll_interval_s  # the deployment's, not the one it began with
            if workflow.patched(SEND_IN_BATCHES):
                if not await self._deliver_all(batch):
                    break
            else:
                stopped = False
                for delivery in batch.pending:
                    if not await self._deliver(delivery, batch.retry):
                        stopped = True
                        break
                    if self._history_is_long():
                        break
                if stopped:
                    break
            if self._history_is_long():
                await self._continue_as_new()
            if not batch.pending:
                await self._idle()
        await self._pager.drain()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._progress

    async def _idle(self) -> None:
        """Wait for a wake, or the poll's timer; at once if a wake came during the read."""
        if not self._wake_kept:
            self._woken = False
        elif self._woken:
            return  # no timer started only to be cancelled
        try:
            await workflow.wait_condition(lambda: self._woken,
                                          timeout=timedelta(seconds=self._poll_s))
        except asyncio.TimeoutError:
            pass

    async def _deliver_all(self, batch: OutboxBatch) -> bool:
        """Send the batch in order, first tries several to an activity; an event not delivered
        is retried on its own before any later one. False if the endpoint is gone or disabled."""
        pending = batch.pending
        while pending:
            self._progress.current_seq, self._progress.current_attempt = pending[0].seq, 1
            sent = await self._send_batch(pending)
            self._progress.delivered += sent.delivered
            pending = pending[sent.delivered:]
            if sent.stopped is not None:
                if not await self._deliver(pending[0], batch.retry, first=sent.stopped):
                    return False
                pending = pending[1:]
            if self._history_is_long():
                break  # the rest are read again after continuing as new
        return True

    async def _send_batch(self, pending: list[PendingDelivery]) -> BatchOutcome:
        try:
            return await workflow.execute_activity_method(
                WebhookActivities.send_batch,
                SendBatch(self._input.endpoint_id, [d.seq for d in pending], workflow.now()),
                start_to_close_timeout=BATCH_TIMEOUT, heartbeat_timeout=BATCH_HEARTBEAT,
                retry_policy=ONE_TRY)
        except ActivityError as error:
            # Lost with its worker, perhaps partway: the first event counts as a failed try
            # (one delivered meanwhile is found settled on its retry, and is not sent again).
            return BatchOutcome(0, SendOutcome("retry", error=str(error.cause or error)))

    async def _deliver(self, delivery: PendingDelivery, retry: RetrySchedule,
                       first: SendOutcome | None = None) -> bool:
        """Try until delivered or out of time (`first`: the outcome of a first try already made);
        False if the endpoint is gone or disabled."""
        deadline = delivery.occurred_at + timedelta(seconds=retry.window_s)
        progress, attempt = self._progress, 0
        progress.current_seq = delivery.seq
        while True:
            attempt += 1
            progress.current_attempt = attempt
            if first is not None:
                outcome, first = first, None
            else:
                outcome = await self._send(SendRequest(self._input.endpoint_id, delivery.seq,
                                                       attempt, workflow.now()))
            if outcome.outcome == "delivered":
                progress.delivered += 1
                return True
            if outcome.outcome in ("gone", "disabled"):
                return False
            left = (deadline - workflow.now()).total_seconds()
            if outcome.outcome == "refused" or left <= 0:
                await self._give_up(delivery, outcome, attempt)
                return True
            wait = min(backoff_s(attempt, retry, workflow.random(), outcome.retry_after_s), left)
            progress.waits_s = [*progress.waits_s, wait][-KEPT_WAITS:]
            await workflow.sleep(timedelta(seconds=wait))

    async def _send(self, request: SendRequest) -> SendOutcome:
        try:
            return await workflow.execute_activity_method(
                WebhookActivities.send_webhook, request,
                start_to_close_timeout=SEND_TIMEOUT, retry_policy=ONE_TRY)
        except ActivityError as error:
            return SendOutcome("retry", error=str(error.cause or error))

    async def _give_up(self, delivery: PendingDelivery, outcome: SendOutcome, attempts: int) -> None:
        """Mark the event failed and page the admins about it."""
        reason = f"{attempts} tries; last: {outcome.error or outcome.status_code}"
        admins: list[str] = await workflow.execute_activity_method(
            WebhookActivities.give_up_delivery,
            GiveUp(self._input.endpoint_id, delivery.seq, reason),
            start_to_close_timeout=RECORD_TIMEOUT, retry_policy=RECORD_RETRY)
        self._progress.failed += 1
        self._pager.page(people=admins, channels=FAILURE_CHANNELS, kind="webhook_failed",
                         content={"endpoint_id": self._input.endpoint_id,
                                  "webhook_id": delivery.webhook_id,
                                  "event_type": delivery.event_type, "reason": reason},
                         scope=f"failed/{delivery.seq}")

    def _history_is_long(self) -> bool:
        info = workflow.info()
        return (info.is_continue_as_new_suggested()
                or info.get_current_history_length() > self._input.history_limit)

    async def _continue_as_new(self) -> None:
        await self._pager.drain()
        await workflow.wait_condition(workflow.all_handlers_finished)
        workflow.continue_as_new(replace(self._input, delivered=self._progress.delivered,
                                         failed=self._progress.failed))
