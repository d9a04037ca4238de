"""Killing a process mid-escalation loses no alert and skips no tier (SPEC §8)."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
import pytest

from tests.utils.api import fast_policy
from tests.utils.records import attempts, emergency
from tests.utils.waiting import eventually

pytestmark = pytest.mark.e2e


async def test_worker_killed_mid_escalation_continues_from_its_tier_without_skipping_one(
        stack, admin: httpx.AsyncClient, raise_emergency) -> None:
    policy = await fast_policy(admin, channels=[{"channel": "websocket"}, {"channel": "sms"}],
                               tiers=[
        {"name": "responders", "targets": "responders", "ack_timeout_s": 2},
        {"name": "charge nurse", "targets": "charge_nurse", "ack_timeout_s": 2},
        {"name": "admins", "targets": "admins", "ack_timeout_s": 60},
    ])
    emergency_id = await raise_emergency(policy_id=policy)
    await eventually(lambda: len(attempts(emergency_id, tier=0)) == 10, what="tier 1 paged")
    stack.kill_worker()
    try:
        await asyncio.sleep(5)  # tier 1's timer and tier 2's both fall due while no worker runs
        assert not attempts(emergency_id, tier=1), "nothing can page without a worker"
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
