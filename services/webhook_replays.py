"""Replay: an admin sends an endpoint's past events again, one by its id or a time range.

A replay is a redelivery of the same message, so it keeps its `webhook-id`
(Standard Webhooks: the id is the receiver's idempotency key and stays the same
when a message is sent again). The event's row goes back to `pending` in its
place in the outbox, so the endpoint's `WebhookDeliveryWorkflow` sends replayed
events in their original order; its retry window starts afresh at the replay.
Only events that were owed to this endpoint can be replayed to it: an endpoint
subscribed later was never owed what happened before it.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlmodel import col, select

from audit.chain import append as audit
from db.engine import writing
from db.models import WebhookDelivery, WebhookEndpoint, utcnow
from services.errors import VigilError, not_found
from services.principal import Principal
from services.schemas.webhooks import WebhookReplay, WebhookReplayed

REPLAY_LIMIT = 1000  # events per request; a longer range is replayed in parts
AUDITED_IDS = 100  # the audit entry names this many ids, and counts the rest


def _invalid(field: str, message: str) -> VigilError:
    return VigilError(422, "invalid_replay", f"{field}: {message}", {"field": field})


def _utc(value: datetime, field: str) -> datetime:
    try:
        return value.astimezone(timezone.utc)
    except OverflowError:  # 9999-12-31T23:59-12:00 is past the last representable UTC time
        raise _invalid(field, "is out of range") from None


def _window(body: WebhookReplay) -> tuple[datetime, datetime] | None:
    """The [since, until) range asked for, or None for one event by id; refusals name the field."""
    if body.webhook_id is not None:
        if body.since is not None or body.until is not None:
            raise _invalid("webhook_id", "give webhook_id or a since/until range, not both")
        return None
    if body.since is None:
        raise _invalid("since", "give webhook_id, or since (and optionally until)")
    since, until = _utc(body.since, "since"), _utc(body.until or utcnow(), "until")
    if until <= since:
        raise _invalid("until", "must be after since")
    return since, until


def replay(endpoint_id: str, body: WebhookReplay, user: Principal) -> WebhookReplayed:
    """Queue the chosen delivered or failed events again, with their ids; audited."""
    window = _window(body)
    with writing() as session:
        if session.get(WebhookEndpoint, endpoint_id) is None:
            raise not_found("webhook endpoint", endpoint_id)
        query = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
        if window is None:
            query = query.where(WebhookDelivery.webhook_id == body.webhook_id)
        else:
            query = query.where(col(WebhookDelivery.occurred_at) >= window[0],
                                col(WebhookDelivery.occurred_at) < window[1])
        rows = session.exec(query.order_by(col(WebhookDelivery.seq))
                            .limit(REPLAY_LIMIT + 1)).all()
        if window is None and not rows:
            raise not_found(f"event of endpoint {endpoint_id}", str(body.webhook_id))
        if len(rows) > REPLAY_LIMIT:
            raise _invalid("until", f"more than {REPLAY_LIMIT} events in the range; "
                                    "replay it in parts")
        now = utcnow()
        replayed, pending = [], []
        for row in rows:
            if row.status == "pending":
                pending.append(row.webhook_id)
                continue
            row.status, row.delivered_at, row.failed_at = "pending", None, None
            row.attempts, row.replays, row.replayed_at = 0, row.replays + 1, now
            session.add(row)
            replayed.append(row.webhook_id)
        audit(session, actor=user.sub, action="webhook_endpoint.replayed", subject=endpoint_id,
              detail={"webhook_id": body.webhook_id,
                      "since": window[0].isoformat() if window else None,
                      "until": window[1].isoformat() if window else None,
                      "replayed": len(replayed), "webhook_ids": replayed[:AUDITED_IDS],
                      "already_pending": len(pending)})
    return WebhookReplayed(replayed=replayed, already_pending=pending)
