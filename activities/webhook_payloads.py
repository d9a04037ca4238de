"""What a webhook says: the Standard Webhooks body `{type, timestamp, data}`, thin or FHIR R4.

`thin` carries ids, states and times only: no patient name, no description,
no emergency type (it can name a condition). `fhir` carries FHIR R4
resources, each validated with fhir.resources (R4B, whose Communication,
Flag and Bundle are the R4 shapes) before it is sent: an emergency as a
`Communication` with its recipients and a `Flag` (active while the emergency
is open), an alarm as a `Flag`, a session's end as a `Communication`; a dose
as `MedicationAdministration`, a schedule's pause or stop as
`MedicationRequest`, an appointment as the `Appointment` (webhook_care_fhir.py).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fhir.resources.R4B.appointment import Appointment
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.communication import Communication
from fhir.resources.R4B.flag import Flag
from fhir.resources.R4B.medicationadministration import MedicationAdministration
from fhir.resources.R4B.medicationrequest import MedicationRequest

from activities.webhook_care_fhir import appointment_resource, medication_resources
from db.models import WebhookDelivery, as_utc

# An emergency type or a department can name a condition, a medication id the medicine.
THIN_WITHHELD = ("type", "department", "medications")
MODELS = {"Communication": Communication, "Flag": Flag, "Appointment": Appointment,
          "MedicationAdministration": MedicationAdministration,
          "MedicationRequest": MedicationRequest}
OPEN = ("active", "acknowledged", "unacknowledged")
SYSTEM = "urn:vigil"
FLAG_CATEGORY = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/flag-category",
                             "code": "clinical", "display": "Clinical"}]}


def body(delivery: WebhookDelivery, shape: str) -> dict[str, Any]:
    """The JSON body for one delivery; a FHIR resource that does not validate raises ValueError."""
    occurred = as_utc(delivery.occurred_at)
    assert occurred is not None
    facts = delivery.facts or {}
    if shape == "fhir":
        data: dict[str, Any] = fhir_bundle(delivery.event_type, facts, occurred)
    else:
        data = {k: v for k, v in facts.items() if k not in THIN_WITHHELD}
    return {"type": delivery.event_type, "timestamp": occurred.isoformat(), "data": data}


def fhir_bundle(event_type: str, facts: dict[str, Any], occurred: datetime) -> dict[str, Any]:
    """A `collection` Bundle of the event's resources, validated as a receiver would parse it."""
    if event_type.startswith("emergency."):
        resources = [_emergency_communication(facts, occurred), _emergency_flag(facts, occurred)]
    elif event_type == "monitoring.alarm":
        resources = [_alarm_flag(facts, occurred)]
    elif event_type.startswith("medication."):
        resources = medication_resources(event_type, facts, occurred)
    elif event_type.startswith("appointment."):
        resources = [appointment_resource(facts, occurred)]
    else:
        resources = [_session_communication(facts, occurred)]
    for resource in resources:
        _validated(MODELS[resource["resourceType"]], resource)
    bundle = {"resourceType": "Bundle", "type": "collection", "timestamp": occurred.isoformat(),
              "entry": [{"fullUrl": f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, _key(r))}",
                         "resource": r} for r in resources]}
    _validated(Bundle, bundle)
    return bundle


def _validated(model: Any, resource: dict[str, Any]) -> None:
    try:
        model.model_validate(resource)
    except Exception as error:  # pydantic's ValidationError, or fhir.resources' own
        raise ValueError(f"{resource.get('resourceType')} does not validate: {error}") from error


def _key(resource: dict[str, Any]) -> str:
    return f"{SYSTEM}/{resource['resourceType']}/{resource['identifier'][0]['value']}"


def _patient(facts: dict[str, Any]) -> dict[str, str]:
    return {"reference": f"Patient/{facts['patient_id']}"}


def _emergency_communication(facts: dict[str, Any], occurred: datetime) -> dict[str, Any]:
    status = facts.get("status")
    resource: dict[str, Any] = {
        "resourceType": "Communication",
        "identifier": [{"system": f"{SYSTEM}/emergency", "value": facts["emergency_id"]}],
        "status": "in-progress" if status in OPEN else "completed",
        "category": [{"text": "emergency-alert"}],
        "priority": "stat" if facts.get("severity") in ("critical", "emergent") else "urgent",
        "subject": _patient(facts),
        "sent": facts.get("created_at") or occurred.isoformat(),
        "recipient": [{"reference": f"Practitioner/{staff_id}"}
                      for staff_id in facts.get("paged", [])],
        "payload": [{"contentString": f"Emergency ({facts.get('severity')}) {status}"}],
    }
    if facts.get("acknowledged_at"):
        resource["received"] = facts["acknowledged_at"]
    if facts.get("facility_id"):
        resource["about"] = [{"reference": f"Location/{facts['facility_id']}"}]
    return resource


def _emergency_flag(facts: dict[str, Any], occurred: datetime) -> dict[str, Any]:
    return {
        "resourceType": "Flag",
        "identifier": [{"system": f"{SYSTEM}/emergency-flag", "value": facts["emergency_id"]}],
        "status": "active" if facts.get("status") in OPEN else "inactive",
        "category": [FLAG_CATEGORY],
        "code": {"text": f"Emergency: {facts.get('type') or 'other'} ({facts.get('severity')})"},
        "subject": _patient(facts),
        "period": {"start": facts.get("created_at") or occurred.isoformat()},
    }


def _alarm_flag(facts: dict[str, Any], occurred: datetime) -> dict[str, Any]:
    return {
        "resourceType": "Flag",
        "identifier": [{"system": f"{SYSTEM}/alarm",
                        "value": f"{facts['session_id']}/{facts['alarm_key']}"}],
        "status": "inactive" if facts.get("change") == "clear" else "active",
        "category": [FLAG_CATEGORY],
        "code": {"text": f"Monitoring alarm {facts['alarm_key']} ({facts.get('priority')})"},
        "subject": _patient(facts),
        "period": {"start": facts.get("at") or occurred.isoformat()},
    }


def _session_communication(facts: dict[str, Any], occurred: datetime) -> dict[str, Any]:
    return {
        "resourceType": "Communication",
        "identifier": [{"system": f"{SYSTEM}/monitoring", "value": facts["session_id"]}],
        "status": "completed",
        "category": [{"text": "monitoring-ended"}],
        "subject": _patient(facts),
        "sent": occurred.isoformat(),
        "payload": [{"contentString": "Monitoring session ended"}],
    }
