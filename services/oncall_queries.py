"""Who is on call, and when: answers read from stored schedules through the one resolver.

"Now / at T" for a schedule, a facility or a specialisation, a schedule's shifts,
a person's upcoming shifts, and the iCalendar feed that lists the same shifts.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from icalendar import Calendar, Event
from sqlmodel import Session, col, select

from activities.schedules import load_schedule, schedules_with
from clinical.oncall import shifts, who_is_on_call
from db.engine import reading
from db.models import OnCallLayer, OnCallOverride, OnCallSchedule, Staff, as_utc, utcnow
from services.calendar_links import feed_token, feed_url
from services.errors import VigilError, not_found
from settings import get_settings

MAX_RANGE = timedelta(days=92)  # the longest stretch of shifts one request may ask for


def _moment(at: datetime | None) -> datetime:
    return as_utc(at) if at is not None else utcnow()  # type: ignore[return-value]


def _range(starts_at: datetime | None, ends_at: datetime | None,
           default: timedelta) -> tuple[datetime, datetime]:
    lo = _moment(starts_at)
    hi = as_utc(ends_at) if ends_at is not None else lo + default
    if hi <= lo:  # type: ignore[operator]
        raise VigilError(422, "invalid_request", "end: must be after start",
                         [{"field": "query.end", "message": "must be after start"}])
    if hi - lo > MAX_RANGE:  # type: ignore[operator]
        raise VigilError(422, "invalid_request", "end: at most 92 days after start",
                         [{"field": "query.end", "message": "at most 92 days after start"}])
    return lo, hi  # type: ignore[return-value]


def schedule_public(session: Session, row: OnCallSchedule) -> dict:
    layers = session.exec(select(OnCallLayer).where(OnCallLayer.schedule_id == row.id)
                          .order_by(col(OnCallLayer.priority).desc())).all()
    overrides = session.exec(select(OnCallOverride).where(OnCallOverride.schedule_id == row.id)
                             .order_by(col(OnCallOverride.starts_at))).all()
    return {**row.model_dump(), "layers": [layer.model_dump() for layer in layers],
            "overrides": [o.model_dump() for o in overrides]}


def read_schedule(*, schedule_id: str) -> dict:
    """One schedule with its layers (highest priority first) and overrides."""
    with reading() as session:
        row = session.get(OnCallSchedule, schedule_id)
        if row is None:
            raise not_found("schedule", schedule_id)
        return schedule_public(session, row)


def list_schedules(*, facility_id: str | None = None, specialisation: str | None = None) -> list[dict]:
    """Every schedule, optionally of one facility or team."""
    query = select(OnCallSchedule).order_by(col(OnCallSchedule.id))
    if facility_id:
        query = query.where(OnCallSchedule.facility_id == facility_id)
    if specialisation:
        query = query.where(OnCallSchedule.specialisation == specialisation)
    with reading() as session:
        return [schedule_public(session, row) for row in session.exec(query).all()]


def _answer(session: Session, schedule_id: str, at: datetime) -> dict:
    schedule = load_schedule(session, schedule_id)
    if schedule is None:
        raise not_found("schedule", schedule_id)
    answer = who_is_on_call(schedule, at)
    person = session.get(Staff, answer.person) if answer.person else None
    return {"schedule_id": schedule_id, "at": at, "person": answer.person,
            "person_name": person.name if person else None, "source": answer.source,
            "until": answer.until}


def on_call(*, schedule_id: str, at: datetime | None = None) -> dict:
    """Who is on call for a schedule now, or at `at`."""
    with reading() as session:
        return _answer(session, schedule_id, _moment(at))


def on_call_where(*, facility_id: str | None = None, specialisation: str | None = None,
                  at: datetime | None = None) -> list[dict]:
    """Who is on call for every schedule of a facility and/or a specialisation."""
    if not facility_id and not specialisation:
        raise VigilError(422, "invalid_request", "facility_id: name a facility or a specialisation",
                         [{"field": "query.facility_id",
                           "message": "name a facility or a specialisation"}])
    moment = _moment(at)
    with reading() as session:
        ids = [row["id"] for row in list_schedules(facility_id=facility_id,
                                                   specialisation=specialisation)]
        return [_answer(session, schedule_id, moment) for schedule_id in ids]


def schedule_shifts(*, schedule_id: str, starts_at: datetime | None = None,
                    ends_at: datetime | None = None) -> list[dict]:
    """A schedule's shifts over a range (default: the next 28 days); gaps have no person."""
    lo, hi = _range(starts_at, ends_at, timedelta(days=28))
    with reading() as session:
        schedule = load_schedule(session, schedule_id)
    if schedule is None:
        raise not_found("schedule", schedule_id)
    return [{"schedule_id": schedule_id, "person": s.person, "source": s.source,
             "starts_at": s.starts_at, "ends_at": s.ends_at} for s in shifts(schedule, lo, hi)]


