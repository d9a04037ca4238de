"""FHIR R4 MedicationRequest intake: a Timing becomes the same schedule request as Vigil JSON;
anything Vigil cannot follow is a 422 naming the FHIR field, and nothing starts."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from cli.stack import Stack
from clinical.prayer_times import JAKIM_ADJUSTMENTS
from db.engine import writing
from db.models import Caregiver, Consent, Patient
from services.errors import VigilError
from services.medication_fhir import schedule_request_from_fhir
from services.schemas.people import PatientPreferences
from tests.utils.api import as_user
from tests.utils.medication_fhir import medication_request
from tests.utils.waiting import eventually

pytestmark = pytest.mark.e2e
REPEAT = "dosageInstruction[0].timing.repeat"
START = date.today() + timedelta(days=2)


def a_patient(*, prayer: bool = True, **preferences: Any) -> str:
    """A patient in Kuala Lumpur who prays, with a caregiver to escalate to and one not."""
    tag = uuid.uuid4().hex[:8]
    prefs = PatientPreferences.model_validate(
        {"prayer": {"enabled": prayer}, "quiet_hours": {"start": "22:30", "end": "06:30"},
         "ramadan_mode": True, "halal_only": True, **preferences})
    with writing() as session:
        session.add(Patient(id=f"patient-fx-{tag}", name="Siti", language="ms",
                            time_zone="Asia/Kuala_Lumpur", home_latitude=3.139,
                            home_longitude=101.6869, preferences=prefs.model_dump(mode="json")))
        for n, escalates in ((1, True), (2, False)):
            session.add(Caregiver(id=f"cg-fx-{tag}-{n}", name="Aminah", relationship="daughter"))
            session.flush()
            session.add(Consent(id=f"consent-fx-{tag}-{n}", patient_id=f"patient-fx-{tag}",
                                person_id=f"cg-fx-{tag}-{n}", scopes=["medication"],
                                escalation_contact=escalates, granted_by="coord-lee"))
    return f"patient-fx-{tag}"


def test_a_twice_daily_request_is_the_same_schedule_as_its_vigil_json(sqlite_db: str) -> None:
    patient = a_patient()
    body = schedule_request_from_fhir(medication_request(patient))
    assert body.patient_id == patient
    (med,) = body.medications
    assert (med.id, med.name, med.dose, med.instructions) == ("metformin", "Metformin", "500 mg",
                                                              "with food")
    assert body.schedule.model_dump(exclude_none=True) == {
        "start_date": START.isoformat(), "end_date": (START + timedelta(days=6)).isoformat(),
        "times": ["08:00", "20:00"], "first_time": "08:00"}
    prefs = body.preferences
    assert (prefs.zone, prefs.language, prefs.latitude) == ("Asia/Kuala_Lumpur", "ms", 3.139)
    assert prefs.prayer is not None and prefs.prayer.fajr_angle == 18.0
    assert prefs.prayer.adjustments == JAKIM_ADJUSTMENTS  # JAKIM's own ihtiyati applies
    assert prefs.quiet_hours is not None and prefs.quiet_hours.start == "22:30"
    assert prefs.ramadan_mode and prefs.halal_only
    assert body.escalation_contacts == [patient.replace("patient", "cg") + "-1"]


def test_every_n_hours_weekdays_and_vigil_extensions_are_read(sqlite_db: str) -> None:
    patient = a_patient(prayer=False)
    every = schedule_request_from_fhir(medication_request(patient, repeat={
        "frequency": 1, "period": 8, "periodUnit": "h",
        "boundsPeriod": {"start": f"{START}T05:30:00+00:00"}}))
    assert (every.schedule.every_hours, every.schedule.first_time) == (8, "13:30")
    assert every.schedule.start_date == START.isoformat() and every.preferences.prayer is None
    weekly = schedule_request_from_fhir(medication_request(
        patient, repeat={"frequency": 2, "period": 1, "periodUnit": "wk",
                         "dayOfWeek": ["mon", "thu"], "timeOfDay": ["09:00:00"]},
        extension=[{"url": "urn:vigil:medication:time-critical", "valueBoolean": True},
                   {"url": "urn:vigil:medication:halal", "valueCode": "not-halal"},
                   {"url": "http://example.org/other", "valueString": "not ours"}]))
    assert weekly.schedule.weekdays == ["mon", "thu"] and weekly.schedule.times == ["09:00"]
    assert weekly.medications[0].time_critical and weekly.medications[0].halal == "not_halal"


def _repeat(**changes: Any) -> dict[str, Any]:
    repeat = {"frequency": 2, "period": 1, "periodUnit": "d",
              "timeOfDay": ["08:00:00", "20:00:00"],
              "boundsPeriod": {"start": START.isoformat(),
                               "end": (START + timedelta(days=6)).isoformat()}}
    repeat.update(changes)
    return {k: v for k, v in repeat.items() if v is not None}


BAD_TIMINGS = {
    "end-before-start": (_repeat(boundsPeriod={"start": START.isoformat(),
                                               "end": (START - timedelta(days=1)).isoformat()}),
                         f"{REPEAT}.boundsPeriod.end"),
    "25:00": (_repeat(timeOfDay=["25:00:00"], frequency=1), f"{REPEAT}.timeOfDay[0]"),
    "every-0-hours": (_repeat(frequency=1, period=0, periodUnit="h", timeOfDay=["08:00:00"]),
                      f"{REPEAT}.period"),
    "when": (_repeat(when=["ACM"]), f"{REPEAT}.when"),
    "offset": (_repeat(offset=30, when=None), f"{REPEAT}.offset"),
    "count": (_repeat(count=10), f"{REPEAT}.count"),
    "boundsDuration": (_repeat(boundsPeriod=None, boundsDuration={"value": 7, "unit": "d"}),
                       f"{REPEAT}.boundsDuration"),
    "monthly": (_repeat(periodUnit="mo", frequency=1, timeOfDay=["08:00:00"]),
                f"{REPEAT}.periodUnit"),
    "every-other-day": (_repeat(period=2, frequency=1, timeOfDay=["08:00:00"]),
                        f"{REPEAT}.period"),
    "three-a-day-two-times": (_repeat(frequency=3), f"{REPEAT}.frequency"),
    "no-times": (_repeat(timeOfDay=None), f"{REPEAT}.timeOfDay"),
    "seconds": (_repeat(timeOfDay=["08:00:30", "20:00:00"]), f"{REPEAT}.timeOfDay[0]"),
    "unknown-element": (_repeat(colour="red"), f"{REPEAT}.colour"),
}


@pytest.mark.parametrize("repeat,field", BAD_TIMINGS.values(), ids=BAD_TIMINGS.keys())
def test_a_timing_vigil_cannot_follow_is_refused_naming_its_fhir_field(
        sqlite_db: str, repeat: dict[str, Any], field: str) -> None:
    with pytest.raises(VigilError) as refused:
        schedule_request_from_fhir(medication_request(a_patient(), repeat=repeat))
    assert refused.value.status == 422
    assert refused.value.details[0]["field"] == field, refused.value.message


BAD_REQUESTS = {
    "unknown-patient": ({"subject": {"reference": "Patient/patient-nobody"}}, "subject.reference"),
    "not-a-patient": ({"subject": {"reference": "Group/g1"}}, "subject.reference"),
    "draft": ({"status": "draft"}, "status"),
    "proposal": ({"intent": "proposal"}, "intent"),
    "medication-reference": ({"medicationCodeableConcept": None,
                              "medicationReference": {"reference": "Medication/m1"}},
                             "medicationReference"),
    "unknown-vigil-extension": ({"extension": [{"url": "urn:vigil:medication:colour",
                                                "valueString": "red"}]}, "extension[0].url"),
    "two-dosages": ({"dosageInstruction": [{"text": "a"}, {"text": "b"}]}, "dosageInstruction"),
    "not-a-medication-request": ({"resourceType": "Observation"}, "resourceType"),
}


@pytest.mark.parametrize("fields,field", BAD_REQUESTS.values(), ids=BAD_REQUESTS.keys())
def test_a_request_vigil_cannot_act_on_is_refused_naming_its_fhir_field(
        sqlite_db: str, fields: dict[str, Any], field: str) -> None:
    resource = {k: v for k, v in medication_request(a_patient(), **fields).items()
                if v is not None}
    with pytest.raises(VigilError) as refused:
        schedule_request_from_fhir(resource)
    assert refused.value.status == 422
    assert refused.value.details[0]["field"] == field, refused.value.message


# The impossible schedules of SPEC §3.3, as an integrator would send them.
OVER_HTTP = {
    "end-before-start": medication_request("", repeat=BAD_TIMINGS["end-before-start"][0]),
    "25:00": medication_request("", repeat=BAD_TIMINGS["25:00"][0]),
    "every-0-hours": medication_request("", repeat=BAD_TIMINGS["every-0-hours"][0]),
    "unknown-medicine-field": medication_request("", medicationCodeableConcept={
        "text": "Metformin", "colour": "white"}),
    "unsupported-timing": medication_request("", repeat=BAD_TIMINGS["when"][0]),
}
OVER_HTTP_FIELDS = {"end-before-start": f"{REPEAT}.boundsPeriod.end",
                    "25:00": f"{REPEAT}.timeOfDay[0]", "every-0-hours": f"{REPEAT}.period",
                    "unknown-medicine-field": "medicationCodeableConcept.colour",
                    "unsupported-timing": f"{REPEAT}.when"}


async def test_a_medication_request_starts_a_schedule_and_an_impossible_one_starts_nothing(
        stack: Stack) -> None:
    patient = a_patient()
    async with as_user(stack.api_url, "coord-lee", "coordinator") as coordinator:
        for name, resource in OVER_HTTP.items():
            resource = {**resource, "subject": {"reference": f"Patient/{patient}"}}
            refused = await coordinator.post("/medication-schedules/fhir", json=resource)
            assert refused.status_code == 422, (name, refused.text)
            field = refused.json()["error"]["details"][0]["field"]
            assert field == OVER_HTTP_FIELDS[name], (name, refused.text)
        unknown = await coordinator.post("/medication-schedules/fhir", json=medication_request(
            "patient-nobody"))
        assert unknown.status_code == 422 and "subject.reference" in unknown.text
        nothing = await coordinator.get("/medication-schedules", params={"patient_id": patient})
        assert nothing.json() == []

        created = await coordinator.post("/medication-schedules/fhir",
                                         json=medication_request(patient))
        assert created.status_code == 201, created.text
        row = created.json()
        assert row["patient_id"] == patient and row["schedule"]["times"] == ["08:00", "20:00"]
        assert row["medications"][0]["name"] == "Metformin"
        assert row["escalation_contacts"] == [patient.replace("patient", "cg") + "-1"]
        async def first_dose() -> str | None:
            live = (await _read(coordinator, row["id"]))["live"]
            return live["next_dose_at"] if live and live["status"] == "active" else None

        first = await eventually(first_dose, what="the first dose planned")
        assert first.startswith(START.isoformat())  # 08:00 in Kuala Lumpur is 00:00 UTC
        stopped = await coordinator.post(f"/medication-schedules/{row['id']}/stop",
                                         json={"reason": "test over"})
        assert stopped.status_code == 200, stopped.text


async def _read(client: httpx.AsyncClient, schedule_id: str) -> dict[str, Any]:
    answer = await client.get(f"/medication-schedules/{schedule_id}")
    assert answer.status_code == 200, answer.text
    return answer.json()
