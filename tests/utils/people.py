"""Patients, caregivers and consent for tests: authorise a family member the way the API does."""

from __future__ import annotations

import httpx


async def authorise(admin: httpx.AsyncClient, patient_id: str, person_id: str,
                    scopes: list[str], *, escalation_contact: bool = False) -> str:
    """Make sure the patient and the caregiver exist, and record a consent in force for these
    scopes (superseding any earlier one); returns the consent id."""
    patient = await admin.post("/patients", json={"id": patient_id, "name": f"Patient {patient_id}",
                                                  "time_zone": "Asia/Kuala_Lumpur"})
    assert patient.status_code in (201, 409), patient.text
    person = await admin.post("/caregivers", json={"id": person_id, "name": f"Family {person_id}",
                                                   "relationship": "daughter"})
    assert person.status_code in (201, 409), person.text
    granted = await admin.post(f"/patients/{patient_id}/consents", json={
        "person_id": person_id, "scopes": scopes, "escalation_contact": escalation_contact,
        "reason": "the patient asked at admission (test)"})
    assert granted.status_code == 201, granted.text
    return granted.json()["id"]
