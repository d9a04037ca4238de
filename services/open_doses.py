"""What an app is shown when it connects fresh: the doses waiting for its person to confirm.

A patient's socket without a resume point has seen nothing; like a staff inbox it replays what
can still be acted on. For each open dose of the patient's own running schedules: the newest
reminder about it in their inbox, or, when none reached the app (a plan reminding by SMS only),
the schedule's own newest event about that dose (which the patient may read anyway:
`GET /medication-schedules/{id}/events`). Each carries `schedule_id` and `dose_id`, all a
`confirm` frame needs.

A caregiver is paged about a patient's dose only once it is missed, and may then confirm it
late until the schedule's next dose begins. Their fresh socket replays each such page in their
inbox whose dose can still be confirmed late (missed, and the newest dose of a running
schedule), while their consent covering medication for that patient is in force.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from db.engine import reading
from db.models import DoseRecord, Event, MedicationSchedule
from events.publish import event_dict
from events.topics import medication_topic, staff_topic
from services.consent import consenting_patients


def open_doses(patient_id: str, up_to_id: int) -> list[dict[str, Any]]:
    """One event per open dose of the patient's own schedules, up to `up_to_id`, oldest first."""
    with reading() as session:
        doses = session.exec(select(DoseRecord).where(
            DoseRecord.patient_id == patient_id, DoseRecord.outcome == "open",
            col(DoseRecord.schedule_id).in_(select(MedicationSchedule.id).where(
                MedicationSchedule.patient_id == patient_id,
                MedicationSchedule.status == "active")))).all()
        found = [event for dose in doses
                 if (event := _about(session, patient_id, dose, up_to_id)) is not None]
    return sorted(found, key=lambda e: e["id"])


def late_doses_paged(caregiver_id: str, up_to_id: int) -> list[dict[str, Any]]:
    """The caregiver's pages, up to `up_to_id`, about missed doses they may still confirm late
    for a patient whose consent covering medication is in force, oldest first."""
    with reading() as session:
        patients = consenting_patients(session, caregiver_id, "medication")
        missed = session.exec(select(DoseRecord).where(
            col(DoseRecord.patient_id).in_(patients), DoseRecord.outcome == "missed",
            col(DoseRecord.schedule_id).in_(select(MedicationSchedule.id).where(
                MedicationSchedule.status == "active")))).all()
        found = [event_dict(page) for dose in missed if _still_late(session, dose)
                 and (page := _page(session, caregiver_id, dose, up_to_id)) is not None]
    return sorted(found, key=lambda e: e["id"])


def _still_late(session: Session, dose: DoseRecord) -> bool:
    """Whether a missed dose may still be confirmed late: its schedule has opened no dose since
    (the workflow ends the late window when the next dose begins; a suppressed one does not)."""
    return session.exec(select(DoseRecord.id).where(
        DoseRecord.schedule_id == dose.schedule_id, col(DoseRecord.due_at) > dose.due_at,
        DoseRecord.outcome != "suppressed").limit(1)).first() is None


def _page(session: Session, person_id: str, dose: DoseRecord, up_to_id: int) -> Event | None:
    """The newest event in the person's inbox about this dose, up to `up_to_id`."""
    payload = col(Event.payload)
    return session.exec(select(Event).where(
        Event.topic == staff_topic(person_id), col(Event.id) <= up_to_id,
        payload["subject_id"].as_string() == dose.schedule_id,
        payload[("detail", "dose_id")].as_string() == dose.dose_id)
        .order_by(col(Event.id).desc()).limit(1)).first()


def _about(session: Session, patient_id: str, dose: DoseRecord,
           up_to_id: int) -> dict[str, Any] | None:
    payload = col(Event.payload)
    reminder = _page(session, patient_id, dose, up_to_id)
    if reminder is None:
        reminder = session.exec(select(Event).where(
            Event.topic == medication_topic(dose.schedule_id), col(Event.id) <= up_to_id,
            payload[("dose", "dose_id")].as_string() == dose.dose_id)
            .order_by(col(Event.id).desc()).limit(1)).first()
    return event_dict(reminder) if reminder is not None else None
