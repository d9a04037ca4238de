"""Workflow unit tests: the escalation logic with stand-in activities on the real test server.

Only the activities are stood in for, because what is under test is the
workflow's own decision: which channel comes next when one fails for good.
"""

from __future__ import annotations

import pytest
from temporalio.client import Client

from activities.delivery_types import DeliveryRequest
from tests.utils.standins import emergency_input, escalating
from tests.utils.waiting import eventually
from workflows.emergency import EmergencyEscalationWorkflow
from workflows.emergency_types import AcknowledgeInput, Actor, EmergencyInput
from workflows.paging_types import DELIVERY_FAILED_SIGNAL, DeliveryFailed
from workflows.policy import ChannelStep


@pytest.fixture
async def client(temporal_address: str) -> Client:
    return await Client.connect(temporal_address)


async def run_until_paged(client: Client, data: EmergencyInput, fails, expected: int) -> list[str]:
    sent: list[DeliveryRequest] = []
    async with escalating(client, data, fails, sent) as handle:
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


async def test_a_late_failure_reported_after_continue_as_new_still_falls_through(
        client: Client) -> None:
    # SMS at once, voice later; a history limit so low that the voice step ends the run.
    data = emergency_input([ChannelStep("sms"), ChannelStep("voice", 0.3)], history_limit=12)
    sent: list[DeliveryRequest] = []
    async with escalating(client, data, lambda r: False, sent) as handle:
        await eventually(lambda: [r for r in sent if r.channel == "voice"], what="the voice step")

        async def new_run() -> str | None:
            run_id = (await client.get_workflow_handle(data.emergency_id).describe()).run_id
            return run_id if run_id != handle.first_execution_run_id else None

        await eventually(new_run, what="a continue-as-new")
        sms = next(r for r in sent if r.channel == "sms")
        # The provider's callback: the SMS sent in the first run never arrived.
        await client.get_workflow_handle(data.emergency_id).signal(
            DELIVERY_FAILED_SIGNAL, DeliveryFailed(sms.attempt_id, "sms", sms.recipient_id))
        fallen = await eventually(lambda: [r for r in sent if r.channel == "email"],
                                  what="email, the next untried channel")
        await client.get_workflow_handle(data.emergency_id).terminate("test over")
    assert [(r.recipient_id, r.kind) for r in fallen] == [("dr-a", "page")]
    assert [r.channel for r in sent].count("sms") == 1, "the failed SMS is not sent again"
