"""Reading one emergency for a person: the row, every delivery attempt, the timeline so far.

The API's `GET /emergencies/{id}` and the console's emergency page both read through here,
so both see the same attempts and both audit the read the same way.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from audit.chain import append as audit
from db.engine import reading, writing
from db.models import DeliveryAttempt, Event
from events.publish import event_dict
from events.topics import emergency_topic
from services.emergencies import get_emergency
from services.principal import Principal

# An emergency's own story is short (changes and deliveries); this bounds a pathological one.
MAX_TIMELINE_EVENTS = 500


def emergency_detail(*, emergency_id: str, user: Principal) -> dict[str, Any]:
    """The emergency with every delivery attempt made for it; the read is audited."""
    row = get_emergency(emergency_id)
    with reading() as session:
        attempts = session.exec(select(DeliveryAttempt)
                                .where(DeliveryAttempt.subject_id == emergency_id)
                                .order_by(col(DeliveryAttempt.created_at))).all()
    with writing() as session:
        audit(session, actor=user.sub, action="patient_data.read", subject=emergency_id,
              detail={"patient_id": row.patient_id})
    return {**row.model_dump(), "attempts": [a.model_dump() for a in attempts]}


def emergency_timeline(*, emergency_id: str) -> list[dict[str, Any]]:
    """Every live event of the emergency so far (its changes and deliveries), oldest first."""
    with reading() as session:
        rows = session.exec(select(Event).where(Event.topic == emergency_topic(emergency_id))
                            .order_by(col(Event.id)).limit(MAX_TIMELINE_EVENTS)).all()
    return [event_dict(row) for row in rows]
