"""Provider delivery callbacks onto the attempt record; a late failure moves the page on.

Statuses are ranked per provider. An update applies only if it outranks what
the attempt already has, so a replayed or late-arriving callback changes
nothing, and the first final word (delivered, or not) stands. When a page
turns out undelivered, the owning workflow gets a `delivery_failed` signal and
tries that person's next channel.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from sqlmodel import select
from temporalio.client import Client
from temporalio.service import RPCError

from activities.delivery_records import record_attempt
from channels.base import UNDELIVERED, StatusRanks
from db.engine import writing
from db.models import DeliveryAttempt, utcnow
from workflows.paging_types import DELIVERY_FAILED_SIGNAL, DeliveryFailed

log = logging.getLogger(__name__)

# How long a callback waits for the attempt it names to be recorded: the provider can
# answer the send, and call back, before the delivery activity has written the message id.
_FIND_WAIT_S, _FIND_POLL_S = 3.0, 0.1


@dataclass
class StatusReport:
    provider: str  # twilio, sendgrid: the audit entry's actor
    channel: str
    status: str
    table: StatusRanks  # the channel adapter's `status_ranks`
    provider_message_id: str | None = None
    attempt_id: str | None = None
    error: str | None = None


def _find(session: Any, report: StatusReport) -> DeliveryAttempt | None:
    if report.attempt_id:
        attempt = session.get(DeliveryAttempt, report.attempt_id)
    else:
        attempt = session.exec(select(DeliveryAttempt).where(
            DeliveryAttempt.provider_message_id == report.provider_message_id)).first()
    if attempt is None or attempt.channel != report.channel or attempt.outcome == "sending":
        return None
    return attempt


def _apply(report: StatusReport) -> tuple[bool, DeliveryAttempt | None]:
    """(attempt found, the attempt if this report just made it undelivered)."""
    with writing() as session:
        attempt = _find(session, report)
        if attempt is None:
            return False, None
        rank, outcome = report.table[report.status]
        if rank <= report.table.get(attempt.provider_status or "", (0, None))[0]:
            return True, None  # a replay, or older news than what we have
        attempt.provider_status = report.status
        failed_now = outcome == UNDELIVERED and attempt.outcome != UNDELIVERED
        if outcome:
            attempt.outcome = outcome
        if outcome == "delivered" and attempt.delivered_at is None:
            attempt.delivered_at = utcnow()
        if outcome == UNDELIVERED:
            attempt.error = report.error or f"{report.channel}: {report.status}"
        record_attempt(session, attempt, actor=report.provider, action="delivery.status",
                       extra={"provider_status": report.status})
        return True, attempt if failed_now else None


async def record_status(report: StatusReport, client: Client | None) -> bool:
    """Apply one provider status; False if no attempt of ours matches it (or the status is unknown)."""
    if report.status not in report.table:
        return False  # e.g. SendGrid's spamreport: not a delivery status
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _FIND_WAIT_S
    while True:
        found, failed = await asyncio.to_thread(_apply, report)
        if found or loop.time() >= deadline:
            break
        await asyncio.sleep(_FIND_POLL_S)
    if failed is not None:
        await _move_on(failed, report, client)
    return found


async def _move_on(attempt: DeliveryAttempt, report: StatusReport, client: Client | None) -> None:
    """Tell the workflow that sent the page to try the next channel."""
    if client is None:
        log.error("Temporal unreachable: %s stays undelivered with no fall-through", attempt.id)
        return
    failed = DeliveryFailed(attempt_id=attempt.id, channel=attempt.channel,
                            recipient_id=attempt.recipient_id, reason=attempt.error or "")
    try:
        await client.get_workflow_handle(attempt.subject_id).signal(
            DELIVERY_FAILED_SIGNAL, failed)
    except RPCError as error:  # closed already (nothing to fall through to), or unreachable
        log.warning("could not report %s undelivered to %s: %s", attempt.id, attempt.subject_id, error)
