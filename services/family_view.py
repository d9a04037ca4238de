"""What a patient, or family with the patient's consent, sees of the patient: words, not data.

The topics a caller may follow come from the consent in force (`update_topics`, shared with the
/patients/{id}/updates stream); a caregiver sees only what happened since their consent was
granted. Today's doses appear only under a `medication` consent (or to the patient themself).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from audit.chain import append as audit
from db.engine import reading, writing
from db.models import DoseRecord, Event, Patient
from events.topics import family_appointments_topic, family_topic
from services.consent import Access, consenting_patients, require_consent
from services.principal import Principal

UPDATE_SCOPES = ("emergencies", "monitoring", "appointments")
RECENT = 10


def update_topics(patient_id: str, person_id: str, access: Access) -> dict[str, str]:
    """Topic -> the consent scope it needs, for the scopes `access` holds."""
    topics = {family_topic(patient_id): "emergencies",
              family_appointments_topic(patient_id): "appointments"}
    if access.who != "staff":
        topics[family_topic(patient_id, person_id)] = "monitoring"
    return {topic: scope for topic, scope in topics.items() if scope in access.scopes}


def _today(patient: Patient, now: datetime) -> tuple[datetime, datetime]:
    zone = ZoneInfo(patient.time_zone or "UTC")
    day = now.astimezone(zone).date()
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(timezone.utc)
    return start, start + timedelta(days=1)


def patient_view(user: Principal, patient_id: str, *,
                 now: datetime | None = None) -> dict[str, Any]:
    """The patient's name, their latest updates in words, and today's doses (if consented);
    a 403 for anyone the records do not authorise. The read is audited."""
    access = require_consent(user, patient_id, (*UPDATE_SCOPES, "medication"))
    topics = update_topics(patient_id, user.sub, access)
    with reading() as session:
        patient = session.get(Patient, patient_id)
        query = select(Event).where(col(Event.topic).in_(list(topics)))
        if access.since is not None:
            query = query.where(Event.created_at >= access.since)
        events = session.exec(query.order_by(col(Event.id).desc()).limit(RECENT)).all()
        doses: list[DoseRecord] = []
        if patient is not None and "medication" in access.scopes:
            start, end = _today(patient, now or datetime.now(timezone.utc))
            doses = list(session.exec(select(DoseRecord).where(
                DoseRecord.patient_id == patient_id, col(DoseRecord.due_at) >= start,
                col(DoseRecord.due_at) < end).order_by(col(DoseRecord.due_at))).all())
    with writing() as session:
        audit(session, actor=user.sub, action="patient_data.read", subject=patient_id,
              detail={"what": "status", "scopes": sorted(access.scopes)})
    updates = [{"at": e.created_at, "text": e.payload.get("text") or e.kind.replace("_", " ")}
               for e in events]
    return {"patient_id": patient_id, "name": patient.name if patient else patient_id,
            "updates": updates, "doses": [d.model_dump() for d in doses],
            "shows_doses": "medication" in access.scopes, "who": access.who}


def patients_of(user: Principal) -> list[str]:
    """The patients a patient or family member may open: themself, or their consents in force."""
    if "patient" in user.roles:
        return [user.sub]
    with reading() as session:
        return consenting_patients(session, user.sub)
