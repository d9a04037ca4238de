"""Webhook events from medication schedules and appointments, queued beside their audit entry.

Like activities/webhook_events.py (whose `queue` writes the outbox rows), these
run inside the record activity's transaction. The facts are ids, states and
times: no medicine name, no free-text reason. Medication ids are kept, but the
thin shape withholds them (an integrator may have named one after the drug).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import Session

from activities.webhook_events import iso, queue
from db.models import MedicationSchedule

if TYPE_CHECKING:
    from activities.appointment_records import AppointmentChange
    from activities.medication_records import MedicationChange

MEDICATION_EVENTS = {
    "dose_missed": "medication.dose_missed", "dose_taken": "medication.dose_taken",
    "dose_late": "medication.dose_late", "dose_skipped": "medication.dose_skipped",
    "paused": "medication.schedule_paused", "resumed": "medication.schedule_resumed",
    "stopped": "medication.schedule_stopped",
}
# Every SPEC §2 update but the first is an `appointment.updated`; reminders are not sent.
APPOINTMENT_UPDATES = ("scheduled", "rescheduled", "cancelled", "checked_in", "in_progress",
                       "completed", "no_show", "emergency", "provider_delay", "patient_delay",
                       "room_change", "provider_change", "urgency_change")


def medication_changed(session: Session, change: MedicationChange) -> int:
    """Queue the webhook event a schedule's recorded change stands for, if it is one."""
    event_type = MEDICATION_EVENTS.get(change.change)
    if event_type is None:
        return 0
    facts: dict[str, object] = {"schedule_id": change.schedule_id,
                                "patient_id": change.patient_id,
                                "schedule_status": change.view.status, "actor_id": change.actor}
    dose = change.dose
    if dose is not None:
        facts.update({"dose_id": dose.dose_id, "outcome": dose.outcome, "due_at": iso(dose.due_at),
                      "medications": list(dose.medications), "reminders": dose.reminders,
                      "escalated_to": list(dose.escalated_to),
                      "confirmed_at": iso(dose.confirmed_at), "confirmed_by": dose.confirmed_by,
                      "on_behalf": dose.on_behalf, "via": dose.via})
    else:  # the schedule as a whole: its medicines, from the projection this transaction wrote
        row = session.get(MedicationSchedule, change.schedule_id)
        facts["medications"] = [m.get("id") for m in (row.medications if row else [])]
    return queue(session, event_type, change.schedule_id, change.patient_id, None, facts)


def appointment_changed(session: Session, change: AppointmentChange) -> int:
    """Queue `appointment.created` or `appointment.updated` for a recorded SPEC §2 update."""
    if change.change == "created":
        event_type = "appointment.created"
    elif change.change in APPOINTMENT_UPDATES:
        event_type = "appointment.updated"
    else:
        return 0
    state = change.state
    facts = {"appointment_id": change.appointment_id, "patient_id": change.patient_id,
             "facility_id": change.facility_id, "provider_id": state.provider_id,
             "update": change.change, "status": state.status, "starts_at": iso(state.starts_at),
             "ends_at": iso(state.ends_at), "room": state.room, "department": state.department,
             "urgency": state.urgency, "emergency": state.emergency,
             "delay_minutes": change.detail.get("delay_minutes"),
             "checked_in_at": iso(state.checked_in_at)}
    return queue(session, event_type, change.appointment_id, change.patient_id,
                 change.facility_id, facts)
