"""A long escalation continues as new and carries on from the same tier, skipping none."""

from __future__ import annotations

from temporalio.client import Client

from activities.delivery_types import DeliveryRequest
from tests.utils.standins import emergency_input, escalating
from tests.utils.waiting import eventually
from workflows.emergency import EmergencyEscalationWorkflow
from workflows.policy import ChannelStep, TierSpec


async def test_escalation_continues_as_new_without_skipping_or_repeating_a_tier(
        temporal_address: str) -> None:
    client = await Client.connect(temporal_address)
    tiers = [TierSpec(f"tier {n}", "responders", 0.5) for n in range(4)]
    data = emergency_input([ChannelStep("websocket")], tiers, repeat_count=1, history_limit=40)
    sent: list[DeliveryRequest] = []
    async with escalating(client, data, lambda r: False, sent) as handle:
        async def exhausted() -> bool:
            return (await handle.query(EmergencyEscalationWorkflow.state)).status == "unacknowledged"

        await eventually(exhausted, timeout_s=30, what="the policy to run out")
        latest = await client.get_workflow_handle(data.emergency_id).describe()
        await handle.terminate("test over")
    assert latest.run_id != handle.first_execution_run_id, "the history limit forced a new run"
    # Tier pages only (their attempt ids name round and tier); exhaustion then pages admins.
    pages = [(r.round, r.tier) for r in sent
             if r.kind == "page" and f"/r{r.round}t{r.tier}/" in r.attempt_id]
    assert pages == [(0, 0), (0, 1), (0, 2), (0, 3), (1, 0), (1, 1), (1, 2), (1, 3)]
