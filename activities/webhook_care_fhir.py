"""FHIR R4 resources for medication and appointment webhooks (validated in webhook_payloads.py).

- a dose event is one `MedicationAdministration` per medicine of the dose, built
  as the API builds its Bundle (clinical/fhir_medication.py): taken or late →
  `completed`, missed or skipped → `not-done` with the outcome in `statusReason`;
  the medicine by reference only (the facts hold no names);
- a schedule paused, resumed or stopped is one `MedicationRequest` per medicine,
  `on-hold`, `active` or `stopped`;
- an appointment created or changed is the `Appointment` as it now stands, with
  participants in the shape Vigil reads back (services/appointment_fhir.py): the
  room as a `Location` identifier (`urn:vigil:room`), the department as its display.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from clinical.fhir_medication import medication_administration

SYSTEM = "urn:vigil"
ROOM_SYSTEM = "urn:vigil:room"
SCHEDULE_STATUS = {"medication.schedule_paused": "on-hold",
                   "medication.schedule_resumed": "active",
                   "medication.schedule_stopped": "stopped"}
# Vigil's appointment status → FHIR R4 Appointment.status (R4 has no "in progress": arrived).
APPOINTMENT_STATUS = {"created": "proposed", "scheduled": "booked", "checked_in": "checked-in",
                      "in_progress": "arrived", "completed": "fulfilled",
                      "cancelled": "cancelled", "no_show": "noshow"}


def _patient(facts: dict[str, Any]) -> dict[str, str]:
    return {"reference": f"Patient/{facts['patient_id']}"}


def _medication(med_id: str) -> dict[str, str]:
    return {"reference": f"Medication/{med_id}"}


def medication_resources(event_type: str, facts: dict[str, Any],
                         occurred: datetime) -> list[dict[str, Any]]:
    if event_type in SCHEDULE_STATUS:
        return [{"resourceType": "MedicationRequest",
                 "identifier": [{"system": f"{SYSTEM}/medication-schedule",
                                 "value": f"{facts['schedule_id']}/{med_id}"}],
                 "status": SCHEDULE_STATUS[event_type], "intent": "order",
                 "medicationReference": _medication(med_id), "subject": _patient(facts),
                 "authoredOn": occurred.isoformat()}
                for med_id in facts.get("medications") or []]
    return [medication_administration(
        dose_key=f"{facts['schedule_id']}/{facts['dose_id']}", medicine_id=med_id,
        patient_id=facts["patient_id"], outcome=facts["outcome"],
        effective=facts.get("confirmed_at") or facts.get("due_at") or occurred.isoformat())
        for med_id in facts.get("medications") or []]


def appointment_resource(facts: dict[str, Any], occurred: datetime) -> dict[str, Any]:
    location: dict[str, Any] = {"reference": f"Location/{facts['facility_id']}"}
    if facts.get("room"):
        location["identifier"] = {"system": ROOM_SYSTEM, "value": facts["room"]}
    if facts.get("department"):
        location["display"] = facts["department"]
    return {
        "resourceType": "Appointment",
        "identifier": [{"system": f"{SYSTEM}/appointment", "value": facts["appointment_id"]}],
        "status": APPOINTMENT_STATUS.get(facts["status"], "booked"),
        "start": facts["starts_at"], "end": facts["ends_at"],
        "comment": f"Vigil update: {facts['update']}",
        "participant": [
            {"actor": _patient(facts), "status": "accepted"},
            {"actor": {"reference": f"Practitioner/{facts['provider_id']}"}, "status": "accepted"},
            {"actor": location, "status": "accepted"},
        ],
    }
