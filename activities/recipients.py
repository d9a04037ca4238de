"""Who a page is for: staff, patients and caregivers are all reached by the same delivery path.

People share one id space (services/people.py refuses an id any of them holds),
so an id alone finds the person, whichever table they are in.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from audit.chain import append as audit
from channels.base import Recipient
from db.models import Caregiver, Patient, Staff

Person = Staff | Patient | Caregiver


def person_for(session: Session, person_id: str) -> Person | None:
    """The staff member, patient or caregiver with this id."""
    for table in (Staff, Patient, Caregiver):
        person = session.get(table, person_id)
        if person is not None:
            return person
    return None


def recipients_for(session: Session, person_ids: Iterable[str]) -> dict[str, Recipient]:
    """Where and in which language to reach each of these people, one query per kind of
    person; an id nobody holds is left out."""
    wanted, found = set(person_ids), {}
    for table in (Staff, Patient, Caregiver):
        if wanted:
            people = session.exec(select(table).where(col(table.id).in_(wanted))).all()
            found.update({person.id: _recipient(person) for person in people})
            wanted -= found.keys()
    return found


def _recipient(person: Person) -> Recipient:
    # `staff_id` is the recipient's person id, whatever kind of person they are.
    return Recipient(staff_id=person.id, name=person.name, phone=person.phone,
                     email=person.email, push_token=person.push_token,
                     language=person.language or "en")


def forget_push_token(session: Session, person_id: str, token: str | None) -> None:
    """Drop a push token the provider called invalid, from whoever holds it."""
    person = person_for(session, person_id)
    # Only the token that failed: the app may already have registered a new one.
    if person and person.push_token and person.push_token == token:
        person.push_token = None
        session.add(person)
        kind = type(person).__name__.lower()
        audit(session, actor="vigil", action=f"{kind}.push_token_removed", subject=person_id,
              detail={"reason": "provider reported the token invalid"})
