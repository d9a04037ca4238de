"""A FHIR R4 `Timing` as a Vigil dose schedule, or a 422 naming the element it cannot follow.

Read: `repeat.timeOfDay` (whole minutes) daily or on `dayOfWeek`, with
`frequency`/`period`/`periodUnit` of 1 `d`, 1 `wk` (with `dayOfWeek`) or N `h`
(every N hours from the one `timeOfDay`, else from `boundsPeriod.start`'s time,
else 08:00); `boundsPeriod` as the first and last day in the patient's zone.
Everything else a Timing can say is refused, never approximated.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from fhir.resources.R4B.timing import Timing

from clinical.dose_times import zone_named
from services.fhir_resources import invalid
from services.schemas.medication import ScheduleIn

DOSAGE = "dosageInstruction[0]"
REPEAT = f"{DOSAGE}.timing.repeat"
# Timing.repeat elements Vigil does not act on: refused rather than silently dropped.
UNSUPPORTED = ("boundsDuration", "boundsRange", "count", "countMax", "duration", "durationMax",
               "durationUnit", "frequencyMax", "periodMax", "when", "offset")
READS = "Vigil reads frequency, period, periodUnit, timeOfDay, dayOfWeek and boundsPeriod"


def _whole(value: Decimal | int | None, field: str) -> int | None:
    if value is None:
        return None
    if value != int(value):
        raise invalid(field, f"{value} is not a whole number")
    return int(value)


def _day(value: Any, field: str, zone: str) -> tuple[str, str | None]:
    """A boundsPeriod end as (date in the patient's zone, its local HH:MM if a dateTime)."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise invalid(field, "a dateTime needs its offset")
        local = value.astimezone(zone_named(zone))
        return local.date().isoformat(), local.strftime("%H:%M")
    if isinstance(value, date):
        return value.isoformat(), None
    raise invalid(field, "give a full date (YYYY-MM-DD) or dateTime")


def schedule_from_timing(timing: Timing | None, zone: str, today: date) -> ScheduleIn:
    """The schedule `timing` means for a patient in `zone` (no bounds: from `today`)."""
    if timing is None:
        raise invalid(f"{DOSAGE}.timing", "required")
    if timing.event:
        raise invalid(f"{DOSAGE}.timing.event", f"not supported; {READS}")
    repeat = timing.repeat
    if repeat is None:
        raise invalid(f"{DOSAGE}.timing.repeat", f"required ({READS})")
    for name in UNSUPPORTED:
        if getattr(repeat, name, None) not in (None, []):
            raise invalid(f"{REPEAT}.{name}", f"not supported; {READS}")
    times = []
    for i, at in enumerate(repeat.timeOfDay or []):
        if at.second or at.microsecond:
            raise invalid(f"{REPEAT}.timeOfDay[{i}]", "whole minutes only")
        times.append(at.strftime("%H:%M"))
    days = list(repeat.dayOfWeek or [])
    frequency = _whole(repeat.frequency, f"{REPEAT}.frequency")
    period = repeat.period
    unit = repeat.periodUnit
    if (frequency is not None or period is not None) and unit is None:
        raise invalid(f"{REPEAT}.periodUnit", "required with frequency or period")
    start, first_time = str(today), None
    end = None
    bounds = repeat.boundsPeriod
    if bounds is not None and bounds.start is not None:
        start, first_time = _day(bounds.start, f"{REPEAT}.boundsPeriod.start", zone)
    if bounds is not None and bounds.end is not None:
        end, _ = _day(bounds.end, f"{REPEAT}.boundsPeriod.end", zone)
    plan: dict[str, Any] = {"start_date": start, "end_date": end, "weekdays": days or None}
    if unit == "h":
        if frequency not in (None, 1):
            raise invalid(f"{REPEAT}.frequency", "every N hours is frequency 1 per period N h")
        if len(times) > 1:
            raise invalid(f"{REPEAT}.timeOfDay", "every N hours takes at most one timeOfDay, "
                          "the first dose")
        every = _whole(period if period is not None else Decimal(1), f"{REPEAT}.period")
        return ScheduleIn(**plan, every_hours=every,
                          first_time=(times or [first_time or "08:00"])[0])
    if unit not in (None, "d", "wk"):
        raise invalid(f"{REPEAT}.periodUnit", f"{unit!r} not supported; use d, wk or h")
    if period is not None and period != 1:
        raise invalid(f"{REPEAT}.period", f"every {period} {unit} not supported; "
                      "give dayOfWeek for some days of the week")
    if unit == "wk" and not days:
        raise invalid(f"{REPEAT}.dayOfWeek", "a weekly timing names its days")
    if not times:
        raise invalid(f"{REPEAT}.timeOfDay", "give the times of day (HH:MM:SS) of the doses")
    per_period = len(times) * (len(days) if unit == "wk" else 1)
    if frequency is not None and frequency != per_period:
        raise invalid(f"{REPEAT}.frequency", f"{frequency} per {unit} but {per_period} "
                      "doses named by timeOfDay" + (" and dayOfWeek" if unit == "wk" else ""))
    return ScheduleIn(**plan, times=times)
