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


def ramadan_year(first: date, last: date) -> int:
    """The Hijri year a sighted Ramadan belongs to: its middle is in the computed month 9 (a
    sighting moves the start by a day or two, never by half a month)."""
    middle = first + (last - first) / 2
    return Gregorian(middle.year, middle.month, middle.day).to_hijri().year


def is_ramadan(day: date, calendar: list[tuple[str, str]] | None = None) -> bool:
    """Whether `day` is in Ramadan: as sighted where `calendar` sets that Hijri year (the first
    entry for a year wins), else as computed. Keyed by Hijri year, not Gregorian: some
    Gregorian years hold two Ramadans (2030) and the sighting of one says nothing of the other."""
    sighted: dict[int, tuple[date, date]] = {}
    for start, end in calendar or []:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
        sighted.setdefault(ramadan_year(first, last), (first, last))
    if any(first <= day <= last for first, last in sighted.values()):
        return True
    hijri = Gregorian(day.year, day.month, day.day).to_hijri()
    return hijri.month == 9 and hijri.year not in sighted  # a sighted year ends where it says


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
