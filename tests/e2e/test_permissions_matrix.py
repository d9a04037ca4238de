"""Every route, called by every kind of caller, answers as api/permissions.py says.

Allowed: anything but 401/403 (and never a 5xx). Refused: exactly 401 (no valid
token) or 403, in the one error shape, and nothing changed: a refused write
leaves no row, a refused command leaves the workflow where it was (the allowed
command after it still succeeds). Bodies are valid, so "allowed" means the call
did what it says. Calls run concurrently; the workflow commands run in the order
that makes each answer certain.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from api.permissions import BY_KEY, RULES, V1, Access, Rule
from cli.stack import Stack
from tests.utils import matrix_world as world
from tests.utils.api import openapi_document
from tests.utils.callers import Call, Caller
from tests.utils.matrix_calls import builders
from tests.utils.monitoring import stored
from tests.utils.waiting import eventually

pytestmark = pytest.mark.e2e

STEERING = ("acknowledge", "resolve", "cancel", "hand-over", "escalate")
# Refused while the emergency is unacknowledged; the others once it is, since the workflow
# answers "not acknowledged" (409) before it asks who is calling.
REFUSE_BEFORE_ACK = ("acknowledge", "cancel", "escalate")
END = ("POST", f"{V1}/sessions/{{session_id}}/end")
# Ending, removing and revoking are answered last: refused first (and checked to have changed
# nothing), then allowed, since the first allowed call changes what the others see.
LAST = (END, ("DELETE", f"{V1}/schedules/{{schedule_id}}/layers/{{layer_id}}"),
        ("DELETE", f"{V1}/schedules/{{schedule_id}}/overrides/{{override_id}}"),
        ("POST", f"{V1}/patients/{{patient_id}}/consents/{{consent_id}}/revoke"),
        ("POST", f"{V1}/schedules/{{schedule_id}}/swaps/{{swap_id}}/accept"),
        ("POST", f"{V1}/schedules/{{schedule_id}}/swaps/{{swap_id}}/decline"))


def _steering(verb: str) -> tuple[str, str]:
    return "POST", f"{V1}/emergencies/{{emergency_id}}/{verb}"


async def _send(http: httpx.AsyncClient, caller: Caller, call: Call) -> tuple[int, Any]:
    kwargs: dict[str, Any] = {"headers": caller.headers}
    if call.json is not None:
        kwargs["json"] = call.json
    if call.data is not None:
        kwargs["data"] = call.data
    async with http.stream(call.method, call.path, **kwargs) as response:
        if call.stream and response.status_code == 200:
            return 200, response.headers.get("content-type")
        body = await response.aread()
    kind = response.headers.get("content-type", "")
    if "json" in kind:
        return response.status_code, response.json()
    return response.status_code, body[:200].decode(errors="replace")


async def _socket(ws_url: str, caller: Caller) -> tuple[int, Any]:
    url = f"{ws_url}?token={caller.bearer}" if caller.bearer else ws_url
    try:
        async with connect(url, open_timeout=10) as ws:
            await ws.send('{"type": "ping"}')
            return 101, await asyncio.wait_for(ws.recv(), 10)
    except InvalidStatus as refused:  # refused at the handshake: there is no error body
        shape = {"error": {"code": "refused", "message": "", "details": None}}
        return refused.response.status_code, shape


def _judge(rule: Rule, caller: Caller, status: int, body: Any) -> str | None:
    """What is wrong with this answer, or None."""
    if rule.access is Access.PUBLIC:
        return None if status == 200 else f"{status}, wanted 200"
    if rule.access is Access.SIGNATURE:
        ok = status == 403 and body["error"]["code"] == "invalid_signature"
        return None if ok else f"{status} {body}, wanted 403 invalid_signature"
    if rule.access is Access.LINK:  # a forged link: 404, whatever the bearer
        return None if status == 404 else f"{status}, wanted 404 for a forged link"
    if rule.access is Access.FEED:  # a forged feed link: 403, whatever the bearer
        return None if status == 403 else f"{status}, wanted 403 for a forged feed link"
    if caller.valid and rule.allows(caller.roles, caller.scopes):
        return None if status not in (401, 403) and status < 500 else f"{status} {body}, allowed"
    wanted = 401 if not caller.valid else 403
    if rule.method == "WS":
        wanted = 403  # the handshake is refused before it is accepted
    if status != wanted:
        return f"{status} {body}, wanted {wanted}"
    shape = isinstance(body, dict) and set(body) == {"error"} and \
        set(body["error"]) == {"code", "message", "details"}
    return None if shape else f"{status} without the one error shape: {body}"


async def test_every_route_answers_every_caller_as_the_permissions_table_says(
        stack: Stack) -> None:
    w = await world.build(stack)
    everyone = w.everyone()
    by_name = {c.name: c for c in everyone}
    calls = builders(w)
    assert set(calls) == set(BY_KEY), "every row of the table has a call in this test"

    problems: list[str] = []
    refused: list[tuple[str, Call]] = []
    gate = asyncio.Semaphore(12)

    async with httpx.AsyncClient(base_url=stack.api_url, timeout=60) as http:
        async def check(key: tuple[str, str], caller: Caller) -> None:
            rule = BY_KEY[key]
            call = calls[key](caller)
            async with gate:
                if rule.method == "WS":
                    status, body = await _socket(stack.ws_url(), caller)
                else:
                    status, body = await _send(http, caller, call)
            wrong = _judge(rule, caller, status, body)
            if wrong:
                problems.append(f"{rule.method} {rule.path} as {caller.name}: {wrong}")
            if status in (401, 403, 404) and call.created is not None:
                refused.append((f"{rule.method} {rule.path} as {caller.name}", call))

        def refusals_of(keys: list[tuple[str, str]]) -> list[Awaitable[None]]:
            return [check(k, c) for k in keys for c in everyone
                    if not (c.valid and BY_KEY[k].allows(c.roles, c.scopes))]

        steering = [_steering(v) for v in STEERING]
        free = [r.key for r in RULES if r.key not in steering and r.key not in LAST]
        # 1. Everything whose answer does not depend on the workflows' state, all at once,
        #    with the refusals of the commands an unacknowledged emergency answers.
        await asyncio.gather(*[check(k, c) for k in free for c in everyone],
                             *refusals_of([_steering(v) for v in REFUSE_BEFORE_ACK]))
        genuine = await http.get(f"/ack/{w.link}")  # the link itself is the credential
        if genuine.status_code != 200 or "<form" not in genuine.text:
            problems.append(f"GET /ack/<genuine link>: {genuine.status_code}")
        # 2. The allowed commands in an order that makes each answer certain.
        for step, caller_name, body, wanted in world.steering_steps(w):
            status, answer = await _send(http, by_name[caller_name], Call(
                "POST", f"{V1}/emergencies/{w.emergency_id}/{step}", json=body))
            if status != wanted:
                problems.append(f"POST .../{step} as {caller_name}: {status} {answer}, "
                                f"wanted {wanted}")
            if step == "acknowledge" and caller_name == "provider":
                await asyncio.gather(*refusals_of([_steering("resolve"),
                                                   _steering("hand-over")]))
        # 3. The last ones: refused, nothing changed, then allowed.
        before = len(refused)
        await asyncio.gather(*refusals_of(list(LAST)))
        problems += [f"{name}: changed something" for name, call in refused[before:]
                     if call.created()]  # type: ignore[operator]
        del refused[before:]
        for key in LAST:
            for caller in everyone:
                if caller.valid and BY_KEY[key].allows(caller.roles, caller.scopes):
                    status, answer = await _send(http, caller, calls[key](caller))
                    if status in (401, 403) or status >= 500:
                        problems.append(f"{key} as {caller.name}: {status} {answer}")
        await world.clean_up(http, w, by_name["admin"], by_name["coordinator"])

    assert problems == [], "\n".join(problems)
    left = [name for name, call in refused if call.created()]  # type: ignore[operator]
    assert left == [], "refused writes that left a trace"
    assert world.steering_covers_the_table(w, everyone) == []
    # The workflows recorded the allowed callers' commands, and no one else's.
    changed = "monitoring.thresholds_changed"
    thresholds = {(changed, who) for who in ("dr-tan", "coord-lee", "admin-raj")}
    assert await eventually(lambda: world.changes_by(w.session_id, changed) == thresholds,
                            what="exactly the allowed threshold changes")
    commands = [f"emergency.{c}" for c in ("escalate_requested", "acknowledged", "handed_over",
                                           "resolved", "cancelled")]
    await eventually(lambda: ("emergency.resolved", "dr-tan") in world.changes_by(
        w.emergency_id, *commands), what="the last command recorded")  # recorded in order
    steered = world.changes_by(w.emergency_id, *commands)
    assert {actor for _, actor in steered} == {"dr-tan", "admin-raj"}
    # Only the readings the table allows were stored (the session's end stores them all).
    assert sorted(int(r.vitals["heart_rate"]) for r in stored(w.session_id)) == \
        sorted(w.allowed_readings())


async def test_the_openapi_document_lists_no_route_the_table_lacks(stack: Stack) -> None:
    paths = (await openapi_document(stack.api_url))["paths"]
    missing = [f"{method.upper()} {path}" for path, ops in paths.items() for method in ops
               if (method.upper(), path) not in BY_KEY]
    assert missing == [], "add these routes to api/permissions.py"
    assert len(paths) > 30
