"""What an appointment workflow looks up: its reminder times and who of the family may be told.

Both read the database, so they are activities: the workflow sees their answers
recorded in its history and replays them as they were.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from temporalio import activity

from activities.consents import consented_people
from clinical.appointment_reminders import plan_reminders
from db.engine import reading
from db.models import Patient
from workflows.appointment_types import Reminder, ReminderPlanRequest


@dataclass
class FamilyQuery:
    patient_id: str


def quiet_hours_of(patient_id: str) -> tuple[time, time] | None:
    """The patient's quiet hours from their stored preferences, if they set any."""
    with reading() as session:
        patient = session.get(Patient, patient_id)
    quiet = (patient.preferences or {}).get("quiet_hours") if patient else None
    if not quiet:
        return None
    return time.fromisoformat(quiet["start"]), time.fromisoformat(quiet["end"])


class AppointmentPlanActivities:
    @activity.defn(name="plan_appointment_reminders")
    def plan_reminders(self, request: ReminderPlanRequest) -> list[Reminder]:
        """The reminders still to send, moved out of the patient's quiet hours."""
        planned = plan_reminders(starts_at=request.starts_at, offsets_s=request.offsets_s,
                                 time_zone=request.time_zone, now=request.now,
                                 quiet_hours=quiet_hours_of(request.patient_id))
        return [Reminder(p.offset_s, p.due_at, p.moved_from) for p in planned]

    @activity.defn(name="appointment_family")
    def family(self, query: FamilyQuery) -> list[str]:
        """Caregivers whose consent in force covers appointments, asked afresh at every update
        so a revocation stops their updates at once."""
        return consented_people(patient_id=query.patient_id, scope="appointments")
