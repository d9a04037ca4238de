"""Adding and replacing staff directory entries: one way, for the API and the console."""

from __future__ import annotations

from audit.chain import append as audit
from db.engine import reading, writing
from db.models import Facility
from db.models import Staff as StaffRow
from services.errors import VigilError, not_found
from services.people import person_id_taken
from services.schemas.directory import StaffCreate, StaffIn


def _check_facility(facility_id: str | None) -> None:
    if facility_id is None:
        return
    with reading() as session:
        if session.get(Facility, facility_id) is None:
            raise VigilError(422, "unknown_facility", f"No facility {facility_id!r}.",
                             details=[{"field": "body.facility_id", "reason": "no such facility"}])


def create_staff(*, body: StaffCreate, actor: str) -> StaffRow:
    """Add someone to the directory (ids are shared with patients and caregivers); audited."""
    _check_facility(body.facility_id)
    with writing() as session:
        if person_id_taken(session, body.id):
            raise VigilError(409, "already_exists", f"Someone already has the id {body.id!r}.",
                             details=[{"field": "body.id", "reason": "already taken"}])
        person = StaffRow(**body.model_dump())
        session.add(person)
        audit(session, actor=actor, action="staff.created", subject=body.id,
              detail=body.model_dump(exclude={"push_token"}))
    return person


def replace_staff(*, staff_id: str, body: StaffIn, actor: str) -> StaffRow:
    """Replace a directory entry (on-call changes, new phone, ...); audited."""
    _check_facility(body.facility_id)
    with writing() as session:
        person = session.get(StaffRow, staff_id)
        if person is None:
            raise not_found("staff member", staff_id)
        for name, value in body.model_dump().items():
            setattr(person, name, value)
        session.add(person)
        audit(session, actor=actor, action="staff.replaced", subject=staff_id,
              detail=body.model_dump(exclude={"push_token"}))
    return person
