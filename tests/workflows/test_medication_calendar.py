"""Where reminders land: prayer windows, time-critical doses, Ramadan, quiet hours, daylight saving."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from temporalio.testing import WorkflowEnvironment

from clinical.prayer_times import PrayerSettings, prayer_times_on
from clinical.quiet_hours import QuietHours
from tests.utils.medication import PATIENT, Seen, running_schedule, schedule_input
from workflows.medication_types import ConfirmDose, Medication, Preferences

KL = "Asia/Kuala_Lumpur"
KL_TZ = ZoneInfo(KL)
HOME = {"latitude": 3.139, "longitude": 101.6869}


def _taken(request):  # noqa: ANN001, ANN202 - the patient takes every dose at once
    if request.kind == "medication_reminder":
        return ConfirmDose(PATIENT, request.content["dose_id"], "taken")
    return None


async def _tomorrow(env: WorkflowEnvironment, zone: str) -> date:
    return (await env.get_current_time()).astimezone(ZoneInfo(zone)).date() + timedelta(days=1)


async def test_a_dose_inside_maghrib_moves_to_its_end_never_further_than_max_shift(
        medication_env: WorkflowEnvironment) -> None:
    prefs = Preferences(zone=KL, prayer=PrayerSettings(window_min=20), **HOME)
    results, expected = {}, {}
    for label, med in {"roomy": Medication("m1", "Amlodipine", "5 mg", max_shift_min=60),
                       "tight": Medication("m1", "Amlodipine", "5 mg", max_shift_min=10),
                       "critical": Medication("m1", "Insulin", "8 u", time_critical=True)}.items():
        day = await _tomorrow(medication_env, KL)  # each run moves the server's clock on
        maghrib = prayer_times_on(day, HOME["latitude"], HOME["longitude"], KL,
                                  PrayerSettings())["maghrib"]
        due = (maghrib + timedelta(minutes=3)).replace(second=0, microsecond=0)
        expected[label] = {"roomy": maghrib + timedelta(minutes=20),
                           "tight": due + timedelta(minutes=10), "critical": due}[label]
        seen = Seen()
        data = schedule_input([due.strftime("%H:%M")], day.isoformat(), day.isoformat(), zone=KL,
                              medications=[med], preferences=prefs)
        async with running_schedule(medication_env.client, data, seen, _taken) as handle:
            await handle.result()
        (fired,) = seen.first_reminder_at().values()
        results[label] = fired
    assert results == expected


async def test_ramadan_maps_a_twice_daily_plan_to_suhoor_and_iftar(
        medication_env: WorkflowEnvironment) -> None:
    day = await _tomorrow(medication_env, KL)
    # An admin-set calendar (Malaysia fixes Ramadan by sighting) puts tomorrow in Ramadan.
    calendar = [((day - timedelta(days=3)).isoformat(), (day + timedelta(days=3)).isoformat())]
    prefs = Preferences(zone=KL, ramadan_mode=True, ramadan_calendar=calendar, **HOME)
    seen = Seen()
    data = schedule_input(["08:00", "14:00"], day.isoformat(), day.isoformat(), zone=KL,
                          preferences=prefs)
    async with running_schedule(medication_env.client, data, seen, _taken) as handle:
        view = await handle.result()
    prayers = prayer_times_on(day, HOME["latitude"], HOME["longitude"], KL, PrayerSettings())
    fired = seen.first_reminder_at()
    assert fired == {f"{day}Tsuhoor": prayers["fajr"] - timedelta(minutes=30),
                     f"{day}Tiftar": prayers["maghrib"] + timedelta(minutes=5)}
    assert view.adherence["m1"].taken == 2


async def test_ramadan_flags_three_times_daily_for_a_clinician_instead_of_squeezing(
        medication_env: WorkflowEnvironment) -> None:
    day = await _tomorrow(medication_env, KL)
    calendar = [(day.isoformat(), day.isoformat())]
    prefs = Preferences(zone=KL, ramadan_mode=True, ramadan_calendar=calendar, **HOME)
    seen = Seen()
    data = schedule_input(["08:00", "13:00", "18:00"], day.isoformat(), day.isoformat(), zone=KL,
                          preferences=prefs)
    async with running_schedule(medication_env.client, data, seen, _taken) as handle:
        view = await handle.result()
    assert view.flags == ["ramadan_needs_clinician"]
    assert [c.detail["flags"] for c in seen.changes if c.change == "flagged"] == [
        ["ramadan_needs_clinician"]]
    assert sorted(at.astimezone(KL_TZ).strftime("%H:%M") for at in seen.first_reminder_at().values()) == [
        "08:00", "13:00", "18:00"]


async def test_quiet_hours_hold_a_routine_reminder_but_never_a_time_critical_one(
        medication_env: WorkflowEnvironment) -> None:
    prefs = Preferences(zone=KL, quiet_hours=QuietHours("22:00", "07:00"))
    fired, expected = {}, {}
    for label, med in {"routine": Medication("m1", "Atorvastatin", "20 mg"),
                       "critical": Medication("m1", "Levodopa", "100 mg", time_critical=True)}.items():
        day = await _tomorrow(medication_env, KL)
        expected[label] = (datetime.combine(day + timedelta(days=1), time(7), KL_TZ)
                           if label == "routine" else datetime.combine(day, time(23), KL_TZ))
        seen = Seen()
        data = schedule_input(["23:00"], day.isoformat(), day.isoformat(), zone=KL,
                              medications=[med], preferences=prefs)
        async with running_schedule(medication_env.client, data, seen, _taken) as handle:
            await handle.result()
        (fired[label],) = seen.first_reminder_at().values()
    assert fired == expected


def _spring_change_after(now: datetime) -> date:
    """The next day Europe/London's clocks go forward (the last Sunday of March)."""
    for year in (now.year, now.year + 1):
        last = date(year, 3, 31)
        sunday = last - timedelta(days=(last.weekday() - 6) % 7)
        if sunday - timedelta(days=1) > now.date():
            return sunday
    raise AssertionError("no change found")


async def test_a_plan_across_the_clocks_going_forward_fires_at_the_right_wall_clock_time(
        medication_env: WorkflowEnvironment) -> None:
    change = _spring_change_after(await medication_env.get_current_time())
    seen = Seen()
    data = schedule_input(["08:00"], (change - timedelta(days=1)).isoformat(),
                          (change + timedelta(days=1)).isoformat(), zone="Europe/London")
    async with running_schedule(medication_env.client, data, seen, _taken) as handle:
        await handle.result()
    fired = sorted(seen.first_reminder_at().values())
    london = ZoneInfo("Europe/London")
    assert [f.astimezone(london).strftime("%H:%M %Z") for f in fired] == [
        "08:00 GMT", "08:00 BST", "08:00 BST"]
    assert [f.astimezone(timezone.utc).hour for f in fired] == [8, 7, 7]
