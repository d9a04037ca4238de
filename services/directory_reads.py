"""Who and where, for pickers: the development sign-in, the hand-over form, the session form."""

from __future__ import annotations

from sqlmodel import col, select

from db.engine import reading
from db.models import Caregiver, Facility, Patient, Staff
from services.errors import not_found


def staff_people() -> list[Staff]:
    """Everyone in the staff directory, by name."""
    with reading() as session:
        return list(session.exec(select(Staff).order_by(col(Staff.name))).all())


def hand_over_candidates() -> list[Staff]:
    """The providers and admins an emergency can be handed to (as `find_colleague` accepts)."""
    return [person for person in staff_people() if person.role in ("provider", "admin")]


def staff_member(staff_id: str) -> Staff:
    with reading() as session:
        person = session.get(Staff, staff_id)
    if person is None:
        raise not_found("staff", staff_id)
    return person


def facilities() -> list[Facility]:
    """Every facility, by id (as GET /facilities lists them)."""
    with reading() as session:
        return list(session.exec(select(Facility).order_by(col(Facility.id))).all())


def patients_and_family() -> list[tuple[str, str, str]]:
    """(id, name, role) of every patient and caregiver, by name: the development sign-in."""
    with reading() as session:
        people = [(p.id, p.name, "patient") for p in session.exec(select(Patient)).all()]
        people += [(c.id, c.name, "family") for c in session.exec(select(Caregiver)).all()]
    return sorted(people, key=lambda person: person[1])


def person_role(person_id: str) -> str:
    """The role a person of the directories signs in with (staff: their own role)."""
    with reading() as session:
        staff = session.get(Staff, person_id)
        if staff is not None:
            return staff.role
        if session.get(Caregiver, person_id) is not None:
            return "family"
        if session.get(Patient, person_id) is not None:
            return "patient"
    raise not_found("person", person_id)
