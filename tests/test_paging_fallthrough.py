"""Workflow unit tests: the escalation logic with stand-in activities on the real test server.

Only the activities are stood in for, because what is under test is the
workflow's own decision: which channel comes next when one fails for good.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from temporalio import activity
from temporalio.client import Client
from temporalio.worker import Worker

from activities.delivery import DeliveryRequest, DeliveryResult
from activities.directory import TargetQuery
from activities.emergency_records import StateChange
from workflows.emergency import EmergencyEscalationWorkflow
from workflows.emergency_types import AcknowledgeInput, Actor, EmergencyInput, Target
from workflows.policy import ChannelStep, PolicySnapshot, TierSpec
from worker import SANDBOX


def stand_ins(fails: Callable[[DeliveryRequest], bool], sent: list[DeliveryRequest]) -> list:
    @activity.defn(name="deliver")
    async def deliver(request: DeliveryRequest) -> DeliveryResult:
        sent.append(request)
        outcome = "failed" if fails(request) else "sent"
        return DeliveryResult(request.attempt_id, request.channel, request.recipient_id, outcome)

    @activity.defn(name="resolve_targets")
    async def resolve_targets(query: TargetQuery) -> list[Target]:
        return [Target("dr-a", "Dr A", "provider", "emergency", 10.0)]

    @activity.defn(name="record_emergency_change")
    async def record(change: StateChange) -> None:
        return None

    return [deliver, resolve_targets, record]


def emergency_input(channels: list[ChannelStep]) -> EmergencyInput:
    return EmergencyInput(
        emergency_id=f"unit-{uuid.uuid4().hex[:8]}", idempotency_key="k", type="choking",
        severity="critical", patient_id="p", facility_id="f", location={}, short_code="1234",
        created_by="someone",
        policy=PolicySnapshot("p", "p", 1, channels, [TierSpec("t", "responders", 600)]))


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
        from tests.utils.waiting import eventually
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
