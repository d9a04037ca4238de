"""Prayer times (JAKIM parameters) against JAKIM's published Kuala Lumpur timetable, and the
rule that moves a reminder out of a prayer window."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from clinical.prayer_times import PrayerSettings, prayer_times_on, prayer_windows, shift_out_of_prayer

KL = ZoneInfo("Asia/Kuala_Lumpur")
KL_LAT, KL_LON = 3.1390, 101.6869
# JAKIM e-Solat, zone WLY01 (Kuala Lumpur, Putrajaya), as its API published them.
JAKIM_WLY01 = {
    date(2023, 8, 13): {"fajr": "06:01", "sunrise": "07:11", "dhuhr": "13:21", "asr": "16:38",
                        "maghrib": "19:27", "isha": "20:39"},
    date(2025, 1, 1): {"fajr": "06:07", "sunrise": "07:18", "dhuhr": "13:20", "asr": "16:42",
                       "maghrib": "19:17", "isha": "20:31"},
    date(2026, 1, 1): {"fajr": "06:06", "sunrise": "07:18", "dhuhr": "13:19", "asr": "16:42",
                       "maghrib": "19:17", "isha": "20:31"},
}


@pytest.mark.parametrize("day", sorted(JAKIM_WLY01))
def test_jakim_parameters_match_the_published_kuala_lumpur_timetable_within_two_minutes(
        day: date) -> None:
    computed = prayer_times_on(day, KL_LAT, KL_LON, "Asia/Kuala_Lumpur", PrayerSettings())
    for name, published in JAKIM_WLY01[day].items():
        hour, minute = map(int, published.split(":"))
        expected = datetime(day.year, day.month, day.day, hour, minute, tzinfo=KL)
        off = abs((computed[name] - expected).total_seconds()) / 60
        assert off <= 2, f"{name}: computed {computed[name]:%H:%M}, JAKIM {published}"


def test_the_old_twenty_degree_fajr_is_earlier_than_jakim_publishes_today() -> None:
    day = date(2026, 1, 1)
    today = prayer_times_on(day, KL_LAT, KL_LON, "Asia/Kuala_Lumpur", PrayerSettings())
    old = prayer_times_on(day, KL_LAT, KL_LON, "Asia/Kuala_Lumpur", PrayerSettings(fajr_angle=20))
    assert timedelta(minutes=6) < today["fajr"] - old["fajr"] < timedelta(minutes=12)


def _maghrib_windows() -> list:
    times = prayer_times_on(date(2026, 1, 1), KL_LAT, KL_LON, "Asia/Kuala_Lumpur", PrayerSettings())
    return prayer_windows(times, 20)


def test_a_reminder_inside_maghrib_moves_to_the_window_end() -> None:
    windows = _maghrib_windows()
    _, adhan, end = next(w for w in windows if w[0] == "maghrib")
    moved, prayer = shift_out_of_prayer(adhan + timedelta(minutes=5), windows, max_shift_min=30,
                                        time_critical=False)
    assert (moved, prayer) == (end, "maghrib")


def test_a_reminder_never_moves_further_than_max_shift() -> None:
    windows = _maghrib_windows()
    _, adhan, _ = next(w for w in windows if w[0] == "maghrib")
    at = adhan + timedelta(minutes=1)
    moved, _ = shift_out_of_prayer(at, windows, max_shift_min=10, time_critical=False)
    assert moved - at == timedelta(minutes=10)


def test_a_time_critical_reminder_never_moves() -> None:
    windows = _maghrib_windows()
    _, adhan, _ = next(w for w in windows if w[0] == "maghrib")
    at = adhan + timedelta(minutes=1)
    assert shift_out_of_prayer(at, windows, max_shift_min=60, time_critical=True) == (at, None)


def test_a_reminder_outside_every_window_stays() -> None:
    windows = _maghrib_windows()
    at = datetime(2026, 1, 1, 10, 0, tzinfo=KL)
    assert shift_out_of_prayer(at, windows, max_shift_min=60, time_critical=False) == (at, None)
