"""Start emergencies and send them commands; shared by the HTTP routes and the WebSocket."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any

from sqlmodel import select
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from activities.directory import find_targets, tier_query
from activities.emergency_plans import (
    EMERGENCY_ID_PREFIX,
    short_code,
    snapshot,
    workflow_id_for,
)
from activities.emergency_records import projection_from_input
from events.hub import EventHub
from events.topics import emergency_topic
from services.principal import Principal
from services.projections import await_first_record
from services.errors import VigilError, not_found
from services.schemas.emergencies import EmergencyCreate
from services.workflow_commands import send_update
from db.engine import reading
from db.models import Emergency, EscalationPolicy, Facility, Staff
from settings import get_settings
from workflows.emergency import EmergencyEscalationWorkflow
from workflows.emergency_types import Actor, EmergencyInput
from workflows.search_attributes import for_start

def _choose_policy(body: EmergencyCreate) -> EscalationPolicy:
    with reading() as session:
        if body.policy_id:
            policy = session.get(EscalationPolicy, body.policy_id)
            if policy is None:
                raise VigilError(422, "unknown_policy", f"No escalation policy {body.policy_id!r}.")
            return policy
        policy = session.exec(select(EscalationPolicy)
                              .where(EscalationPolicy.severity == body.severity)).first()
        if policy is None:
            raise VigilError(422, "no_default_policy",
                           f"No default escalation policy for severity {body.severity!r}.")
        return policy


def find_by_key(key: str) -> Emergency | None:
    with reading() as session:
        return session.exec(select(Emergency).where(Emergency.idempotency_key == key)).first()


def _input_for(body: EmergencyCreate, key: str, user: Principal) -> EmergencyInput:
    """The workflow input: the facility named, the policy snapshotted, a free short code."""
    with reading() as session:
        facility = session.get(Facility, body.location.facility_id)
    if facility is None:
        raise VigilError(422, "unknown_facility", f"No facility {body.location.facility_id!r}.",
                         {"field": "location.facility_id"})
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
    # Tier 1's people, looked up now: the workflow then pages them in its first task.
    tiers = data.policy.tiers
    data.first_tier_targets = find_targets(tier_query(data, tiers[0].targets)) if tiers else None
    return data


def _same_emergency(row: Emergency, body: EmergencyCreate, key: str) -> Emergency:
    """The emergency a repeated key names; a key reused for a different emergency is refused."""
    asked = (body.type, body.type_detail, body.severity, body.patient_id,
             body.location.facility_id, body.description)
    held = (row.type, row.type_detail, row.severity, row.patient_id, row.facility_id,
            row.description)
    if asked != held:
        raise VigilError(422, "idempotency_key_reused",
                         f"The idempotency key {key!r} was already used for a different emergency.",
                         {"field": "idempotency_key", "emergency_id": row.id})
    return row


async def create_emergency(*, client: Client, hub: EventHub | None, body: EmergencyCreate,
                           key: str, user: Principal) -> tuple[Emergency, bool]:
    """Start (or find) the emergency for `key`; returns it and whether it is new.

    The workflow is the only writer of the emergency's row and its "started" audit
    entry; this waits briefly for that record so the caller can read it at once.
    """
    existing = await asyncio.to_thread(find_by_key, key)
    if existing:
        return _same_emergency(existing, body, key), False
    data = await asyncio.to_thread(_input_for, body, key, user)
    wait = partial(await_first_record, hub=hub, topic=emergency_topic(data.emergency_id),
                   load=partial(find_by_key, key))
    try:
        await client.start_workflow(
            EmergencyEscalationWorkflow.run, data, id=data.emergency_id,
            task_queue=get_settings().task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            search_attributes=for_start(kind="emergency", patient_id=data.patient_id,
                                        facility_id=data.facility_id, severity=data.severity),
        )
    except WorkflowAlreadyStartedError:  # the same key, posted concurrently: one page, one 201
        row = await wait(timeout_s=10.0)
        if row is None:
            raise VigilError(409, "idempotency_in_progress",
                             "An emergency with this idempotency key is starting; retry shortly.")
        return _same_emergency(row, body, key), False
    except RPCError as error:
        raise VigilError(503, "temporal_unavailable", f"Could not start the workflow: {error}")
    return (await wait()) or projection_from_input(data), True


def _actor(user: Principal) -> Actor:
    with reading() as session:
        person = session.get(Staff, user.sub)
    return Actor(staff_id=user.sub, name=person.name if person else user.sub,
                 is_admin=user.is_admin)


async def actor_for(user: Principal) -> Actor:
    """The caller as the workflow knows them: id, name, and whether they are an admin."""
    return await asyncio.to_thread(_actor, user)


def find_colleague(staff_id: str) -> Staff:
    """The provider or admin an emergency can be handed over to."""
    with reading() as session:
        colleague = session.get(Staff, staff_id)
    if colleague is None or colleague.role not in ("provider", "admin"):
        raise VigilError(422, "unknown_colleague", f"No provider or admin {staff_id!r}.",
                         {"field": "to_staff_id"})
    return colleague


def _find(emergency_id: str) -> Emergency | None:
    with reading() as session:
        return session.get(Emergency, emergency_id)


def get_emergency(emergency_id: str) -> Emergency:
    row = _find(emergency_id)
    if row is None:
        raise not_found("emergency", emergency_id)
    return row


async def run_command(*, client: Client, emergency_id: str, update: Any, arg: Any) -> Any:
    """Send a validated update to an emergency; a refusal comes back as a VigilError.

    The workflow answers, not its row: a command may arrive before the workflow's first
    record has been written (the caller just raised it), and must still be taken.
    """
    if not emergency_id.startswith(EMERGENCY_ID_PREFIX):
        raise not_found("emergency", emergency_id)
    try:
        return await send_update(client=client, workflow_id=emergency_id, update=update, arg=arg,
                                 when_gone=not_found("emergency", emergency_id))
    except VigilError as error:
        if error.status == 404 and await asyncio.to_thread(_find, emergency_id) is not None:
            raise VigilError(409, "emergency_closed", "This emergency has already ended.")
        raise


async def run_command_until_recorded(*, client: Client, hub: EventHub | None, emergency_id: str,
                                     update: Any, arg: Any) -> Any:
    """`run_command`, then wait (briefly) until the emergency's row shows its outcome, for a
    page that is about to be rendered from that row."""
    result = await run_command(client=client, emergency_id=emergency_id, update=update, arg=arg)
    status = getattr(result, "status", "acknowledged")

    def recorded() -> Emergency | None:
        row = _find(emergency_id)
        return row if row and row.status == status and row.owner_id == result.owner_id else None
    await await_first_record(hub=hub, topic=emergency_topic(emergency_id), load=recorded)
    return result
