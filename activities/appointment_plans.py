"""What an appointment workflow looks up: its reminder times and who of the family may be told.

Both read the database, so they are activities: the workflow sees their answers
recorded in its history and replays them as they were. The reminder plan is
also where prayer times are computed (clinical/prayer_times, the medication
schedule's rule): a library update that moves a prayer by a minute cannot
change a plan a workflow already acted on.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Any

from temporalio import activity

from activities.consents import consented_people
from clinical.appointment_reminders import Window, plan_reminders
from clinical.dose_times import zone_named
from clinical.prayer_times import PrayerSettings, prayer_times_on, prayer_windows
from db.engine import reading
from db.models import Patient
from workflows.appointment_types import Reminder, ReminderPlanRequest


@dataclass
class FamilyQuery:
    patient_id: str


@dataclass
class ReminderTerms:
    """What of the patient's stored preferences moves a reminder."""

    quiet_hours: tuple[time, time] | None = None
    prayer: PrayerSettings | None = None  # None: prayer-time awareness off (or no home)
    latitude: float | None = None
    longitude: float | None = None


def prayer_settings_of(stored: dict[str, Any]) -> PrayerSettings | None:
    """The stored `prayer` preference (services/schemas/people.py) as the clinical rule's
    settings; None when the patient did not ask for prayer-time awareness."""
    if not stored.get("enabled"):
        return None
    method, adjustments = stored.get("method") or {}, stored.get("adjustments")
    defaults = PrayerSettings()
    return PrayerSettings(
        fajr_angle=float(method.get("fajr_angle", defaults.fajr_angle)),
        isha_angle=float(method.get("isha_angle", defaults.isha_angle)),
        madhab="hanafi" if method.get("asr") == "hanafi" else "shafi",
        adjustments=({k: int(v) for k, v in adjustments.items()} if adjustments is not None
                     else defaults.adjustments))


def stored_terms(patient_id: str) -> ReminderTerms:
    """The patient's quiet hours and prayer-time awareness, as stored now."""
    with reading() as session:
        patient = session.get(Patient, patient_id)
    if patient is None:
        return ReminderTerms()
    prefs = patient.preferences or {}
    quiet = prefs.get("quiet_hours")
    prayer = prayer_settings_of(prefs.get("prayer") or {})
    has_home = patient.home_latitude is not None and patient.home_longitude is not None
    return ReminderTerms(
        quiet_hours=(time.fromisoformat(quiet["start"]), time.fromisoformat(quiet["end"]))
        if quiet else None,
        prayer=prayer if has_home else None,
        latitude=patient.home_latitude, longitude=patient.home_longitude)


def windows_for(request: ReminderPlanRequest, terms: ReminderTerms) -> list[Window]:
    """The prayer windows of every local day a reminder could fall on."""
    if terms.prayer is None or terms.latitude is None or terms.longitude is None:
        return []
    zone = zone_named(request.time_zone)
    days: set[date] = set()
    for offset in request.offsets_s:
        day = (request.starts_at - timedelta(seconds=offset)).astimezone(zone).date()
        days |= {day, day + timedelta(days=1)}  # a window may run past local midnight
    windows: list[Window] = []
    for day in sorted(days):
        times = prayer_times_on(day, terms.latitude, terms.longitude, request.time_zone,
                                terms.prayer)
        windows += prayer_windows(times, terms.prayer.window_min)
    return windows


class AppointmentPlanActivities:
    def __init__(self, terms_of: Callable[[str], ReminderTerms] = stored_terms) -> None:
        self.terms_of = terms_of

    @activity.defn(name="plan_appointment_reminders")
    def plan_reminders(self, request: ReminderPlanRequest) -> list[Reminder]:
        """The reminders still to send, moved out of prayer windows and quiet hours."""
        terms = self.terms_of(request.patient_id)
        planned = plan_reminders(starts_at=request.starts_at, offsets_s=request.offsets_s,
                                 time_zone=request.time_zone, now=request.now,
                                 quiet_hours=terms.quiet_hours,
                                 prayer_windows=windows_for(request, terms))
        return [Reminder(p.offset_s, p.due_at, p.moved_from, moved_for=list(p.moved_for))
                for p in planned]

    @activity.defn(name="appointment_family")
    def family(self, query: FamilyQuery) -> list[str]:
        """Caregivers whose consent in force covers appointments, asked afresh at every update
        so a revocation stops their updates at once."""
        return consented_people(patient_id=query.patient_id, scope="appointments")
