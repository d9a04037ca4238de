"""A staff member's inbox when they connect fresh: the pages about things still open (and a
patient's or caregiver's, the doses waiting for them: services/open_doses.py).

A staff app that connects without a resume point has seen nothing, but replaying
everyone's whole paging history would bury the page that matters under old ones.
What it needs is what it can still act on: every event in the person's inbox
about an emergency not yet resolved or cancelled, or a monitoring session still
running; then everything live from now on. An open emergency nobody has taken
whose policy pages a schedule (`schedule:<id>`) the person is on call for now
is theirs by rota, even if they came on after it was paged: its latest event
is in their inbox too, marked `on_call_by`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from sqlalchemy import or_
from sqlmodel import col, select

from activities.directory import on_schedule_now
from db.engine import reading
from db.models import Caregiver, Emergency, Event, MonitoringSession, Patient, Staff
from events.hub import Notice, Opening
from events.publish import event_dict
from events.topics import emergency_topic, staff_topic
from services.open_doses import late_doses_paged, open_doses
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
    events = _with_rota_emergencies(staff_id, up_to_id, events)
    if len(rows) <= MAX_OPEN_PAGES:
        return events, None
    return events, Notice("older_pages_skipped",
                          f"Only the newest {MAX_OPEN_PAGES} events about open emergencies and "
                          "sessions are replayed; GET /emergencies lists every open one.", None)


def opening_for(principal: Principal) -> Opening:
    """What a fresh socket replays: the open pages; for a patient, their open doses too, and for
    a caregiver, the missed doses they were paged about and may still confirm late."""
    if "patient" in principal.roles:
        return partial(_pages_and_doses, principal.sub, open_doses)
    if "family" in principal.roles:
        return partial(_pages_and_doses, principal.sub, late_doses_paged)
    return partial(open_pages, principal.sub)


def _pages_and_doses(person_id: str, doses_of: Callable[[str, int], list[dict[str, Any]]],
                     up_to_id: int) -> tuple[list[dict[str, Any]], Notice | None]:
    pages, notice = open_pages(person_id, up_to_id)
    paged = {p["id"] for p in pages}
    doses = [e for e in doses_of(person_id, up_to_id) if e["id"] not in paged]
    return sorted(pages + doses, key=lambda e: e["id"]), notice


def _with_rota_emergencies(staff_id: str, up_to_id: int,
                           events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`events` with the latest event of each open, untaken emergency the person owns by rota
    and has no page about yet, in id order."""
    paged = {e["payload"].get("subject_id") for e in events}
    found: list[dict[str, Any]] = []
    with reading() as session:
        untaken = session.exec(select(Emergency).where(col(Emergency.status).not_in(CLOSED),
                                                       col(Emergency.owner_id).is_(None))).all()
        on_call: dict[str, bool] = {}
        for emergency in untaken:
            if emergency.id in paged:
                continue
            schedules = [tier["targets"].removeprefix("schedule:")
                         for tier in (emergency.policy or {}).get("tiers", [])
                         if str(tier.get("targets", "")).startswith("schedule:")]
            mine = next((sid for sid in schedules if on_call.setdefault(
                sid, on_schedule_now(session, sid) == staff_id)), None)
            if mine is None:
                continue
            latest = session.exec(select(Event).where(
                Event.topic == emergency_topic(emergency.id), col(Event.id) <= up_to_id)
                .order_by(col(Event.id).desc()).limit(1)).first()
            if latest is not None:
                event = event_dict(latest)
                found.append({**event, "payload": {**event["payload"], "subject_id": emergency.id},
                              "on_call_by": f"schedule:{mine}"})
    return sorted(events + found, key=lambda e: e["id"])
