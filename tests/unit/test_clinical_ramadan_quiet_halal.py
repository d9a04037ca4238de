"""Ramadan mapping and dates, quiet hours, halal warnings, and a whole day's plan."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from clinical.dose_plan import PlanTerms, plan_day
from clinical.dose_times import DoseSchedule
from clinical.halal import halal_warnings
from clinical.prayer_times import PrayerSettings
from clinical.quiet_hours import QuietHours, hold_for_quiet
from clinical.ramadan import is_ramadan, map_ramadan, ramadan_bounds, ramadan_year

KL = ZoneInfo("Asia/Kuala_Lumpur")
FAJR = datetime(2026, 3, 1, 6, 8, tzinfo=KL)
MAGHRIB = datetime(2026, 3, 1, 19, 25, tzinfo=KL)


def test_ramadan_dates_come_from_the_hijri_calendar() -> None:
    assert ramadan_bounds(1447) == (date(2026, 2, 18), date(2026, 3, 19))
    assert is_ramadan(date(2026, 3, 1)) and not is_ramadan(date(2026, 3, 25))


def test_an_admin_calendar_overrides_the_computed_dates() -> None:
    sighted = [("2026-02-19", "2026-03-20")]
    assert not is_ramadan(date(2026, 2, 18), sighted)
    assert is_ramadan(date(2026, 3, 20), sighted)


def test_a_sighting_sets_its_own_hijri_year_only_even_when_a_gregorian_year_has_two() -> None:
    sighted = [("2030-01-06", "2030-02-04")]  # 1451 sighted a day late; 1452 not yet set
    assert not is_ramadan(date(2030, 1, 5), sighted) and is_ramadan(date(2030, 2, 4), sighted)
    assert is_ramadan(date(2030, 12, 27), sighted)  # 1452, computed: not overruled by 1451
    assert ramadan_year(date(2030, 1, 6), date(2030, 2, 4)) == 1451


def test_once_daily_goes_to_iftar_or_to_suhoor_with_breakfast() -> None:
    iftar = map_ramadan(1, fajr=FAJR, maghrib=MAGHRIB, with_breakfast=False, time_critical=False)
    suhoor = map_ramadan(1, fajr=FAJR, maghrib=MAGHRIB, with_breakfast=True, time_critical=False)
    assert iftar.slots == ["iftar"] and iftar.times == [MAGHRIB + timedelta(minutes=5)]
    assert suhoor.slots == ["suhoor"] and suhoor.times == [FAJR - timedelta(minutes=30)]


def test_twice_daily_goes_to_suhoor_and_iftar_three_times_is_flagged() -> None:
    twice = map_ramadan(2, fajr=FAJR, maghrib=MAGHRIB, with_breakfast=False, time_critical=False)
    thrice = map_ramadan(3, fajr=FAJR, maghrib=MAGHRIB, with_breakfast=False, time_critical=False)
    assert twice.slots == ["suhoor", "iftar"]
    assert thrice.times is None and thrice.flag == "ramadan_needs_clinician"


def test_quiet_hours_hold_a_routine_reminder_to_their_end_past_midnight() -> None:
    quiet = QuietHours("22:00", "07:00")
    at = datetime(2026, 3, 1, 23, 30, tzinfo=KL)
    assert hold_for_quiet(at, quiet, time_critical=False) == (
        datetime(2026, 3, 2, 7, 0, tzinfo=KL), True)
    assert hold_for_quiet(at, quiet, time_critical=True) == (at, False)
    noon = datetime(2026, 3, 1, 12, 0, tzinfo=KL)
    assert hold_for_quiet(noon, quiet, time_critical=False) == (noon, False)


def test_halal_only_warns_by_name_for_not_halal_and_unknown() -> None:
    warnings = halal_warnings([("Metformin", "halal"), ("Heparin", "not_halal"),
                               ("Omeprazole", None)], halal_only=True)
    assert len(warnings) == 2 and "Heparin" in warnings[0] and "Omeprazole" in warnings[1]
    assert halal_warnings([("Heparin", "not_halal")], halal_only=False) == []


def test_a_day_plan_in_ramadan_maps_twice_daily_to_suhoor_and_iftar() -> None:
    terms = PlanTerms(zone="Asia/Kuala_Lumpur", latitude=3.139, longitude=101.6869,
                      ramadan_mode=True, prayer=PrayerSettings())
    plan = plan_day(DoseSchedule(start_date="2026-02-01", times=["08:00", "20:00"]), terms,
                    date(2026, 3, 1))
    assert plan.ramadan and [d.dose_id for d in plan.doses] == ["2026-03-01Tsuhoor",
                                                               "2026-03-01Tiftar"]
    fajr = datetime.fromisoformat(plan.prayer_times["fajr"])
    assert plan.doses[0].remind_at == (fajr - timedelta(minutes=30)).astimezone(timezone.utc)


def test_a_held_reminder_that_would_reach_the_next_dose_is_suppressed() -> None:
    terms = PlanTerms(zone="Asia/Kuala_Lumpur", quiet_hours=QuietHours("22:00", "07:00"))
    plan = plan_day(DoseSchedule(start_date="2026-03-01", times=["07:00", "23:00"]), terms,
                    date(2026, 3, 1), next_reminder=datetime(2026, 3, 1, 23, 0, tzinfo=timezone.utc))
    assert plan.doses[0].suppressed is None
    assert plan.doses[1].moves == ["quiet_hours"] and plan.doses[1].suppressed == "moved_past_next_dose"
