"""Start emergencies and send them commands; shared by the HTTP routes and the WebSocket."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlmodel import col, select
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from activities.emergency_records import projection_from_input
from api.auth import Principal
from api.errors import ApiError, not_found
from api.schemas.emergencies import EmergencyCreate
from audit.chain import append as audit
from db.engine import reading, writing
from db.models import Emergency, EscalationPolicy, Facility, Staff
from db.short_codes import free_short_code
from settings import get_settings
from workflows.emergency import EmergencyEscalationWorkflow
from workflows.emergency_types import OPEN, Actor, EmergencyInput
from workflows.policy import ChannelStep, PolicySnapshot, TierSpec
from workflows.search_attributes import for_start

# How a workflow's refusal reads over HTTP.
_REFUSALS = {
    "AlreadyAcknowledged": (409, "already_acknowledged"),
    "NotAcknowledged": (409, "not_acknowledged"),
    "EmergencyClosed": (409, "emergency_closed"),
    "NotPaged": (403, "not_paged"),
    "NotOwner": (403, "not_owner"),
    "InvalidHandover": (422, "invalid_handover"),
}


def workflow_id_for(idempotency_key: str) -> str:
    """The idempotency key maps to the workflow id, so one key can only ever start one."""
    return f"emergency-{idempotency_key}"


def snapshot(policy: EscalationPolicy) -> PolicySnapshot:
    """Freeze a stored policy into the workflow input."""
    return PolicySnapshot(
        id=policy.id, name=policy.name, version=policy.version,
        channels=[ChannelStep(**step) for step in policy.channels],
        tiers=[TierSpec(**tier) for tier in policy.tiers], repeat_count=policy.repeat_count,
    )


def short_code() -> str:
    """A four-digit code no open emergency is using."""
    return free_short_code(select(Emergency.short_code).where(col(Emergency.status).in_(OPEN)))


def _choose_policy(body: EmergencyCreate) -> EscalationPolicy:
    with reading() as session:
        if body.policy_id:
            policy = session.get(EscalationPolicy, body.policy_id)
            if policy is None:
                raise ApiError(422, "unknown_policy", f"No escalation policy {body.policy_id!r}.")
            return policy
        policy = session.exec(select(EscalationPolicy)
                              .where(EscalationPolicy.severity == body.severity)).first()
        if policy is None:
            raise ApiError(422, "no_default_policy",
                           f"No default escalation policy for severity {body.severity!r}.")
        return policy


def find_by_key(key: str) -> Emergency | None:
    with reading() as session:
        return session.exec(select(Emergency).where(Emergency.idempotency_key == key)).first()


async def create_emergency(*, client: Client, body: EmergencyCreate, key: str,
                           user: Principal) -> tuple[Emergency, bool]:
    """Start (or find) the emergency for `key`; returns it and whether it is new."""
    existing = find_by_key(key)
    if existing:
        return existing, False
    with reading() as session:
        facility = session.get(Facility, body.location.facility_id)
    if facility is None:
        raise ApiError(422, "unknown_facility", f"No facility {body.location.facility_id!r}.")
    location: dict[str, Any] = body.location.model_dump()
    location["facility_name"] = facility.name
    data = EmergencyInput(
        emergency_id=workflow_id_for(key), idempotency_key=key, type=body.type,
        type_detail=body.type_detail, severity=body.severity, patient_id=body.patient_id,
        facility_id=facility.id, location=location, short_code=short_code(),
        policy=snapshot(_choose_policy(body)), created_by=user.sub, description=body.description,
        required_specialisations=body.required_specialisations,
        vitals=body.vitals.model_dump(exclude_none=True) if body.vitals else None,
    )
    try:
        await client.start_workflow(
            EmergencyEscalationWorkflow.run, data, id=data.emergency_id,
            task_queue=get_settings().task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            search_attributes=for_start(kind="emergency", patient_id=data.patient_id,
                                        facility_id=data.facility_id, severity=data.severity),
        )
    except RPCError as error:
        raise ApiError(503, "temporal_unavailable", f"Could not start the workflow: {error}")
    with writing() as session:
        row = session.get(Emergency, data.emergency_id)
        if row is None:  # the workflow's own first record may have beaten us to it
            row = projection_from_input(data)
            session.add(row)
            audit(session, actor=user.sub, action="emergency.created", subject=row.id,
                  detail={"severity": data.severity, "type": data.type,
                          "policy": asdict(data.policy)})
        return row, True


def actor_for(user: Principal) -> Actor:
    with reading() as session:
        person = session.get(Staff, user.sub)
    return Actor(staff_id=user.sub, name=person.name if person else user.sub,
                 is_admin=user.is_admin)


def get_emergency(emergency_id: str) -> Emergency:
    with reading() as session:
        row = session.get(Emergency, emergency_id)
    if row is None:
        raise not_found("emergency", emergency_id)
    return row


async def run_command(*, client: Client, emergency_id: str, update: Any, arg: Any) -> Any:
    """Send a validated update to an emergency and translate a refusal into an ApiError."""
    get_emergency(emergency_id)
    handle = client.get_workflow_handle(emergency_id)
    try:
        return await handle.execute_update(update, arg)
    except WorkflowUpdateFailedError as error:
        cause = error.cause
        if isinstance(cause, ApplicationError) and cause.type in _REFUSALS:
            status, code = _REFUSALS[cause.type]
            details = cause.details[0] if cause.details else None
            raise ApiError(status, code, cause.message, details)
        raise ApiError(409, "command_refused", str(cause or error))
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            raise ApiError(409, "emergency_closed", "This emergency has already ended.")
        raise ApiError(503, "temporal_unavailable", f"The workflow engine did not answer: {error}")
