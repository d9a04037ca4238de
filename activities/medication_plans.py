"""What a medication schedule needs to know from outside the workflow, as activities.

- `plan_medication_day`: the next day with doses, planned by the pure rules in
  clinical/ (rrule, prayer times, Ramadan, quiet hours). An activity, because
  the prayer-time and time-zone libraries could give another answer after an
  update: the times the workflow acted on are recorded in its history.
- `medication_contacts`: who is told when a dose is missed: the patient's
  caregivers whose consent covers `medication` and who are escalation
  contacts, read when it happens, so a revoked consent stops them at once.

Both read the patient through `CareDirectory`: in the worker the tables
(activities/care_directory.py `PatientDirectory`), in workflow tests a stand-in.
A patient the directory does not know is planned from the schedule's snapshot.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Callable, Protocol

from temporalio import activity

from clinical.dose_plan import DayPlan, PlanTerms, first_reminder_after, plan_day
from activities.ramadan_calendar import sighted_ramadan, with_sighted
from clinical.dose_times import next_day_with_doses, zone_named
from workflows.medication_types import Preferences, Terms


class CareDirectory(Protocol):
    """The patient directory as a medication schedule sees it."""

    def preferences(self, patient_id: str,
                    snapshot: Preferences | None = None) -> Preferences | None:
        """The patient's current zone, language, home and preferences (what the record does
        not hold taken from `snapshot`); None if unknown."""

    def name(self, patient_id: str) -> str | None:
        """What a caregiver's message calls the patient; None if unknown."""

    def escalation_contacts(self, patient_id: str) -> list[str] | None:
        """Caregivers with unrevoked `medication` consent and the escalation flag; None if
        this directory keeps no consent records."""


@dataclass
class DayPlanRequest:
    schedule_id: str
    patient_id: str
    terms: Terms
    preferences: Preferences  # the snapshot, used when the directory has none
    now: datetime  # the workflow's clock: the first plan starts on the patient's today
    from_day: str | None = None  # ISO date, inclusive; None: the patient's today


@dataclass
class DayPlanResult:
    plan: DayPlan | None  # None: the schedule has no dose left
    language: str = "en"
    patient_name: str = ""  # for a caregiver's message; "" when the directory has none


@dataclass
class ContactsRequest:
    patient_id: str
    fallback: list[str] = field(default_factory=list)


def plan_terms(terms: Terms, prefs: Preferences) -> PlanTerms:
    meds = terms.medications
    return PlanTerms(
        zone=prefs.zone, time_critical=any(m.time_critical for m in meds),
        max_shift_min=min((m.max_shift_min for m in meds), default=0),
        with_breakfast=any(m.with_breakfast for m in meds), latitude=prefs.latitude,
        longitude=prefs.longitude, prayer=prefs.prayer, quiet_hours=prefs.quiet_hours,
        ramadan_mode=prefs.ramadan_mode, ramadan_calendar=prefs.ramadan_calendar)


def next_plan(request: DayPlanRequest, prefs: Preferences) -> DayPlan | None:
    """The first day from `from_day` (or the patient's today) that has doses, planned."""
    zone = zone_named(prefs.zone)
    first = (date.fromisoformat(request.from_day) if request.from_day
             else request.now.astimezone(zone).date())
    day = next_day_with_doses(request.terms.schedule, prefs.zone, first - timedelta(days=1))
    if day is None:
        return None
    terms = plan_terms(request.terms, prefs)
    return plan_day(request.terms.schedule, terms, day,
                    first_reminder_after(request.terms.schedule, terms, day))


class MedicationPlanActivities:
    def __init__(self, directory: CareDirectory,
                 ramadan: Callable[[], list[tuple[str, str]]] = sighted_ramadan) -> None:
        self.directory = directory
        self.ramadan = ramadan  # the admin-set calendar; computed dates for years it lacks

    @activity.defn(name="plan_medication_day")
    def plan_day(self, request: DayPlanRequest) -> DayPlanResult:
        """The next day of the schedule with every reminder time worked out."""
        found = self.directory.preferences(request.patient_id, request.preferences)
        prefs = found or request.preferences
        if prefs.ramadan_mode:
            prefs = with_sighted(prefs, self.ramadan())
        return DayPlanResult(next_plan(request, prefs), prefs.language,
                             self.directory.name(request.patient_id) or "")

    @activity.defn(name="medication_contacts")
    def contacts(self, request: ContactsRequest) -> list[str]:
        """Whom to tell about a missed dose, as consent stands now."""
        found = self.directory.escalation_contacts(request.patient_id)
        return list(request.fallback) if found is None else found
