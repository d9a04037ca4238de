"""Acknowledge, resolve, cancel, hand over: the first acknowledgement wins, and only the paged may act."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from temporalio.api.enums.v1 import EventType

from tests.utils.api import emergency_body, fast_policy
from tests.utils.live import next_frame, staff_socket
from tests.utils.history import count, quiescent
from tests.utils.records import attempts, audit_actions, count_emergencies, emergency
from tests.utils.waiting import eventually

pytestmark = pytest.mark.e2e


@pytest.fixture
async def paged_emergency(admin: httpx.AsyncClient, raise_emergency) -> str:
    """A critical emergency whose tier 1 has been paged, with a long ack timer."""
    policy = await fast_policy(admin, tier_timeout_s=120, voice_after_s=60)
    emergency_id = await raise_emergency(policy_id=policy)
    await eventually(lambda: len({a.recipient_id for a in attempts(emergency_id)}) == 5,
                     what="tier 1 paged")
    return emergency_id


async def test_first_acknowledgement_wins_and_a_second_gets_409_naming_the_first(
        stack, paged_emergency: str, client_for) -> None:
    async with client_for("dr-tan") as tan, client_for("dr-aziz") as aziz, \
            staff_socket(stack.ws_url(), "dr-aziz") as aziz_ws:
        first = await tan.post(f"/emergencies/{paged_emergency}/acknowledge")
        second = await aziz.post(f"/emergencies/{paged_emergency}/acknowledge")
        notice = await next_frame(aziz_ws, subject_id=paged_emergency, kind="ack_notice")
    assert first.status_code == 200 and first.json()["owner_id"] == "dr-tan"
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "already_acknowledged"
    assert "Dr Mei Tan" in second.json()["error"]["message"]
    assert "Dr Mei Tan" in notice["payload"]["text"], "the others are told who took it"
    row = await eventually(lambda: emergency(paged_emergency).status == "acknowledged"
                           and emergency(paged_emergency), what="projection updated")
    assert row.owner_id == "dr-tan"


async def test_simultaneous_acknowledgements_have_exactly_one_winner(
        paged_emergency: str, client_for) -> None:
    people = ["dr-tan", "dr-aziz", "dr-lim", "rrt-wong", "dr-kumar"]
    clients = [client_for(p) for p in people]
    try:
        answers = await asyncio.gather(*[
            c.post(f"/emergencies/{paged_emergency}/acknowledge") for c in clients])
    finally:
        await asyncio.gather(*[c.aclose() for c in clients])
    codes = sorted(a.status_code for a in answers)
    assert codes == [200, 409, 409, 409, 409]
    winner = next(a for a in answers if a.status_code == 200).json()["owner_name"]
    assert all(winner in a.json()["error"]["message"] for a in answers if a.status_code == 409)


async def test_acknowledgement_stops_the_pending_call_and_further_tiers(
        admin: httpx.AsyncClient, raise_emergency, client_for, temporal_address: str) -> None:
    policy = await fast_policy(admin, voice_after_s=30, tier_timeout_s=60)
    emergency_id = await raise_emergency(policy_id=policy)
    await eventually(lambda: attempts(emergency_id, recipient_id="dr-tan"), what="tier 1 paged")
    async with client_for("dr-tan") as tan:
        assert (await tan.post(f"/emergencies/{emergency_id}/acknowledge")).status_code == 200
    # The recorded decisions: no timer is open (the voice step's was cancelled, or never set),
    # none fired, and no activity is in flight, so the absence below is proven, not waited for.
    history = await quiescent(temporal_address, emergency_id)
    assert count(history, EventType.EVENT_TYPE_TIMER_FIRED) == 0
    assert not attempts(emergency_id, channel="voice")
    assert not [a for a in attempts(emergency_id) if a.tier > 0 and a.kind == "page"]


async def test_unpaged_nurse_is_refused_with_403_and_an_admin_is_accepted(
        paged_emergency: str, client_for, admin: httpx.AsyncClient) -> None:
    async with client_for("nurse-siti") as siti:
        refused = await siti.post(f"/emergencies/{paged_emergency}/acknowledge")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "not_paged"
    assert emergency(paged_emergency).status == "active"
    accepted = await admin.post(f"/emergencies/{paged_emergency}/acknowledge")
    assert accepted.status_code == 200 and accepted.json()["owner_id"] == "admin-raj"


async def test_auditor_reads_but_never_acknowledges(paged_emergency: str, client_for) -> None:
    async with client_for("auditor-ng", "auditor") as auditor:
        assert (await auditor.get(f"/emergencies/{paged_emergency}")).status_code == 200
        refused = await auditor.post(f"/emergencies/{paged_emergency}/acknowledge")
    assert refused.status_code == 403
    assert emergency(paged_emergency).status == "active"


async def test_hand_over_then_resolve_with_outcome(
        stack, paged_emergency: str, client_for) -> None:
    async with client_for("dr-tan") as tan, client_for("dr-lim") as lim, \
            staff_socket(stack.ws_url(), "nurse-siti") as siti_ws:
        before_ack = await tan.post(f"/emergencies/{paged_emergency}/hand-over",
                                    json={"to_staff_id": "nurse-siti"})
        assert before_ack.status_code == 409
        assert (await tan.post(f"/emergencies/{paged_emergency}/acknowledge")).status_code == 200
        not_owner = await lim.post(f"/emergencies/{paged_emergency}/hand-over",
                                   json={"to_staff_id": "nurse-siti"})
        assert not_owner.status_code == 403
        handed = await tan.post(f"/emergencies/{paged_emergency}/hand-over",
                                json={"to_staff_id": "nurse-siti", "note": "going to theatre"})
        assert handed.status_code == 200 and handed.json()["owner_id"] == "nurse-siti"
        frame = await next_frame(siti_ws, subject_id=paged_emergency, kind="handover")
        assert frame["payload"]["short_code"] == emergency(paged_emergency).short_code
    async with client_for("nurse-siti") as siti:
        resolved = await siti.post(f"/emergencies/{paged_emergency}/resolve",
                                   json={"outcome": "ROSC after 2 cycles"})
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
    row = await eventually(lambda: emergency(paged_emergency).status == "resolved"
                           and emergency(paged_emergency), what="resolved recorded")
    assert row.outcome == "ROSC after 2 cycles"
    actions = audit_actions(paged_emergency)
    assert actions.index("emergency.acknowledged") < actions.index("emergency.handed_over") \
        < actions.index("emergency.resolved")


async def test_cancel_as_false_alarm_stands_everyone_down_and_closes_it(
        stack, paged_emergency: str, admin: httpx.AsyncClient) -> None:
    async with staff_socket(stack.ws_url(), "dr-kumar") as kumar_ws:
        cancelled = await admin.post(f"/emergencies/{paged_emergency}/cancel",
                                     json={"reason": "monitor lead fell off"})
        assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
        await next_frame(kumar_ws, subject_id=paged_emergency, kind="stand_down")
    row = await eventually(lambda: emergency(paged_emergency).status == "cancelled"
                           and emergency(paged_emergency), what="cancel recorded")
    assert row.outcome == "monitor lead fell off"
    late = await admin.post(f"/emergencies/{paged_emergency}/acknowledge")
    assert late.status_code == 409 and late.json()["error"]["code"] == "emergency_closed"


async def test_same_idempotency_key_creates_nothing_new_and_pages_nobody_twice(
        admin: httpx.AsyncClient, raise_emergency) -> None:
    policy = await fast_policy(admin, tier_timeout_s=120, voice_after_s=600)
    body = emergency_body(policy_id=policy)
    first_id = await raise_emergency(**body)
    await eventually(lambda: len(attempts(first_id)) >= 15, what="tier 1 paged")
    before = count_emergencies(), len(attempts(first_id))
    again = await admin.post("/emergencies", json=body)
    by_header = await admin.post("/emergencies", json={**body, "idempotency_key": None},
                                 headers={"Idempotency-Key": body["idempotency_key"]})
    assert again.status_code == 200 and again.json()["id"] == first_id
    assert by_header.status_code == 200 and by_header.json()["id"] == first_id
    await asyncio.sleep(0.5)
    assert (count_emergencies(), len(attempts(first_id))) == before
    pages = [(a.recipient_id, a.channel) for a in attempts(first_id, kind="page")]
    assert len(pages) == len(set(pages)) == 15, "each responder paged once per channel"
