"""Prayer times for a patient's home, and the windows a reminder should stay out of.

Computed with adhanpy (a dependency-free port of the Adhan astronomical
library). Vigil's default is what JAKIM publishes for Malaysia today: Fajr at
the sun 18° below the horizon (the National Fatwa Council changed it from 20°
in 2019; 20° remains available), Isha 18°, Shafi'i Asr, and JAKIM's two
minutes of ihtiyati (precaution) added to each prayer. A patient may set
other angles and per-prayer minute adjustments.

These functions are deterministic for a given library version, but a library
update could move a time by a minute: the workflow gets them from an activity,
so the times it acted on are recorded in its history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from adhanpy.calculation.CalculationParameters import CalculationParameters
from adhanpy.calculation.Madhab import Madhab
from adhanpy.calculation.PrayerAdjustments import PrayerAdjustments
from adhanpy.PrayerTimes import PrayerTimes

from clinical.dose_times import zone_named

PRAYERS = ("fajr", "dhuhr", "asr", "maghrib", "isha")
# JAKIM's ihtiyati: two minutes after the computed moment (sunrise is not a prayer).
JAKIM_ADJUSTMENTS = {"fajr": 2, "dhuhr": 2, "asr": 2, "maghrib": 2, "isha": 2}


@dataclass
class PrayerSettings:
    fajr_angle: float = 18.0
    isha_angle: float = 18.0
    madhab: str = "shafi"  # shafi or hanafi (Asr)
    adjustments: dict[str, int] = field(default_factory=lambda: dict(JAKIM_ADJUSTMENTS))
    window_min: int = 20  # a prayer window runs from the adhan this many minutes


def adjustments_for(method_name: str, own: dict[str, int]) -> dict[str, int]:
    """The minutes added to each prayer: the patient's own, or JAKIM's ihtiyati where they
    chose JAKIM's method and set none of their own."""
    if any(own.values()) or method_name != "JAKIM":
        return dict(own)
    return dict(JAKIM_ADJUSTMENTS)


def prayer_times_on(day: date, latitude: float, longitude: float, zone: str,
                    settings: PrayerSettings) -> dict[str, datetime]:
    """fajr, sunrise, dhuhr, asr, maghrib, isha of `day` at the place, in the patient's zone."""
    tz = zone_named(zone)
    params = CalculationParameters(fajr_angle=settings.fajr_angle, isha_angle=settings.isha_angle)
    params.madhab = Madhab.HANAFI if settings.madhab == "hanafi" else Madhab.SHAFI
    adj = settings.adjustments
    params.adjustments = PrayerAdjustments(
        fajr=adj.get("fajr", 0), sunrise=adj.get("sunrise", 0), dhuhr=adj.get("dhuhr", 0),
        asr=adj.get("asr", 0), maghrib=adj.get("maghrib", 0), isha=adj.get("isha", 0))
    # adhanpy reads the calendar day from the date it is given, at UTC midnight.
    times = PrayerTimes((latitude, longitude), datetime(day.year, day.month, day.day),
                        calculation_parameters=params, time_zone=tz)
    return {name: getattr(times, name).astimezone(tz)
            for name in ("fajr", "sunrise", "dhuhr", "asr", "maghrib", "isha")}


def prayer_windows(times: dict[str, datetime],
                   window_min: int) -> list[tuple[str, datetime, datetime]]:
    """(prayer, adhan, adhan + window) for the five prayers, in order."""
    return [(name, times[name], times[name] + timedelta(minutes=window_min)) for name in PRAYERS]


def shift_out_of_prayer(at: datetime, windows: list[tuple[str, datetime, datetime]], *,
                        max_shift_min: int, time_critical: bool) -> tuple[datetime, str | None]:
    """A reminder inside a prayer window moves towards the window's end, never by more than
    `max_shift_min`; a time-critical one never moves. Returns (when, which prayer or None)."""
    if time_critical or max_shift_min <= 0:
        return at, None
    for name, start, end in windows:
        if start <= at < end:
            return min(end, at + timedelta(minutes=max_shift_min)), name
    return at, None
