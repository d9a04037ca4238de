"""Local wall-clock time for rotas: turns and weekly windows in a schedule's zone, as UTC instants.

A rota is written in the hospital's wall clock ("hand-off at 08:00", "weekday
nights 20:00-08:00"), so every turn boundary is computed in naive local time and
only then turned into an instant. Two rules keep a daylight-saving change from
skipping or doubling a shift:
- a wall time that happens twice (clocks go back) means its first occurrence,
  so the shift across the change is an hour longer;
- a wall time that never happens (clocks go forward) means the moment the clocks
  jump, so the shift across the change is an hour shorter, never empty.
Because those rules keep wall-time order, boundaries stay strictly increasing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import DAILY, HOURLY, WEEKLY, rrule

# turn name -> (rrule frequency, interval); "custom" takes its interval in hours
TURNS = {"daily": (DAILY, 1), "weekly": (WEEKLY, 1), "12h": (HOURLY, 12), "custom": (HOURLY, None)}
_STEP = {DAILY: timedelta(days=1), WEEKLY: timedelta(weeks=1), HOURLY: timedelta(hours=1)}


def to_utc(wall: datetime, zone: ZoneInfo) -> datetime:
    """The instant a naive local wall time names in `zone` (see the module's two rules)."""
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return first  # exists; fold=0 is the first occurrence when it happens twice
    # In a gap PEP 495 gives the offset before the jump for fold=0 (landing after the
    # jump) and the one after it for fold=1 (landing before): the jump lies between.
    before, after = wall.replace(tzinfo=zone, fold=1).astimezone(UTC), first
    if before > after:
        before, after = after, before
    offset_after = after.astimezone(zone).utcoffset()
    while after - before > timedelta(seconds=1):
        middle = before + (after - before) / 2
        if middle.astimezone(zone).utcoffset() == offset_after:
            after = middle
        else:
            before = middle
    return after.replace(microsecond=0)


def to_wall(at: datetime, zone: ZoneInfo) -> datetime:
    """The naive local wall time of an instant."""
    return at.astimezone(zone).replace(tzinfo=None)


def turn_rule(start: datetime, turn: str, turn_hours: int | None = None) -> rrule:
    """The RFC 5545 recurrence of a layer's hand-offs: DTSTART is the local wall time of
    the first, or for a custom turn its UTC instant (custom turns count elapsed hours)."""
    freq, interval = TURNS[turn]
    return rrule(freq, dtstart=start, interval=interval or int(turn_hours or 0))


def turn_step(turn: str, turn_hours: int | None = None) -> timedelta:
    """One turn in wall-clock time: rrule's occurrences are DTSTART + k of these."""
    freq, interval = TURNS[turn]
    return _STEP[freq] * (interval or int(turn_hours or 0))


def window_intervals(days: tuple[int, ...], opens: time, closes: time, zone: ZoneInfo,
                     lo: datetime, hi: datetime) -> list[tuple[datetime, datetime]]:
    """The UTC intervals of a weekly window (opening on `days`, 0 = Monday) that touch [lo, hi).

    A window closing at or before it opens runs past midnight (20:00-08:00 closes
    the next morning); one closing when it opens lasts a whole day.
    """
    first = datetime.combine(to_wall(lo, zone).date() - timedelta(days=2), opens)
    last = datetime.combine(to_wall(hi, zone).date() + timedelta(days=1), opens)
    openings = rrule(WEEKLY, dtstart=first, until=last, byweekday=days,
                     byhour=opens.hour, byminute=opens.minute, bysecond=opens.second)
    found = []
    for opening in openings:
        closing_day: date = opening.date() + timedelta(days=1 if closes <= opens else 0)
        start = to_utc(opening, zone)
        end = to_utc(datetime.combine(closing_day, closes), zone)
        if start < hi and end > lo:
            found.append((start, end))
    return found
