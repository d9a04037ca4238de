"""Workflow unit tests: the escalation logic with stand-in activities on the real test server.

Only the activities are stood in for, because what is under test is the
workflow's own decision: which channel comes next when one fails for good.
"""

from __future__ import annotations

import uuid

import pytest
from temporalio.client import Client
from temporalio.worker import Worker

from activities.delivery import DeliveryRequest
from tests.utils.standins import emergency_input, stand_ins
from tests.utils.waiting import eventually
from workflows.emergency import EmergencyEscalationWorkflow
from workflows.emergency_types import AcknowledgeInput, Actor, EmergencyInput
from workflows.policy import ChannelStep
from worker import SANDBOX


@pytest.fixture
async def client(temporal_address: str) -> Client:
    return await Client.connect(temporal_address)


async def run_until_paged(client: Client, data: EmergencyInput, fails, expected: int) -> list[str]:
    sent: list[DeliveryRequest] = []
    queue = f"unit-{uuid.uuid4().hex[:8]}"
    async with Worker(client, task_queue=queue, workflows=[EmergencyEscalationWorkflow],
                      activities=stand_ins(fails, sent), workflow_runner=SANDBOX):
        handle = await client.start_workflow(EmergencyEscalationWorkflow.run, data,
                                             id=data.emergency_id, task_queue=queue)
        await eventually(lambda: len(sent) >= expected, what=f"{expected} deliveries")
        await handle.execute_update(EmergencyEscalationWorkflow.acknowledge,
                                    AcknowledgeInput(Actor("dr-a", "Dr A")))
        await handle.terminate("test over")
    return [r.channel for r in sent if r.kind == "page"]


async def test_permanent_push_failure_falls_through_to_the_next_untried_channel(client) -> None:
    data = emergency_input([ChannelStep("websocket"), ChannelStep("push"),
                            ChannelStep("sms", 300)])
    channels = await run_until_paged(client, data, lambda r: r.channel == "push", expected=3)
    assert channels[:2] == ["websocket", "push"] or channels[:2] == ["push", "websocket"]
    assert channels[2] == "sms", "sms is tried at once, not after its 300 s delay"


async def test_every_channel_failing_ends_with_email(client) -> None:
    data = emergency_input([ChannelStep("push"), ChannelStep("sms")])
    channels = await run_until_paged(client, data, lambda r: r.channel != "email", expected=3)
    assert channels == ["push", "sms", "email"] or sorted(channels) == ["email", "push", "sms"]
    assert channels[-1] == "email"
