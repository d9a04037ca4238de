"""What a signed link in a medication email names: whose dose, which, and who may confirm it.

The link is the one kind every email carries (channels.ack_links): it names the
delivery attempt and the person it went to, and for a medication message the
dose. The person acts as themself: the patient for their own dose, a caregiver
on the patient's behalf only while their `medication` consent is in force
(services.medication.actor_for checks it when the button is pressed).
"""

from __future__ import annotations

from dataclasses import dataclass

from channels.ack_links import AckClaim
from clinical.dose_plan import dose_label
from clinical.dose_times import zone_named
from db.engine import reading
from db.models import Caregiver, DeliveryAttempt, DoseRecord, MedicationSchedule, Patient, as_utc
from services.principal import Principal


@dataclass
class DoseLink:
    principal: Principal  # the person the email went to, as the API would know them
    language: str
    schedule: MedicationSchedule
    dose_id: str
    dose: DoseRecord | None  # None until the reminder's record is written
    time: str  # the reminder's wall-clock time, "8:00"
    patient_name: str


def is_dose_link(attempt: DeliveryAttempt | None) -> bool:
    return attempt is not None and attempt.kind.startswith("medication")


def dose_link(claim: AckClaim) -> DoseLink | None:
    """The dose a genuine link names, or None if it names nothing a person may confirm."""
    if claim.dose_id is None:
        return None
    with reading() as session:
        attempt = session.get(DeliveryAttempt, claim.attempt_id)
        if attempt is None or attempt.recipient_id != claim.staff_id:
            return None
        schedule = session.get(MedicationSchedule, attempt.subject_id)
        patient = session.get(Patient, schedule.patient_id) if schedule else None
        person = session.get(Patient, claim.staff_id) or session.get(Caregiver, claim.staff_id)
        if schedule is None or person is None:
            return None
        dose = session.get(DoseRecord, f"{schedule.id}/{claim.dose_id}")
    role = "patient" if isinstance(person, Patient) else "family"
    zone = patient.time_zone if patient else str(schedule.preferences.get("zone", "UTC"))
    when = as_utc(dose.remind_at) if dose else None
    return DoseLink(Principal(person.id, (role,)), person.language, schedule, claim.dose_id, dose,
                    dose_label(when, zone_named(zone)) if when else claim.dose_id[-5:],
                    patient.name if patient else "")
