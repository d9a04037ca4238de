"""Text that PostgreSQL cannot store, and idempotency keys under concurrency, on both databases.

A NUL in a description used to pass the API, start the emergency's workflow (which
paged) and then fail its record activity forever on PostgreSQL: now one rule at the
edge refuses it with a 422 naming the field, and nothing is started.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from activities.emergency_plans import workflow_id_for
from cli.stack import Stack
from tests.utils.api import as_user, emergency_body

pytestmark = pytest.mark.e2e


@pytest.fixture(params=["sqlite", "postgres"])
def any_stack(request: pytest.FixtureRequest) -> Stack:
    """The embedded default (SQLite) and the production shape (PostgreSQL, two replicas)."""
    return request.getfixturevalue("stack" if request.param == "sqlite" else "pg_stack")


@pytest.fixture
async def admin_on(any_stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with as_user(any_stack.url(0), "admin-raj", "admin") as client:
        yield client


async def _never_started(temporal_address: str, key: str) -> bool:
    client = await Client.connect(temporal_address)
    try:
        await client.get_workflow_handle(workflow_id_for(key)).describe()
    except RPCError as error:
        return error.status == RPCStatusCode.NOT_FOUND
    return False


@pytest.mark.parametrize("field,overrides", [
    ("description", {"description": "a\u0000b"}),
    ("description", {"description": "bell\u0007"}),
    ("type_detail", {"type": "other", "type_detail": "x\u001bx"}),
    ("location.room", {"location": {"facility_id": "vigil-general", "room": "1\u00002"}}),
], ids=["nul", "bell", "escape", "nested"])
async def test_control_characters_in_an_emergency_are_refused_and_nothing_starts(
        admin_on: httpx.AsyncClient, temporal_address: str, field: str, overrides: dict) -> None:
    body = emergency_body(**overrides)
    response = await admin_on.post("/emergencies", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"][0]["field"] == f"body.{field}"
    assert await _never_started(temporal_address, body["idempotency_key"])
    missing = await admin_on.get(f"/emergencies/{workflow_id_for(body['idempotency_key'])}")
    assert missing.status_code == 404


async def test_lines_and_tabs_in_a_description_are_still_accepted(admin_on: httpx.AsyncClient,
                                                                  ) -> None:
    body = emergency_body(description="Collapsed in bay 3.\n\tNo pulse.\r\n")
    response = await admin_on.post("/emergencies", json=body)
    assert response.status_code == 201, response.text
    assert response.json()["description"] == body["description"]
    await admin_on.post(f"/emergencies/{response.json()['id']}/cancel", json={"reason": "test"})


async def test_control_characters_in_staff_and_policy_names_are_refused(
        admin_on: httpx.AsyncClient) -> None:
    staff = await admin_on.post("/staff", json={"id": f"s-{uuid.uuid4().hex[:6]}",
                                                "name": "Dr\u0000Evil", "role": "coordinator"})
    assert staff.status_code == 422 and staff.json()["error"]["details"][0]["field"] == "body.name"
    policy = await admin_on.post("/policies", json={
        "id": f"p-{uuid.uuid4().hex[:6]}", "name": "bad\u0000", "channels": [
            {"channel": "websocket"}], "tiers": [{"name": "t", "targets": "responders",
                                                  "ack_timeout_s": 60}]})
    assert policy.status_code == 422
    assert policy.json()["error"]["details"][0]["field"] == "body.name"


async def test_a_nul_in_a_path_or_query_is_a_400_not_a_500(admin_on: httpx.AsyncClient) -> None:
    for url in ("/emergencies/a%00b", "/staff/x%00", "/sessions?patient_id=p%00"):
        response = await admin_on.get(url)
        assert response.status_code == 400, (url, response.text)
        assert response.json()["error"]["code"] == "invalid_url"


async def test_six_concurrent_posts_with_one_key_give_one_201_and_five_200_of_the_same_emergency(
        any_stack: Stack) -> None:
    body = emergency_body()
    # Spread over every API replica the stack has: the race is between processes too.
    clients = [as_user(any_stack.url(i % len(any_stack.apis)), "admin-raj", "admin")
               for i in range(6)]
    try:
        responses = await asyncio.gather(*(c.post("/emergencies", json=body) for c in clients))
    finally:
        for client in clients:
            await client.aclose()
    codes = sorted(r.status_code for r in responses)
    assert codes == [200, 200, 200, 200, 200, 201], [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    async with as_user(any_stack.url(0), "admin-raj", "admin") as admin:
        emergency_id = responses[0].json()["id"]
        reused = await admin.post("/emergencies", json={**body, "description": "another one"})
        assert reused.status_code == 422, reused.text
        error = reused.json()["error"]
        assert error["code"] == "idempotency_key_reused"
        assert error["details"]["emergency_id"] == emergency_id
        held = await admin.get(f"/emergencies/{emergency_id}")
        assert held.json()["description"] == body["description"], "the first one is untouched"
        await admin.post(f"/emergencies/{emergency_id}/cancel", json={"reason": "test over"})
