"""Readings and sessions that make no sense get a 4xx naming the field, and nothing is kept."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from tests.utils import monitoring
from tests.utils.monitoring import (
    NORMAL,
    a_reading,
    feed,
    session_body,
    stored,
)
from tests.utils.waiting import eventually

pytestmark = pytest.mark.e2e
coordinator, open_session = monitoring.coordinator, monitoring.open_session  # fixtures


def observation(code: str, value: float, unit: str, **extra: Any) -> dict[str, Any]:
    return {"resourceType": "Observation", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
            "device": {"reference": "Device/mon-1"},
            "effectiveDateTime": datetime.now(timezone.utc).isoformat(),
            "valueQuantity": {"value": value, "unit": unit, "code": unit}, **extra}


BAD_READINGS = [
    ({**NORMAL, "heart_rate": 900}, "mon-1", None, "readings[1].vitals.heart_rate", "plausible"),
    ({**NORMAL, "spo2": 140}, "mon-1", None, "readings[1].vitals.spo2", "impossible"),
    ({**NORMAL, "temperature_c": 98.6}, "mon-1", None, "readings[1].vitals.temperature_c",
     "Fahrenheit"),
    (NORMAL, "mon-1", timedelta(hours=2), "readings[1].taken_at", "future"),
    (NORMAL, "toaster-9", None, "readings[1].device_id", "unknown device"),
]


@pytest.mark.parametrize("vitals,device,ahead,field,says", BAD_READINGS,
                         ids=["hr-900", "spo2-140", "fahrenheit", "future", "unknown-device"])
async def test_impossible_reading_is_rejected_naming_the_field_and_nothing_is_stored(
        open_session, coordinator: httpx.AsyncClient, vitals, device, ahead, field, says) -> None:
    sid = (await open_session())["id"]
    at = datetime.now(timezone.utc) + ahead if ahead else None
    good = a_reading({**NORMAL, "heart_rate": 81})
    response = await coordinator.post(f"/sessions/{sid}/readings", json={
        "readings": [good, a_reading(vitals, device=device, at=at)]})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_reading"
    assert error["details"]["field"] == field, "the second reading; the good first is refused too"
    assert says in error["message"]
    await _only_the_next_good_reading_is_stored(coordinator, sid)


async def _only_the_next_good_reading_is_stored(client: httpx.AsyncClient, sid: str) -> None:
    # Readings are scored in order, so once a later good one is stored, anything
    # from the refused request would have been stored before it.
    await feed(client, sid, a_reading({**NORMAL, "heart_rate": 66}))
    rows = await eventually(lambda: stored(sid), what="the good reading stored")
    assert [r.vitals["heart_rate"] for r in rows] == [66]


@pytest.mark.parametrize("body,field", [
    ({"device_id": "mon-1", "taken_at": "2026-01-01T10:00:00", "vitals": NORMAL}, "taken_at"),
    ({"device_id": "mon-1", "taken_at": "yesterday", "vitals": NORMAL}, "taken_at"),
    ({"device_id": "mon-1", "taken_at": "2026-01-01T10:00:00Z", "vitals": {"hr": 80}}, "hr"),
    ({"device_id": "mon-1", "taken_at": "2026-01-01T10:00:00Z", "vitals": {"on_oxygen": True}},
     "vitals"),
    ({"readings": []}, "readings"),
], ids=["no-zone", "not-a-time", "unknown-vital", "no-vital-sign", "empty-batch"])
async def test_malformed_reading_is_a_422_not_a_500(
        open_session, coordinator: httpx.AsyncClient, body, field) -> None:
    sid = (await open_session())["id"]
    response = await coordinator.post(f"/sessions/{sid}/readings", json=body)
    assert response.status_code == 422, response.text
    assert field in response.text
    await _only_the_next_good_reading_is_stored(coordinator, sid)


async def test_fhir_observations_are_accepted_and_bad_ones_name_their_fhir_path(
        open_session, coordinator: httpx.AsyncClient) -> None:
    session = await open_session()
    sid, url = session["id"], f"/sessions/{session['id']}/readings/fhir"
    mine = {"reference": f"Patient/{session['patient_id']}"}
    too_fast = await coordinator.post(url, json=observation("8867-4", 900, "/min", subject=mine))
    assert too_fast.status_code == 422
    assert too_fast.json()["error"]["details"]["field"] == "valueQuantity.value"
    stranger = await coordinator.post(url, json={
        "resourceType": "Bundle", "type": "collection",
        "entry": [{"resource": observation("8867-4", 80, "/min",
                                           subject={"reference": "Patient/someone-else"})}]})
    assert stranger.status_code == 422
    assert stranger.json()["error"]["details"]["field"] == "entry[0].resource.subject"
    not_fhir = await coordinator.post(url, json={"resourceType": "Patient"})
    assert not_fhir.status_code == 422 and "resourceType" in not_fhir.text

    fever = observation("8310-5", 101.3, "[degF]",
                        subject={"reference": f"Patient/{session['patient_id']}"})
    accepted = await coordinator.post(url, json=fever)
    assert accepted.status_code == 202 and accepted.json()["accepted"] == 1
    rows = await eventually(lambda: stored(sid), what="the FHIR reading stored")
    assert [r.vitals for r in rows] == [{"temperature_c": 38.5}], "Fahrenheit converted, alone"


@pytest.mark.parametrize("overrides,field", [
    ({"thresholds": {"spo2_low": 140}}, "spo2_low"),
    ({"thresholds": {"heart_rate_low": 150}}, "heart_rate_low"),
    ({"thresholds": {"pulse_max": 100}}, "pulse_max"),
    ({"monitoring_type": "vibes"}, "monitoring_type"),
    ({"care_team": ["nobody-here"]}, "nobody-here"),
    ({"devices": [{"id": "a", "type": "toaster"}]}, "devices"),
    ({"expected_interval_s": 0}, "expected_interval_s"),
], ids=["spo2-140", "hr-low-above-high", "unknown-limit", "type", "staff", "device-type",
        "interval"])
async def test_nonsense_session_is_refused_and_nothing_is_started(
        coordinator: httpx.AsyncClient, overrides, field) -> None:
    body = session_body(**overrides)
    response = await coordinator.post("/sessions", json=body)
    assert response.status_code == 422, response.text
    assert field in response.text
    listed = await coordinator.get("/sessions", params={"patient_id": body["patient_id"]})
    assert listed.json() == []


async def test_only_coordinators_start_and_only_the_session_s_people_feed_or_watch(
        open_session, coordinator: httpx.AsyncClient, client_for) -> None:
    sid = (await open_session())["id"]
    async with client_for("dr-lim") as viewer, client_for("dr-kumar") as stranger, \
            client_for("kim", "auditor") as auditor:
        assert (await viewer.post("/sessions", json=session_body())).status_code == 403
        refused = await stranger.post(f"/sessions/{sid}/readings", json=a_reading(NORMAL))
        assert refused.status_code == 403
        assert (await stranger.get(f"/sessions/{sid}/readings")).status_code == 403
        assert (await viewer.get(f"/sessions/{sid}/readings")).status_code == 200
        assert (await auditor.get(f"/sessions/{sid}")).status_code == 200
        assert (await auditor.post(f"/sessions/{sid}/readings",
                                   json=a_reading(NORMAL))).status_code == 403
        assert (await viewer.post(f"/sessions/{sid}/end")).status_code == 403
    await _only_the_next_good_reading_is_stored(coordinator, sid)
