"""Who and where, for pickers: the development sign-in, the hand-over form, the session form."""

from __future__ import annotations

from sqlmodel import col, select

from db.engine import reading
from db.models import Facility, Staff
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
