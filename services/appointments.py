"""Book appointments, apply their updates and read them back; the routes stay thin.

Everyone named is checked before a workflow starts (an unknown patient,
provider, facility or care-team member is a 422 naming the field, and nothing
is started). The workflow is the only writer of the Appointment row; reads are
scoped by role and, for caregivers, by their consent's `appointments` scope.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from sqlmodel import col, select
from temporalio.client import Client
from temporalio.service import RPCError

from activities.appointment_records import projection_from_input
from audit.chain import append as audit
from db.engine import reading, writing
from db.models import Appointment, Facility, Patient, Staff
from events.hub import EventHub
from events.topics import appointment_topic
from services.appointment_fhir import create_from_fhir, updates_from_fhir
from services.consent import CARE_ROLES, require_consent
from services.errors import VigilError, not_found
from services.principal import Principal
from services.projections import ROUTINE_FIRST_RECORD_WAIT_S, await_first_record
from services.schemas.appointments import (
    AppointmentCreate,
    AppointmentFamilyView,
    AppointmentPublic,
    AppointmentUpdateIn,
)
from services.workflow_commands import send_update
from settings import get_settings
from workflows.appointment import AppointmentWorkflow
from workflows.appointment_types import AppointmentInput, AppointmentUpdate
from workflows.search_attributes import for_start

READ_ROLES = (*CARE_ROLES, "auditor")


def _unknown(field: str, what: str, ident: str) -> VigilError:
    return VigilError(422, f"unknown_{what}", f"{field}: no {what} {ident!r}.",
                      [{"field": field, "message": f"no {what} {ident!r}"}])


def _people(body: AppointmentCreate) -> tuple[Patient, Facility, list[str]]:
    """The patient and facility the booking names, and the clinic's coordinators; or a 422."""
    with reading() as session:
        patient = session.get(Patient, body.patient_id)
        facility = session.get(Facility, body.facility_id)
        provider = session.get(Staff, body.provider_id)
        team = set(session.exec(select(Staff.id).where(col(Staff.id).in_(body.care_team))).all())
        coordinators = list(session.exec(select(Staff.id).where(
            Staff.role == "coordinator",
            col(Staff.facility_id).in_([body.facility_id]))).all())
    if patient is None:
        raise _unknown("body.patient_id", "patient", body.patient_id)
    if provider is None or provider.role != "provider":
        raise _unknown("body.provider_id", "provider", body.provider_id)
    if facility is None:
        raise _unknown("body.facility_id", "facility", body.facility_id)
    for i, member in enumerate(body.care_team):
        if member not in team:
            raise _unknown(f"body.care_team.{i}", "staff", member)
    return patient, facility, coordinators


def check_future(starts_at: datetime, field: str = "body.starts_at") -> None:
    if starts_at <= datetime.now(UTC):
        raise VigilError(422, "invalid_request", f"{field}: must be in the future.",
                         [{"field": field, "message": "must be in the future"}])


async def book(*, client: Client, hub: EventHub | None, body: AppointmentCreate,
               user: Principal) -> Appointment:
    """Start the appointment's workflow on the routine queue; it records (and audits) itself."""
    check_future(body.starts_at)
    patient, facility, coordinators = await asyncio.to_thread(_people, body)
    settings = get_settings()
    data = AppointmentInput(
        appointment_id=f"appointment-{uuid.uuid4().hex[:16]}", patient_id=patient.id,
        provider_id=body.provider_id, facility_id=facility.id, facility_name=facility.name,
        department=body.department, room=body.room,
        starts_at=body.starts_at.astimezone(UTC),
        ends_at=body.ends_at.astimezone(UTC), time_zone=patient.time_zone,
        created_by=user.sub, care_team=body.care_team, coordinators=coordinators,
        urgency=body.urgency, emergency=body.emergency,
        reminder_offsets_s=[h * 3600.0 for h in body.reminder_offsets_h],
        language=body.language or patient.language,
        no_show_grace_s=timedelta(minutes=body.no_show_grace_minutes).total_seconds(),
        status=body.status, emergency_task_queue=settings.task_queue)
    try:
        await client.start_workflow(
            AppointmentWorkflow.run, data, id=data.appointment_id,
            task_queue=settings.routine_task_queue,
            search_attributes=for_start(kind="appointment", patient_id=data.patient_id,
                                        facility_id=data.facility_id, status=data.status))
    except RPCError as error:
        raise VigilError(503, "temporal_unavailable", f"Could not start the workflow: {error}")
    row = await await_first_record(hub=hub, topic=appointment_topic(data.appointment_id),
                                   load=partial(find, data.appointment_id),
                                   timeout_s=ROUTINE_FIRST_RECORD_WAIT_S)
    return row or projection_from_input(data)


def find(appointment_id: str) -> Appointment | None:
    with reading() as session:
        return session.get(Appointment, appointment_id)


def get_row(appointment_id: str) -> Appointment:
    row = find(appointment_id)
    if row is None:
        raise not_found("appointment", appointment_id)
    return row


