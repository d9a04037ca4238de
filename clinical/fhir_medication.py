"""One medicine of one dose as a FHIR R4 `MedicationAdministration`: the one builder.

The API's MedicationAdministration Bundle (services/medication_administrations.py)
and the dose webhooks (activities/webhook_care_fhir.py) both build from it, so a
receiver can match a webhook to what it reads from the API: the same identifier
(`urn:vigil:dose`, "<schedule id>/<dose id>/<medicine id>"), the same status
(taken or late → `completed`, skipped or missed → `not-done`) and the same
outcome code in `statusReason` (`urn:vigil:dose-outcome`). Pure: a dict out,
which each caller validates with fhir.resources after adding what it knows.
"""

from __future__ import annotations

from typing import Any

DOSE_SYSTEM = "urn:vigil:dose"
OUTCOME_SYSTEM = "urn:vigil:dose-outcome"
STATUS = {"taken": "completed", "late": "completed", "skipped": "not-done", "missed": "not-done"}


def medication_administration(*, dose_key: str, medicine_id: str, patient_id: str, outcome: str,
                              effective: str, medicine_name: str | None = None,
                              reason_text: str | None = None) -> dict[str, Any]:
    """The resource for one medicine of the dose `dose_key` ("<schedule id>/<dose id>").

    The medicine is named (`medicationCodeableConcept`) when `medicine_name` is given, else
    referenced by id (`Medication/<id>`). A `not-done` one carries its outcome as the reason,
    with `reason_text` (or the outcome) as its text.
    """
    status = STATUS[outcome]
    medication: dict[str, Any] = (
        {"medicationCodeableConcept": {"text": medicine_name}} if medicine_name is not None
        else {"medicationReference": {"reference": f"Medication/{medicine_id}"}})
    resource: dict[str, Any] = {
        "resourceType": "MedicationAdministration",
        "identifier": [{"system": DOSE_SYSTEM, "value": f"{dose_key}/{medicine_id}"}],
        "status": status, **medication,
        "subject": {"reference": f"Patient/{patient_id}"},
        "effectiveDateTime": effective,
    }
    if status == "not-done":
        resource["statusReason"] = [{"coding": [{"system": OUTCOME_SYSTEM, "code": outcome}],
                                     "text": reason_text or outcome}]
    return resource
