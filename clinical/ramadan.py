"""Ramadan mode: daytime doses move to suhoor (before Fajr) and iftar (after Maghrib).

- once a day: at iftar, or at suhoor when it is to be taken "with breakfast";
- twice a day: suhoor and iftar;
- three or more a day, or any time-critical medicine: not squeezed into the
  night but flagged for a clinician's decision; the doses keep their times.

Malaysia fixes Ramadan by sighting, so an admin-set calendar wins; the
computed default is the Umm al-Qura calendar (hijridate).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from hijridate import Gregorian, Hijri

SUHOOR_BEFORE_FAJR_MIN = 30  # suhoor reminder: this long before Fajr (the fast's start)
IFTAR_AFTER_MAGHRIB_MIN = 5


def ramadan_bounds(hijri_year: int) -> tuple[date, date]:
    """First and last Gregorian day of Ramadan of `hijri_year` (Umm al-Qura)."""
    first = Hijri(hijri_year, 9, 1).to_gregorian()
    after = Hijri(hijri_year, 10, 1).to_gregorian()
    last = date(after.year, after.month, after.day) - timedelta(days=1)
    return date(first.year, first.month, first.day), last


def is_ramadan(day: date, calendar: list[tuple[str, str]] | None = None) -> bool:
    """Whether `day` is in Ramadan: the admin's calendar where it sets the year, else computed."""
    for start, end in calendar or []:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
        if first.year == day.year or last.year == day.year:
            if first <= day <= last:
                return True
    if any(date.fromisoformat(s).year == day.year for s, _ in calendar or []):
        return False  # the admin set this year's dates and this day is outside them
    return Gregorian(day.year, day.month, day.day).to_hijri().month == 9


@dataclass
class RamadanMapping:
    times: list[datetime] | None  # the new reminder times, or None when not mapped
    slots: list[str]  # "suhoor" / "iftar" per time
    flag: str | None = None  # why it was not mapped, for the coordinator


def map_ramadan(doses: int, *, fajr: datetime, maghrib: datetime, with_breakfast: bool,
                time_critical: bool) -> RamadanMapping:
    """Where a day's `doses` go during the fast."""
    suhoor = fajr - timedelta(minutes=SUHOOR_BEFORE_FAJR_MIN)
    iftar = maghrib + timedelta(minutes=IFTAR_AFTER_MAGHRIB_MIN)
    if time_critical:
        return RamadanMapping(None, [], "ramadan_time_critical_needs_clinician")
    if doses == 1:
        return (RamadanMapping([suhoor], ["suhoor"]) if with_breakfast
                else RamadanMapping([iftar], ["iftar"]))
    if doses == 2:
        return RamadanMapping([suhoor, iftar], ["suhoor", "iftar"])
    return RamadanMapping(None, [], "ramadan_needs_clinician")