def view_for(user: Principal, row: Appointment) -> dict[str, Any]:
    """The row as this caller may see it: staff and the patient in full, family less."""
    if user.has_any(READ_ROLES):
        return AppointmentPublic.model_validate(row, from_attributes=True).model_dump()
    access = require_consent(user, row.patient_id, "appointments")
    model = AppointmentPublic if access.who == "patient" else AppointmentFamilyView
    return model.model_validate(row, from_attributes=True).model_dump()


def read_as(user: Principal, appointment_id: str) -> dict[str, Any]:
    """One appointment for someone allowed to see it; the read of patient data is audited."""
    row = get_row(appointment_id)
    view = view_for(user, row)
    with writing() as session:
        audit(session, actor=user.sub, action="patient_data.read", subject=appointment_id,
              detail={"patient_id": row.patient_id, "what": "appointment"})
    return view


def list_for(user: Principal, *, patient_id: str | None, facility_id: str | None,
             status: str | None, limit: int) -> list[dict[str, Any]]:
    """Soonest first. Staff see any; a patient or caregiver must name a patient they may see."""
    if not user.has_any(READ_ROLES):
        if patient_id is None:
            raise VigilError(422, "invalid_request", "patient_id: required for your role.",
                             [{"field": "query.patient_id", "message": "required"}])
        require_consent(user, patient_id, "appointments")
    query = select(Appointment).order_by(col(Appointment.starts_at))
    if patient_id:
        query = query.where(Appointment.patient_id == patient_id)
    if facility_id:
        query = query.where(Appointment.facility_id == facility_id)
    if status:
        query = query.where(Appointment.status == status)
    with reading() as session:
        rows = session.exec(query.limit(limit)).all()
    return [view_for(user, row) for row in rows]


def check_update(body: AppointmentUpdateIn) -> None:
    """What only the directory can answer: the new provider exists; a new start is ahead."""
    if body.type == "rescheduled" and body.starts_at is not None:
        check_future(body.starts_at)
    if body.provider_id is not None:
        with reading() as session:
            provider = session.get(Staff, body.provider_id)
        if provider is None or provider.role != "provider":
            raise _unknown("body.provider_id", "provider", body.provider_id)


async def apply_update(*, client: Client, appointment_id: str, body: AppointmentUpdateIn,
                       user: Principal) -> Any:
    """Send one SPEC §2 update; a refusal comes back as the VigilError its kind names."""
    await asyncio.to_thread(get_row, appointment_id)
    await asyncio.to_thread(check_update, body)
    update = AppointmentUpdate(
        type=body.type, actor=user.sub,
        starts_at=body.starts_at and body.starts_at.astimezone(UTC),
        ends_at=body.ends_at and body.ends_at.astimezone(UTC), room=body.room,
        department=body.department, provider_id=body.provider_id, urgency=body.urgency,
        delay_minutes=body.delay_minutes, reason=body.reason)
    return await send_update(client=client, workflow_id=appointment_id,
                             update=AppointmentWorkflow.apply, arg=update,
                             when_gone=VigilError(409, "appointment_closed",
                                                  "This appointment is already closed."))


def check_stream(user: Principal, appointment_id: str) -> Appointment:
    """An appointment's live stream is for staff and the patient (it names who treats them)."""
    row = get_row(appointment_id)
    if not user.has_any(READ_ROLES):
        access = require_consent(user, row.patient_id, "appointments")
        if access.who != "patient":
            raise VigilError(403, "forbidden", "Family follow appointments in their own inbox.")
    return row


async def book_from_fhir(*, client: Client, hub: EventHub | None, payload: Any,
                         user: Principal) -> Appointment:
    """Book from a FHIR R4 Appointment (services/appointment_fhir.py says what is read)."""
    return await book(client=client, hub=hub, body=create_from_fhir(payload), user=user)


async def as_the_workflow_holds_it(client: Client, row: Appointment) -> Appointment:
    """The row with the workflow's own status, times, provider and place. The workflow writes the
    row after it moves, so an update it has just applied may not be on the row yet, and the
    updates a FHIR resource implies are worked out from where the appointment really is."""
    try:
        view = await client.get_workflow_handle(row.id).query(AppointmentWorkflow.state)
    except RPCError:  # closed and gone from the engine: the row has long caught up
        return row
    return Appointment.model_validate({
        **row.model_dump(), "status": view.status, "starts_at": view.starts_at,
        "ends_at": view.ends_at, "provider_id": view.provider_id, "room": view.room,
        "department": view.department})


async def update_from_fhir(*, client: Client, appointment_id: str, payload: Any,
                           user: Principal) -> list[Any]:
    """Apply what a FHIR R4 Appointment changes, in order; all are checked before any is sent."""
    row = await as_the_workflow_holds_it(client, await asyncio.to_thread(get_row, appointment_id))
    wanted = updates_from_fhir(payload, row)
    for field, body in wanted:
        try:
            await asyncio.to_thread(check_update, body)
        except VigilError as error:
            raise VigilError(422, error.code, f"{field}: {error.message}",
                             [{"field": field, "message": error.message}])
    return [await apply_update(client=client, appointment_id=appointment_id, body=body, user=user)
            for _, body in wanted]
