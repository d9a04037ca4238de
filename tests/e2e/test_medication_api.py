"""Medication schedules through the running API: impossible plans are refused naming the field
with nothing started; a schedule is created, read, steered and stopped, every step recorded."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from cli.stack import Stack
from tests.utils.api import as_user, token
from tests.utils.waiting import eventually

pytestmark = pytest.mark.e2e


def plan_body(patient_id: str, **changes: Any) -> dict[str, Any]:
    tomorrow = (date.today() + timedelta(days=2)).isoformat()  # tomorrow, in any zone
    body: dict[str, Any] = {
        "patient_id": patient_id,
        "medications": [{"id": "m1", "name": "Metformin", "dose": "500 mg", "halal": "halal"}],
        "schedule": {"start_date": tomorrow, "times": ["08:00", "20:00"]},
        "preferences": {"zone": "Asia/Kuala_Lumpur", "language": "ms"},
        "escalation_contacts": ["cg-1"],
    }
    for path, value in changes.items():
        *parents, leaf = path.split("__")
        target = body
        for part in parents:
            target = target[part]
        target[leaf] = value
    return body


@pytest.fixture
async def coordinator(stack: Stack) -> Any:
    async with as_user(stack.api_url, "coord-lee", "coordinator") as client:
        yield client


BAD = [
    ({"schedule__end_date": "2020-01-01"}, "schedule.end_date"),
    ({"schedule__times": ["25:00"]}, "schedule.times[0]"),
    ({"schedule__times": [], "schedule__every_hours": 0}, "schedule.every_hours"),
    ({"preferences__zone": "Mars/Olympus_Mons"}, "preferences.zone"),
    ({"medications": [{"id": "m1", "name": "X", "dose": "1", "colour": "red"}]},
     "body.medications.0.colour"),
]


@pytest.mark.parametrize("changes,field", BAD,
                         ids=["end-before-start", "25:00", "every-0-hours", "unknown-zone",
                              "unknown-field"])
async def test_an_impossible_schedule_is_a_422_naming_the_field_and_nothing_starts(
        coordinator: httpx.AsyncClient, changes: dict[str, Any], field: str) -> None:
    patient = f"patient-{uuid.uuid4().hex[:8]}"
    response = await coordinator.post("/medication-schedules", json=plan_body(patient, **changes))
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    fields = [d["field"] for d in error["details"]]
    assert fields[0] == field and field in error["message"]
    listed = await coordinator.get("/medication-schedules", params={"patient_id": patient})
    assert listed.json() == []


async def test_a_schedule_is_created_read_steered_and_stopped(
        stack: Stack, coordinator: httpx.AsyncClient) -> None:
    patient = f"patient-{uuid.uuid4().hex[:8]}"
    recorded = await coordinator.post("/patients", json={
        "id": patient, "name": "Medication patient", "time_zone": "Asia/Kuala_Lumpur"})
    assert recorded.status_code == 201, recorded.text  # a patient sees their own by the record
    body = plan_body(patient, preferences__halal_only=True,
                     medications=[{"id": "m1", "name": "Metformin", "dose": "500 mg",
                                   "halal": "halal"},
                                  {"id": "m2", "name": "Heparin", "dose": "5000 u",
                                   "halal": "not_halal"}])
    created = await coordinator.post("/medication-schedules", json=body)
    assert created.status_code == 201, created.text
    sid = created.json()["id"]
    assert any("Heparin" in w for w in created.json()["warnings"])  # the coordinator sees it

    async def planned() -> Any:
        live = (await coordinator.get(f"/medication-schedules/{sid}")).json()["live"]
        return live if live and live["next_dose_at"] else None

    live = await eventually(planned, what="the first day planned")
    assert live["status"] == "active"
    assert live["next_dose_at"][11:16] == "00:00"  # 08:00 in Kuala Lumpur is 00:00 UTC

    not_open = await coordinator.post(f"/medication-schedules/{sid}/doses/confirm",
                                      json={"dose_id": "2020-01-01T08:00", "outcome": "taken"})
    assert not_open.status_code == 409 and not_open.json()["error"]["code"] == "dose_not_open"

    assert (await coordinator.post(f"/medication-schedules/{sid}/pause",
                                   json={"reason": "admitted"})).json() == {"status": "paused"}
    again = await coordinator.post(f"/medication-schedules/{sid}/pause")
    assert again.status_code == 409 and again.json()["error"]["code"] == "schedule_paused"
    assert (await coordinator.post(f"/medication-schedules/{sid}/resume")).json() == {
        "status": "active"}
    bad_change = await coordinator.put(f"/medication-schedules/{sid}",
                                       json={"schedule": {"start_date": "2026-01-01",
                                                          "times": ["24:00"]}})
    assert bad_change.status_code == 422 and "schedule.times[0]" in bad_change.text
    changed = await coordinator.put(f"/medication-schedules/{sid}",
                                    json={"schedule": body["schedule"] | {"times": ["09:00"]},
                                          "reason": "once a day"})
    assert changed.json() == {"status": "active"}
    assert (await coordinator.post(f"/medication-schedules/{sid}/stop")).json() == {
        "status": "stopped"}
    closed = await coordinator.post(f"/medication-schedules/{sid}/doses/confirm",
                                    json={"dose_id": "x", "outcome": "taken"})
    assert closed.status_code == 409

    async with httpx.AsyncClient(base_url=f"{stack.api_url}/api/v1", headers={
            "Authorization": f"Bearer {token(patient, 'patient')}"}) as own:
        assert (await own.get(f"/medication-schedules/{sid}/adherence")).status_code == 200
    async with httpx.AsyncClient(base_url=f"{stack.api_url}/api/v1", headers={
            "Authorization": f"Bearer {token('fam-9', 'family', patients=['patient-x'])}"}) as other:
        assert (await other.get(f"/medication-schedules/{sid}")).status_code == 403

    async with as_user(stack.api_url, "admin-raj", "admin") as admin:
        entries = (await admin.get("/audit", params={"subject": sid, "limit": 100})).json()
    actions = [e["action"] for e in (entries["entries"] if isinstance(entries, dict) else entries)]
    for action in ("medication.started", "medication.paused", "medication.resumed",
                   "medication.changed", "medication.stopped", "patient_data.read"):
        assert action in actions
