"""One day of a medication schedule: when each dose is due and when its reminder goes out.

The rules compose in a fixed order: the schedule's dose times (dose_times),
then Ramadan mode (ramadan), then prayer windows (prayer_times), then quiet
hours (quiet_hours). A time-critical plan is never moved by any of them. A
reminder is never moved to or past the next dose's reminder: that would put
two doses in front of the patient at once, so such a dose is marked
`suppressed` instead, for the coordinator to see.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone, tzinfo

from clinical.dose_times import DoseSchedule, dose_times_on
from clinical.prayer_times import (
    PrayerSettings,
    prayer_times_on,
    prayer_windows,
    shift_out_of_prayer,
)
from clinical.quiet_hours import QuietHours, hold_for_quiet
from clinical.ramadan import is_ramadan, map_ramadan


@dataclass
class PlanTerms:
    """What the day's plan depends on, besides the schedule itself."""

    zone: str
    time_critical: bool = False  # any medicine of the plan
    max_shift_min: int = 30  # the smallest of the plan's medicines
    with_breakfast: bool = False
    latitude: float | None = None
    longitude: float | None = None
    prayer: PrayerSettings | None = None  # None: prayer-time awareness off
    quiet_hours: QuietHours | None = None
    ramadan_mode: bool = False
    ramadan_calendar: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class PlannedDose:
    dose_id: str  # the nominal local time, "2026-03-29T08:00": unique within a schedule
    due_at: datetime  # when the schedule says (aware, UTC)
    remind_at: datetime  # when the reminder goes out, after every rule (aware, UTC)
    label: str  # the reminder's wall-clock time for messages, "8:00"
    moves: list[str] = field(default_factory=list)  # ramadan:iftar, prayer:maghrib, quiet_hours
    suppressed: str | None = None  # why no reminder goes out (would reach the next dose)


@dataclass
class DayPlan:
    day: str  # ISO date, the patient's zone
    doses: list[PlannedDose]
    prayer_times: dict[str, str] = field(default_factory=dict)  # name -> ISO, when used
    ramadan: bool = False
    flags: list[str] = field(default_factory=list)


def dose_label(at: datetime, zone_tz: tzinfo | None) -> str:
    """The wall-clock time a message names, "8:00"."""
    local = at.astimezone(zone_tz)
    return f"{local.hour}:{local.minute:02d}"


def plan_day(schedule: DoseSchedule, terms: PlanTerms, day: date,
             next_reminder: datetime | None = None) -> DayPlan:
    """The day's doses in order. `next_reminder` is the first reminder after this day, if any."""
    nominal = dose_times_on(schedule, terms.zone, day)
    plan = DayPlan(day.isoformat(), [])
    if not nominal:
        return plan
    zone_tz = nominal[0].tzinfo
    times = list(nominal)
    moves: list[list[str]] = [[] for _ in nominal]
    prayers = None
    if terms.latitude is not None and terms.longitude is not None and (
            terms.prayer is not None or terms.ramadan_mode):
        prayers = prayer_times_on(day, terms.latitude, terms.longitude, terms.zone,
                                  terms.prayer or PrayerSettings())
        plan.prayer_times = {k: v.isoformat() for k, v in prayers.items()}
    if terms.ramadan_mode and prayers is not None and is_ramadan(day, terms.ramadan_calendar):
        plan.ramadan = True
        mapping = map_ramadan(len(nominal), fajr=prayers["fajr"], maghrib=prayers["maghrib"],
                              with_breakfast=terms.with_breakfast,
                              time_critical=terms.time_critical)
        if mapping.times is not None:
            times = mapping.times
            moves = [[f"ramadan:{slot}"] for slot in mapping.slots]
        elif mapping.flag:
            plan.flags.append(mapping.flag)
    if terms.prayer is not None and prayers is not None and not plan.ramadan:
        windows = prayer_windows(prayers, terms.prayer.window_min)
        for i, at in enumerate(times):
            times[i], prayer = shift_out_of_prayer(at, windows, max_shift_min=terms.max_shift_min,
                                                   time_critical=terms.time_critical)
            if prayer:
                moves[i].append(f"prayer:{prayer}")
    for i, at in enumerate(times):
        times[i], held = hold_for_quiet(at.astimezone(zone_tz), terms.quiet_hours,
                                        time_critical=terms.time_critical)
        if held:
            moves[i].append("quiet_hours")
    mapped = any(m[:1] and m[0].startswith("ramadan:") for m in moves)
    for i, at in enumerate(times):
        if mapped:  # the fast moved the dose itself, not only its reminder
            slot = moves[i][0].split(":")[1]
            dose_id, due = f"{day.isoformat()}T{slot}", at
        else:
            dose_id, due = nominal[i].strftime("%Y-%m-%dT%H:%M"), nominal[i]
        plan.doses.append(PlannedDose(
            dose_id=dose_id, due_at=due.astimezone(timezone.utc),
            remind_at=at.astimezone(timezone.utc), label=dose_label(at, zone_tz), moves=moves[i]))
    for i, dose in enumerate(plan.doses):
        following = plan.doses[i + 1].remind_at if i + 1 < len(plan.doses) else next_reminder
        if dose.moves and following is not None and dose.remind_at >= following:
            dose.suppressed = "moved_past_next_dose"
    return plan


def first_reminder_after(schedule: DoseSchedule, terms: PlanTerms, day: date) -> datetime | None:
    """The earliest nominal dose of the next day (bounds how far a held reminder may go)."""
    following = dose_times_on(schedule, terms.zone, day + timedelta(days=1))
    return following[0].astimezone(timezone.utc) if following else None
