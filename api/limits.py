"""Limits at the door: request body size per route, request rate per person and per address,
and the staff WebSocket's connections per person and frames per socket.

Every refusal is the one error shape: 413 `body_too_large`, 429 `rate_limited` with
Retry-After. Routes fall in three classes, because a paging system must never turn
away the request that answers an alarm:

- exempt: health and metrics probes, provider webhooks (signed; a 429 would lose a
  delivery status or an SMS/keypress acknowledgement) and vital-sign intake (a reading
  can be the alarm; the body limit and the intake's own batch caps bound it);
- incident: raising an emergency, acknowledging, resolving, cancelling, handing over or
  escalating one, acknowledging a session alarm, and email ack links. These have their
  own budget (`rate_limit_incident`, far above any real incident), so a person who has
  spent their ordinary budget can still raise and answer emergencies;
- everything else: `rate_limit_per_token` per person and `rate_limit_per_address`.

Counters live where `rate_limit_storage_uri` says (this process's memory by default).
"""

from __future__ import annotations

import math
import re
import time
from collections import Counter
from typing import Any

from fastapi import FastAPI
from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.storage import storage_from_string
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import decode_token
from api.errors import VigilError, error_json
from settings import Settings, get_settings

_EXEMPT = re.compile(r"^/(healthz|readyz|metrics)$|^/webhooks/")
_INTAKE = re.compile(r"^/api/v1/sessions/[^/]+/readings(/fhir)?$")
_INCIDENT = re.compile(r"^/api/v1/emergencies(/[^/]+/(acknowledge|resolve|cancel|hand-over|escalate))?$"
                       r"|^/api/v1/sessions/[^/]+/alarms/[^/]+/acknowledge$|^/ack/")
_BULK_BODY = re.compile(r"^/api/v1/sessions/[^/]+/readings/fhir$|^/webhooks/sendgrid/events$")
_CONNECTION_RETRY_S = 10  # a socket slot frees when the person closes one; try again soon


def route_class(method: str, path: str) -> str:
    """Which budget a request spends: "exempt", "incident" or "general"."""
    if _EXEMPT.search(path) or (method == "POST" and _INTAKE.search(path)):
        return "exempt"
    if _INCIDENT.search(path) and (method == "POST" or path.startswith("/ack/")):
        return "incident"
    return "general"


class Limits:
    """The counters and settings every limit shares (one per API process, on app.state)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        uri = settings.rate_limit_storage_uri
        storage: Storage = storage_from_string(uri if uri.startswith("async+") else f"async+{uri}")
        self.requests = SlidingWindowCounterRateLimiter(storage)
        self.frames = SlidingWindowCounterRateLimiter(MemoryStorage())  # per socket: local
        self.per_token = parse_many(settings.rate_limit_per_token)
        self.per_address = parse_many(settings.rate_limit_per_address)
        self.incident = parse_many(settings.rate_limit_incident)
        self.ws_frames = parse_many(settings.ws_message_rate)
        self.sockets: Counter[str] = Counter()

    async def spend(self, limiter: SlidingWindowCounterRateLimiter, items: list[RateLimitItem],
                    *keys: str) -> int | None:
        """Count one hit against each of `items`; the seconds to wait if any is spent."""
        for item in items:
            if not await limiter.hit(item, *keys):
                stats = await limiter.get_window_stats(item, *keys)
                return max(1, math.ceil(stats.reset_time - time.time()))
        return None

    def open_socket(self, person: str) -> None:
        """Count a staff socket; refuse past `ws_max_connections_per_person`."""
        limit = self.settings.ws_max_connections_per_person
        if self.settings.rate_limits_enabled and self.sockets[person] >= limit:
            raise too_many(f"You already have {limit} live connections open; close one first.",
                           _CONNECTION_RETRY_S, scope="connections")
        self.sockets[person] += 1

    def close_socket(self, person: str) -> None:
        self.sockets[person] -= 1
        if self.sockets[person] <= 0:
            del self.sockets[person]

    async def allow_frame(self, socket_key: str) -> None:
        """Count a client frame; refuse past `ws_message_rate` for this socket."""
        if not self.settings.rate_limits_enabled:
            return
        wait = await self.spend(self.frames, self.ws_frames, "ws-frame", socket_key)
        if wait is not None:
            raise too_many("Too many frames on this connection.", wait, scope="socket")


def too_many(message: str, retry_after_s: int, *, scope: str) -> VigilError:
    return VigilError(429, "rate_limited", f"{message} Retry after {retry_after_s} s.",
                      {"scope": scope, "retry_after_s": retry_after_s})


def _caller(scope: Scope) -> str | None:
    """The verified person behind the request, if it carries a valid bearer token."""
    for name, value in scope["headers"]:
        if name == b"authorization" and value[:7].lower() == b"bearer ":
            try:
                return decode_token(value[7:].decode("latin-1").strip()).sub
            except VigilError:
                return None  # the route answers 401; the address limit still counts it
    return None


class RequestLimits:
    """ASGI middleware: body size, then rate, for every HTTP request."""

    def __init__(self, app: ASGIApp, limits: Limits) -> None:
        self.app, self.limits = app, limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path, method = scope["path"], scope["method"]
        settings = self.limits.settings
        max_bytes = settings.max_bulk_body_bytes if _BULK_BODY.search(path) else settings.max_body_bytes
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > max_bytes):
            await _too_large(max_bytes)(scope, receive, send)
            return
        if settings.rate_limits_enabled:
            refusal = await self._rate(route_class(method, path), scope)
            if refusal is not None:
                await error_json(refusal.status, refusal.code, refusal.message, refusal.details,
                                 {"Retry-After": str(refusal.details["retry_after_s"])}
                                 )(scope, receive, send)
                return
        if declared is None and method in ("POST", "PUT", "PATCH"):
            # No length given (chunked): read up to the limit before the route sees any of it.
            body = await _read_at_most(receive, max_bytes)
            if body is None:
                await _too_large(max_bytes)(scope, receive, send)
                return
            receive = _replay(body, receive)
        await self.app(scope, receive, send)

    async def _rate(self, kind: str, scope: Scope) -> VigilError | None:
        if kind == "exempt":
            return None
        address = (scope.get("client") or ("unknown",))[0]
        person = _caller(scope)
        limits = self.limits
        if kind == "incident":
            key = f"person:{person}" if person else f"address:{address}"
            wait = await limits.spend(limits.requests, limits.incident, "incident", key)
            return None if wait is None else too_many(
                "Too many emergency commands.", wait, scope="incident")
        if person is not None:
            wait = await limits.spend(limits.requests, limits.per_token, "token", person)
            if wait is not None:
                return too_many("Too many requests for this token.", wait, scope="token")
        wait = await limits.spend(limits.requests, limits.per_address, "address", address)
        if wait is not None:
            return too_many("Too many requests from this address.", wait, scope="address")
        return None


def _too_large(max_bytes: int) -> Any:
    return error_json(413, "body_too_large", f"The request body is over {max_bytes} bytes.",
                      {"limit_bytes": max_bytes})


async def _read_at_most(receive: Receive, max_bytes: int) -> bytes | None:
    """The whole body, or None as soon as it passes `max_bytes`."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)  # the client went away; the route will see that
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        if size > max_bytes:
            return None
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


def install_limits(app: FastAPI) -> None:
    """Put the door limits on `app`; the WebSocket route finds them on app.state.limits."""
    app.state.limits = Limits(get_settings())
    app.add_middleware(RequestLimits, limits=app.state.limits)
