"""Every console route refuses what the API route it stands in for refuses, caller by caller.

Table-driven from api.console_permissions.CONSOLE: each console route is called by every kind of
caller of the permissions matrix (a session cookie carrying their token, and a valid CSRF
token so a refusal can only be the permission's), and so is its API twin. Refused by the API
with 401 means sent to sign-in by the console; any other refusal is the same status. Writes
are made only by the callers both must refuse, so nothing changes; routes serving only the
caller's own subject (their inbox) are held to the table.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from typing import Any

import httpx
import pytest

from api.console_session import _csrf_for
from api.console_permissions import CONSOLE, ConsoleRoute
from api.permissions import BY_KEY, V1, Access
from cli.stack import Stack
from tests.utils import matrix_world as world
from tests.utils.callers import Call, Caller
from tests.utils.matrix_calls import builders

pytestmark = pytest.mark.e2e

WRITES = ("POST", "PUT", "PATCH", "DELETE")
# What each console form posts (valid, so only the caller decides the answer).
FORMS: dict[str, dict[str, str]] = {
    "resolve": {"outcome": "console matrix"}, "cancel": {"reason": "console matrix"},
    "hand-over": {"to_staff_id": "dr-aziz"}, "escalate": {"reason": "console matrix"},
    "end": {"reason": "console matrix"},
    "confirm": {"dose_id": "2026-01-01T08:00", "outcome": "taken"}}


def _path(route: ConsoleRoute, w: world.World) -> str:
    ids = {"emergency_id": w.emergency_id, "session_id": w.session_id, "key": "news2",
           "workflow_id": w.emergency_id, "policy_id": w.put_policy_id,
           "patient_id": w.patient_id, "schedule_id": w.medication_id,
           "facility_id": "vigil-general", "staff_id": w.staff_id}
    path = re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], route.path)
    named = ("/console/review", "/console/medication")  # as the API twin's call names the patient
    return path + (f"?patient_id={w.patient_id}" if route.path in named else "")


def _verdict(status: int, location: str = "") -> str:
    if status == 401 or (status == 303 and location.startswith("/console/sign-in")):
        return "signed out"
    if status in (200, 201, 202) or status == 303:
        return "allowed"
    return str(status)


async def _console(http: httpx.AsyncClient, route: ConsoleRoute, w: world.World,
                   caller: Caller) -> tuple[str, str]:
    nonce = secrets.token_urlsafe(16)
    cookies = f"vigil_csrf={nonce}" + (f"; vigil_session={caller.bearer}" if caller.bearer else "")
    headers = {"Cookie": cookies, "X-CSRF-Token": _csrf_for(nonce)}
    data = {"csrf_token": _csrf_for(nonce), **FORMS.get(route.path.rsplit("/", 1)[-1], {})}
    kwargs: dict[str, Any] = {"headers": headers}
    if route.method == "POST":
        kwargs["data"] = data
    async with http.stream(route.method, _path(route, w), **kwargs) as answer:
        if answer.headers.get("content-type", "").startswith("text/event-stream"):
            return _verdict(answer.status_code), ""
        body = (await answer.aread()).decode(errors="replace")
    code = re.search(r'data-code="([^"]+)"', body)
    return _verdict(answer.status_code, answer.headers.get("location", "")), \
        code.group(1) if code else ""


async def _api(http: httpx.AsyncClient, call: Call, caller: Caller) -> str:
    kwargs: dict[str, Any] = {"headers": caller.headers}
    if call.json is not None:
        kwargs["json"] = call.json
    async with http.stream(call.method, call.path, **kwargs) as answer:
        if not call.stream or answer.status_code != 200:
            await answer.aread()
    return _verdict(answer.status_code)


def _by_table(route: ConsoleRoute, caller: Caller) -> str:
    if route.access is Access.PUBLIC:
        return "allowed"
    if not caller.valid:
        return "signed out"
    return "allowed" if route.allows(caller.roles, caller.scopes) else "403"


async def test_every_console_route_refuses_what_its_api_route_refuses(stack: Stack) -> None:
    w = await world.build(stack)
    everyone = w.everyone()
    calls = builders(w)
    problems: list[str] = []
    gate = asyncio.Semaphore(8)

    async with httpx.AsyncClient(base_url=stack.api_url, timeout=60) as http:
        async def check(route: ConsoleRoute, caller: Caller) -> None:
            table = _by_table(route, caller)
            twin = BY_KEY[route.mirrors] if route.mirrors else None
            writes = route.method in WRITES or (twin is not None and twin.method in WRITES)
            if route.access is Access.PUBLIC or (writes and table == "allowed"):
                return  # sign-in pages are for anyone; allowed writes would change things
            async with gate:
                try:
                    console, code = await _console(http, route, w, caller)
                except httpx.HTTPError as error:
                    problems.append(f"{route.method} {route.path} as {caller.name}: {error!r}")
                    return
                if twin is None or route.own:
                    wanted = table
                else:
                    wanted = await _api(http, calls[twin.key](caller), caller)
            if console != wanted or code == "csrf_failed":
                problems.append(f"{route.method} {route.path} as {caller.name}: console "
                                f"{console} {code}, API {wanted}")

        await asyncio.gather(*[check(route, caller) for route in CONSOLE for caller in everyone])
        admin = next(c for c in everyone if c.name == "admin")
        await http.post(f"{V1}/emergencies/{w.emergency_id}/cancel", headers=admin.headers,
                        json={"reason": "test over"})
        await http.post(f"{V1}/sessions/{w.session_id}/end", headers=admin.headers, json={})

    assert problems == [], "\n".join(sorted(problems))
