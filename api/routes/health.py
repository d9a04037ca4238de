"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from db.engine import reading

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


def _database_answers() -> None:
    with reading() as session:
        session.execute(text("SELECT 1"))


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """Ready when the database answers and Temporal is connected."""
    checks: dict[str, str] = {}
    try:
        await asyncio.to_thread(_database_answers)
        checks["database"] = "ok"
    except Exception as error:  # report, don't crash the probe
        checks["database"] = f"error: {error.__class__.__name__}"
    client = getattr(request.app.state, "temporal", None)
    try:
        if client is None:
            raise RuntimeError("not connected")
        await client.service_client.check_health()
        checks["temporal"] = "ok"
    except Exception as error:
        checks["temporal"] = f"error: {error}"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse({"status": "ready" if ready else "not_ready", "checks": checks},
                        status_code=200 if ready else 503)


@router.get("/metrics")
def metrics() -> Response:
    """Prometheus exposition format."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
