"""An idle endpoint is woken by the writer of its next event, not found by its poll.

A stack of its own whose delivery workflows poll only every ten minutes: an event
that reaches the receiver within seconds was sent because its writer woke the workflow,
and the workflow's history says so (a `wake` signal ended the idle wait; the poll's timer
was cancelled, never fired). Disabling an idle endpoint wakes it too, to end. A wake owed by a
worker that died between an event's commit and its signal is sent by the next worker to start.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from activities import webhook_events, webhook_idle
from cli.stack import Stack
from db.engine import reading, writing
from db.models import Patient, WebhookEndpoint
from tests.conftest import STACK_ENV
from tests.utils.api import as_user, emergency_body
from tests.utils.dose_rows import person
from tests.utils.history import count, events
from tests.utils.waiting import eventually
from tests.utils.webhook_receiver import Receiver, subscribe, webhook_receiver
from workflows.webhook_delivery_types import WAKE_SIGNAL, workflow_id_for

pytestmark = pytest.mark.e2e
POLL_S = "600"  # far longer than the test waits: only a wake can deliver in time


@pytest.fixture(scope="module")
def wake_stack(temporal_address: str, sqlite_db: str, logs_dir: Path) -> Iterator[Stack]:
    running = Stack(database_url=sqlite_db, temporal_address=temporal_address, logs=logs_dir,
                    name="wake", env={**STACK_ENV, "VIGIL_WEBHOOK_POLL_INTERVAL_S": POLL_S}).start()
    yield running
    running.stop()


@pytest.fixture
async def wake_admin(wake_stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with as_user(wake_stack.api_url, "admin-raj", "admin") as client:
        yield client


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as running:
        yield running


def _marked_idle(endpoint_id: str) -> bool:
    with reading() as session:
        endpoint = session.get(WebhookEndpoint, endpoint_id)
        return endpoint is not None and endpoint.idle


async def _until_idle(temporal_address: str, endpoint_id: str) -> None:
    """Until the endpoint is idle: its outbox read empty (the mark set), its poll's timer started."""
    async def waiting_idle() -> bool:
        history = await events(temporal_address, workflow_id_for(endpoint_id))
        return count(history, EventType.EVENT_TYPE_TIMER_STARTED) == 1 and _marked_idle(endpoint_id)
    await eventually(waiting_idle, timeout_s=30, what="the endpoint's workflow idle")


async def test_an_idle_endpoint_is_woken_by_its_next_event_within_seconds(
        wake_admin: httpx.AsyncClient, receiver: Receiver, temporal_address: str) -> None:
    endpoint = await subscribe(wake_admin, receiver.url, ["emergency.created"],
                               patient_id="patient-001")
    workflow_id = workflow_id_for(endpoint["id"])
    emergency_id = None
    try:
        await _until_idle(temporal_address, endpoint["id"])

        raised = await wake_admin.post("/emergencies", json=emergency_body())
        assert raised.status_code == 201, raised.text
        emergency_id = raised.json()["id"]
        await eventually(lambda: receiver.about("emergency_id", emergency_id), timeout_s=20,
                         what="the event at the receiver (the poll is 10 minutes away)")

        history = await events(temporal_address, workflow_id)
        timer = next(e for e in history if e.event_type == EventType.EVENT_TYPE_TIMER_STARTED)
        woken = [e for e in history if e.event_id > timer.event_id
                 and e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED]
        assert [e.workflow_execution_signaled_event_attributes.signal_name for e in woken] == \
            [WAKE_SIGNAL]
        assert count(history, EventType.EVENT_TYPE_TIMER_FIRED) == 0
        assert count(history, EventType.EVENT_TYPE_TIMER_CANCELED) == 1
    finally:
        if emergency_id is not None:
            await wake_admin.post(f"/emergencies/{emergency_id}/cancel",
                                  json={"reason": "test over"})
        await wake_admin.patch(f"/webhook-endpoints/{endpoint['id']}", json={"enabled": False})


async def test_disabling_an_idle_endpoint_ends_its_workflow_at_once(
        wake_admin: httpx.AsyncClient, receiver: Receiver, temporal_address: str) -> None:
    endpoint = await subscribe(wake_admin, receiver.url, ["emergency.created"],
                               patient_id="patient-001")
    handle = (await Client.connect(temporal_address)).get_workflow_handle(
        workflow_id_for(endpoint["id"]))
    await eventually(lambda: _marked_idle(endpoint["id"]), timeout_s=30, what="marked idle")

    off = await wake_admin.patch(f"/webhook-endpoints/{endpoint['id']}", json={"enabled": False})
    assert off.status_code == 200, off.text
    # Woken, it reads the endpoint disabled and ends (its poll is 10 minutes away).
    async with asyncio.timeout(20):
        await handle.result()


async def test_a_wake_owed_by_a_worker_that_died_is_sent_by_the_next_worker_to_start(
        wake_stack: Stack, wake_admin: httpx.AsyncClient, receiver: Receiver,
        temporal_address: str) -> None:
    patient = person(Patient)  # the endpoint hears only about this patient
    endpoint = await subscribe(wake_admin, receiver.url, ["emergency.created"], patient_id=patient)
    workflow_id = workflow_id_for(endpoint["id"])
    emergency_id = f"em-owed-{uuid.uuid4().hex[:8]}"
    try:
        await _until_idle(temporal_address, endpoint["id"])
        wake_stack.kill_worker()
        # The event commits and its writer claims the idle mark, but no wake is sent: this test
        # process has no worker's Temporal client, as a worker killed just after the commit.
        with writing() as session:
            assert webhook_events.queue(session, "emergency.created", emergency_id, patient, None,
                                        {"emergency_id": emergency_id, "patient_id": patient}) == 1
        assert session.info[webhook_idle.WOKEN] == [endpoint["id"]], "the writer claimed the mark"
        assert not _marked_idle(endpoint["id"])

        wake_stack.start_worker()
        await eventually(lambda: receiver.about("emergency_id", emergency_id), timeout_s=30,
                         what="the event at the receiver (the poll is 10 minutes away)")
        history = await events(temporal_address, workflow_id)
        timer = next(e for e in history if e.event_type == EventType.EVENT_TYPE_TIMER_STARTED)
        signals = [e.workflow_execution_signaled_event_attributes.signal_name for e in history
                   if e.event_id > timer.event_id
                   and e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED]
        assert signals == [WAKE_SIGNAL], "woken by the new worker, not found by the poll"
        assert count(history, EventType.EVENT_TYPE_TIMER_FIRED) == 0
    finally:
        if not any(process.poll() is None for process in wake_stack.workers):
            wake_stack.start_worker()
        await wake_admin.patch(f"/webhook-endpoints/{endpoint['id']}", json={"enabled": False})
