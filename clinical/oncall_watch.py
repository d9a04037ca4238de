"""What a schedule's watcher must know next: the hand-offs coming and the gaps within a week.

A hand-off is a shift whose person differs from the one before it (a new source
for the same person hands nothing over). A gap is a stretch with nobody on
call; its end is where the resolver next finds someone (None: not within a
year), so a gap reaching past the week is reported with its whole window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from clinical.oncall import Schedule, shifts, who_is_on_call

GAP_HORIZON = timedelta(days=7)


@dataclass(frozen=True)
class HandOff:
    person: str
    starts_at: datetime
    ends_at: datetime
    source: str


@dataclass(frozen=True)
class Gap:
    starts_at: datetime
    ends_at: datetime | None  # None: nobody within a year


def watch(schedule: Schedule, now: datetime,
          horizon: timedelta = GAP_HORIZON) -> tuple[list[HandOff], list[Gap]]:
    """Hand-offs starting after `now` and gaps touching [now, now + horizon), soonest first."""
    found = shifts(schedule, now, now + horizon)
    handoffs = [HandOff(s.person, s.starts_at, s.ends_at, s.source or "")
                for before, s in zip(found, found[1:])
                if s.person is not None and s.person != before.person]
    gaps = [Gap(s.starts_at, who_is_on_call(schedule, s.starts_at).until)
            for s in found if s.person is None]
    return handoffs, gaps
