"""FHIR intake under hostile input: size and count limits, another patient's data, a busy API.

Each of these was found from outside: a Bundle of 5,000 Observations wedged the
session's workflow, a 10 MB Bundle stopped /healthz for half a minute, and an
Observation about someone else was scored as this patient's.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from cli.stack import Stack
from settings import get_settings
from tests.utils import monitoring
from tests.utils.monitoring import NORMAL, a_reading, feed, stored
from tests.utils.waiting import eventually

pytestmark = pytest.mark.e2e
coordinator, open_session = monitoring.coordinator, monitoring.open_session  # fixtures


def heart_rate(patient_id: str, seconds_ago: int, device: str = "mon-1",
               **subject: Any) -> dict[str, Any]:
    at = datetime.now(timezone.utc) - timedelta(seconds=seconds_ago)
    return {"resourceType": "Observation", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
            "subject": subject or {"reference": f"Patient/{patient_id}"},
            "device": {"reference": f"Device/{device}"}, "effectiveDateTime": at.isoformat(),
            "valueQuantity": {"value": 72, "unit": "/min", "code": "/min"}}


def bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"resource": r} for r in resources]}


async def _nothing_was_kept(client: httpx.AsyncClient, sid: str) -> None:
    # Readings are scored in order: once a later good one is stored, a refused one would be too.
    await feed(client, sid, a_reading({**NORMAL, "heart_rate": 66}))
    rows = await eventually(lambda: stored(sid), what="the good reading stored")
    assert [r.vitals["heart_rate"] for r in rows] == [66]


async def test_a_bundle_of_5000_observations_is_refused_naming_entry_and_the_session_still_ends(
        open_session, coordinator: httpx.AsyncClient) -> None:
    session = await open_session()
    sid, pid = session["id"], session["patient_id"]
    big = bundle(*(heart_rate(pid, 6000 - i) for i in range(5000)))
    response = await coordinator.post(f"/sessions/{sid}/readings/fhir", json=big)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "too_many_readings" and error["details"]["field"] == "entry"
    assert error["details"]["limit"] == 500
    await _nothing_was_kept(coordinator, sid)
    ended = await coordinator.post(f"/sessions/{sid}/end", json={"reason": "done"})
    assert ended.status_code == 200 and ended.json()["readings"] == 1


async def test_a_bundle_of_500_observations_is_scored_whole(
        open_session, coordinator: httpx.AsyncClient) -> None:
    session = await open_session()
    sid, pid = session["id"], session["patient_id"]
    full = bundle(*(heart_rate(pid, 1000 - i) for i in range(500)))
    response = await coordinator.post(f"/sessions/{sid}/readings/fhir", json=full)
    assert response.status_code == 202 and response.json()["accepted"] == 500
    await eventually(lambda: len(stored(sid)) == 500, timeout_s=60, what="500 readings stored")


@pytest.mark.parametrize("subject", [
    {"reference": "https://elsewhere.example/fhir/Patient/{pid}"},
    {"identifier": {"system": "urn:mrn", "value": "{pid}"}},
    {"display": "{pid}"},
    {"reference": "Group/{pid}"},
    {"reference": "Patient/{pid}", "type": "Group"},
    {"reference": "Patient/someone-else"},
    None,
], ids=["absolute-url", "identifier", "display-only", "group", "typed-group", "other-patient",
        "no-subject"])
async def test_an_observation_not_plainly_about_this_patient_is_refused_naming_its_path(
        open_session, coordinator: httpx.AsyncClient, subject: dict[str, Any] | None) -> None:
    session = await open_session()
    sid, pid = session["id"], session["patient_id"]
    stranger = heart_rate(pid, 5)
    if subject is None:
        del stranger["subject"]
    else:
        stranger["subject"] = {k: (v.replace("{pid}", pid) if isinstance(v, str) else
                                   {kk: vv.replace("{pid}", pid) for kk, vv in v.items()})
                               for k, v in subject.items()}
    payload = bundle(heart_rate(pid, 20), heart_rate(pid, 15), heart_rate(pid, 10), stranger)
    response = await coordinator.post(f"/sessions/{sid}/readings/fhir", json=payload)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"]["field"] == "entry[3].resource.subject"
    await _nothing_was_kept(coordinator, sid)


async def test_a_body_over_the_limit_is_refused_with_413_before_it_is_read(
        open_session, coordinator: httpx.AsyncClient) -> None:
    session = await open_session()
    sid = session["id"]
    # The campaign's Bundle: 10 MB of entries that are not Observations (over the 8 MiB limit).
    junk = bundle(*({"resourceType": "Basic", "id": f"b{i}", "code": {"text": "x" * 40}}
                    for i in range(120_000)))
    response = await coordinator.post(f"/sessions/{sid}/readings/fhir", json=junk)
    assert response.status_code == 413, response.text
    assert response.json()["error"]["code"] == "body_too_large"

    async def chunked() -> Any:  # no Content-Length: the limit still holds
        for _ in range(get_settings().max_bulk_body_bytes // 100_000 + 2):
            yield b"x" * 100_000

    streamed = await coordinator.post(f"/sessions/{sid}/readings/fhir", content=chunked(),
                                      headers={"content-type": "application/json"})
    assert streamed.status_code == 413
    await _nothing_was_kept(coordinator, sid)


async def test_too_many_bundle_entries_are_refused_before_parsing(
        open_session, coordinator: httpx.AsyncClient) -> None:
    session = await open_session()
    sid = session["id"]
    many = bundle(*({"resourceType": "Basic", "id": f"b{i}"} for i in range(1001)))
    response = await coordinator.post(f"/sessions/{sid}/readings/fhir", json=many)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"] == {
        "field": "entry", "limit": 1000, "message": "1001 Bundle entries; at most 1000 in one "
        "request (send several)"}


async def test_healthz_answers_while_a_large_bundle_is_being_parsed(
        stack: Stack, open_session, coordinator: httpx.AsyncClient) -> None:
    session = await open_session()
    sid, pid = session["id"], session["patient_id"]
    # As large as the limits allow, and refused only at the end of parsing (the last
    # Observation's device is unknown), so the request is busy parsing until it answers.
    context = [{"resourceType": "Patient", "id": f"x{i}", "name": [{"family": "x" * 40}]}
               for i in range(500)]
    heavy = bundle(*(heart_rate(pid, 900 - i) for i in range(499)),
                   heart_rate(pid, 1, device="toaster-9"), *context)
    posting = asyncio.create_task(coordinator.post(f"/sessions/{sid}/readings/fhir", json=heavy))
    answered_meanwhile = 0
    async with httpx.AsyncClient(base_url=stack.api_url, timeout=60) as probe:
        while not posting.done():
            health = await probe.get("/healthz")
            if not posting.done() and health.status_code == 200:
                answered_meanwhile += 1
    response = await posting
    assert response.status_code == 422 and "entry[499].resource.device" in response.text
    assert answered_meanwhile >= 1, "/healthz never answered while the Bundle was parsed"
