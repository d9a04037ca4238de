"""Who may open a live stream is decided by role and scope, never by a `sub` alone."""

from __future__ import annotations

import time

import httpx
import jwt
import pytest

from settings import get_settings
from tests.utils.api import token

pytestmark = pytest.mark.e2e


def bearer(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}


@pytest.mark.parametrize("roles", [("family",), ("patient",)])
async def test_a_non_staff_token_whose_sub_is_a_staff_id_cannot_read_that_inbox(
        stack, roles: tuple[str, ...]) -> None:
    forged_sub = token("dr-tan", *roles, patients=["patient-001"])
    async with httpx.AsyncClient(base_url=f"{stack.api_url}/api/v1", timeout=30) as client:
        response = await client.get("/staff/dr-tan/inbox", headers=bearer(forged_sub))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


async def test_a_family_token_whose_patients_claim_is_an_object_is_refused(stack) -> None:
    settings = get_settings()
    claims = {"sub": "fam-1", "roles": ["family"], "patients": {"patient-001": 1},
              "exp": int(time.time()) + 60, "iss": settings.jwt_issuer}
    raw = jwt.encode(claims, settings.jwt_secret, algorithm="HS256")
    async with httpx.AsyncClient(base_url=f"{stack.api_url}/api/v1", timeout=30) as client:
        response = await client.get("/patients/patient-001/updates", headers=bearer(raw))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_token"
