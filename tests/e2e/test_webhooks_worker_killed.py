"""The worker killed while an endpoint is between retries loses nothing: once a worker runs
again, every event arrives, in order, each accepted once, with the webhook-id it was tried with."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from temporalio.api.enums.v1 import EventType

from cli.stack import Stack
from tests.utils.history import count, events
from tests.utils.waiting import eventually
from tests.utils.webhook_receiver import Receiver, subscribe, webhook_receiver
from workflows.webhook_delivery_types import workflow_id_for

pytestmark = pytest.mark.e2e
# One to two seconds between tries: long enough to find the workflow asleep on a timer.
SLOW_RETRY = {"initial_s": 2, "max_s": 2, "window_s": 300}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as running:
        yield running


async def _timers(temporal_address: str, endpoint_id: str) -> tuple[int, int]:
    """(started, fired or cancelled) timers of the endpoint's delivery workflow."""
    history = await events(temporal_address, workflow_id_for(endpoint_id))
    return (count(history, EventType.EVENT_TYPE_TIMER_STARTED),
            count(history, EventType.EVENT_TYPE_TIMER_FIRED)
            + count(history, EventType.EVENT_TYPE_TIMER_CANCELED))


async def test_worker_killed_mid_retry_loses_nothing(
        stack: Stack, admin: httpx.AsyncClient, raise_emergency: Any, receiver: Receiver,
        temporal_address: str) -> None:
    receiver.status = 503
    endpoint = await subscribe(admin, receiver.url, ["emergency.created", "emergency.acknowledged"],
                               patient_id="patient-001", retry=SLOW_RETRY)
    emergency_id = await raise_emergency()
    acked = await admin.post(f"/emergencies/{emergency_id}/acknowledge", json={"via": "web"})
    assert acked.status_code == 200, acked.text
    await eventually(lambda: len(receiver.about("emergency_id", emergency_id,
                                                accepted_only=False)) >= 2,
                     timeout_s=30, what="two refused tries")
    async def asleep() -> tuple[int, int] | None:
        started, closed = await _timers(temporal_address, endpoint["id"])
        return (started, closed) if started > closed else None

    async def fired_since(before: int) -> bool:
        return (await _timers(temporal_address, endpoint["id"]))[1] > before

    _, closed = await eventually(asleep, timeout_s=30,
                                 what="the endpoint's workflow asleep before its next try")
    stack.kill_worker()
    try:
        # The retry falls due with no worker running (the server records its timer fired),
        # and the receiver recovers meanwhile.
        await eventually(lambda: fired_since(closed), timeout_s=30,
                         what="the retry timer to fire during the outage")
        receiver.status = 200
    finally:
        stack.start_worker()

    got = await eventually(lambda: (lambda r: r if len(r) >= 2 else None)(
        receiver.about("emergency_id", emergency_id)), timeout_s=90,
        what="both events after the worker is back")
    assert [json.loads(r.body)["type"] for r in got] == ["emergency.created",
                                                         "emergency.acknowledged"]
    assert len({r.headers["webhook-id"] for r in got}) == len(got) == 2, "each accepted once"
    refused = [r for r in receiver.received if r.answered == 503]
    assert {r.headers["webhook-id"] for r in refused} == {got[0].headers["webhook-id"]}

    async def recorded() -> list[dict[str, Any]] | None:
        # A try is recorded just after its answer, so the receiver may have it first.
        shown = (await admin.get(f"/webhook-endpoints/{endpoint['id']}/deliveries")).json()
        return shown if all(d["status"] != "pending" for d in shown) else None

    deliveries = await eventually(recorded, what="both tries recorded")
    assert [d["status"] for d in deliveries] == ["delivered", "delivered"]
    assert deliveries[1]["attempts"] == len(refused) + 1  # the count survived the kill
    await admin.patch(f"/webhook-endpoints/{endpoint['id']}", json={"enabled": False})
