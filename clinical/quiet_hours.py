"""Quiet hours: a patient's window (say 22:00 to 07:00) in which routine reminders wait.

A non-critical reminder due inside the window is held to its end; a
time-critical one is never held. The window is on the patient's wall clock
and may run past midnight.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from clinical.dose_times import parse_hhmm


@dataclass
class QuietHours:
    start: str  # "HH:MM" on the patient's wall clock
    end: str


def validate_quiet_hours(quiet: QuietHours) -> None:
    parse_hhmm(quiet.start, "preferences.quiet_hours.start")
    parse_hhmm(quiet.end, "preferences.quiet_hours.end")


def quiet_end(at: datetime, quiet: QuietHours) -> datetime | None:
    """When the quiet window around `at` ends (in `at`'s zone); None if `at` is not quiet."""
    start, end = parse_hhmm(quiet.start, "quiet.start"), parse_hhmm(quiet.end, "quiet.end")
    if start == end:
        return None
    wall = at.timetz().replace(tzinfo=None)
    if start < end:
        inside, end_day = start <= wall < end, at.date()
    else:  # past midnight
        inside = wall >= start or wall < end
        end_day = at.date() + timedelta(days=1) if wall >= start else at.date()
    if not inside:
        return None
    ended = datetime.combine(end_day, end).replace(tzinfo=at.tzinfo)
    return ended.astimezone(timezone.utc).astimezone(at.tzinfo)


def hold_for_quiet(at: datetime, quiet: QuietHours | None, *,
                   time_critical: bool) -> tuple[datetime, bool]:
    """(when to remind, whether it was held)."""
    if quiet is None or time_critical:
        return at, False
    ends = quiet_end(at, quiet)
    return (ends, True) if ends is not None else (at, False)
