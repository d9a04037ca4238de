"""Medication and appointment webhooks: thin bodies carry ids only, FHIR bodies validate as R4."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, get_args

from fhir.resources.R4B.bundle import Bundle

from activities.webhook_events import EVENT_TYPES
from activities.webhook_payloads import body
from db.models import WebhookDelivery
from services.schemas.webhooks import EventType

AT = datetime(2026, 3, 1, 8, 30, tzinfo=timezone.utc)
DOSE = {"schedule_id": "med-1", "patient_id": "patient-001", "schedule_status": "active",
        "actor_id": "vigil", "dose_id": "2026-03-01T08:00", "due_at": "2026-03-01T08:00:00+00:00",
        "medications": ["metformin", "aspirin"], "reminders": 3, "escalated_to": ["cg-1"],
        "confirmed_at": None, "confirmed_by": None, "on_behalf": False, "via": None}
APPOINTMENT = {"appointment_id": "appt-1", "patient_id": "patient-001", "facility_id": "fac-1",
               "provider_id": "dr-tan", "update": "rescheduled", "status": "scheduled",
               "starts_at": "2026-03-02T09:00:00+00:00", "ends_at": "2026-03-02T09:30:00+00:00",
               "room": "12", "department": "Oncology", "urgency": "normal", "emergency": False,
               "delay_minutes": None, "checked_in_at": None}


def _resources(event_type: str, facts: dict[str, Any]) -> list[Any]:
    sent = body(WebhookDelivery(webhook_id="msg_1", endpoint_id="whe-1", event_type=event_type,
                                subject_id="x", facts=facts, occurred_at=AT), "fhir")
    assert sent["type"] == event_type
    return [entry.resource for entry in Bundle.model_validate(sent["data"]).entry]


def test_every_event_type_an_endpoint_may_subscribe_to_is_one_vigil_emits() -> None:
    assert get_args(EventType) == EVENT_TYPES


def test_a_missed_dose_is_a_not_done_medication_administration_per_medicine() -> None:
    resources = _resources("medication.dose_missed", {**DOSE, "outcome": "missed"})
    assert [r.__class__.__name__ for r in resources] == ["MedicationAdministration"] * 2
    assert {r.status for r in resources} == {"not-done"}
    assert resources[0].statusReason[0].coding[0].code == "missed"
    assert resources[0].identifier[0].system == "urn:vigil:dose"
    assert resources[0].subject.reference == "Patient/patient-001"
    assert resources[1].medicationReference.reference == "Medication/aspirin"


def test_a_dose_taken_is_a_completed_administration_at_its_confirmation() -> None:
    facts = {**DOSE, "outcome": "taken", "confirmed_at": "2026-03-01T08:05:00+00:00",
             "confirmed_by": "patient-001"}
    (first, _) = _resources("medication.dose_taken", facts)
    assert first.status == "completed" and first.statusReason is None
    assert first.effectiveDateTime.isoformat().startswith("2026-03-01T08:05")


def test_a_paused_schedule_is_an_on_hold_medication_request() -> None:
    facts = {"schedule_id": "med-1", "patient_id": "patient-001", "schedule_status": "paused",
             "actor_id": "cg-1", "medications": ["metformin"]}
    (request,) = _resources("medication.schedule_paused", facts)
    assert (request.status, request.intent) == ("on-hold", "order")


def test_an_appointment_change_is_the_appointment_as_it_now_stands() -> None:
    (appointment,) = _resources("appointment.updated", APPOINTMENT)
    assert appointment.status == "booked"
    assert appointment.start.isoformat() == "2026-03-02T09:00:00+00:00"
    actors = [p.actor.reference for p in appointment.participant]
    assert actors == ["Patient/patient-001", "Practitioner/dr-tan", "Location/fac-1"]
    assert appointment.participant[2].actor.identifier.value == "12"


def test_thin_bodies_withhold_medicines_and_departments() -> None:
    for event_type, facts in (("medication.dose_missed", {**DOSE, "outcome": "missed"}),
                              ("appointment.updated", APPOINTMENT)):
        sent = body(WebhookDelivery(webhook_id="msg_1", endpoint_id="whe-1",
                                    event_type=event_type, subject_id="x", facts=facts,
                                    occurred_at=AT), "thin")
        assert "medications" not in sent["data"] and "department" not in sent["data"]
        assert "metformin" not in str(sent) and "Oncology" not in str(sent)
        assert sent["data"]["patient_id"] == "patient-001"
