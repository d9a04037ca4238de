"""FHIR R4 MedicationRequest bodies for the tests: a valid one, and any part of it changed."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from typing import Any


def medication_request(patient_id: str, medicine_id: str = "metformin", *,
                       repeat: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    """Metformin 500 mg at 08:00 and 20:00 for a week from the day after tomorrow."""
    start = date.today() + timedelta(days=2)  # tomorrow, in any zone
    resource: dict[str, Any] = {
        "resourceType": "MedicationRequest", "id": medicine_id, "status": "active",
        "intent": "order", "subject": {"reference": f"Patient/{patient_id}"},
        "medicationCodeableConcept": {"text": "Metformin",
                                      "coding": [{"system": "http://snomed.info/sct",
                                                  "code": "109081006"}]},
        "dosageInstruction": [{
            "text": "with food",
            "timing": {"repeat": repeat if repeat is not None else {
                "frequency": 2, "period": 1, "periodUnit": "d",
                "timeOfDay": ["08:00:00", "20:00:00"],
                "boundsPeriod": {"start": start.isoformat(),
                                 "end": (start + timedelta(days=6)).isoformat()}}},
            "doseAndRate": [{"doseQuantity": {"value": 500, "unit": "mg"}}]}],
    }
    resource.update(copy.deepcopy(fields))
    return resource
