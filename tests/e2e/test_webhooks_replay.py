"""An admin replays one event, or a time range, to an endpoint: the same webhook-id, in order."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from tests.utils.records import audit_actions
from tests.utils.waiting import eventually
from tests.utils.webhook_receiver import Receiver, subscribe, webhook_receiver

pytestmark = pytest.mark.e2e
EVENTS = ["emergency.created", "emergency.acknowledged"]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as running:
        yield running


def _ids(received: list[Any]) -> list[str]:
    return [r.headers["webhook-id"] for r in received]


async def _arrived(receiver: Receiver, emergency_id: str, count: int) -> list[Any]:
    return await eventually(lambda: (lambda got: got if len(got) >= count else None)(
        receiver.about("emergency_id", emergency_id)), timeout_s=30,
        what=f"{count} deliveries about {emergency_id}")


async def test_replaying_one_event_and_a_time_range_resends_them_with_their_ids_in_order(
        admin: httpx.AsyncClient, raise_emergency: Any, receiver: Receiver) -> None:
    started = datetime.now(UTC) - timedelta(seconds=1)
    endpoint = await subscribe(admin, receiver.url, EVENTS, patient_id="patient-001")
    emergency_id = await raise_emergency()
    acked = await admin.post(f"/emergencies/{emergency_id}/acknowledge", json={"via": "web"})
    assert acked.status_code == 200, acked.text
    first = await _arrived(receiver, emergency_id, 2)
    created_id, acknowledged_id = _ids(first)
    replay = f"/webhook-endpoints/{endpoint['id']}/replay"

    answer = await admin.post(replay, json={"webhook_id": created_id})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"replayed": [created_id], "already_pending": []}
    again = (await _arrived(receiver, emergency_id, 3))[2]
    assert again.headers["webhook-id"] == created_id  # a redelivery of the same message
    assert again.body == first[0].body
    assert Webhook(endpoint["secret"]).verify(again.body, again.headers)["type"] == EVENTS[0]

    async def replays() -> dict[str, tuple[int, str]] | None:
        """Each message's replays and status, once no answer is still to be recorded (the
        receiver has the message before its sender records the 2xx)."""
        deliveries = (await admin.get(f"/webhook-endpoints/{endpoint['id']}/deliveries")).json()
        found = {d["webhook_id"]: (d["replays"], d["status"]) for d in deliveries}
        return None if any(status == "pending" for _, status in found.values()) else found

    # A message still pending is not queued twice (`already_pending`): let the first
    # redelivery's answer be recorded before the range is replayed.
    await eventually(replays, what="the first redelivery's answer on record")
    answer = await admin.post(replay, json={"since": started.isoformat()})
    assert answer.json() == {"replayed": [created_id, acknowledged_id], "already_pending": []}
    ranged = (await _arrived(receiver, emergency_id, 5))[3:]
    assert _ids(ranged) == [created_id, acknowledged_id]
    assert [json.loads(r.body)["type"] for r in ranged] == EVENTS

    recorded = await eventually(replays, what="the redeliveries' answers on record")
    assert recorded == {created_id: (2, "delivered"), acknowledged_id: (1, "delivered")}
    assert audit_actions(endpoint["id"]).count("webhook_endpoint.replayed") == 2
    await admin.patch(f"/webhook-endpoints/{endpoint['id']}", json={"enabled": False})


@pytest.mark.parametrize("body,status,field", [
    ({"webhook_id": "msg_x", "since": "2026-01-01T00:00:00Z"}, 422, "webhook_id"),
    ({}, 422, "since"),
    ({"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"}, 422, "until"),
    ({"since": "9999-12-31T23:59:59-12:00"}, 422, "since"),
    ({"webhook_id": "msg_never_sent"}, 404, None),
], ids=["both-forms", "neither", "until-before-since", "past-the-last-time", "unknown-id"])
async def test_a_replay_that_makes_no_sense_is_refused_naming_the_field_and_audits_nothing(
        admin: httpx.AsyncClient, receiver: Receiver, body: dict[str, Any], status: int,
        field: str | None) -> None:
    endpoint = await subscribe(admin, receiver.url, EVENTS, enabled=False)
    answer = await admin.post(f"/webhook-endpoints/{endpoint['id']}/replay", json=body)
    assert answer.status_code == status, answer.text
    if field:
        assert answer.json()["error"]["details"]["field"] == field
    assert "webhook_endpoint.replayed" not in audit_actions(endpoint["id"])


async def test_only_admins_replay(client_for: Any) -> None:
    async with client_for("dr-tan") as doctor:
        answer = await doctor.post("/webhook-endpoints/whe-any/replay",
                                   json={"since": "2026-01-01T00:00:00Z"})
    assert answer.status_code == 403
