"""Request dependencies as Annotated aliases: who is calling, and the shared clients.

They are `async def` though they never wait: FastAPI runs a plain `def` dependency on a
worker thread, and these run on every request (three thread hand-offs for a reading, which
showed as the largest share of the API's CPU under a flood of readings). Checking a token
is microseconds of CPU and touches no database, so the event loop does it itself."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from temporalio.client import Client

from api.auth import Principal, decode_token
from api.errors import VigilError
from api.permissions import ADMINS, RESPONDERS, REVIEWERS, STAFF
from events.hub import EventHub

_bearer = HTTPBearer(auto_error=False, description="A Vigil JWT (see `vigil token`).")


async def current_principal(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None:
        raise VigilError(401, "not_authenticated", "Send a bearer token in the Authorization header.")
    return decode_token(credentials.credentials)


CurrentUser = Annotated[Principal, Depends(current_principal)]


def require(*roles: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that admits only callers holding one of `roles`."""

    async def check(user: CurrentUser) -> Principal:
        if not user.has_any(roles):
            raise VigilError(403, "forbidden", f"This needs one of the roles: {', '.join(roles)}.")
        return user

    check.roles = frozenset(roles)  # type: ignore[attr-defined] # read by the permissions tests
    return check


async def temporal_client(request: Request) -> Client:
    client = getattr(request.app.state, "temporal", None)
    if client is None:
        raise VigilError(503, "temporal_unavailable", "The workflow engine is not reachable yet.")
    return client


async def event_hub(request: Request) -> EventHub:
    return request.app.state.hub


TemporalDep = Annotated[Client, Depends(temporal_client)]
HubDep = Annotated[EventHub, Depends(event_hub)]
# The role groups are named once, in api/permissions.py, beside the table of who may call what.
Staff = Annotated[Principal, Depends(require(*STAFF))]
Responder = Annotated[Principal, Depends(require(*RESPONDERS))]
Admin = Annotated[Principal, Depends(require(*ADMINS))]
Reviewer = Annotated[Principal, Depends(require(*REVIEWERS))]
PatientUser = Annotated[Principal, Depends(require("patient"))]
