"""Medication schedules on the running stack: fresh patients and caregivers, a dose due in the
next minute, and what the stack recorded about it.

Doses fall on whole minutes of the patient's wall clock, so a test waits at most a minute
for its first one; a dose's window closes early at the next dose's reminder (never two open
at once), so a plan of two consecutive minutes misses its first dose a minute later.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlmodel import select

from db.engine import reading
from db.models import DeliveryAttempt, DoseRecord, OutboxMessage
from tests.utils.records import attempts

ZONE = "Asia/Kuala_Lumpur"


def minutes_ahead(count: int, zone: str = ZONE, *, margin_s: int = 10) -> list[datetime]:
    """The next `count` whole minutes on the zone's clock, the first at least `margin_s` away
    (time to create the schedule and plan its day before the dose falls due)."""
    now = datetime.now(ZoneInfo(zone))
    first = (now + timedelta(seconds=margin_s, minutes=1)).replace(second=0, microsecond=0)
    return [first + timedelta(minutes=i) for i in range(count)]


def plan_body(patient_id: str, doses: list[datetime], **reminders: Any) -> dict[str, Any]:
    """Metformin at these local minutes (one day), reminders on the given channels."""
    return {
        "patient_id": patient_id,
        "medications": [{"id": "m1", "name": "Metformin", "dose": "500 mg",
                         "instructions": "with food"}],
        "schedule": {"start_date": doses[0].date().isoformat(),
                     "end_date": doses[-1].date().isoformat(),
                     "times": [d.strftime("%H:%M") for d in doses]},
        "preferences": {"zone": str(doses[0].tzinfo)},
        "reminders": {"channels": ["websocket"], "escalation_channels": ["websocket"],
                      "re_reminders": 0, **reminders},
    }


def dose_id(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M")


def fresh_phone() -> str:
    return f"+6011{uuid.uuid4().int % 10**8:08d}"


async def new_patient(staff: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    """A patient of the test's own: their number answers only to this test's replies."""
    tag = uuid.uuid4().hex[:8]
    body = {"id": f"patient-{tag}", "name": f"Aminah {tag}", "language": "en", "time_zone": ZONE,
            "phone": fresh_phone(), "email": f"patient-{tag}@home.example", **fields}
    created = await staff.post("/patients", json=body)
    assert created.status_code == 201, created.text
    return created.json()


async def new_caregiver(staff: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:8]
    body = {"id": f"cg-{tag}", "name": f"Carer {tag}", "relationship": "daughter",
            "phone": fresh_phone(), **fields}
    created = await staff.post("/caregivers", json=body)
    assert created.status_code == 201, created.text
    return created.json()


async def consent(staff: httpx.AsyncClient, patient_id: str, person_id: str, scopes: list[str],
                  *, escalation_contact: bool = True) -> str:
    granted = await staff.post(f"/patients/{patient_id}/consents", json={
        "person_id": person_id, "scopes": scopes, "escalation_contact": escalation_contact,
        "reason": "the patient asked at the clinic (test)"})
    assert granted.status_code == 201, granted.text
    return str(granted.json()["id"])


async def start_plan(staff: httpx.AsyncClient, body: dict[str, Any]) -> str:
    created = await staff.post("/medication-schedules", json=body)
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def dose(schedule_id: str, at: datetime) -> DoseRecord | None:
    with reading() as session:
        return session.get(DoseRecord, f"{schedule_id}/{dose_id(at)}")


def dose_is(schedule_id: str, at: datetime, outcome: str) -> DoseRecord | None:
    found = dose(schedule_id, at)
    return found if found is not None and found.outcome == outcome else None


def reminders(schedule_id: str, **where: object) -> list[DeliveryAttempt]:
    return attempts(schedule_id, kind="medication_reminder", **where)


def outbox(attempt_id: str) -> list[OutboxMessage]:
    """The outbox rows an attempt wrote (the SMS and email text as sent)."""
    with reading() as session:
        return list(session.exec(select(OutboxMessage)
                                 .where(OutboxMessage.attempt_id == attempt_id)).all())
