"""Record what an appointment workflow decided: projection row, live events, audit entry.

One transaction per change: the Appointment row, an event on the appointment's
own topic and on its facility's board topic, and the audit entry commit
together or not at all.
"""

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from temporalio import activity

from activities import webhook_care_events
from audit.chain import append as audit
from channels.appointment_messages import appointment_text
from channels.messages import location_text
from db.engine import writing
from db.models import Appointment, utcnow
from events.publish import publish
from events.topics import (
    appointment_topic,
    facility_appointments_topic,
    family_appointments_topic,
)
from workflows.appointment_fanout import FAMILY_UPDATES
from workflows.appointment_types import UPDATE_TYPES, AppointmentInput, AppointmentState


@dataclass
class AppointmentChange:
    appointment_id: str
    patient_id: str
    facility_id: str
    change: str  # a SPEC §2 update type, or reminder_sent / reminders_planned
    actor: str
    state: AppointmentState
    detail: dict[str, Any] = field(default_factory=dict)
    input: AppointmentInput | None = None  # on "created", so the projection can be (re)built
    time_zone: str = "UTC"  # the patient's: family read the time in it


def projection_from_input(data: AppointmentInput) -> Appointment:
    """The Appointment row an appointment's input describes, before anything has happened."""
    return Appointment(
        id=data.appointment_id, patient_id=data.patient_id, provider_id=data.provider_id,
        facility_id=data.facility_id, department=data.department, room=data.room,
        starts_at=data.starts_at, ends_at=data.ends_at, time_zone=data.time_zone,
        care_team=data.care_team, urgency=data.urgency, emergency=data.emergency,
        language=data.language, status=data.status, created_by=data.created_by)


def plain(value: Any) -> Any:
    """JSON-ready: times as ISO 8601 strings (JSON columns and the audit detail take no datetimes)."""
    return json.loads(json.dumps(value, default=lambda v: v.isoformat()))


def state_summary(state: AppointmentState) -> dict[str, Any]:
    """The part of the state a live viewer (the clinic board, the appointment's page) sees."""
    return plain({
        "status": state.status, "starts_at": state.starts_at, "ends_at": state.ends_at,
        "provider_id": state.provider_id, "department": state.department, "room": state.room,
        "urgency": state.urgency, "emergency": state.emergency,
        "reminders": [asdict(r) for r in state.reminders],
    })


def family_text(change: AppointmentChange) -> str:
    """The change in plain words, as family read it: where and when, nothing clinical."""
    state = change.state
    where = {"department": state.department, "room": state.room}
    content = {"update": change.change, "starts_at": state.starts_at.isoformat(),
               "time_zone": change.time_zone, "delay_minutes": change.detail.get("delay_minutes"),
               "location": where}
    return appointment_text("appointment_family", content, "en", location_text(where))


class AppointmentRecordActivities:
    @activity.defn(name="record_appointment_change")
    def record_change(self, change: AppointmentChange) -> None:
        """Update the projection, stream the change, and audit it, in one transaction."""
        state = change.state
        with writing() as session:
            row = session.get(Appointment, change.appointment_id)
            if row is None and change.input is not None:
                row = projection_from_input(change.input)
            if row is not None:
                row.status = state.status
                if change.change in UPDATE_TYPES:  # not reminders_planned, reminder_sent, ...
                    row.last_update = change.change
                row.starts_at, row.ends_at = state.starts_at, state.ends_at
                row.provider_id, row.department, row.room = (state.provider_id, state.department,
                                                             state.room)
                row.urgency, row.emergency = state.urgency, state.emergency
                row.reminders = plain([asdict(r) for r in state.reminders])
                row.checked_in_at = state.checked_in_at
                row.updated_at = utcnow()
                session.add(row)
            payload = {"change": change.change, "appointment_id": change.appointment_id,
                       "state": state_summary(state), **plain(change.detail)}
            for topic in (appointment_topic(change.appointment_id),
                          facility_appointments_topic(change.facility_id)):
                publish(session, topic=topic, kind=change.change, payload=payload)
            if change.change in FAMILY_UPDATES:
                publish(session, topic=family_appointments_topic(change.patient_id),
                        kind="appointment", payload={
                            "subject_id": change.appointment_id, "status": state.status,
                            "text": family_text(change)})
            audit(session, actor=change.actor, action=f"appointment.{change.change}",
                  subject=change.appointment_id,
                  detail={"patient_id": change.patient_id, **payload})
            webhook_care_events.appointment_changed(session, change)
