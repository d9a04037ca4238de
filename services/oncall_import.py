"""Import a rota from an iCalendar (.ics) file: one-off events become overrides, repeating
events become rotation layers. All or nothing: a refusal names the event and changes nothing.

Whom an event is for: its ATTENDEE (`urn:vigil:staff:<id>`, as Vigil's own feed
writes, or `mailto:` a staff member's email), else its SUMMARY (a staff id, or
"On call: <name>"). Times with a TZID or in UTC are instants; floating times and
dates are the schedule's wall clock.

Repeating events (RRULE with FREQ=DAILY, WEEKLY or HOURLY and an INTERVAL only)
are grouped by their repeat period and length; a group is one rotation when its
members' turns follow each other and together fill the period, as a rota
exported turn by turn does: three people on weekly turns are three events
"every 3 weeks", starting a week apart. Such a layer goes above every layer the
schedule has. Anything else (BYDAY, COUNT, UNTIL, a turn not in whole hours) is
refused with the reason, since guessing would put the wrong person on call.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar
from sqlmodel import Session, col, select

from clinical.oncall_time import to_utc, to_wall
from db.engine import writing
from db.models import OnCallLayer, Staff
from services.oncall import (
    check_people,
    invalid,
    place_override,
    record,
    schedule_row,
)
from services.principal import Principal
from services.schemas.oncall import ImportIn

FIELD = "body.calendar"
_STEP = {"DAILY": timedelta(days=1), "WEEKLY": timedelta(weeks=1), "HOURLY": timedelta(hours=1)}
_TURNS = {timedelta(days=1): "daily", timedelta(weeks=1): "weekly", timedelta(hours=12): "12h"}


@dataclass
class _Event:
    n: int
    person: str
    starts: datetime  # naive local wall time in the schedule's zone
    ends: datetime
    period: timedelta | None  # None: a one-off


def _wall(value: date | datetime, zone: ZoneInfo) -> datetime:
    if not isinstance(value, datetime):
        return datetime.combine(value, time())
    return value.replace(tzinfo=None) if value.tzinfo is None else to_wall(value, zone)


def _person(session: Session, event, where: str) -> str:  # type: ignore[no-untyped-def]
    attendee = str(event.get("attendee") or "")
    if attendee.lower().startswith("urn:vigil:staff:"):
        return attendee[len("urn:vigil:staff:"):]
    if attendee.lower().startswith("mailto:"):
        found = session.exec(select(Staff).where(
            col(Staff.email).ilike(attendee[len("mailto:"):]))).first()
        if found:
            return found.id
    summary = str(event.get("summary") or "").strip().removeprefix("On call:").strip()
    if summary and session.get(Staff, summary):
        return summary
    by_name = session.exec(select(Staff).where(Staff.name == summary)).all() if summary else []
    if len(by_name) == 1:
        return by_name[0].id
    raise invalid(where, "names no staff member: give ATTENDEE urn:vigil:staff:<id> or "
                  "mailto:<their email>, or a SUMMARY that is their id or their name",
                  "unknown_staff")


def _period(event, where: str) -> timedelta | None:  # type: ignore[no-untyped-def]
    rule = event.get("rrule")
    if rule is None:
        return None
    extra = sorted(set(rule) - {"FREQ", "INTERVAL"})
    if extra:
        raise invalid(f"{where}.RRULE", f"only FREQ and INTERVAL are imported, not "
                      f"{', '.join(extra)}; add windows or overrides through the API")
    freq = (rule.get("FREQ") or [""])[0]
    if freq not in _STEP:
        raise invalid(f"{where}.RRULE", f"FREQ={freq or '?'}: only DAILY, WEEKLY and HOURLY")
    try:
        interval = int((rule.get("INTERVAL") or [1])[0])
    except (TypeError, ValueError):
        interval = 0
    if not 1 <= interval <= 366:
        raise invalid(f"{where}.RRULE", "INTERVAL must be a whole number from 1 to 366")
    return _STEP[freq] * interval


def _events(session: Session, text: str, zone: ZoneInfo) -> list[_Event]:
    try:
        calendar = Calendar.from_ical(text)
    except (ValueError, KeyError, IndexError, TypeError) as error:
        raise invalid(FIELD, f"not an iCalendar file: {error}", "invalid_calendar") from None
    found = []
    for n, event in enumerate(calendar.walk("VEVENT")):
        where = f"{FIELD}.VEVENT[{n}]"
        try:
            starts = event.decoded("dtstart")
            ends = (event.decoded("dtend") if "DTEND" in event
                    else starts + event.decoded("duration"))
        except (KeyError, ValueError, TypeError, AttributeError):
            raise invalid(f"{where}.DTSTART", "needs DTSTART and DTEND (or DURATION)") from None
        if not isinstance(starts, date) or not isinstance(ends, date):
            raise invalid(f"{where}.DTSTART", "DTSTART and DTEND must be dates or times")
        first, last = _wall(starts, zone), _wall(ends, zone)
        if last <= first:
            raise invalid(f"{where}.DTEND", "must be after DTSTART")
        found.append(_Event(n, _person(session, event, where), first, last,
                            _period(event, where)))
    if not found:
        raise invalid(FIELD, "has no VEVENT to import", "invalid_calendar")
    return found


def _rotations(repeating: list[_Event]) -> list[list[_Event]]:
    """Repeating events grouped into rotations, each in turn order; refuses what is not one."""
    groups: dict[tuple[timedelta, timedelta], list[_Event]] = {}
    for event in repeating:
        groups.setdefault((event.period, event.ends - event.starts), []).append(event)  # type: ignore[arg-type]
    rotations = []
    for (period, turn), events in groups.items():
        events.sort(key=lambda e: e.starts)
        where = f"{FIELD}.VEVENT[{events[0].n}]"
        if turn % timedelta(hours=1):
            raise invalid(f"{where}.DTEND", "a repeating turn must last whole hours")
        follows = all(b.starts - a.starts == turn for a, b in zip(events, events[1:]))
        if turn * len(events) != period or not follows:
            raise invalid(f"{where}.RRULE", f"{len(events)} event(s) of {turn} repeating every "
                          f"{period} are not one rotation: the turns must follow each other "
                          "and together fill the repeat")
        rotations.append(events)
    return sorted(rotations, key=lambda events: events[0].n)


def import_calendar(*, user: Principal, schedule_id: str, body: ImportIn) -> dict:
    """Add the file's rotations as layers and its one-off events as overrides, or nothing."""
    with writing() as session:
        schedule = schedule_row(session, schedule_id)
        zone = ZoneInfo(schedule.time_zone)
        events = _events(session, body.calendar, zone)
        for event in events:
            check_people(session, [event.person], f"{FIELD}.VEVENT[{event.n}].ATTENDEE",
                         listed=False)
        taken = [layer.priority for layer in session.exec(
            select(OnCallLayer).where(OnCallLayer.schedule_id == schedule_id)).all()]
        priority = max(taken, default=-1) + 1
        layers = []
        for rotation in _rotations([e for e in events if e.period is not None]):
            if priority > 100:
                raise invalid(f"{FIELD}.VEVENT[{rotation[0].n}]", "no layer priority left "
                              "(at most 100): remove layers first")
            turn = rotation[0].ends - rotation[0].starts
            name = _TURNS.get(turn, "custom")
            row = OnCallLayer(id=f"layer-{uuid.uuid4().hex[:12]}", schedule_id=schedule_id,
                              name=f"imported ({name})", members=[e.person for e in rotation],
                              rotation_start=rotation[0].starts, turn=name,
                              turn_hours=turn // timedelta(hours=1) if name == "custom" else None,
                              priority=priority, windows=[])
            session.add(row)
            layers.append(row.id)
            priority += 1
        overrides = [place_override(
            session, schedule, person=e.person, starts=to_utc(e.starts, zone),
            ends=to_utc(e.ends, zone), reason=body.reason or "imported from a calendar file",
            created_by=user.sub, field=f"{FIELD}.VEVENT[{e.n}].").id
            for e in events if e.period is None]
        schedule.version += 1
        session.add(schedule)
        record(session, user, "calendar_imported", schedule, body.reason, layer_ids=layers,
               override_ids=overrides, events=len(events))
    return {"layers": layers, "overrides": overrides}
