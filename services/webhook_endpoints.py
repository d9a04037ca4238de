"""Outbound webhook endpoints: create, change, rotate the secret, read with delivery statistics.

Every endpoint has one `WebhookDeliveryWorkflow` (workflows/webhook_delivery.py)
that sends its outbox; `ensure_delivering` starts it, or wakes it if it runs.
Events are never queued here: the workflows' record activities do that, in
the transaction of the change they report (activities/webhook_events.py).
"""

from __future__ import annotations

import contextlib
import statistics
import uuid
from datetime import timedelta
from typing import Any

from sqlmodel import Session, col, func, select
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError

from audit.chain import append as audit
from channels.webhook_addresses import UnsafeWebhookUrl, check_url
from channels.webhook_secrets import encrypt, new_secret
from db.engine import reading, writing
from db.models import Facility, Patient, WebhookAttempt, WebhookDelivery, WebhookEndpoint, utcnow
from services.errors import VigilError, not_found
from services.principal import Principal
from services.schemas.webhooks import (
    WebhookEndpointCreate,
    WebhookEndpointCreated,
    WebhookEndpointPublic,
    WebhookEndpointUpdate,
    WebhookRetry,
    WebhookStats,
)
from settings import get_settings
from workflows.webhook_delivery import WebhookDeliveryWorkflow
from workflows.webhook_delivery_types import WAKE_SIGNAL, WebhookDeliveryInput, workflow_id_for

MIN_WINDOW_S = 3 * 86_400  # the promise to integrators; shorter only in development mode
LATENCY_SAMPLE = 500


def _checked_url(url: str) -> str:
    try:
        check_url(url, dev_mode=get_settings().dev_mode)
    except UnsafeWebhookUrl as error:
        raise VigilError(422, "unsafe_webhook_url", f"url: {error}.", {"field": "url"}) from error
    return url


def _check_retry(retry: WebhookRetry) -> None:
    if retry.window_s < MIN_WINDOW_S and not get_settings().dev_mode:
        raise VigilError(422, "invalid_retry", "retry.window_s: at least three days (259200 s).",
                         {"field": "retry.window_s"})


def _check_filters(session: Session, patient_id: str | None, facility_id: str | None) -> None:
    if patient_id is not None and session.get(Patient, patient_id) is None:
        raise VigilError(422, "unknown_patient", f"patient_id: no patient {patient_id!r}.",
                         {"field": "patient_id"})
    if facility_id is not None and session.get(Facility, facility_id) is None:
        raise VigilError(422, "unknown_facility", f"facility_id: no facility {facility_id!r}.",
                         {"field": "facility_id"})


def _described(endpoint: WebhookEndpoint) -> dict[str, Any]:
    """What the audit log keeps of an endpoint: never its secret."""
    return {"url": endpoint.url, "event_types": endpoint.event_types,
            "patient_id": endpoint.patient_id, "facility_id": endpoint.facility_id,
            "payload": endpoint.payload, "enabled": endpoint.enabled}


def create_endpoint(body: WebhookEndpointCreate, user: Principal) -> WebhookEndpointCreated:
    """Store a new endpoint; its secret is in the answer and nowhere readable afterwards."""
    _checked_url(body.url)
    _check_retry(body.retry)
    secret = new_secret()
    endpoint = WebhookEndpoint(
        id=f"whe-{uuid.uuid4().hex[:12]}", url=body.url, event_types=list(body.event_types),
        patient_id=body.patient_id, facility_id=body.facility_id, payload=body.payload,
        enabled=body.enabled, secret_encrypted=encrypt(secret),
        retry_initial_s=body.retry.initial_s, retry_max_s=body.retry.max_s,
        retry_window_s=body.retry.window_s, created_by=user.sub)
    with writing() as session:
        _check_filters(session, body.patient_id, body.facility_id)
        session.add(endpoint)
        audit(session, actor=user.sub, action="webhook_endpoint.created", subject=endpoint.id,
              detail=_described(endpoint))
        public = _public(session, endpoint)
    return WebhookEndpointCreated(**public.model_dump(), secret=secret)


def update_endpoint(endpoint_id: str, body: WebhookEndpointUpdate,
                    user: Principal) -> WebhookEndpointPublic:
    """Change an endpoint; enabling one clears why it was disabled."""
    changes = body.model_dump(exclude_unset=True)
    if body.url is not None:
        _checked_url(body.url)
    if body.retry is not None:
        _check_retry(body.retry)
    with writing() as session:
        endpoint = session.get(WebhookEndpoint, endpoint_id)
        if endpoint is None:
            raise not_found("webhook endpoint", endpoint_id)
        _check_filters(session, changes.get("patient_id"), changes.get("facility_id"))
        retry = changes.pop("retry", None)
        for name, value in changes.items():
            setattr(endpoint, name, value)
        if retry is not None:
            endpoint.retry_initial_s, endpoint.retry_max_s = retry["initial_s"], retry["max_s"]
            endpoint.retry_window_s = retry["window_s"]
        if body.enabled:
            endpoint.disabled_reason = None
        endpoint.updated_at = utcnow()
        session.add(endpoint)
        audit(session, actor=user.sub, action="webhook_endpoint.updated", subject=endpoint_id,
              detail={"changed": sorted(body.model_dump(exclude_unset=True))})
        return _public(session, endpoint)


