"""Live events reach WebSocket and SSE clients at once, and a reconnecting client gets what it missed."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.utils.api import as_user, emergency_body, fast_policy, token
from tests.utils.live import next_frame, sse_events, staff_socket
from tests.utils.records import attempts
from tests.utils.waiting import eventually

pytestmark = pytest.mark.e2e


async def test_websocket_client_that_reconnects_receives_the_alert_it_missed(
        stack, admin: httpx.AsyncClient, raise_emergency) -> None:
    policy = await fast_policy(admin, tier_timeout_s=120)
    async with staff_socket(stack.ws_url(), "dr-aziz") as ws:
        first = await raise_emergency(policy_id=policy)
        seen = await next_frame(ws, subject_id=first, kind="page")
    missed = await raise_emergency(policy_id=policy)  # while dr-aziz is offline
    await eventually(lambda: attempts(missed, recipient_id="dr-aziz", channel="websocket"),
                     what="the page sent while offline")
    async with staff_socket(stack.ws_url(), "dr-aziz", last_event_id=seen["id"]) as ws:
        frame = await next_frame(ws, subject_id=missed, kind="page")
        assert frame["id"] > seen["id"]
        receipt = {"type": "receipt", "attempt_id": frame["payload"]["attempt_id"], "ref": "r1"}
        await ws.send(json.dumps(receipt))
        answer = await next_frame(ws, type="result", ref="r1")
    assert answer["ok"] is True
    delivered = await eventually(lambda: [a for a in attempts(missed, recipient_id="dr-aziz",
                                          channel="websocket") if a.outcome == "delivered"],
                                 what="the receipt recorded")
    assert delivered[0].delivered_at is not None


async def test_acknowledge_over_the_websocket(stack, admin: httpx.AsyncClient,
                                              raise_emergency) -> None:
    policy = await fast_policy(admin, tier_timeout_s=120)
    async with staff_socket(stack.ws_url(), "rrt-wong") as ws:
        emergency_id = await raise_emergency(policy_id=policy)
        await next_frame(ws, subject_id=emergency_id, kind="page")
        await ws.send(f'{{"type": "ack", "emergency_id": "{emergency_id}", "ref": "a1"}}')
        answer = await next_frame(ws, type="result", ref="a1")
        assert answer["ok"] and answer["owner_id"] == "rrt-wong"
        await ws.send(f'{{"type": "ack", "emergency_id": "{emergency_id}", "ref": "a2"}}')
        again = await next_frame(ws, type="result", ref="a2")
        await ws.send("not json")
        garbage = await next_frame(ws, type="result", ref=None)
    assert again["ok"] is False and again["code"] == "already_acknowledged"
    assert garbage["ok"] is False and garbage["code"] == "invalid_frame"


async def test_websocket_refuses_a_forged_token(stack) -> None:
    from websockets.asyncio.client import connect
    from websockets.exceptions import InvalidStatus

    forged = token("dr-tan", "provider")[:-4] + "AAAA"
    with pytest.raises(InvalidStatus):
        async with connect(f"{stack.ws_url()}?token={forged}"):
            pass


async def test_emergency_sse_stream_resumes_after_last_event_id(
        admin: httpx.AsyncClient, raise_emergency) -> None:
    policy = await fast_policy(admin, tier_timeout_s=120)
    emergency_id = await raise_emergency(policy_id=policy)
    first = await sse_events(admin, f"/emergencies/{emergency_id}/events", count=3)
    later = await sse_events(admin, f"/emergencies/{emergency_id}/events", count=2,
                             last_event_id=first[1]["id"])
    assert later[0]["id"] == first[2]["id"], "resumes right after the last event seen"
    assert all(int(e["id"]) > int(first[1]["id"]) for e in later)
    bad = await admin.get(f"/emergencies/{emergency_id}/events", headers={"Last-Event-ID": "x"})
    assert bad.status_code == 400


async def test_staff_inbox_sse_is_private(stack, client_for) -> None:
    async with client_for("dr-lim") as lim:
        other = await lim.get("/staff/dr-tan/inbox")
    assert other.status_code == 403


async def test_postgres_alert_reaches_a_client_of_another_api_replica(pg_stack) -> None:
    """Production shape: PostgreSQL LISTEN/NOTIFY carries the worker's page to every API process."""
    async with as_user(pg_stack.url(0), "admin-raj", "admin") as admin_a:
        policy = await fast_policy(admin_a, tier_timeout_s=120)
        async with staff_socket(pg_stack.ws_url(1), "dr-tan") as ws_b:
            created = await admin_a.post("/emergencies", json=emergency_body(policy_id=policy))
            assert created.status_code == 201, created.text
            frame = await next_frame(ws_b, subject_id=created.json()["id"], kind="page")
        assert frame["payload"]["severity"] == "critical"
        async with as_user(pg_stack.url(1), "dr-tan", "provider") as tan_b:
            ack = await tan_b.post(f"/emergencies/{created.json()['id']}/acknowledge")
        assert ack.status_code == 200
