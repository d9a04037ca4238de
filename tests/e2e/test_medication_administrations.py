"""A patient's doses as a FHIR MedicationAdministration Bundle: taken and late are completed,
skipped and missed not-done with their reason; the same doses adherence counts; only those
who may see the patient's medication read it, and every read is audited."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from fhir.resources.R4B.bundle import Bundle
from sqlmodel import select

from cli.stack import Stack
from db.engine import reading, writing
from db.models import AuditEntry, DoseRecord, MedicationSchedule
from tests.e2e.test_medication_fhir import a_patient
from tests.utils.api import as_user

pytestmark = pytest.mark.e2e
NOW = datetime.now(timezone.utc).replace(microsecond=0)


def recorded_doses(patient: str) -> str:
    """A schedule of two medicines with a week of doses as its workflow would have recorded."""
    schedule_id = f"medication-fx-{uuid.uuid4().hex[:8]}"
    outcomes = [("taken", {"confirmed_by": patient, "via": "sms"}),
                ("late", {"confirmed_by": patient.replace("patient", "cg") + "-1",
                          "on_behalf": True, "via": "app"}),
                ("skipped", {"confirmed_by": patient, "reason": "nausea", "via": "app"}),
                ("missed", {"escalated_to": [patient.replace("patient", "cg") + "-1"]}),
                ("paused", {}), ("open", {})]  # neither is counted
    with writing() as session:
        session.add(MedicationSchedule(
            id=schedule_id, patient_id=patient, created_by="coord-lee",
            medications=[{"id": "m1", "name": "Metformin", "dose": "500 mg"},
                         {"id": "m2", "name": "Amlodipine", "dose": "5 mg"}]))
        for n, (outcome, fields) in enumerate(outcomes):
            due = NOW - timedelta(days=6 - n)
            confirmed = due + timedelta(minutes=90 if outcome == "late" else 5)
            session.add(DoseRecord(
                id=f"{schedule_id}/{due:%Y-%m-%dT%H:%M}", schedule_id=schedule_id,
                patient_id=patient, dose_id=f"{due:%Y-%m-%dT%H:%M}", due_at=due, remind_at=due,
                outcome=outcome, medications=["m1", "m2"], reminders=3,
                confirmed_at=confirmed if fields.get("confirmed_by") else None, **fields))
    return schedule_id


async def test_doses_read_as_medication_administrations_for_those_who_may_see_them(
        stack: Stack) -> None:
    patient = a_patient()
    schedule_id = recorded_doses(patient)
    path = f"/patients/{patient}/medication-administrations"
    async with as_user(stack.api_url, "coord-lee", "coordinator") as coordinator:
        answer = await coordinator.get(path, params={"days": 7})
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("application/fhir+json")
        adherence = (await coordinator.get(f"/medication-schedules/{schedule_id}/adherence")
                     ).json()["last_7_days"]["medications"]
    bundle = Bundle.model_validate(answer.json())
    assert bundle.type == "searchset" and bundle.total == 8  # 4 counted doses x 2 medicines
    got = [(e.resource.medicationCodeableConcept.text, e.resource.status,
            [c.code for r in e.resource.statusReason or [] for c in r.coding])
           for e in bundle.entry]
    assert got == [(name, status, reason) for status, reason in (
        ("completed", []), ("completed", []), ("not-done", ["skipped"]), ("not-done", ["missed"]))
        for name in ("Metformin", "Amlodipine")]
    skipped, missed = bundle.entry[4].resource, bundle.entry[6].resource
    assert skipped.statusReason[0].text == "skipped: nausea"
    assert patient.replace("patient", "cg") + "-1" in missed.statusReason[0].text
    late = bundle.entry[2].resource
    assert any("taken late" in n.text for n in late.note)
    assert any("on the patient's behalf" in n.text for n in late.note)
    assert late.subject.reference == f"Patient/{patient}" and late.dosage.text == "500 mg"
    completed = sum(e.resource.status == "completed" for e in bundle.entry)
    tally = adherence["m1"]
    assert completed == 2 * (tally["taken"] + tally["late"])  # the same doses adherence counts

    async with as_user(stack.api_url, patient, "patient") as own:
        assert (await own.get(path)).status_code == 200
    async with as_user(stack.api_url, patient.replace("patient", "cg") + "-1", "family") as cg:
        assert (await cg.get(path)).status_code == 200  # medication consent in force
    async with as_user(stack.api_url, "cg-stranger", "family") as stranger:
        refused = await stranger.get(path)
        assert refused.status_code == 403, refused.text
    with reading() as session:
        reads = session.exec(select(AuditEntry).where(
            AuditEntry.subject == patient, AuditEntry.action == "patient_data.read")).all()
    assert {r.actor for r in reads if r.detail.get("what") == "medication_administrations"} == {
        "coord-lee", patient, patient.replace("patient", "cg") + "-1"}
