"""Talk to the running API as a given person."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from api.auth import mint_token


def token(sub: str, *roles: str, ttl_s: int = 3600, patients: list[str] | None = None) -> str:
    return mint_token(sub, list(roles) or ["provider"], ttl_s, patients)


def as_user(base_url: str, sub: str, *roles: str) -> httpx.AsyncClient:
    """An HTTP client carrying `sub`'s bearer token."""
    return httpx.AsyncClient(base_url=f"{base_url}/api/v1", timeout=30,
                             headers={"Authorization": f"Bearer {token(sub, *roles)}"})


async def openapi_document(base_url: str) -> dict[str, Any]:
    """The stack's OpenAPI document. A process's first build is up to a second of CPU, and
    several seconds on a loaded machine, so this waits up to 60 s, not httpx's default 5 s."""
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
        answer = await http.get("/openapi.json")
    answer.raise_for_status()
    return answer.json()


def emergency_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "idempotency_key": f"test-{uuid.uuid4().hex[:12]}",
        "type": "cardiac_arrest",
        "severity": "critical",
        "patient_id": "patient-001",
        "location": {"facility_id": "vigil-general", "department": "Ward 5B", "room": "12",
                     "floor": "5", "latitude": 3.1391, "longitude": 101.6869},
        "description": "Unresponsive, no pulse",
    }
    body.update(overrides)
    return body


async def fast_policy(admin: httpx.AsyncClient, *, voice_after_s: float = 1.0,
                      tier_timeout_s: float = 2.0, repeat_count: int = 0,
                      channels: list[dict[str, Any]] | None = None,
                      tiers: list[dict[str, Any]] | None = None) -> str:
    """A critical-style policy with short timers, under a fresh id."""
    policy_id = f"fast-{uuid.uuid4().hex[:8]}"
    body = {
        "id": policy_id, "name": "fast test policy", "repeat_count": repeat_count,
        "channels": channels or [{"channel": "websocket"}, {"channel": "push"},
                                 {"channel": "sms"}, {"channel": "voice", "after_s": voice_after_s}],
        "tiers": tiers or [
            {"name": "responders", "targets": "responders", "ack_timeout_s": tier_timeout_s},
            {"name": "charge nurse", "targets": "charge_nurse", "ack_timeout_s": tier_timeout_s},
            {"name": "admins", "targets": "admins", "ack_timeout_s": tier_timeout_s},
        ],
    }
    response = await admin.post("/policies", json=body)
    assert response.status_code == 201, response.text
    return policy_id
