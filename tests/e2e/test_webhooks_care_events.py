"""A missed dose and an appointment change reach a subscribed endpoint, signed, thin and FHIR."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fhir.resources.R4B.bundle import Bundle
from standardwebhooks.webhooks import Webhook
from temporalio.client import Client

from cli.stack import Stack
from clinical.dose_times import DoseSchedule
from workflows.medication import MedicationScheduleWorkflow
from workflows.medication_types import (
    Medication,
    Preferences,
    ReminderPolicy,
    ScheduleInput,
    Terms,
)
from workflows.search_attributes import for_start
from tests.utils.waiting import eventually
from tests.utils.webhook_receiver import Receiver, subscribe, webhook_receiver

pytestmark = [pytest.mark.e2e, pytest.mark.clock_minutes(1)]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as running:
        yield running


async def _patient(admin: httpx.AsyncClient) -> str:
    patient = f"patient-{uuid.uuid4().hex[:8]}"
    recorded = await admin.post("/patients", json={"id": patient, "name": "Aminah Webhook",
                                                   "time_zone": "UTC"})
    assert recorded.status_code == 201, recorded.text
    return patient


def _fhir_resources(received: Any, secret: str) -> list[Any]:
    sent = Webhook(secret).verify(received.body, received.headers)
    return [entry.resource for entry in Bundle.model_validate(sent["data"]).entry]


async def _both(receiver: Receiver, key: str, value: str) -> tuple[Any, Any]:
    """The thin and the FHIR delivery about one subject (the FHIR one names it in identifiers)."""
    def found() -> tuple[Any, Any] | None:
        thin = receiver.about(key, value)
        fhir = [r for r in receiver.accepted() if "resourceType" in r.body and value in r.body]
        return (thin[0], fhir[0]) if thin and fhir else None
    return await eventually(found, timeout_s=150, what=f"both deliveries about {value}")


async def test_a_missed_dose_arrives_as_a_not_done_medication_administration(
        stack: Stack, admin: httpx.AsyncClient, receiver: Receiver,
        temporal_address: str) -> None:
    patient = await _patient(admin)
    thin = await subscribe(admin, receiver.url, ["medication.dose_missed"], patient_id=patient)
    fhir = await subscribe(admin, receiver.url + "?shape=fhir", ["medication.dose_missed"],
                           patient_id=patient, payload="fhir")
    # The API asks for a confirmation window of at least 5 minutes; the same workflow started
    # with none misses its dose at the reminder, the next whole minute at least 20 s away.
    due = (datetime.now(UTC) + timedelta(seconds=80)).replace(second=0, microsecond=0)
    data = ScheduleInput(
        schedule_id=f"medication-{uuid.uuid4().hex[:16]}", patient_id=patient,
        terms=Terms([Medication("m-417", "Metformin", "500 mg")],
                    DoseSchedule(start_date=due.date().isoformat(), times=[f"{due:%H:%M}"]),
                    ReminderPolicy(channels=["websocket"], confirm_window_min=0, re_reminders=0,
                                   escalation_channels=["websocket"])),
        preferences=Preferences(zone="UTC"), created_by="admin-raj")
    client = await Client.connect(temporal_address)
    handle = await client.start_workflow(
        MedicationScheduleWorkflow.run, data, id=data.schedule_id,
        task_queue=stack.env["VIGIL_ROUTINE_TASK_QUEUE"],
        search_attributes=for_start(kind="medication_schedule", patient_id=patient))
    try:
        thin_got, fhir_got = await _both(receiver, "schedule_id", data.schedule_id)
    finally:
        await handle.terminate("test over")
    sent = Webhook(thin["secret"]).verify(thin_got.body, thin_got.headers)
    assert sent["type"] == "medication.dose_missed"
    assert sent["data"]["outcome"] == "missed" and sent["data"]["patient_id"] == patient
    assert sent["data"]["dose_id"].endswith(f"{due:%H:%M}")
    assert "Metformin" not in thin_got.body and "m-417" not in thin_got.body
    assert "Aminah" not in thin_got.body

    (administration,) = _fhir_resources(fhir_got, fhir["secret"])
    assert administration.__class__.__name__ == "MedicationAdministration"
    assert administration.status == "not-done"
    assert administration.statusReason[0].text == "missed"
    assert administration.subject.reference == f"Patient/{patient}"
    assert administration.medicationReference.reference == "Medication/m-417"
    for endpoint in (thin, fhir):
        await admin.patch(f"/webhook-endpoints/{endpoint['id']}", json={"enabled": False})


async def test_an_appointment_room_change_arrives_as_the_appointment(
        admin: httpx.AsyncClient, receiver: Receiver) -> None:
    patient = await _patient(admin)
    thin = await subscribe(admin, receiver.url, ["appointment.updated"], patient_id=patient)
    fhir = await subscribe(admin, receiver.url + "?shape=fhir", ["appointment.updated"],
                           patient_id=patient, payload="fhir")
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    booked = await admin.post("/appointments", json={
        "patient_id": patient, "provider_id": "dr-lim", "facility_id": "vigil-general",
        "department": "Cardiology clinic", "room": "3", "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(minutes=30)).isoformat()})
    assert booked.status_code == 201, booked.text
    appointment_id = booked.json()["id"]
    changed = await admin.post(f"/appointments/{appointment_id}/updates",
                               json={"type": "room_change", "room": "12"})
    assert changed.status_code == 200, changed.text

    thin_got, fhir_got = await _both(receiver, "appointment_id", appointment_id)
    sent = Webhook(thin["secret"]).verify(thin_got.body, thin_got.headers)
    assert sent["type"] == "appointment.updated"  # the booking itself is appointment.created
    assert (sent["data"]["update"], sent["data"]["room"]) == ("room_change", "12")
    assert "Cardiology" not in thin_got.body and "Aminah" not in thin_got.body
    assert len(receiver.about("appointment_id", appointment_id)) == 1

    (appointment,) = _fhir_resources(fhir_got, fhir["secret"])
    assert appointment.__class__.__name__ == "Appointment" and appointment.status == "booked"
    assert appointment.start == start
    location = appointment.participant[2].actor
    assert (location.reference, location.identifier.value) == ("Location/vigil-general", "12")
    assert json.loads(fhir_got.body)["type"] == "appointment.updated"
    for endpoint in (thin, fhir):
        await admin.patch(f"/webhook-endpoints/{endpoint['id']}", json={"enabled": False})
