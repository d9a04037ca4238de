"""Outbound webhook events, written in the same transaction as the change they report.

The record activities call one function here (or in webhook_care_events.py, for
medication and appointments) beside their audit entry. Each
writes an outbox row (`WebhookDelivery`) for every enabled endpoint that wants
the event, so an event exists exactly when its change committed: none for a
change that rolled back, none lost for one that stuck. Each endpoint's
`WebhookDeliveryWorkflow` reads its rows in order and sends them; one that
waits, idle, for new rows is woken by the writer whose commit clears its idle
mark (activities/webhook_idle.py), so an event is sent within moments, not at
the next poll.

The `webhook-id` is derived from the recording activity's identity (workflow
run, activity id), which Temporal keeps across retries: a record retried after
it committed writes no second row.

What is kept (`facts`) is ids, states and times, never a patient's name or a
description; the receiver's shape (thin or FHIR) is made from it at send time.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert
from sqlmodel import Session, col, select
from temporalio import activity

from activities import webhook_idle
from db.models import (
    Emergency,
    MonitoringSession,
    WebhookDelivery,
    WebhookEndpoint,
    as_utc,
    utcnow,
)

if TYPE_CHECKING:
    from activities.emergency_records import StateChange
    from activities.monitoring_records import ReadingsFlush, SessionChange

EVENT_TYPES = (
    "emergency.created", "emergency.acknowledged", "emergency.escalated", "emergency.resolved",
    "emergency.cancelled", "emergency.unacknowledged", "monitoring.alarm", "monitoring.ended",
    "medication.dose_missed", "medication.dose_taken", "medication.dose_late",
    "medication.dose_skipped", "medication.schedule_paused", "medication.schedule_resumed",
    "medication.schedule_stopped", "appointment.created", "appointment.updated",
)
# Workflow changes that integrators hear about, by the event type they are sent as.
EMERGENCY_EVENTS = {"started": "emergency.created", "acknowledged": "emergency.acknowledged",
                    "escalated": "emergency.escalated", "resolved": "emergency.resolved",
                    "cancelled": "emergency.cancelled",
                    "unacknowledged": "emergency.unacknowledged"}
SESSION_EVENTS = {"ended": "monitoring.ended"}


def iso(value: float | datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return as_utc(value).isoformat()  # type: ignore[union-attr]
    return datetime.fromtimestamp(value, timezone.utc).isoformat()


def emergency_changed(session: Session, change: StateChange, row: Emergency | None) -> int:
    """Queue the webhook event an emergency's recorded change stands for, if it is one."""
    event_type = EMERGENCY_EVENTS.get(change.change)
    if event_type is None:
        return 0
    state = change.state
    facility_id = row.facility_id if row else (change.input.facility_id if change.input else None)
    facts = {
        "emergency_id": change.emergency_id, "patient_id": change.patient_id,
        "facility_id": facility_id, "status": state.status,
        "severity": row.severity if row else None, "type": row.type if row else None,
        "tier": state.tier, "round": state.round, "owner_id": state.owner_id,
        "acknowledged_at": iso(state.acknowledged_at), "paged": sorted(state.paged),
        "created_at": iso(row.created_at) if row else None,
    }
    return queue(session, event_type, change.emergency_id, change.patient_id, facility_id, facts)


def session_changed(session: Session, change: SessionChange, row: MonitoringSession | None) -> int:
    """Queue the webhook event a monitoring session's recorded change stands for, if any."""
    event_type = SESSION_EVENTS.get(change.change)
    if event_type is None:
        return 0
    facility_id = row.facility_id if row else None
    facts = {"session_id": change.session_id, "patient_id": change.patient_id,
             "facility_id": facility_id, "status": change.view.status,
             "monitoring_type": row.monitoring_type if row else None}
    return queue(session, event_type, change.session_id, change.patient_id, facility_id, facts)


def alarms_changed(session: Session, flush: ReadingsFlush, row: MonitoringSession | None) -> int:
    """Queue a `monitoring.alarm` for each alarm raised, escalated or cleared in a stored batch."""
    facility_id = row.facility_id if row else None
    queued = 0
    for index, alarm in enumerate(flush.alarm_changes):
        facts = {"session_id": flush.session_id, "patient_id": flush.patient_id,
                 "facility_id": facility_id, "alarm_key": alarm.key, "change": alarm.kind,
                 "priority": alarm.priority, "score": alarm.score, "at": iso(alarm.at)}
        queued += queue(session, "monitoring.alarm", flush.session_id, flush.patient_id,
                         facility_id, facts, part=f"{flush.batch}/{index}")
    return queued


def wants(endpoint: WebhookEndpoint, event_type: str, patient_id: str | None,
          facility_id: str | None) -> bool:
    """Whether an enabled endpoint subscribes to this event, for this patient and facility."""
    return (endpoint.enabled and event_type in (endpoint.event_types or [])
            and endpoint.patient_id in (None, patient_id)
            and endpoint.facility_id in (None, facility_id))


def queue(session: Session, event_type: str, subject_id: str, patient_id: str | None,
           facility_id: str | None, facts: dict[str, Any], part: str = "") -> int:
    endpoints = session.exec(select(WebhookEndpoint)
                             .where(col(WebhookEndpoint.enabled).is_(True))).all()
    owed = {_webhook_id(e.id, event_type, part): e.id
            for e in endpoints if wants(e, event_type, patient_id, facility_id)}
    if not owed:
        return 0
    # A retry of a record that committed finds its rows there already.
    written = set(session.exec(select(WebhookDelivery.webhook_id)
                               .where(col(WebhookDelivery.webhook_id).in_(owed))).all())
    now = utcnow()
    rows = [{"webhook_id": webhook_id, "endpoint_id": endpoint_id, "event_type": event_type,
             "subject_id": subject_id, "patient_id": patient_id, "facility_id": facility_id,
             "facts": facts, "occurred_at": now, "status": "pending", "attempts": 0,
             "replays": 0}
            for webhook_id, endpoint_id in owed.items() if webhook_id not in written]
    if rows:  # one statement for every endpoint, in their order (seq order is delivery order)
        session.execute(insert(WebhookDelivery), rows)
        # Idle endpoints among them are woken once this transaction commits (webhook_idle.py).
        webhook_idle.owed(session, {row["endpoint_id"] for row in rows})
    return len(rows)


def _webhook_id(endpoint_id: str, event_type: str, part: str) -> str:
    """`msg_` and a digest of who recorded this change: the same across the record's retries."""
    if activity.in_activity():
        info = activity.info()
        origin = f"{info.workflow_run_id}/{info.activity_id}"
    else:  # recorded outside a workflow (a test, a script): unique, with nothing to repeat
        origin = uuid.uuid4().hex
    digest = hashlib.sha256(f"{origin}/{part}/{endpoint_id}/{event_type}".encode()).hexdigest()
    return f"msg_{digest[:32]}"


