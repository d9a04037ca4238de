"""The one MedicationAdministration builder: what the API's Bundle and the dose webhooks share."""

from __future__ import annotations

from fhir.resources.R4B.medicationadministration import MedicationAdministration

from clinical.fhir_medication import medication_administration


def test_a_missed_dose_is_not_done_with_its_outcome_coded_and_the_given_reason_as_text() -> None:
    resource = MedicationAdministration.model_validate(medication_administration(
        dose_key="med-1/2026-03-01T08:00", medicine_id="m1", patient_id="patient-001",
        outcome="missed", effective="2026-03-01T08:00:00+00:00",
        reason_text="not confirmed in its window"))
    assert resource.status == "not-done"
    assert resource.identifier[0].system == "urn:vigil:dose"
    assert resource.identifier[0].value == "med-1/2026-03-01T08:00/m1"
    (reason,) = resource.statusReason
    assert (reason.coding[0].system, reason.coding[0].code) == ("urn:vigil:dose-outcome", "missed")
    assert reason.text == "not confirmed in its window"
    assert resource.medicationReference.reference == "Medication/m1"


def test_a_late_dose_is_completed_without_a_reason_and_named_when_a_name_is_given() -> None:
    resource = MedicationAdministration.model_validate(medication_administration(
        dose_key="med-1/2026-03-01T08:00", medicine_id="m1", patient_id="patient-001",
        outcome="late", effective="2026-03-01T09:10:00+00:00", medicine_name="Metformin"))
    assert resource.status == "completed" and resource.statusReason is None
    assert resource.medicationCodeableConcept.text == "Metformin"
    assert resource.medicationReference is None
    assert resource.subject.reference == "Patient/patient-001"
