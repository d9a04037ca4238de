"""A long escalation continues as new and carries on from the same tier, skipping none."""

from __future__ import annotations

import uuid

from temporalio.client import Client
from temporalio.worker import Worker

from activities.delivery import DeliveryRequest
from tests.utils.standins import emergency_input, stand_ins
from tests.utils.waiting import eventually
from workflows.emergency import EmergencyEscalationWorkflow
from workflows.policy import ChannelStep, TierSpec
from worker import SANDBOX


async def test_escalation_continues_as_new_without_skipping_or_repeating_a_tier(
        temporal_address: str) -> None:
    client = await Client.connect(temporal_address)
    tiers = [TierSpec(f"tier {n}", "responders", 0.2) for n in range(4)]
    data = emergency_input([ChannelStep("websocket")], tiers, repeat_count=1, history_limit=40)
    sent: list[DeliveryRequest] = []
    queue = f"can-{uuid.uuid4().hex[:8]}"
    async with Worker(client, task_queue=queue, workflows=[EmergencyEscalationWorkflow],
                      activities=stand_ins(lambda r: False, sent), workflow_runner=SANDBOX):
        handle = await client.start_workflow(EmergencyEscalationWorkflow.run, data,
                                             id=data.emergency_id, task_queue=queue)
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
