"""FHIR R4 resources for medication and appointment webhooks (validated in webhook_payloads.py).

- a dose event is one `MedicationAdministration` per medicine of the dose:
  taken or late → `completed`, missed or skipped → `not-done` with the reason
  in `statusReason`;
- a schedule paused, resumed or stopped is one `MedicationRequest` per medicine,
  `on-hold`, `active` or `stopped`;
- an appointment created or changed is the `Appointment` as it now stands, with
  participants in the shape Vigil reads back (services/appointment_fhir.py): the
  room as a `Location` identifier (`urn:vigil:room`), the department as its display.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

SYSTEM = "urn:vigil"
ROOM_SYSTEM = "urn:vigil:room"
DOSE_STATUS = {"taken": "completed", "late": "completed", "missed": "not-done",
               "skipped": "not-done"}
SCHEDULE_STATUS = {"medication.schedule_paused": "on-hold",
                   "medication.schedule_resumed": "active",
                   "medication.schedule_stopped": "stopped"}
# Vigil's appointment status → FHIR R4 Appointment.status (R4 has no "in progress": arrived).
APPOINTMENT_STATUS = {"created": "proposed", "scheduled": "booked", "checked_in": "checked-in",
                      "in_progress": "arrived", "completed": "fulfilled",
                      "cancelled": "cancelled", "no_show": "noshow"}
DOSE_SYSTEM = "urn:vigil:dose"
OUTCOME_SYSTEM = "urn:vigil:dose-outcome"


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
    outcome = facts["outcome"]
    resources = []
    for med_id in facts.get("medications") or []:
        resource: dict[str, Any] = {
            "resourceType": "MedicationAdministration",
            # The identifier and reason codes the API's MedicationAdministration Bundle uses,
            # so a receiver can match a webhook to what it reads there.
            "identifier": [{"system": DOSE_SYSTEM,
                            "value": f"{facts['schedule_id']}/{facts['dose_id']}/{med_id}"}],
            "status": DOSE_STATUS[outcome], "medicationReference": _medication(med_id),
            "subject": _patient(facts),
            "effectiveDateTime": facts.get("confirmed_at") or facts.get("due_at")
            or occurred.isoformat(),
        }
        if resource["status"] == "not-done":
            resource["statusReason"] = [{"coding": [{"system": OUTCOME_SYSTEM, "code": outcome}],
                                         "text": outcome}]
        resources.append(resource)
    return resources


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
