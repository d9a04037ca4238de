"""SPEC §3.1 on the running stack: who is paged, on which channels, when, and what happens next."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from tests.utils.api import fast_policy, token
from tests.utils.live import next_frame, sse_events, staff_socket
from tests.utils.people import authorise
from tests.utils.records import attempts, audit_actions, audit_entry, emergency
from tests.utils.waiting import eventually

pytestmark = pytest.mark.e2e

TIER_ONE = {"dr-tan", "dr-aziz", "dr-lim", "dr-kumar", "rrt-wong"}  # on call, emergency capable


async def test_critical_emergency_pages_tier_one_on_websocket_push_and_sms_at_once_then_calls(
        stack, admin: httpx.AsyncClient, raise_emergency) -> None:
    policy = await fast_policy(admin, voice_after_s=1.5, tier_timeout_s=30)
    async with staff_socket(stack.ws_url(), "dr-tan") as ws:
        emergency_id = await raise_emergency(policy_id=policy)
        frame = await next_frame(ws, subject_id=emergency_id, kind="page")
    assert frame["payload"]["severity"] == "critical"
    assert frame["payload"]["short_code"] == emergency(emergency_id).short_code

    def first_wave():
        sent = attempts(emergency_id, tier=0)
        return sent if {(a.recipient_id, a.channel) for a in sent} >= {
            (p, c) for p in TIER_ONE for c in ("websocket", "push", "sms")} else None

    wave = await eventually(first_wave, what="websocket, push and sms to all of tier 1")
    assert not [a for a in wave if a.channel == "voice"], "voice went out before its delay"
    def calls_made() -> list | None:
        sent = [a for a in attempts(emergency_id, channel="voice") if a.outcome == "sent"]
        return sent if len(sent) == len(TIER_ONE) else None

    calls = await eventually(calls_made, what="a call to every tier-1 responder")
    tier_paged = min(a.created_at for a in wave)
    # The delay runs from when the tier was paged; allow for the first page's own dispatch.
    assert min(c.created_at for c in calls) - tier_paged >= timedelta(seconds=1.2)
    assert {c.recipient_id for c in calls} == TIER_ONE


async def test_tier_one_is_ordered_by_emergency_priority_then_distance(
        admin: httpx.AsyncClient, raise_emergency) -> None:
    policy = await fast_policy(admin, tier_timeout_s=30)
    emergency_id = await raise_emergency(policy_id=policy)
    entry = await eventually(lambda: audit_entry(emergency_id, "emergency.tier_paged"),
                             what="tier 1 paged")
    # Emergency physicians first (nearest first), then primary care, then other providers.
    assert entry.detail["targets"] == ["dr-tan", "dr-aziz", "dr-lim", "rrt-wong", "dr-kumar"]


async def test_unacknowledged_emergency_escalates_tier_by_tier_repeats_and_pages_every_admin(
        admin: httpx.AsyncClient, raise_emergency) -> None:
    policy = await fast_policy(admin, tier_timeout_s=0.8, repeat_count=1, tiers=[
        {"name": "responders", "targets": "responders", "ack_timeout_s": 0.8},
        {"name": "charge nurse", "targets": "charge_nurse", "ack_timeout_s": 0.8},
    ], channels=[{"channel": "websocket"}, {"channel": "sms"}])
    emergency_id = await raise_emergency(policy_id=policy)
    await eventually(lambda: emergency(emergency_id).status == "unacknowledged", timeout_s=20,
                     what="the policy to run out")
    # The tiers' own pages (scope r<round>t<tier>), not the admins' page at exhaustion, which
    # can be written before this look or after it.
    tiers = [(a.round, a.tier) for a in attempts(emergency_id, kind="page")
             if a.channel == "sms" and f"/r{a.round}t{a.tier}/" in a.id]
    assert sorted(set(tiers)) == [(0, 0), (0, 1), (1, 0), (1, 1)], "every tier, every round, once"
    charge = {a.recipient_id for a in attempts(emergency_id, tier=1, round=0)}
    assert charge == {"nurse-mei"}
    def admin_pages() -> set[str] | None:
        done = [a for a in attempts(emergency_id, recipient_id="admin-raj") if a.outcome != "sending"]
        return {a.channel for a in done} if len(done) == 5 else None

    admin_channels = await eventually(admin_pages, what="the admin paged on every channel")
    assert admin_channels == {"websocket", "push", "sms", "voice", "email"}
    actions = audit_actions(emergency_id)
    assert actions.count("emergency.escalated") == 3
    assert "emergency.unacknowledged" in actions


async def test_escalate_now_pages_the_next_tier_without_waiting(
        admin: httpx.AsyncClient, client_for, raise_emergency) -> None:
    policy = await fast_policy(admin, tier_timeout_s=120)
    emergency_id = await raise_emergency(policy_id=policy)
    await eventually(lambda: attempts(emergency_id, recipient_id="dr-aziz"), what="tier 1 paged")
    async with client_for("dr-aziz") as aziz:
        response = await aziz.post(f"/emergencies/{emergency_id}/escalate",
                                   json={"reason": "need more hands"})
    assert response.status_code == 200, response.text
    await eventually(lambda: attempts(emergency_id, recipient_id="nurse-mei", tier=1),
                     timeout_s=5, what="the charge nurse paged at once")
    assert emergency(emergency_id).status == "active"


async def test_policy_edited_mid_escalation_changes_nothing_under_way(
        admin: httpx.AsyncClient, raise_emergency) -> None:
    policy = await fast_policy(admin, tier_timeout_s=1.0, channels=[
        {"channel": "websocket"}, {"channel": "sms"}])
    emergency_id = await raise_emergency(policy_id=policy)
    await eventually(lambda: attempts(emergency_id, tier=0), what="tier 1 paged")
    edited = await admin.put(f"/policies/{policy}", json={
        "name": "edited", "channels": [{"channel": "email"}],
        "tiers": [{"name": "only admins", "targets": "admins", "ack_timeout_s": 600}]})
    assert edited.status_code == 200 and edited.json()["version"] == 2
    tier_two = await eventually(lambda: len(attempts(emergency_id, tier=1)) == 2 and attempts(
        emergency_id, tier=1), what="escalation to tier 2 on both snapshot channels")
    assert {a.recipient_id for a in tier_two} == {"nurse-mei"}, "the snapshot's tier 2"
    assert {a.channel for a in tier_two} == {"websocket", "sms"}, "the snapshot's channels"
    assert emergency(emergency_id).policy["version"] == 1


async def test_family_get_short_status_updates_without_clinical_detail(
        stack, client_for, raise_emergency, admin: httpx.AsyncClient) -> None:
    policy = await fast_policy(admin, tier_timeout_s=60)
    await authorise(admin, "patient-fam-1", "family-ahmad", ["emergencies"])  # the consent record
    family = httpx.AsyncClient(base_url=f"{stack.api_url}/api/v1", timeout=30, headers={
        "Authorization": "Bearer " + token("family-ahmad", "family")})  # no patients claim needed
    emergency_id = await raise_emergency(policy_id=policy, patient_id="patient-fam-1",
                                         description="Anaphylaxis after penicillin")
    events = await sse_events(family, "/patients/patient-fam-1/updates", count=1)
    assert events[0]["data"]["payload"]["subject_id"] == emergency_id
    text = str(events[0]["data"])
    assert "penicillin" not in text.lower() and "anaphylaxis" not in text.lower()
    other = await family.get("/patients/patient-other/updates")
    assert other.status_code == 403
    await family.aclose()
