"""Record what an emergency workflow decided: projection row, live events, audit entry."""

from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlmodel import Session
from temporalio import activity

from activities import webhook_events
from activities.delivery_types import DeliveryBatch
from audit.chain import append as audit
from db.engine import writing
from db.models import Emergency, utcnow
from events.publish import publish
from events.topics import emergency_topic, family_topic
from workflows.emergency_types import EmergencyInput, EmergencyState

# What authorised family see: short, reassuring, no clinical detail.
FAMILY_TEXT = {
    "started": "The care team has been alerted and is responding.",
    "acknowledged": "A clinician has taken charge and is on the way.",
    "handed_over": "Care has been handed to another clinician.",
    "resolved": "The emergency is over. The care team will update you.",
    "cancelled": "The alert was cancelled; there is no emergency.",
}


@dataclass
class StateChange:
    emergency_id: str
    patient_id: str
    change: str  # started, tier_paged, escalated, acknowledged, unacknowledged, resolved, ...
    actor: str
    state: EmergencyState
    detail: dict[str, Any] = field(default_factory=dict)
    input: EmergencyInput | None = None  # on "started", so the projection can be (re)built


@dataclass
class BatchWithChanges(DeliveryBatch):
    """A page's `deliver_batch` that also records what the emergency workflow decided with
    the page (tier 1 paged, say): one activity instead of a `record_emergency_change` more.
    The changes are written once the batch's own-channel messages are committed and before
    any provider is called; a batch without them reads as a plain `DeliveryBatch`."""

    changes: list[StateChange] = field(default_factory=list)


def _ts(epoch: float | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, timezone.utc)


def projection_from_input(data: EmergencyInput) -> Emergency:
    """The Emergency row an emergency's input describes, before anything has happened."""
    return Emergency(
        id=data.emergency_id, idempotency_key=data.idempotency_key, type=data.type,
        type_detail=data.type_detail, severity=data.severity, patient_id=data.patient_id,
        facility_id=data.facility_id, location=data.location, description=data.description,
        vitals=data.vitals, required_specialisations=data.required_specialisations,
        policy=asdict(data.policy), short_code=data.short_code, created_by=data.created_by,
    )


def state_summary(state: EmergencyState) -> dict[str, Any]:
    """The part of the state a live viewer sees."""
    return {
        "status": state.status, "round": state.round, "tier": state.tier,
        "tier_started_at": _ts(state.tier_started_at),
        "owner_id": state.owner_id, "owner_name": state.owner_name,
        "acknowledged_at": _ts(state.acknowledged_at), "outcome": state.outcome,
        "cancel_reason": state.cancel_reason,
        "paged": [{"staff_id": k, "name": v} for k, v in state.paged.items()],
    }


def write_change(session: Session, change: StateChange) -> None:
    """Update the projection, stream the change, and audit it, in the caller's transaction."""
    state = change.state
    row = session.get(Emergency, change.emergency_id)
    if row is None and change.input is not None:
        row = projection_from_input(change.input)
    if row is not None:
        row.status, row.round, row.tier = state.status, state.round, state.tier
        row.owner_id, row.owner_name = state.owner_id, state.owner_name
        row.acknowledged_at = _ts(state.acknowledged_at)
        row.outcome = state.outcome or state.cancel_reason
        row.updated_at = utcnow()
        session.add(row)
    payload = {"change": change.change, "state": state_summary(state), **change.detail}
    publish(session, topic=emergency_topic(change.emergency_id), kind=change.change,
            payload=payload)
    if change.change in FAMILY_TEXT:
        publish(session, topic=family_topic(change.patient_id), kind="status",
                payload={"subject_id": change.emergency_id, "status": state.status,
                         "text": FAMILY_TEXT[change.change]})
    audit(session, actor=change.actor, action=f"emergency.{change.change}",
          subject=change.emergency_id, detail=payload)
    webhook_events.emergency_changed(session, change, row)


class EmergencyRecordActivities:
    @activity.defn(name="record_emergency_change")
    def record_change(self, change: StateChange) -> None:
        """Update the projection, stream the change, and audit it, in one transaction."""
        with writing() as session:
            write_change(session, change)
