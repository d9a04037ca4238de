"""Dose times from a schedule: rrule recurrence on the patient's wall clock, DST-correct."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from clinical.dose_times import DoseSchedule, ScheduleError, dose_times_on, next_day_with_doses, validate_schedule


def _wall(moments: list[datetime]) -> list[str]:
    return [m.strftime("%H:%M %Z") for m in moments]


def test_times_of_day_are_wall_clock_times_across_the_spring_change_in_london() -> None:
    plan = DoseSchedule(start_date="2026-03-27", times=["08:00", "20:00"])
    before = dose_times_on(plan, "Europe/London", date(2026, 3, 28))
    after = dose_times_on(plan, "Europe/London", date(2026, 3, 29))
    assert _wall(before) == ["08:00 GMT", "20:00 GMT"]
    assert _wall(after) == ["08:00 BST", "20:00 BST"]
    # the same wall-clock time is an hour earlier in UTC once the clocks go forward
    assert before[0].astimezone(timezone.utc).hour == 8 and after[0].astimezone(timezone.utc).hour == 7


def test_a_time_in_the_spring_gap_fires_as_far_into_the_new_hour() -> None:
    plan = DoseSchedule(start_date="2026-03-29", times=["01:30"])
    (moment,) = dose_times_on(plan, "Europe/London", date(2026, 3, 29))
    assert _wall([moment]) == ["02:30 BST"]


def test_an_ambiguous_autumn_time_fires_once_the_first_time_round() -> None:
    plan = DoseSchedule(start_date="2026-10-25", times=["01:30"])
    moments = dose_times_on(plan, "Europe/London", date(2026, 10, 25))
    assert _wall(moments) == ["01:30 BST"]


def test_every_n_hours_counts_elapsed_time_across_a_change() -> None:
    plan = DoseSchedule(start_date="2026-03-28", every_hours=8, first_time="06:00")
    moments = (dose_times_on(plan, "Europe/London", date(2026, 3, 28))
               + dose_times_on(plan, "Europe/London", date(2026, 3, 29)))
    utc = [m.astimezone(timezone.utc) for m in moments]  # same-zone subtraction is wall-clock
    gaps = {b - a for a, b in zip(utc, utc[1:])}
    assert gaps == {timedelta(hours=8)}
    assert _wall(moments)[:4] == ["06:00 GMT", "14:00 GMT", "22:00 GMT", "07:00 BST"]


def test_weekdays_and_end_date_limit_the_days() -> None:
    plan = DoseSchedule(start_date="2026-06-01", end_date="2026-06-14", times=["09:00"],
                        weekdays=["mon", "thu"])
    days = [d for d in (date(2026, 6, 1) + timedelta(n) for n in range(20))
            if dose_times_on(plan, "Asia/Kuala_Lumpur", d)]
    assert days == [date(2026, 6, 1), date(2026, 6, 4), date(2026, 6, 8), date(2026, 6, 11)]
    assert next_day_with_doses(plan, "Asia/Kuala_Lumpur", date(2026, 6, 11)) is None
    assert next_day_with_doses(plan, "Asia/Kuala_Lumpur", date(2026, 6, 1)) == date(2026, 6, 4)


@pytest.mark.parametrize("plan, zone, field", [
    (DoseSchedule(start_date="2026-06-02", end_date="2026-06-01", times=["08:00"]), "UTC",
     "schedule.end_date"),
    (DoseSchedule(start_date="2026-06-01", times=["25:00"]), "UTC", "schedule.times[0]"),
    (DoseSchedule(start_date="2026-06-01", every_hours=0), "UTC", "schedule.every_hours"),
    (DoseSchedule(start_date="2026-06-01", times=["08:00"]), "Mars/Olympus", "zone"),
    (DoseSchedule(start_date="2026-06-01", times=["08:00"], weekdays=["funday"]), "UTC",
     "schedule.weekdays[0]"),
    (DoseSchedule(start_date="2026-06-01"), "UTC", "schedule.times"),
])
def test_an_impossible_schedule_names_its_field(plan: DoseSchedule, zone: str, field: str) -> None:
    with pytest.raises(ScheduleError) as raised:
        validate_schedule(plan, zone)
    assert raised.value.field == field


def test_reminder_offsets_are_fixed_per_schedule_and_spread_evenly_over_the_window() -> None:
    from clinical.dose_times import reminder_offset_s

    offsets = [reminder_offset_s(f"medication-{n:05d}", 60) for n in range(6000)]
    assert offsets[:50] == [reminder_offset_s(f"medication-{n:05d}", 60) for n in range(50)]
    assert all(0 <= o < 60 for o in offsets)
    per_ten_seconds = [sum(1 for o in offsets if lo <= o < lo + 10) for lo in range(0, 60, 10)]
    assert all(900 <= count <= 1100 for count in per_ten_seconds), per_ten_seconds
    assert reminder_offset_s("medication-00001", 0) == 0.0