def rotate_secret(endpoint_id: str, overlap_s: int, user: Principal) -> WebhookEndpointCreated:
    """A new secret; the old one still signs too (a second signature) for `overlap_s`."""
    secret = new_secret()
    with writing() as session:
        endpoint = session.get(WebhookEndpoint, endpoint_id)
        if endpoint is None:
            raise not_found("webhook endpoint", endpoint_id)
        endpoint.previous_secret_encrypted = endpoint.secret_encrypted if overlap_s else None
        endpoint.previous_secret_expires_at = (utcnow() + timedelta(seconds=overlap_s)
                                               if overlap_s else None)
        endpoint.secret_encrypted = encrypt(secret)
        endpoint.updated_at = utcnow()
        session.add(endpoint)
        audit(session, actor=user.sub, action="webhook_endpoint.secret_rotated",
              subject=endpoint_id, detail={"overlap_s": overlap_s})
        public = _public(session, endpoint)
    return WebhookEndpointCreated(**public.model_dump(), secret=secret)


def list_endpoints() -> list[WebhookEndpointPublic]:
    with reading() as session:
        rows = session.exec(select(WebhookEndpoint).order_by(col(WebhookEndpoint.created_at))).all()
        return [_public(session, row) for row in rows]


def get_endpoint(endpoint_id: str) -> WebhookEndpointPublic:
    with reading() as session:
        endpoint = session.get(WebhookEndpoint, endpoint_id)
        if endpoint is None:
            raise not_found("webhook endpoint", endpoint_id)
        return _public(session, endpoint)


def list_deliveries(endpoint_id: str, status: str | None, limit: int) -> list[WebhookDelivery]:
    """The endpoint's events, newest first."""
    get_endpoint(endpoint_id)
    with reading() as session:
        query = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
        if status:
            query = query.where(WebhookDelivery.status == status)
        return list(session.exec(query.order_by(col(WebhookDelivery.seq).desc()).limit(limit)).all())


def stats(session: Session, endpoint_id: str) -> WebhookStats:
    """Sent, failed and pending events; the last success and error; the median latency."""
    counts = dict(session.exec(
        select(WebhookDelivery.status, func.count())
        .where(WebhookDelivery.endpoint_id == endpoint_id)
        .group_by(WebhookDelivery.status)).all())
    last_success = session.exec(
        select(func.max(WebhookDelivery.delivered_at))
        .where(WebhookDelivery.endpoint_id == endpoint_id)).one()
    last_error = session.exec(
        select(WebhookAttempt).where(WebhookAttempt.endpoint_id == endpoint_id,
                                     col(WebhookAttempt.error).is_not(None))
        .order_by(col(WebhookAttempt.id).desc()).limit(1)).first()
    latencies = session.exec(
        select(WebhookAttempt.latency_ms).where(WebhookAttempt.endpoint_id == endpoint_id,
                                                col(WebhookAttempt.status_code).is_not(None))
        .order_by(col(WebhookAttempt.id).desc()).limit(LATENCY_SAMPLE)).all()
    attempts = session.exec(select(func.count()).select_from(WebhookAttempt)
                            .where(WebhookAttempt.endpoint_id == endpoint_id)).one()
    return WebhookStats(
        sent=counts.get("delivered", 0), failed=counts.get("failed", 0),
        pending=counts.get("pending", 0), attempts=attempts, last_success_at=last_success,
        last_error=last_error.error if last_error else None,
        last_error_at=last_error.at if last_error else None,
        p50_latency_ms=statistics.median(v for v in latencies if v is not None)
        if any(v is not None for v in latencies) else None)


def _public(session: Session, endpoint: WebhookEndpoint) -> WebhookEndpointPublic:
    return WebhookEndpointPublic(
        id=endpoint.id, url=endpoint.url, event_types=endpoint.event_types,
        patient_id=endpoint.patient_id, facility_id=endpoint.facility_id,
        payload=endpoint.payload, enabled=endpoint.enabled,
        disabled_reason=endpoint.disabled_reason,
        retry=WebhookRetry(initial_s=endpoint.retry_initial_s, max_s=endpoint.retry_max_s,
                           window_s=endpoint.retry_window_s),
        previous_secret_expires_at=endpoint.previous_secret_expires_at,
        created_by=endpoint.created_by, created_at=endpoint.created_at,
        stats=stats(session, endpoint.id) if endpoint.id else WebhookStats())


async def ensure_delivering(client: Client, endpoint: WebhookEndpointPublic) -> None:
    """Start the endpoint's delivery workflow, or wake it if it is running (signal-with-start).
    A disabled endpoint's workflow, if running, is only woken: it reads the endpoint disabled
    and ends now, rather than at its next poll (VIGIL_WEBHOOK_POLL_INTERVAL_S)."""
    if not endpoint.enabled:
        with contextlib.suppress(RPCError):  # not running, or Temporal away: the poll ends it
            await client.get_workflow_handle(workflow_id_for(endpoint.id)).signal(WAKE_SIGNAL)
        return
    settings = get_settings()
    try:
        await client.start_workflow(
            WebhookDeliveryWorkflow.run,
            WebhookDeliveryInput(endpoint.id, poll_interval_s=settings.webhook_poll_interval_s),
            id=workflow_id_for(endpoint.id), task_queue=settings.webhook_task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING, start_signal=WAKE_SIGNAL)
    except RPCError as error:
        raise VigilError(503, "temporal_unavailable", "The endpoint is saved, but its delivery "
                         "could not be started; send any change to it again.") from error
