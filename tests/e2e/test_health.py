"""Health, readiness and Prometheus metrics of an API process."""

from __future__ import annotations

import sys

import httpx
import pytest

from cli.stack import Stack
from cli.temporal_server import free_port, wait_for_port
from tests.utils.api import emergency_body, token

pytestmark = pytest.mark.e2e


async def test_health_readiness_and_metrics(stack, raise_emergency) -> None:
    await raise_emergency(severity="urgent")
    async with httpx.AsyncClient(base_url=stack.api_url) as client:
        health = await client.get("/healthz")
        ready = await client.get("/readyz")
        metrics = await client.get("/metrics")
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "temporal": "ok"}
    assert metrics.headers["content-type"].startswith("text/plain")
    assert 'vigil_emergencies_created_total{severity="urgent"}' in metrics.text


async def test_readiness_fails_when_temporal_is_unreachable(sqlite_db, logs_dir) -> None:
    stack = Stack(database_url=sqlite_db, temporal_address=f"127.0.0.1:{free_port()}",
                  logs=logs_dir, name="no-temporal")
    stack.apis.append(stack._spawn([sys.executable, "-m", "uvicorn", "api.main:app",
                                    "--port", str(stack.api_ports[0])], "api"))
    try:
        wait_for_port(stack.api_ports[0], timeout_s=30)
        async with httpx.AsyncClient(base_url=stack.api_url) as client:
            ready = await client.get("/readyz")
            created = await client.post("/api/v1/emergencies", json=emergency_body(), headers={
                "Authorization": "Bearer " + token("admin-raj", "admin")})
        assert ready.status_code == 503
        assert ready.json()["checks"]["temporal"].startswith("error")
        assert created.status_code == 503, "a valid emergency that cannot start says so"
        assert created.json()["error"]["code"] == "temporal_unavailable"
    finally:
        stack.stop()
