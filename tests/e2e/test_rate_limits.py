"""Limits at the door: ordinary routes answer 429 past a person's or an address's budget, bodies
over their route's limit 413, sockets past their cap 429 - and raising or acknowledging an
emergency is never turned away, even by someone whose ordinary budget is spent."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from db.engine import reading
from db.models import Emergency
from tests.utils.api import as_user, emergency_body, fast_policy, token
from tests.utils.limited_api import limited_api
from tests.utils.live import next_frame
from tests.utils.waiting import eventually

pytestmark = pytest.mark.e2e


def emergency_row(emergency_id: str) -> Emergency | None:
    with reading() as session:
        return session.get(Emergency, emergency_id)

# The per-token budget is a year's: `limits`' sliding-window counter aligns its windows to the
# clock and weighs the last window's count by how much of it is left, so a second after a
# window's end the 10 spent reads count as 9.99 and an 11th passes. With an hourly budget a run
# that crossed the hour failed its last check; a year's window is crossed once a year.
TIGHT = {"rate_limit_per_token": "10/year", "rate_limit_per_address": "1000/minute",
         "max_body_bytes": 2048, "max_bulk_body_bytes": 65536,
         "ws_max_connections_per_person": 2, "ws_message_rate": "5/minute"}


@pytest.fixture(scope="module")
def tight_api(stack) -> Iterator[str]:  # type: ignore[no-untyped-def]
    with limited_api(stack, **TIGHT) as url:
        yield url


@pytest.fixture
async def burst_admin(tight_api: str) -> AsyncIterator[httpx.AsyncClient]:
    async with as_user(tight_api, "admin-raj", "admin") as client:
        client.timeout = httpx.Timeout(120)  # 25 emergencies at once on a shared 2-core machine
        yield client


def assert_rate_limited(response: httpx.Response, scope: str) -> None:
    assert response.status_code == 429, response.text
    assert int(response.headers["Retry-After"]) >= 1
    error = response.json()["error"]
    assert error["code"] == "rate_limited" and error["details"]["scope"] == scope


async def test_fifty_emergency_calls_in_a_burst_succeed_while_reads_from_the_same_token_get_429(
        admin: httpx.AsyncClient, burst_admin: httpx.AsyncClient) -> None:
    policy = await fast_policy(admin, tier_timeout_s=120, channels=[{"channel": "websocket"}])
    reads = [await burst_admin.get("/staff") for _ in range(10)]
    assert [r.status_code for r in reads] == [200] * 10
    assert_rate_limited(await burst_admin.get("/staff"), "token")

    created = await asyncio.gather(*(burst_admin.post("/emergencies", json=emergency_body(
        policy_id=policy)) for _ in range(25)))
    assert [r.status_code for r in created] == [201] * 25, [r.text for r in created if r.status_code != 201]
    ids = [r.json()["id"] for r in created]
    # A 201 can come back before the workflow has written its record (a busy machine); the
    # acknowledgements below test the limits, not that race.
    await eventually(lambda: all(emergency_row(i) for i in ids), timeout_s=60,
                     what="every emergency's record")
    acked = await asyncio.gather(*(burst_admin.post(f"/emergencies/{i}/acknowledge") for i in ids))
    assert [r.status_code for r in acked] == [200] * 25, [r.text for r in acked if r.status_code != 200]

    assert_rate_limited(await burst_admin.get("/staff"), "token")
    resolved = await asyncio.gather(*(burst_admin.post(f"/emergencies/{i}/resolve",
                                                       json={"outcome": "test over"}) for i in ids))
    assert [r.status_code for r in resolved] == [200] * 25


async def test_bodies_over_their_routes_limit_are_413(tight_api: str) -> None:
    async with as_user(tight_api, "coord-lee", "coordinator") as client:
        padded = emergency_body(description="x" * 3000)
        declared = await client.post("/emergencies", json=padded)

        async def chunks(count: int, size: int) -> AsyncIterator[bytes]:
            for _ in range(count):
                yield b" " * size
        streamed = await client.post("/emergencies", content=chunks(4, 1024),
                                     headers={"content-type": "application/json"})

        async def small_json() -> AsyncIterator[bytes]:
            yield b'{"type": "cardiac_arrest",'
            yield b' "severity": "critical"}'
        passed_on = await client.post("/emergencies", content=small_json(),
                                      headers={"content-type": "application/json"})

        fhir = "/sessions/session-none/readings/fhir"
        bundle_10k = {"resourceType": "Bundle", "type": "collection", "note": "x" * 10_000}
        fhir_ok = await client.post(fhir, json=bundle_10k)
        fhir_huge = await client.post(fhir, json={**bundle_10k, "note": "x" * 70_000})

    for response in (declared, streamed, fhir_huge):
        assert response.status_code == 413, response.text
        assert response.json()["error"]["code"] == "body_too_large"
    assert declared.json()["error"]["details"] == {"limit_bytes": 2048}
    assert fhir_huge.json()["error"]["details"] == {"limit_bytes": 65536}
    assert passed_on.status_code == 422, "a chunked body under the limit reaches the route whole"
    assert "idempotency" in passed_on.text or "location" in passed_on.text
    assert fhir_ok.status_code != 413, "the FHIR route has its own, larger limit"


async def test_a_person_gets_429_past_their_websocket_connection_cap(tight_api: str) -> None:
    url = f"{tight_api.replace('http', 'ws')}/api/v1/ws?token={token('dr-kumar', 'provider')}"
    async with connect(url), connect(url) as second:
        with pytest.raises(InvalidStatus) as refused:
            async with connect(url):
                pass
        response = refused.value.response
        assert response.status_code == 429
        assert int(response.headers["Retry-After"]) >= 1
        assert json.loads(response.body)["error"]["code"] == "rate_limited"
        await second.close()

        async def third_connects() -> bool:
            try:
                async with connect(url):
                    return True
            except InvalidStatus:
                return False
        await eventually(third_connects, what="a slot freed by closing a socket")


async def test_frames_past_the_socket_rate_are_refused_but_an_ack_never_is(tight_api: str) -> None:
    url = f"{tight_api.replace('http', 'ws')}/api/v1/ws?token={token('dr-lim', 'provider')}"
    async with connect(url) as ws:
        for n in range(5):
            await ws.send(json.dumps({"type": "ping", "ref": f"p{n}"}))
            assert (await next_frame(ws, ref=f"p{n}"))["type"] == "pong"
        await ws.send(json.dumps({"type": "ping", "ref": "p5"}))
        refused = await next_frame(ws, ref="p5")
        await ws.send(json.dumps({"type": "ack", "emergency_id": "emergency-none", "ref": "a1"}))
        ack = await next_frame(ws, ref="a1")
    assert refused["ok"] is False and refused["code"] == "rate_limited"
    assert refused["details"]["retry_after_s"] >= 1
    assert ack["code"] != "rate_limited", "the ack was answered on its merits"


async def test_people_behind_one_address_share_its_limit(stack) -> None:  # type: ignore[no-untyped-def]
    with limited_api(stack, rate_limit_per_token="10/minute",
                     rate_limit_per_address="20/minute") as url:
        answers = []
        for person in ("dr-a", "dr-b", "dr-c", "dr-d"):
            async with as_user(url, person, "provider") as client:
                answers += [await client.get("/facilities") for _ in range(6)]
    assert [r.status_code for r in answers[:20]] == [200] * 20
    for response in answers[20:]:
        assert_rate_limited(response, "address")
