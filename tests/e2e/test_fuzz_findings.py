"""What generated requests found, each pinned by a test written before its fix."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("after_seq", ["-1", str(2**31), str(2**63), "-22001022183784679735296"])
async def test_audit_refuses_a_position_no_chain_has_naming_the_field(
        admin: httpx.AsyncClient, after_seq: str) -> None:
    # Found by schemathesis: a sequence number past a database integer was a 500 (2**31 on
    # PostgreSQL, 2**63 on SQLite).
    response = await admin.get("/audit", params={"after_seq": after_seq})
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"][0]["field"] == "query.after_seq"
