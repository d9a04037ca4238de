"""Killing a process mid-escalation loses no alert and skips no tier (SPEC §8)."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
import pytest
from temporalio.api.enums.v1 import EventType

from tests.utils.api import fast_policy
from tests.utils.history import count, events
from tests.utils.records import attempts, emergency
from tests.utils.waiting import eventually

pytestmark = pytest.mark.e2e


async def _timers(temporal_address: str, workflow_id: str, kind: int) -> int:
    return count(await events(temporal_address, workflow_id), kind)


async def test_worker_killed_mid_escalation_continues_from_its_tier_without_skipping_one(
        stack, admin: httpx.AsyncClient, raise_emergency, temporal_address: str) -> None:
    policy = await fast_policy(admin, channels=[{"channel": "websocket"}, {"channel": "sms"}],
                               tiers=[
        {"name": "responders", "targets": "responders", "ack_timeout_s": 2},
        {"name": "charge nurse", "targets": "charge_nurse", "ack_timeout_s": 2},
        {"name": "admins", "targets": "admins", "ack_timeout_s": 60},
    ])
    emergency_id = await raise_emergency(policy_id=policy)
    await eventually(lambda: len(attempts(emergency_id, tier=0)) == 10, what="tier 1 paged")
    await eventually(lambda: _timers(temporal_address, emergency_id,
                                     EventType.EVENT_TYPE_TIMER_STARTED), what="tier 1's timer set")
    stack.kill_worker()
    try:
        # Tier 1's timer falls due while no worker runs: the server records it fired, and the
        # decision it asks for waits for a worker.
        await eventually(lambda: _timers(temporal_address, emergency_id,
                                         EventType.EVENT_TYPE_TIMER_FIRED),
                         what="tier 1's timer to fire during the outage")
    finally:
        stack.start_worker()
    await eventually(lambda: len(attempts(emergency_id, tier=2)) == 2, timeout_s=40,
                     what="the worker to resume and reach tier 3")
    pages = [(a.tier, a.recipient_id, a.channel) for a in attempts(emergency_id, kind="page")]
    assert Counter(pages).most_common(1)[0][1] == 1, "no page was sent twice"
    assert {(t, r) for t, r, _ in pages if t == 1} == {(1, "nurse-mei")}, "tier 2 was not skipped"
    assert {(t, r) for t, r, _ in pages if t == 2} == {(2, "admin-raj")}
    assert all(a.outcome == "sent" for a in attempts(emergency_id))
    assert emergency(emergency_id).tier == 2
