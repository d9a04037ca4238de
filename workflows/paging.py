"""The workflow side of the one delivery path: page people, fall through failed channels.

Every workflow that needs to reach a person uses `Pager`. It sends each page
(its people times its channels) as one `deliver_batch` activity per timeout
(our own channels, the providers'), which records one attempt per message (our
own channels' batch can also record what the workflow decided with the page);
a message whose provider had a passing fault goes on as a `deliver` activity of
its own, retried by Temporal with backoff. A page the workflow waits on (an
emergency's tier) can have our own channels' batch written inside the workflow
task that decides it (`in_task`: a local activity, one try within
`IN_TASK_BUDGET`); past that budget the batch goes on as the activity it would
otherwise have been, and finished attempts answer from their records. Nothing
of a local activity is in the history until its task completes, so a task that
dies after the write (the worker or Temporal killed) runs again and writes the
page again: the write then answers from its records, saying when it first ran
(`written_before`), and the workflow keeps its clock by that.
When a channel fails for good, the pager tries that person's next untried
channel at once. (Runs recorded before batches sent each message as its own
`deliver` activity, and replay so.) A failure can also arrive later, from
the provider's own callback (an SMS undelivered, a call not answered, an
email bounced); the owning workflow hands it to `fall_through`.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, FailureError

with workflow.unsafe.imports_passed_through():
    from activities.delivery import DeliveryActivities
    from activities.delivery_types import (
        RETRYING,
        DeliveryBatch,
        DeliveryBatchResult,
        DeliveryRequest,
        DeliveryResult,
    )
    from activities.emergency_records import BatchWithChanges, StateChange
    from workflows.paging_types import DeliveryFailed, OpenAttempt

# How long one try of a delivery may take before Temporal tries again. A try lost with a
# killed worker is only retried after this, so it fits the channel: our own database
# (WebSocket) needs seconds; a provider call is bounded by its client's 10 s timeout
# (channels/clients.py) plus two short writes.
DELIVERY_TIMEOUTS = {"websocket": timedelta(seconds=5)}
PROVIDER_DELIVERY_TIMEOUT = timedelta(seconds=15)
# Channels whose provider can report a failure after accepting the message.
LATE_FAILURE_CHANNELS = ("sms", "voice", "email")
# Open attempts cross a continue-as-new for this long after they were sent, at most this many.
LATE_FAILURE_WINDOW = timedelta(hours=24)
CARRIED_ATTEMPTS = 100
DELIVERY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=20),
    maximum_attempts=6,
)
# A batch is tried again only when a crash or a timeout cut it short (provider faults come back
# as results); if its retry fails too, every message goes on as a `deliver` of its own.
BATCH_RETRY = RetryPolicy(initial_interval=DELIVERY_RETRY.initial_interval, maximum_attempts=2)
# A delivery whose first try (in a batch) met a passing fault goes on with the same backoff.
LATER_TRIES = RetryPolicy(
    initial_interval=DELIVERY_RETRY.initial_interval * DELIVERY_RETRY.backoff_coefficient,
    backoff_coefficient=DELIVERY_RETRY.backoff_coefficient,
    maximum_interval=DELIVERY_RETRY.maximum_interval,
    maximum_attempts=DELIVERY_RETRY.maximum_attempts - 1,
)
BATCHED = "deliver-in-batches"  # the workflow.patched id of the batch path
# How long our own channels' batch may hold the workflow task that decides it (`in_task`):
# one try of the time the activity would have had, well inside the task's heartbeat (8 s).
# A try that takes longer (a stalled database) goes on as that activity. Not shorter: on an
# overloaded machine a write queues for seconds, and a page tried twice is more work for it.
IN_TASK_BUDGET = DELIVERY_TIMEOUTS["websocket"]
IN_TASK_RETRY = RetryPolicy(maximum_attempts=1)
# What `Pager.page` answers: the batch that carried the page's changes, None if none did.
Recorded = asyncio.Future[DeliveryBatchResult | None]


class Pager:
    def __init__(self, subject_id: str, carried: list[OpenAttempt] | None = None) -> None:
        self.subject_id = subject_id
        self.results: list[DeliveryResult] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._tried: dict[tuple[str, str], set[str]] = {}
        # attempt id -> what started it, so a late failure can fall through the same way
        self._started: dict[str, tuple[DeliveryRequest, list[str], str]] = {}
        self._started_at: dict[str, datetime] = {}
        self._failed: set[str] = set()
        # Asked once, as the run starts and before any command: asked later, at the first page,
        # its marker could follow a local activity's in the same workflow task, and a replay
        # (for a query, after eviction) then failed with a nondeterminism error.
        self._batched = workflow.patched(BATCHED)
        self.recall(carried or [])

    def page(
        self,
        *,
        people: list[str],
        channels: list[str],
        kind: str,
        content: dict[str, Any],
        scope: str,
        fallback: list[str] | None = None,
        tier: int = 0,
        round: int = 0,
        task_queue: str | None = None,
        changes: list[StateChange] | None = None,
        in_task: bool = False,
    ) -> Recorded:
        """Start sending `channels` to each person now; returns without waiting.

        `task_queue` runs the deliveries (and their immediate fall-throughs) on that queue
        instead of the workflow's own: an emergency appointment's pages go on the emergency
        queue, out of the way of routine work.

        `changes` go with our own channels' batch, recorded by its activity with its messages.
        The future returned gives, once that batch has come back, what it answered (its
        `written_before` says whether an earlier try had written it): None at once if the page
        has no such batch, and None if the batch failed (its changes may or may not be on
        record); the caller then records them.

        `in_task` writes our own channels' batch, the one carrying `changes`, inside this
        workflow task (a local activity). Only for a page the caller awaits before anything
        else can start a local activity: a workflow must never have two in flight at once
        (temporalio/sdk-python#1881: their results can come back grouped differently on
        replay)."""
        recorded: Recorded = asyncio.get_running_loop().create_future()
        # Channel by channel, so every WebSocket page (the fastest) is queued first.
        requests: list[DeliveryRequest] = []
        for channel in channels:
            for staff_id in people:
                request = DeliveryRequest(
                    attempt_id=f"{self.subject_id}/{scope}/{staff_id}/{channel}",
                    subject_id=self.subject_id, recipient_id=staff_id, channel=channel,
                    kind=kind, content=content, tier=tier, round=round,
                )
                tried = self._tried.setdefault((scope, staff_id), set())
                if channel in tried:
                    continue  # already reached for as a fallback
                tried.add(channel)
                self._started[request.attempt_id] = (request, fallback or [], scope)
                self._started_at[request.attempt_id] = workflow.now()
                requests.append(request)
        carrier = None  # the timeout of our own channels' batch, if changes go with it
        if requests and self._batched:
            # One batch per timeout: our own channels' batch is retried as soon as theirs
            # would have been alone, however long the providers may take.
            timeouts = sorted({_timeout(r) for r in requests})
            if changes and timeouts[0] in DELIVERY_TIMEOUTS.values():
                carrier = timeouts[0]
            for t in timeouts:
                carried = (changes, recorded) if t == carrier else (None, None)
                # (only the batch the caller awaits, through `recorded`)
                here = in_task and t == carrier and task_queue is None
                self._tasks.append(asyncio.create_task(self._send_batch(
                    [r for r in requests if _timeout(r) == t], t, task_queue, *carried,
                    in_task=here)))
        else:
            self._tasks.extend(asyncio.create_task(self._send(r, task_queue=task_queue))
                               for r in requests)
        if carrier is None:
            recorded.set_result(None)
        return recorded

    async def _send_batch(self, requests: list[DeliveryRequest], timeout: timedelta,
                          task_queue: str | None, changes: list[StateChange] | None = None,
                          recorded: Recorded | None = None, *, in_task: bool = False) -> None:
        sent = BatchWithChanges(requests, changes) if changes else DeliveryBatch(requests)
        batch = await self._write_in_task(sent) if in_task else None
        if batch is None:
            try:
                batch = await workflow.execute_activity_method(
                    DeliveryActivities.deliver_batch, sent, task_queue=task_queue,
                    start_to_close_timeout=timeout, retry_policy=BATCH_RETRY,
                )
            except ActivityError:
                if recorded:
                    recorded.set_result(None)
                # Finished attempts answer from their records; the rest are sent on their own.
                await asyncio.gather(*(self._send(r, task_queue=task_queue) for r in requests))
                return
        if recorded:
            recorded.set_result(batch)
        retrying = []
        for request, result in zip(requests, batch.results):
            if result.outcome == RETRYING:
                retrying.append(request)
            else:
                self._settle(request, result, task_queue)
        if retrying:
            await workflow.sleep(DELIVERY_RETRY.initial_interval)
            await asyncio.gather(*(self._send(r, LATER_TRIES, task_queue) for r in retrying))

    @staticmethod
    async def _write_in_task(sent: DeliveryBatch) -> DeliveryBatchResult | None:
        """Our own channels' batch written by a local activity, inside this workflow task: the
        page is written without a hand-over through the server. None if that try failed or
        outlasted IN_TASK_BUDGET; the caller then sends the batch as an activity, where every
        attempt the try finished answers from its record."""
        try:
            result: DeliveryBatchResult = await workflow.execute_local_activity_method(
                DeliveryActivities.deliver_batch, sent,
                schedule_to_close_timeout=IN_TASK_BUDGET, retry_policy=IN_TASK_RETRY)
            return result
        except FailureError as error:
            # Whatever form the failure takes: in temporalio 1.35 a local activity that raised
            # comes back as a bare ApplicationError, and one that timed out as an ActivityError
            # when it happens but as a bare TimeoutError when its marker is replayed.
            workflow.logger.warning("page not written within the workflow task (%s); "
                                    "sending it as an activity", error)
            return None

    async def _send(self, request: DeliveryRequest, retry: RetryPolicy = DELIVERY_RETRY,
                    task_queue: str | None = None) -> None:
        try:
            result = await workflow.execute_activity_method(
                DeliveryActivities.deliver, request, task_queue=task_queue,
                start_to_close_timeout=_timeout(request), retry_policy=retry,
            )
        except ActivityError as error:
            result = DeliveryResult(request.attempt_id, request.channel, request.recipient_id,
                                    "failed", None, str(error.cause or error))
        self._settle(request, result, task_queue)

    def _settle(self, request: DeliveryRequest, result: DeliveryResult,
                task_queue: str | None) -> None:
        self.results.append(result)
        if result.outcome == "failed":
            self._next_channel(request.attempt_id, task_queue)

    def open_attempts(self) -> list[OpenAttempt]:
        """Pages a provider may still report undelivered (newest last), to carry into the
        next run, so a late failure still falls through after a continue-as-new."""
        since = workflow.now() - LATE_FAILURE_WINDOW
        open_ = [OpenAttempt(request, fallback, scope, self._started_at[request.attempt_id],
                             sorted(self._tried[(scope, request.recipient_id)]))
                 for request, fallback, scope in self._started.values()
                 if request.channel in LATE_FAILURE_CHANNELS and fallback
                 and request.attempt_id not in self._failed
                 and self._started_at[request.attempt_id] >= since]
        return open_[-CARRIED_ATTEMPTS:]

    def recall(self, attempts: list[OpenAttempt]) -> None:
        """Take over the open attempts a previous run carried (see `open_attempts`)."""
        for attempt in attempts:
            request = attempt.request
            self._started[request.attempt_id] = (request, attempt.fallback, attempt.scope)
            self._started_at[request.attempt_id] = attempt.started_at
            self._tried.setdefault((attempt.scope, request.recipient_id), set()).update(
                attempt.tried)

    def fall_through(self, failed: DeliveryFailed) -> None:
        """A provider's callback says this attempt failed: try that person's next channel now."""
        self._next_channel(failed.attempt_id)

    def has_used(self, channel: str) -> bool:
        """Whether any delivery on `channel` has been started."""
        return any(request.channel == channel for request, _, _ in self._started.values())

    def _next_channel(self, attempt_id: str, task_queue: str | None = None) -> None:
        if attempt_id not in self._started or attempt_id in self._failed:
            return  # not ours, or already fallen through
        self._failed.add(attempt_id)
        request, fallback, scope = self._started[attempt_id]
        tried = self._tried[(scope, request.recipient_id)]
        following = [c for c in fallback if c not in tried]
        if following:
            workflow.logger.info("%s failed for %s; falling through to %s",
                                 request.channel, request.recipient_id, following[0])
            self.page(people=[request.recipient_id], channels=[following[0]], kind=request.kind,
                      content=request.content, scope=scope, fallback=fallback,
                      tier=request.tier, round=request.round, task_queue=task_queue)

    async def drain(self) -> None:
        """Wait for every delivery started so far (and the fall-throughs they start)."""
        while self._tasks:
            pending, self._tasks = self._tasks, []
            await asyncio.gather(*pending)


def _timeout(request: DeliveryRequest) -> timedelta:
    return DELIVERY_TIMEOUTS.get(request.channel, PROVIDER_DELIVERY_TIMEOUT)
