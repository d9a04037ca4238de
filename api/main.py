"""The Vigil API application: `uvicorn api.main:app`."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from api.console_session import install_console
from api.input_limits import InputLimits
from api.errors import install_error_handlers
from api.limits import install_limits
from api.routes import (
    ack_links,
    api_document,
    appointment_links,
    appointments,
    calendar_feeds,
    audit,
    caregivers,
    console,
    console_admin,
    console_auth,
    console_clinic,
    console_family,
    console_medication,
    console_review,
    console_sessions,
    console_streams,
    emergencies,
    facilities,
    medication,
    medication_administrations,
    family,
    health,
    monitoring,
    oncall,
    outbox,
    patients,
    policies,
    ramadan_calendar,
    review,
    staff,
    webhook_endpoints,
    webhooks,
    ws,
)
from api.open_sockets import OpenSockets
from audit.checkpointing import checkpoint_periodically
from events.hub import EventHub
from services.monitoring import forget_ending_sessions
from settings import get_settings
from workflows.client import connect_temporal

log = logging.getLogger(__name__)


async def _connect_when_ready(app: FastAPI) -> None:
    """Keep trying to reach Temporal; the API serves (and /readyz says 503) until then."""
    while app.state.temporal is None:
        try:
            app.state.temporal = await connect_temporal(get_settings(), wait_s=5)
        except Exception as error:
            log.warning("Temporal not reachable yet: %s", error)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    get_settings().check_safe_to_serve()
    if get_settings().api_nice:
        os.nice(get_settings().api_nice)  # the ingest API yields the cores to pages
    app.state.temporal = None
    app.state.hub = EventHub()
    app.state.hub.watch(forget_ending_sessions)
    await app.state.hub.start()
    app.state.open_sockets = OpenSockets()
    connecting = asyncio.create_task(_connect_when_ready(app))
    refreshing = asyncio.create_task(app.state.open_sockets.refresh_periodically())
    interval = get_settings().audit_checkpoint_interval_s
    tasks = [connecting, refreshing] + ([asyncio.create_task(checkpoint_periodically(interval))]
                                        if interval else [])
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await app.state.hub.stop()


# Under /api/v1: API clients with a bearer token. Outside it: providers and people's browsers.
V1_ROUTERS = tuple(m.router for m in (emergencies, monitoring, medication, staff, facilities,
                                      policies, oncall, outbox, audit, review, family, patients,
                                      medication_administrations, ramadan_calendar,
                                      caregivers, webhook_endpoints, appointments, ws))
OUTSIDE_ROUTERS = tuple(m.router for m in (health, webhooks, ack_links, appointment_links,
                                          calendar_feeds, api_document))
CONSOLE_ROUTERS = tuple(m.router for m in (
    console_auth, console, console_admin, console_clinic, console_family, console_medication,
    console_review, console_sessions, console_streams))


def create_app() -> FastAPI:
    app = FastAPI(
        title="Vigil",
        version="0.1.0",
        description="Durable clinical escalation engine. A secondary alarm-notification system: "
        "it carries alarms to people and proves they were answered; it never replaces a "
        "bedside monitor's own alarms.",
        lifespan=lifespan,
        # The document and its page are served by api/routes/api_document.py, off the event loop.
        openapi_url=None,
    )
    install_error_handlers(app)
    install_limits(app)
    app.add_middleware(InputLimits)
    v1 = APIRouter(prefix="/api/v1")
    for router in V1_ROUTERS:
        v1.include_router(router)
    app.include_router(v1)
    for router in OUTSIDE_ROUTERS:
        app.include_router(router)
    # The console (server-rendered pages) calls the same services as /api/v1.
    for router in CONSOLE_ROUTERS:
        app.include_router(router)
    install_console(app)
    return app


app = create_app()
