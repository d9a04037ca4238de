"""A staff member's inbox when they connect fresh: the pages about things still open.

A staff app that connects without a resume point has seen nothing, but replaying
everyone's whole paging history would bury the page that matters under old ones.
What it needs is what it can still act on: every event in the person's inbox
about an emergency not yet resolved or cancelled, or a monitoring session still
running; then everything live from now on.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_
from sqlmodel import col, select

from db.engine import reading
from db.models import Caregiver, Emergency, Event, MonitoringSession, Patient, Staff
from events.hub import Notice
from events.publish import event_dict
from events.topics import staff_topic
from services.principal import STAFF_ROLES, Principal
from workflows.emergency_types import CLOSED

# More open pages than this for one person is not a shift, it is a flood: send the newest.
MAX_OPEN_PAGES = 1000


def owns_inbox(principal: Principal) -> bool:
    """Whether the token's `sub` is a person of the kind its role says: a staff role's sub a
    staff member, a patient's a patient, a family member's a caregiver. A family token
    whose sub happens to be a staff id must never open that person's inbox."""
    with reading() as session:
        if principal.has_any(STAFF_ROLES) and session.get(Staff, principal.sub) is not None:
            return True
        if "patient" in principal.roles and session.get(Patient, principal.sub) is not None:
            return True
        return "family" in principal.roles and session.get(Caregiver, principal.sub) is not None


def open_pages(staff_id: str, up_to_id: int) -> tuple[list[dict[str, Any]], Notice | None]:
    """The person's inbox events up to `up_to_id` whose subject is still open, oldest first
    (the newest MAX_OPEN_PAGES, with a notice naming what was left out)."""
    open_emergencies = select(Emergency.id).where(col(Emergency.status).not_in(CLOSED))
    open_sessions = select(MonitoringSession.id).where(MonitoringSession.status == "active")
    subject = col(Event.payload)["subject_id"].as_string()
    with reading() as session:
        rows = session.exec(
            select(Event)
            .where(Event.topic == staff_topic(staff_id), col(Event.id) <= up_to_id,
                   or_(subject.in_(open_emergencies), subject.in_(open_sessions)))
            .order_by(col(Event.id).desc())
            .limit(MAX_OPEN_PAGES + 1)
        ).all()
    events = [event_dict(row) for row in reversed(rows[:MAX_OPEN_PAGES])]
    if len(rows) <= MAX_OPEN_PAGES:
        return events, None
    return events, Notice("older_pages_skipped",
                          f"Only the newest {MAX_OPEN_PAGES} events about open emergencies and "
                          "sessions are replayed; GET /emergencies lists every open one.", None)
