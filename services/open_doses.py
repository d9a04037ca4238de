"""What a patient's app is shown when it connects fresh: the doses waiting for them to confirm.

A patient's socket without a resume point has seen nothing; like a staff inbox it replays what
can still be acted on. For each open dose of the patient's own running schedules: the newest
reminder about it in their inbox, or, when none reached the app (a plan reminding by SMS only),
the schedule's own newest event about that dose (which the patient may read anyway:
`GET /medication-schedules/{id}/events`). Each carries `schedule_id` and `dose_id`, all a
`confirm` frame needs.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from db.engine import reading
from db.models import DoseRecord, Event, MedicationSchedule
from events.publish import event_dict
from events.topics import medication_topic, staff_topic


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


def _about(session: Session, patient_id: str, dose: DoseRecord,
           up_to_id: int) -> dict[str, Any] | None:
    payload = col(Event.payload)
    reminder = session.exec(select(Event).where(
        Event.topic == staff_topic(patient_id), col(Event.id) <= up_to_id,
        payload["subject_id"].as_string() == dose.schedule_id,
        payload[("detail", "dose_id")].as_string() == dose.dose_id)
        .order_by(col(Event.id).desc()).limit(1)).first()
    if reminder is None:
        reminder = session.exec(select(Event).where(
            Event.topic == medication_topic(dose.schedule_id), col(Event.id) <= up_to_id,
            payload[("dose", "dose_id")].as_string() == dose.dose_id)
            .order_by(col(Event.id).desc()).limit(1)).first()
    return event_dict(reminder) if reminder is not None else None
