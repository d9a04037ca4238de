"""Webhook delivery has a task queue of its own: receivers that hang hold webhook slots only,
so while they hold their requests a fast endpoint is still delivered to and routine work (a
monitoring reading's write, its alarm page) still runs. A delivery workflow started on the
routine queue, before the webhook queue existed, still delivers there."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import select
from temporalio.client import Client

from channels.webhook_secrets import encrypt, new_secret
from cli.stack import Stack
from db.engine import reading, writing
from db.models import WebhookDelivery, WebhookEndpoint
from tests.conftest import STACK_ENV
from tests.utils.api import as_user
from tests.utils.hanging_receiver import HangingReceiver, hanging_receiver
from tests.utils.monitoring import NEWS2_5, a_reading, feed, priorities, session_body, stored
from tests.utils.waiting import eventually
from tests.utils.webhook_receiver import Receiver, subscribe, webhook_receiver
from workflows.webhook_delivery import WebhookDeliveryWorkflow
from workflows.webhook_delivery_types import WebhookDeliveryInput, workflow_id_for

pytestmark = pytest.mark.e2e
# More hanging receivers than the worker's routine activity slots (VIGIL_ROUTINE_ACTIVITY_SLOTS,
# 4): on the routine queue they could not all be holding a request at once.
HANGING = 6


@pytest.fixture(scope="module")
def hook_stack(temporal_address: str, sqlite_db: str, logs_dir: Path) -> Iterator[Stack]:
    """A stack of its own, whose webhook requests may take up to a minute (the longest allowed):
    the hanging receivers hold their requests for as long as the test needs."""
    running = Stack(database_url=sqlite_db, temporal_address=temporal_address, logs=logs_dir,
                    name="hookqueue", env={**STACK_ENV, "VIGIL_WEBHOOK_TIMEOUT_S": "60"}).start()
    yield running
    running.stop()


@pytest.fixture
async def hook_admin(hook_stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with as_user(hook_stack.api_url, "admin-raj", "admin") as client:
        yield client


@pytest.fixture
def hanging() -> Iterator[HangingReceiver]:
    with hanging_receiver() as running:
        yield running


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as running:
        yield running


def _statuses(endpoint_ids: list[str]) -> list[str]:
    with reading() as session:
        return [d.status for d in session.exec(select(WebhookDelivery).where(
            WebhookDelivery.endpoint_id.in_(endpoint_ids)))]  # type: ignore[attr-defined]


async def _session(admin: httpx.AsyncClient, coordinator: httpx.AsyncClient) -> dict[str, Any]:
    """A monitoring session of a patient of its own (an endpoint may be subscribed to them)."""
    patient = f"patient-{uuid.uuid4().hex[:8]}"
    recorded = await admin.post("/patients", json={"id": patient, "name": "Siti Queue",
                                                   "time_zone": "UTC"})
    assert recorded.status_code == 201, recorded.text
    response = await coordinator.post("/sessions", json=session_body(patient_id=patient))
    assert response.status_code == 201, response.text
    return response.json()


async def test_hanging_receivers_delay_neither_a_fast_endpoint_nor_routine_work(
        hook_stack: Stack, hook_admin: httpx.AsyncClient, hanging: HangingReceiver,
        receiver: Receiver, temporal_address: str) -> None:
    async with as_user(hook_stack.api_url, "coord-lee", "coordinator") as coordinator:
        slow_session = await _session(hook_admin, coordinator)
        routine_session = await _session(hook_admin, coordinator)
        slow = [await subscribe(hook_admin, f"{hanging.url}/{n}", ["monitoring.alarm"],
                                patient_id=slow_session["patient_id"]) for n in range(HANGING)]
        fast = await subscribe(hook_admin, receiver.url, ["monitoring.alarm"],
                               patient_id=routine_session["patient_id"])
        endpoints = [*slow, fast]
        try:
            client = await Client.connect(temporal_address)
            queue = (await client.get_workflow_handle(
                workflow_id_for(fast["id"])).describe()).task_queue
            assert queue == hook_stack.env["VIGIL_WEBHOOK_TASK_QUEUE"]

            # An alarm owed to every hanging receiver: each holds its request.
            await feed(coordinator, slow_session["id"], a_reading(NEWS2_5))
            await eventually(lambda: hanging.holding == HANGING, timeout_s=30,
                             what=f"{HANGING} requests held at once")

            # Routine work and another endpoint's delivery, started while they hold.
            routine_id = routine_session["id"]
            await feed(coordinator, routine_id, a_reading(NEWS2_5))
            await eventually(lambda: len(stored(routine_id)) == 1, timeout_s=30,
                             what="the reading written (routine queue)")
            await eventually(lambda: priorities(routine_id) == ["medium"], timeout_s=30,
                             what="its alarm paged (routine queue)")
            await eventually(lambda: _statuses([fast["id"]]) == ["delivered"], timeout_s=30,
                             what="the fast endpoint's delivery recorded")
            assert receiver.about("session_id", routine_id)

            # ...and the hanging receivers still hold every request, none answered or given up.
            assert hanging.holding == HANGING
            assert _statuses([e["id"] for e in slow]) == ["pending"] * HANGING
        finally:
            hanging.release.set()
            for endpoint in endpoints:
                await hook_admin.patch(f"/webhook-endpoints/{endpoint['id']}",
                                       json={"enabled": False})
            for session in (slow_session, routine_session):
                await coordinator.post(f"/sessions/{session['id']}/end",
                                       json={"reason": "test over"})


async def test_a_delivery_workflow_started_on_the_routine_queue_still_delivers(
        hook_stack: Stack, receiver: Receiver, temporal_address: str) -> None:
    endpoint_id, webhook_id = f"whe-{uuid.uuid4().hex[:12]}", f"msg_{uuid.uuid4().hex}"
    with writing() as session:  # an endpoint and an event, as before the webhook queue
        session.add(WebhookEndpoint(id=endpoint_id, url=receiver.url,
                                    event_types=["monitoring.ended"], payload="thin",
                                    enabled=True, secret_encrypted=encrypt(new_secret()),
                                    created_by="test"))
        session.add(WebhookDelivery(webhook_id=webhook_id, endpoint_id=endpoint_id,
                                    event_type="monitoring.ended", subject_id="s-old",
                                    facts={"session_id": "s-old"},
                                    occurred_at=datetime.now(timezone.utc)))
    client = await Client.connect(temporal_address)
    handle = await client.start_workflow(
        WebhookDeliveryWorkflow.run, WebhookDeliveryInput(endpoint_id, poll_interval_s=0.2),
        id=workflow_id_for(endpoint_id), task_queue=hook_stack.env["VIGIL_ROUTINE_TASK_QUEUE"])
    try:
        await eventually(lambda: _statuses([endpoint_id]) == ["delivered"], timeout_s=30,
                         what="the event delivered by the routine queue's worker")
        assert [r.headers["webhook-id"] for r in receiver.accepted()] == [webhook_id]
        assert (await handle.describe()).task_queue == hook_stack.env["VIGIL_ROUTINE_TASK_QUEUE"]
    finally:
        await handle.terminate("test over")
