"""When an appointment's reminders go out: the offsets before its start, out of prayer
windows and quiet hours.

A pure rule, so it is checked without Temporal. For a patient who asked for
prayer-time awareness, a reminder inside a prayer window (clinical/prayer_times:
adhan to adhan + the window) is moved to the window's end; one that falls in
the patient's quiet hours (local wall-clock times, possibly spanning midnight)
is moved to their end. Neither ever moves it to or past the appointment's
start: if the end is too late it stays where it was, because an unread
reminder is worse than one during prayer or late in the evening. A reminder
whose moment has already passed is not planned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


Window = tuple[str, datetime, datetime]  # (prayer, adhan, end), as prayer_windows gives them


@dataclass(frozen=True)
class PlannedReminder:
    offset_s: float
    due_at: datetime  # UTC
    moved_from: datetime | None = None
    moved_for: tuple[str, ...] = ()  # "prayer:asr", "quiet_hours": what moved it, in order


def _out_of_prayer(due: datetime, windows: list[Window]) -> tuple[datetime, str] | None:
    """The end of the prayer window `due` falls in, and which prayer; None if in none."""
    for name, start, end in windows:
        if start <= due < end:
            return end, name
    return None


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
                   now: datetime, quiet_hours: tuple[time, time] | None,
                   prayer_windows: list[Window] | None = None) -> list[PlannedReminder]:
    """The reminders still to send, soonest first, each moved out of prayer windows and
    quiet hours if it can be (the same order as a medication's reminders)."""
    zone = ZoneInfo(time_zone)
    planned = []
    for offset in sorted(set(offsets_s), reverse=True):
        nominal = due = starts_at - timedelta(seconds=offset)
        moves: list[str] = []
        prayer = _out_of_prayer(due, prayer_windows or [])
        if prayer is not None and prayer[0] < starts_at:
            due = prayer[0].astimezone(nominal.tzinfo)
            moves.append(f"prayer:{prayer[1]}")
        if quiet_hours is not None:
            quiet_end = _in_quiet(due.astimezone(zone), *quiet_hours)
            if quiet_end is not None and quiet_end < starts_at:
                due = quiet_end.astimezone(nominal.tzinfo)
                moves.append("quiet_hours")
        if due > now:
            planned.append(PlannedReminder(offset, due, nominal if moves else None, tuple(moves)))
    return sorted(planned, key=lambda r: r.due_at)
