"""Doses and the messages about them, written as the workflows and the one delivery path write
them, for the tests of what a reply or a fresh socket is about (no workflow runs)."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

from temporalio.testing import ActivityEnvironment

from activities.delivery import DeliveryActivities
from activities.delivery_types import DeliveryBatch, DeliveryRequest
from channels.base import OutboundMessage, SendResult
from channels.local import WebSocketChannel
from db.engine import reading, writing
from db.models import Caregiver, DeliveryAttempt, DoseRecord, MedicationSchedule, Patient

EIGHT = datetime(2026, 3, 30, 0, 0, tzinfo=timezone.utc)  # 8:00 in Kuala Lumpur


class AcceptingSms:
    channel = "sms"

    def send(self, message: OutboundMessage) -> SendResult:
        return SendResult(provider_message_id=f"SM{uuid.uuid4().hex}")


def person(table: type[Patient] | type[Caregiver]) -> str:
    """A patient or caregiver with a phone the API would accept: other tests list these people
    from the same database."""
    tag, digits = uuid.uuid4().hex[:8], f"{uuid.uuid4().int % 10**8:08d}"
    with writing() as session:
        if table is Patient:
            session.add(Patient(id=f"patient-{tag}", name=f"Aminah {tag}",
                                time_zone="Asia/Kuala_Lumpur", phone=f"+6011{digits}"))
            return f"patient-{tag}"
        session.add(Caregiver(id=f"cg-{tag}", name=f"Carer {tag}", relationship="daughter",
                              phone=f"+6012{digits}"))
        return f"cg-{tag}"


def dose(patient_id: str, schedule_id: str, remind_at: datetime, outcome: str) -> DoseRecord:
    """The dose's row as the schedule records it (`outcome` as it now stands)."""
    dose_id = remind_at.strftime("%Y-%m-%dT%H:%M")
    row = DoseRecord(id=f"{schedule_id}/{dose_id}", schedule_id=schedule_id,
                     patient_id=patient_id, dose_id=dose_id, due_at=remind_at,
                     remind_at=remind_at, outcome=outcome)
    with writing() as session:
        session.merge(row)
    return row


def text(recipient_id: str, about: DoseRecord, step: str,
         kind: str = "medication_reminder", channel: str = "sms") -> DeliveryAttempt:
    """Send a medication message about `about` through the one delivery path (an SMS, or a page
    in the person's app)."""
    request = DeliveryRequest(
        attempt_id=f"{about.schedule_id}/{step}/{recipient_id}/{channel}",
        subject_id=about.schedule_id, recipient_id=recipient_id, channel=channel, kind=kind,
        content={"schedule_id": about.schedule_id, "patient_id": about.patient_id,
                 "dose_id": about.dose_id, "dose_time": "8:00", "patient_name": "Aminah"})
    ActivityEnvironment().run(DeliveryActivities({"sms": AcceptingSms(), "websocket": WebSocketChannel()}).deliver_batch,
                              DeliveryBatch([request]))
    with reading() as session:
        attempt = session.get(DeliveryAttempt, request.attempt_id)
    assert attempt is not None and attempt.outcome == "sent"
    return attempt


def schedule(patient_id: str | None = None, status: str = "active") -> str:
    """A schedule's id; with a patient, its projection row too (as the workflow's record writes it)."""
    schedule_id = f"med-{uuid.uuid4().hex[:8]}"
    if patient_id is not None:
        with writing() as session:
            session.add(MedicationSchedule(id=schedule_id, patient_id=patient_id, status=status,
                                           created_by="coordinator-test"))
    return schedule_id
