"""Bad input gets a clear 4xx in the one error shape, and changes nothing."""

from __future__ import annotations

import time

import httpx
import jwt
import pytest

from settings import get_settings
from tests.utils.api import emergency_body, openapi_document, token
from tests.utils.records import count_emergencies

pytestmark = pytest.mark.e2e


def _without(key: str) -> dict:
    body = emergency_body()
    body.pop(key)
    return body


BAD_EMERGENCIES = {
    "missing type": (_without("type"), 422, "invalid_request"),
    "missing location": (_without("location"), 422, "invalid_request"),
    "unknown type": (emergency_body(type="alien_abduction"), 422, "invalid_request"),
    "unknown severity": (emergency_body(severity="apocalyptic"), 422, "invalid_request"),
    "other without detail": (emergency_body(type="other"), 422, "invalid_request"),
    "unknown field": ({**emergency_body(), "priority": 1}, 422, "invalid_request"),
    "latitude off the globe": (emergency_body(location={"facility_id": "vigil-general",
                                                        "latitude": 123}), 422, "invalid_request"),
    "impossible vitals": (emergency_body(vitals={"heart_rate": 900}), 422, "invalid_request"),
    "bad idempotency key": (emergency_body(idempotency_key="has spaces/and slashes"), 422,
                            "invalid_request"),
    "no idempotency key": ({**emergency_body(), "idempotency_key": None}, 422, "invalid_request"),
    "unknown facility": (emergency_body(location={"facility_id": "atlantis"}), 422,
                         "unknown_facility"),
    "unknown policy": (emergency_body(policy_id="no-such-policy"), 422, "unknown_policy"),
}


