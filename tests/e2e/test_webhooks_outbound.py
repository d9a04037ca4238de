"""Outbound webhooks end to end: the running stack signs and delivers to a loopback receiver."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fhir.resources.R4B.bundle import Bundle
from standardwebhooks.webhooks import Webhook

from tests.utils.waiting import eventually
from tests.utils.webhook_receiver import Receiver, subscribe, webhook_receiver

pytestmark = pytest.mark.e2e


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as running:
        yield running


async def _endpoint(admin: httpx.AsyncClient, url: str, **fields: Any) -> dict[str, Any]:
    created = await subscribe(admin, url, ["emergency.created", "emergency.acknowledged"],
                              **fields)
    assert created["secret"].startswith("whsec_")
    return created


def _about(receiver: Receiver, emergency_id: str, accepted_only: bool = True) -> list[Any]:
    kept = receiver.accepted() if accepted_only else receiver.received
    return [r for r in kept if _data(r).get("emergency_id") == emergency_id
            or emergency_id in r.body]


def _data(received: Any) -> dict[str, Any]:
    return json.loads(received.body)["data"]


async def _acknowledged(admin: httpx.AsyncClient, raise_emergency: Any) -> str:
    emergency_id = await raise_emergency()
    response = await admin.post(f"/emergencies/{emergency_id}/acknowledge", json={"via": "web"})
    assert response.status_code == 200, response.text
    return emergency_id


async def test_acknowledged_emergency_reaches_a_subscriber_signed_in_order_each_once(
        admin: httpx.AsyncClient, raise_emergency: Any, receiver: Receiver) -> None:
    thin = await _endpoint(admin, receiver.url, patient_id="patient-001")
    fhir = await _endpoint(admin, receiver.url + "?shape=fhir", payload="fhir")
    emergency_id = await _acknowledged(admin, raise_emergency)

    got = await eventually(lambda: (lambda r: r if len(r) >= 4 else None)(
        _about(receiver, emergency_id)), timeout_s=30, what="four deliveries")
    wh = Webhook(thin["secret"])
    thin_got = [r for r in got if "shape=fhir" not in r.body and "resourceType" not in r.body]
    bodies = [wh.verify(r.body, r.headers) for r in thin_got]  # raises unless signed by it
    assert [b["type"] for b in bodies] == ["emergency.created", "emergency.acknowledged"]
    assert len({r.headers["webhook-id"] for r in thin_got}) == 2
    assert bodies[1]["data"]["owner_id"] == "admin-raj"
    for secret_field in ("type", "description", "name"):  # ids and states only
        assert secret_field not in bodies[0]["data"]
    assert "Unresponsive" not in thin_got[0].body and "cardiac" not in thin_got[0].body

    fhir_got = [r for r in got if r not in thin_got]
    assert [Webhook(fhir["secret"]).verify(r.body, r.headers)["type"] for r in fhir_got] == [
        "emergency.created", "emergency.acknowledged"]
    bundle = Bundle.model_validate(_data(fhir_got[1]))
    kinds = {entry.resource.__class__.__name__: entry.resource for entry in bundle.entry}
    assert kinds["Communication"].status == "in-progress" and kinds["Flag"].status == "active"
    assert kinds["Communication"].received is not None  # acknowledged

    # Forged, replayed with an old timestamp, or signed with another secret: all refused.
    first = thin_got[0]
    with pytest.raises(Exception, match="signature"):
        wh.verify(first.body.replace("active", "resolved"), first.headers)
    with pytest.raises(Exception, match="too old"):
        wh.verify(first.body, {**first.headers, "webhook-timestamp": str(
            int(first.headers["webhook-timestamp"]) - 3600)})
    with pytest.raises(Exception, match="signature"):
        Webhook(fhir["secret"]).verify(first.body, first.headers)

    stats = (await admin.get(f"/webhook-endpoints/{thin['id']}")).json()["stats"]
    assert stats["sent"] >= 2 and stats["p50_latency_ms"] is not None
    assert "secret" not in (await admin.get(f"/webhook-endpoints/{thin['id']}")).json()
    await admin.patch(f"/webhook-endpoints/{fhir['id']}", json={"enabled": False})
    await admin.patch(f"/webhook-endpoints/{thin['id']}", json={"enabled": False})


async def test_a_receiver_down_for_a_while_gets_everything_in_order_when_back(
        admin: httpx.AsyncClient, raise_emergency: Any, receiver: Receiver) -> None:
    receiver.status = 503
    endpoint = await _endpoint(admin, receiver.url, patient_id="patient-001")
    emergency_id = await _acknowledged(admin, raise_emergency)
    await eventually(lambda: len(_about(receiver, emergency_id, accepted_only=False)) >= 3,
                     timeout_s=30, what="three refused tries")
    receiver.status = 200
    got = await eventually(lambda: (lambda r: r if len(r) >= 2 else None)(
        _about(receiver, emergency_id)), timeout_s=30, what="both events after the outage")
    assert [json.loads(r.body)["type"] for r in got] == ["emergency.created",
                                                         "emergency.acknowledged"]
    refused = [r for r in _about(receiver, emergency_id, accepted_only=False) if r.answered == 503]
    assert {r.headers["webhook-id"] for r in refused} == {got[0].headers["webhook-id"]}
    deliveries = (await admin.get(f"/webhook-endpoints/{endpoint['id']}/deliveries")).json()
    created = next(d for d in deliveries if d["webhook_id"] == got[0].headers["webhook-id"])
    assert created["status"] == "delivered" and created["attempts"] == len(refused) + 1
    await admin.patch(f"/webhook-endpoints/{endpoint['id']}", json={"enabled": False})


async def test_410_disables_the_endpoint(admin: httpx.AsyncClient, raise_emergency: Any,
                                         receiver: Receiver) -> None:
    receiver.status = 410
    endpoint = await _endpoint(admin, receiver.url, patient_id="patient-001")
    await raise_emergency()

    async def disabled() -> dict[str, Any] | None:
        found = (await admin.get(f"/webhook-endpoints/{endpoint['id']}")).json()
        return None if found["enabled"] else found

    found = await eventually(disabled, timeout_s=30, what="the endpoint disabled")
    assert "410" in found["disabled_reason"] and "410" in found["stats"]["last_error"]
    assert [r.answered for r in receiver.received] == [410]  # nothing more was sent


@pytest.mark.parametrize("url", ["https://169.254.169.254/latest/meta-data",
                                 "https://10.0.0.1/hooks", "ftp://example.org/x"])
async def test_unsafe_endpoint_urls_are_refused_at_creation(admin: httpx.AsyncClient,
                                                            url: str) -> None:
    response = await admin.post("/webhook-endpoints",
                                json={"url": url, "event_types": ["emergency.created"]})
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "unsafe_webhook_url"
    listed = (await admin.get("/webhook-endpoints")).json()
    assert url not in [e["url"] for e in listed]


async def test_only_admins_manage_endpoints(client_for: Any) -> None:
    async with client_for("dr-tan") as doctor:
        response = await doctor.post("/webhook-endpoints", json={
            "url": "https://example.org/x", "event_types": ["emergency.created"]})
    assert response.status_code == 403
