"""When an appointment's reminders go out: the offsets before its start, out of quiet hours.

A pure rule, so it is checked without Temporal. A reminder that falls in the
patient's quiet hours (local wall-clock times, possibly spanning midnight) is
moved to their end, but never to or past the appointment's start: if the end
is too late it stays where it was, because an unread reminder is worse than a
late-evening one. A reminder whose moment has already passed is not planned.
Prayer-time windows are a follow-up (the medication schedule's rule will be
shared here).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class PlannedReminder:
    offset_s: float
    due_at: datetime  # UTC
    moved_from: datetime | None = None


def _in_quiet(local: datetime, start: time, end: time) -> datetime | None:
    """The local end of the quiet period `local` falls in, or None if it is not quiet."""
    t = local.time()
    if start < end:
        inside, end_day = start <= t < end, local.date()
    else:  # spans midnight: 22:00-07:00
        inside = t >= start or t < end
        end_day = local.date() + timedelta(days=1) if t >= start else local.date()
    if not inside:
        return None
    return datetime.combine(end_day, end, tzinfo=local.tzinfo)


def plan_reminders(*, starts_at: datetime, offsets_s: list[float], time_zone: str,
                   now: datetime, quiet_hours: tuple[time, time] | None) -> list[PlannedReminder]:
    """The reminders still to send, soonest first, each moved out of quiet hours if it can be."""
    zone = ZoneInfo(time_zone)
    planned = []
    for offset in sorted(set(offsets_s), reverse=True):
        due = starts_at - timedelta(seconds=offset)
        moved_from = None
        if quiet_hours is not None:
            quiet_end = _in_quiet(due.astimezone(zone), *quiet_hours)
            if quiet_end is not None and quiet_end < starts_at:
                due, moved_from = quiet_end.astimezone(due.tzinfo), due
        if due > now:
            planned.append(PlannedReminder(offset, due, moved_from))
    return sorted(planned, key=lambda r: r.due_at)
