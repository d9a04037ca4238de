"""FHIR R4 `Appointment` from integrators: a booking to create, or changes to an appointment.

Parsed with fhir.resources (R4B's Appointment is the R4 shape). What Vigil reads:
- `status`: proposed/pending → created, booked → scheduled, arrived/checked-in →
  checked_in, fulfilled → completed, cancelled → cancelled, noshow → no_show;
- `start`, `end` (instants, with their offset);
- participants: `Patient/<id>`, `Practitioner/<staff id>` (the provider) and
  `Location/<facility id>`, whose `identifier` (system `urn:vigil:room`) is the
  room and whose `display` is the department.
A change of start/end is `rescheduled`, of practitioner `provider_change`, of
room or department `room_change`. Every change a resource implies is checked
against the appointment's state before any is sent, so an impossible one is a
422 naming the field and nothing is applied.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fhir.resources.R4B.appointment import Appointment as FhirAppointment
from pydantic import ValidationError

from db.models import Appointment, as_utc
from services.fhir_resources import invalid, parse_resource
from services.schemas.appointments import AppointmentCreate, AppointmentUpdateIn
from workflows.appointment import ALLOWED_FROM, MOVES_TO

ROOM_SYSTEM = "urn:vigil:room"
STATUS_UPDATE = {"proposed": "created", "pending": "created", "booked": "scheduled",
                 "arrived": "checked_in", "checked-in": "checked_in", "fulfilled": "completed",
                 "cancelled": "cancelled", "noshow": "no_show"}


_invalid = invalid


def _parsed(payload: Any) -> FhirAppointment:
    resource = parse_resource(payload, FhirAppointment, "Appointment")
    if resource.status not in STATUS_UPDATE:
        raise _invalid("status", f"must be one of {', '.join(STATUS_UPDATE)}")
    return resource


def _fields(resource: FhirAppointment) -> dict[str, Any]:
    """What Vigil reads from the resource, each with the path it came from for errors."""
    found: dict[str, Any] = {"start": resource.start, "end": resource.end}
    for i, participant in enumerate(resource.participant or []):
        actor = participant.actor
        if actor is None:
            continue
        kind, _, ident = (actor.reference or "").partition("/")
        if kind == "Patient":
            found["patient"] = (ident, f"participant[{i}].actor.reference")
        elif kind == "Practitioner":
            found["provider"] = (ident, f"participant[{i}].actor.reference")
        elif kind == "Location":
            room = actor.identifier.value if actor.identifier and \
                actor.identifier.system == ROOM_SYSTEM else ""
            found["location"] = (ident, room or "", actor.display or "")
    return found


def create_from_fhir(payload: Any) -> AppointmentCreate:
    """A booking from a FHIR Appointment; anything missing or wrong is a 422 naming the field."""
    resource = _parsed(payload)
    found = _fields(resource)
    status = STATUS_UPDATE[str(resource.status)]
    if status not in ("created", "scheduled"):
        raise _invalid("status", "a new appointment is proposed, pending or booked")
    for key, field in (("patient", "participant"), ("provider", "participant"),
                       ("location", "participant")):
        if key not in found:
            raise _invalid(field, f"needs a {key} participant")
    for key in ("start", "end"):
        if found[key] is None:
            raise _invalid(key, "required")
    facility, room, department = found["location"]
    try:
        return AppointmentCreate(
            patient_id=found["patient"][0], provider_id=found["provider"][0],
            facility_id=facility, room=room, department=department, starts_at=found["start"],
            ends_at=found["end"], status=status)  # type: ignore[arg-type]  # checked above
    except ValidationError as error:
        first = error.errors()[0]
        raise _invalid(str(first["loc"][0]), first["msg"])


def _changed(new: datetime | None, old: datetime) -> bool:
    return new is not None and as_utc(new) != as_utc(old)


def updates_from_fhir(payload: Any, row: Appointment) -> list[tuple[str, AppointmentUpdateIn]]:
    """The SPEC §2 updates this resource implies for `row`, in order, each with its FHIR field;
    all checked against the state first (an impossible one is a 422 naming its field)."""
    resource = _parsed(payload)
    found = _fields(resource)
    patient = found.get("patient")
    if patient and patient[0] != row.patient_id:
        raise _invalid(patient[1], "is not this appointment's patient")
    wanted: list[tuple[str, AppointmentUpdateIn]] = []
    if _changed(found["start"], row.starts_at) or _changed(found["end"], row.ends_at):
        wanted.append(("start", AppointmentUpdateIn(type="rescheduled", starts_at=found["start"],
                                                    ends_at=found["end"] or row.ends_at)))
    provider = found.get("provider")
    if provider and provider[0] != row.provider_id:
        wanted.append((provider[1], AppointmentUpdateIn(type="provider_change",
                                                        provider_id=provider[0])))
    location = found.get("location")
    if location and (location[1] or row.room, location[2] or row.department) != (row.room,
                                                                                 row.department):
        wanted.append(("participant", AppointmentUpdateIn(
            type="room_change", room=location[1] or row.room, department=location[2] or None)))
    target = STATUS_UPDATE[str(resource.status)]
    if target == "completed" and row.status == "checked_in":
        wanted.append(("status", AppointmentUpdateIn(type="in_progress")))  # R4 has no in-progress
    if target not in ("created", row.status) and MOVES_TO.get(target) != row.status:
        wanted.append(("status", AppointmentUpdateIn(type=target)))  # type: ignore[arg-type]
    _check_in_order(wanted, row.status)
    return wanted


def _check_in_order(wanted: list[tuple[str, AppointmentUpdateIn]], status: str) -> None:
    """Walk the updates through the state machine the workflow enforces, before sending any."""
    for field, update in wanted:
        if status not in ALLOWED_FROM[update.type]:
            raise _invalid(field, f"cannot apply {update.type} to an appointment that is {status}")
        status = MOVES_TO.get(update.type, status)