def person_shifts(*, staff_id: str, starts_at: datetime | None = None,
                  ends_at: datetime | None = None) -> list[dict]:
    """A person's own shifts on every schedule (default: the next 14 days), soonest first."""
    lo, hi = _range(starts_at, ends_at, timedelta(days=14))
    with reading() as session:
        if session.get(Staff, staff_id) is None:
            raise not_found("staff member", staff_id)
        schedules = [load_schedule(session, sid) for sid in schedules_with(session, staff_id)]
    found = [{"schedule_id": s.id, "person": shift.person, "source": shift.source,
              "starts_at": shift.starts_at, "ends_at": shift.ends_at}
             for s in schedules if s for shift in shifts(s, lo, hi) if shift.person == staff_id]
    return sorted(found, key=lambda shift: (shift["starts_at"], shift["schedule_id"]))


FEED_PAST, FEED_AHEAD = timedelta(days=7), timedelta(days=60)  # what a subscribed feed lists


def _ics(name: str, time_zone: str, found: list[dict]) -> bytes:
    """Shifts as an iCalendar feed: one VEVENT per shift, gaps left out."""
    with reading() as session:
        names = {p.id: p.name for p in session.exec(select(Staff)).all()}
    feed = Calendar()
    feed.add("prodid", "-//Vigil//on-call schedules//EN")
    feed.add("version", "2.0")
    feed.add("x-wr-calname", name)
    feed.add("x-wr-timezone", time_zone)
    for shift in found:
        if shift["person"] is None:
            continue
        event = Event()
        event.add("uid", f"{shift['schedule_id']}/{shift['source']}/"
                         f"{shift['starts_at'].isoformat()}@vigil")
        event.add("summary", f"On call: {names.get(shift['person'], shift['person'])}")
        event.add("dtstart", shift["starts_at"])
        event.add("dtend", shift["ends_at"])
        event.add("dtstamp", utcnow())
        event.add("attendee", f"urn:vigil:staff:{shift['person']}")
        event.add("categories", [shift["source"]])
        feed.add_component(event)
    return feed.to_ical()


def calendar(*, schedule_id: str, starts_at: datetime | None = None,
             ends_at: datetime | None = None) -> bytes:
    """The schedule's shifts as an iCalendar feed (default: the next 28 days)."""
    found = schedule_shifts(schedule_id=schedule_id, starts_at=starts_at, ends_at=ends_at)
    with reading() as session:
        row = session.get(OnCallSchedule, schedule_id)
    return _ics(f"On call: {row.name if row else schedule_id}",
                row.time_zone if row else "UTC", found)


def person_calendar(*, staff_id: str, starts_at: datetime | None = None,
                    ends_at: datetime | None = None) -> bytes:
    """A person's own shifts on every schedule as an iCalendar feed."""
    found = person_shifts(staff_id=staff_id, starts_at=starts_at, ends_at=ends_at)
    with reading() as session:
        person = session.get(Staff, staff_id)
    return _ics(f"On call: {person.name if person else staff_id}", "UTC", found)


def feed(*, kind: str, ident: str) -> bytes:
    """What a signed feed link serves: last week and the next 60 days."""
    lo = utcnow() - FEED_PAST  # type: ignore[operator]
    if kind == "schedule":
        return calendar(schedule_id=ident, starts_at=lo, ends_at=lo + FEED_PAST + FEED_AHEAD)
    return person_calendar(staff_id=ident, starts_at=lo, ends_at=lo + FEED_PAST + FEED_AHEAD)


def calendar_link(*, kind: str, ident: str) -> dict:
    """A signed, expiring feed URL for a schedule or a person (404 if there is none)."""
    with reading() as session:
        table = OnCallSchedule if kind == "schedule" else Staff
        if session.get(table, ident) is None:
            raise not_found("schedule" if kind == "schedule" else "staff member", ident)
    settings = get_settings()
    token, expires = feed_token(kind, ident, secret=settings.jwt_secret,
                                ttl_s=settings.calendar_link_ttl_s)
    return {"url": feed_url(settings.public_base_url, token), "expires_at": expires}