@pytest.mark.parametrize("case", BAD_EMERGENCIES, ids=list(BAD_EMERGENCIES))
async def test_bad_emergency_is_refused_with_a_clear_error_and_creates_nothing(
        admin: httpx.AsyncClient, case: str) -> None:
    body, status, code = BAD_EMERGENCIES[case]
    before = count_emergencies()
    response = await admin.post("/emergencies", json=body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    assert count_emergencies() == before


async def test_malformed_json_is_a_422_not_a_500(admin: httpx.AsyncClient) -> None:
    response = await admin.post("/emergencies", content=b"{not json",
                                headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"


def _forged() -> str:
    return jwt.encode({"sub": "admin-raj", "roles": ["admin"], "exp": int(time.time()) + 60,
                       "iss": "vigil"}, "not-the-secret-at-all-not-the-secret", algorithm="HS256")


def _expired() -> str:
    settings = get_settings()
    return jwt.encode({"sub": "admin-raj", "roles": ["admin"], "exp": int(time.time()) - 5,
                       "iss": settings.jwt_issuer}, settings.jwt_secret, algorithm="HS256")


@pytest.mark.parametrize("bearer,code", [
    (None, "not_authenticated"), ("garbage", "invalid_token"), ("forged", "invalid_token"),
    ("expired", "token_expired"),
])
async def test_missing_forged_or_expired_tokens_get_401(stack, bearer: str | None, code: str) -> None:
    raw = {"forged": _forged(), "expired": _expired()}.get(bearer or "", bearer)
    headers = {"Authorization": f"Bearer {raw}"} if raw else {}
    before = count_emergencies()
    async with httpx.AsyncClient(base_url=f"{stack.api_url}/api/v1", headers=headers) as client:
        listed = await client.get("/emergencies")
        created = await client.post("/emergencies", json=emergency_body())
    assert listed.status_code == created.status_code == 401
    assert listed.json()["error"]["code"] == code
    assert count_emergencies() == before


@pytest.mark.parametrize("sub,roles,method,path", [
    ("auditor-ng", ("auditor",), "POST", "/emergencies"),
    ("family-1", ("family",), "GET", "/emergencies"),
    ("patient-1", ("patient",), "GET", "/staff"),
    ("dr-tan", ("provider",), "POST", "/policies"),
    ("dr-tan", ("provider",), "POST", "/staff"),
    ("coord-lee", ("coordinator",), "GET", "/outbox"),
    ("dr-tan", ("provider",), "GET", "/audit/verify"),
])
async def test_wrong_role_gets_403(stack, sub: str, roles: tuple[str, ...], method: str,
                                   path: str) -> None:
    headers = {"Authorization": f"Bearer {token(sub, *roles)}"}
    async with httpx.AsyncClient(base_url=f"{stack.api_url}/api/v1", headers=headers) as client:
        response = await client.request(method, path, json=emergency_body())
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize("action", ["acknowledge", "resolve", "cancel", "escalate"])
async def test_unknown_emergency_is_404(admin: httpx.AsyncClient, action: str) -> None:
    body = {"acknowledge": {}, "resolve": {"outcome": "x"}, "cancel": {"reason": "x"},
            "escalate": {}}[action]
    response = await admin.post(f"/emergencies/emergency-nope/{action}", json=body)
    assert response.status_code == 404
    assert (await admin.get("/emergencies/emergency-nope")).status_code == 404


@pytest.mark.parametrize("body", [
    {"name": "x", "channels": [{"channel": "pigeon"}], "tiers": [
        {"name": "t", "targets": "responders", "ack_timeout_s": 5}]},
    {"name": "x", "channels": [{"channel": "sms"}], "tiers": [
        {"name": "t", "targets": "everyone-ever", "ack_timeout_s": 5}]},
    {"name": "x", "channels": [{"channel": "sms"}], "tiers": [
        {"name": "t", "targets": "responders", "ack_timeout_s": -1}]},
    {"name": "x", "channels": [{"channel": "sms"}, {"channel": "sms"}], "tiers": [
        {"name": "t", "targets": "responders", "ack_timeout_s": 5}]},
    {"name": "x", "channels": [{"channel": "sms"}], "tiers": []},
    {"name": "x", "channels": [{"channel": "sms"}], "tiers": [
        {"name": "t", "targets": "responders", "ack_timeout_s": 1e-9}]},
    {"name": "x", "channels": [{"channel": "sms", "after_s": -1}], "tiers": [
        {"name": "t", "targets": "responders", "ack_timeout_s": 5}]},
    {"name": "x", "channels": [{"channel": "sms"}], "tiers": [
        {"name": "t", "targets": "responders", "ack_timeout_s": 5},
        {"name": "ghost", "targets": "staff:nobody-at-all", "ack_timeout_s": 5}]},
], ids=["channel", "selector", "negative-timeout", "channel-twice", "no-tiers", "nanosecond",
        "negative-delay", "staff-who-does-not-exist"])
async def test_nonsense_policy_is_refused_and_the_stored_one_is_unchanged(
        admin: httpx.AsyncClient, body: dict) -> None:
    before = (await admin.get("/policies/critical-default")).json()
    response = await admin.put("/policies/critical-default", json=body)
    assert response.status_code == 422
    created = await admin.post("/policies", json={**body, "id": "nonsense"})
    assert created.status_code == 422
    assert (await admin.get("/policies/critical-default")).json() == before
    assert (await admin.get("/policies/nonsense")).status_code == 404


@pytest.mark.parametrize("patch", [
    {"phone": "0123"}, {"role": "wizard"}, {"facility_id": "atlantis"},
    {"role": "admin", "provider_type": "nurse"}, {"language": "klingon"},
])
async def test_bad_staff_entry_is_refused(admin: httpx.AsyncClient, patch: dict) -> None:
    body = {"id": "new-person", "name": "New Person", "role": "provider", **patch}
    response = await admin.post("/staff", json=body)
    assert response.status_code == 422, response.text
    assert (await admin.get("/staff/new-person")).status_code == 404


async def test_hand_over_to_an_unknown_colleague_is_refused(admin: httpx.AsyncClient,
                                                            raise_emergency) -> None:
    emergency_id = await raise_emergency()
    response = await admin.post(f"/emergencies/{emergency_id}/hand-over",
                                json={"to_staff_id": "nobody"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "unknown_colleague"


async def test_openapi_document_describes_every_route(stack) -> None:
    paths = (await openapi_document(stack.api_url))["paths"]
    for path in ["/api/v1/emergencies", "/api/v1/emergencies/{emergency_id}/acknowledge",
                 "/api/v1/staff", "/api/v1/policies", "/api/v1/outbox", "/healthz", "/readyz"]:
        assert path in paths
    ack = paths["/api/v1/emergencies/{emergency_id}/acknowledge"]["post"]
    assert {"403", "409"} <= set(ack["responses"])
