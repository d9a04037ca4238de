"""When a schedule's doses fall: recurrence by python-dateutil's rrule, in the patient's zone.

Two shapes of schedule (SPEC §3.3): times of day ("08:00", "20:00") on the
patient's wall clock, or every N hours. Either may be limited to days of the
week and runs from a start date to an optional end date (both inclusive, in
the patient's zone).

Daylight saving: times of day are wall-clock times, so a plan in
Europe/London at 08:00 fires at 08:00 GMT in winter and 08:00 BST in summer. A
time that does not exist on the day the clocks go forward (01:30 in London)
fires at the same distance into the new hour (02:30 BST); an ambiguous one
(the hour repeated in autumn) fires the first time round. "Every N hours" is
elapsed time, counted in UTC from the first dose, because that is what the
interval between doses means pharmacologically.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import DAILY, HOURLY, rrule, weekday
from dateutil.rrule import FR, MO, SA, SU, TH, TU, WE

WEEKDAYS: dict[str, weekday] = {"mon": MO, "tue": TU, "wed": WE, "thu": TH, "fri": FR,
                                 "sat": SA, "sun": SU}
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
MAX_DOSES_PER_DAY = 24


class ScheduleError(ValueError):
    """A schedule that cannot be run; `field` names the part that is wrong."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field, self.reason = field, reason


@dataclass
class DoseSchedule:
    start_date: str  # ISO date, in the patient's zone
    times: list[str] = field(default_factory=list)  # "HH:MM" wall-clock times of day
    every_hours: int | None = None  # instead of `times`: every N hours from `first_time`
    first_time: str = "08:00"  # the first dose of an every-N-hours plan, on start_date
    weekdays: list[str] | None = None  # mon..sun; None = every day
    end_date: str | None = None  # ISO date, inclusive


def parse_hhmm(value: str, where: str) -> time:
    match = _HHMM.match(value or "")
    if not match:
        raise ScheduleError(where, f"{value!r} is not a time of day HH:MM (00:00 to 23:59)")
    return time(int(match[1]), int(match[2]))


def parse_date(value: str, where: str) -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ScheduleError(where, f"{value!r} is not a date YYYY-MM-DD") from None


def zone_named(name: str, where: str = "zone") -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ScheduleError(where, f"{name!r} is not an IANA time zone") from None


def validate_schedule(schedule: DoseSchedule, zone: str) -> None:
    """Raise ScheduleError naming the first field that makes the schedule impossible."""
    zone_named(zone)
    start = parse_date(schedule.start_date, "schedule.start_date")
    if schedule.end_date is not None:
        end = parse_date(schedule.end_date, "schedule.end_date")
        if end < start:
            raise ScheduleError("schedule.end_date", "ends before it starts")
    if schedule.every_hours is None and not schedule.times:
        raise ScheduleError("schedule.times", "give times of day or every_hours")
    if schedule.every_hours is not None:
        if schedule.times:
            raise ScheduleError("schedule.every_hours",
                                "give times of day or every_hours, not both")
        if not 1 <= schedule.every_hours <= 168:
            raise ScheduleError("schedule.every_hours", "must be between 1 and 168 hours")
        parse_hhmm(schedule.first_time, "schedule.first_time")
    for i, value in enumerate(schedule.times):
        parse_hhmm(value, f"schedule.times[{i}]")
    if len(set(schedule.times)) != len(schedule.times):
        raise ScheduleError("schedule.times", "the same time is given twice")
    if len(schedule.times) > MAX_DOSES_PER_DAY:
        raise ScheduleError("schedule.times", f"at most {MAX_DOSES_PER_DAY} times a day")
    for i, day in enumerate(schedule.weekdays or []):
        if day not in WEEKDAYS:
            raise ScheduleError(f"schedule.weekdays[{i}]",
                                f"{day!r} is not one of {list(WEEKDAYS)}")
    if schedule.weekdays is not None and not schedule.weekdays:
        raise ScheduleError("schedule.weekdays", "name at least one day, or leave it out")


def _weekdays(schedule: DoseSchedule) -> list[weekday] | None:
    return [WEEKDAYS[d] for d in schedule.weekdays] if schedule.weekdays else None


def _local(day: date, at: time, zone: ZoneInfo) -> datetime:
    # fold=0: the first of an ambiguous hour; a time in the spring gap reads with the
    # offset before the change, i.e. as far into the new hour as it was meant to be.
    return datetime.combine(day, at).replace(tzinfo=zone)


def _normalise(moment: datetime, zone: ZoneInfo) -> datetime:
    """A wall-clock time in the gap, as the instant it means, shown in the zone's real offset."""
    return moment.astimezone(timezone.utc).astimezone(zone)


def dose_times_on(schedule: DoseSchedule, zone_name: str, day: date) -> list[datetime]:
    """Every dose of `day` (the patient's calendar day), as aware datetimes in the zone."""
    zone = zone_named(zone_name)
    start = parse_date(schedule.start_date, "schedule.start_date")
    end = parse_date(schedule.end_date, "schedule.end_date") if schedule.end_date else None
    if day < start or (end is not None and day > end):
        return []
    if schedule.every_hours is None:
        times = sorted(parse_hhmm(t, "schedule.times") for t in schedule.times)
        days = rrule(DAILY, dtstart=datetime.combine(start, time()), byweekday=_weekdays(schedule),
                     until=datetime.combine(end, time()) if end else None)
        if days.before(datetime.combine(day, time()), inc=True) != datetime.combine(day, time()):
            return []
        return [_normalise(_local(day, t, zone), zone) for t in times]
    first = _local(start, parse_hhmm(schedule.first_time, "schedule.first_time"), zone)
    first_utc = first.astimezone(timezone.utc).replace(tzinfo=None)
    def utc_naive(moment: datetime) -> datetime:
        return moment.astimezone(timezone.utc).replace(tzinfo=None)

    day_start = utc_naive(_local(day, time(), zone))
    day_end = utc_naive(_local(day + timedelta(days=1), time(), zone))
    rule = rrule(HOURLY, interval=schedule.every_hours, dtstart=first_utc)
    allowed = set(schedule.weekdays or WEEKDAYS)
    names = list(WEEKDAYS)
    found = [m.replace(tzinfo=timezone.utc).astimezone(zone)
             for m in rule.between(day_start, day_end, inc=True) if m < day_end]
    return [m for m in found if names[m.weekday()] in allowed and m.date() == day]


def next_day_with_doses(schedule: DoseSchedule, zone: str, after: date,
                        horizon_days: int = 400) -> date | None:
    """The first day after `after` with at least one dose, or None when the schedule is over."""
    start = parse_date(schedule.start_date, "schedule.start_date")
    end = parse_date(schedule.end_date, "schedule.end_date") if schedule.end_date else None
    day = max(after + timedelta(days=1), start)
    for _ in range(horizon_days):
        if end is not None and day > end:
            return None
        if dose_times_on(schedule, zone, day):
            return day
        day += timedelta(days=1)
    return None


def reminder_offset_s(schedule_id: str, spread_s: float) -> float:
    """A schedule's fixed place within `spread_s` seconds, from its id (whole milliseconds).

    Schedules whose doses fall at the same time (08:00 is everyone's favourite) fire
    their timers spread evenly over this window instead of at one instant.
    """
    if spread_s <= 0:
        return 0.0
    digest = int.from_bytes(hashlib.sha256(schedule_id.encode()).digest()[:8], "big")
    return round(digest / 2**64 * spread_s, 3)
