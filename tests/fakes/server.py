"""Run a fake provider as a real HTTP server on a free loopback port.

Each fake is a `FakeProvider`: Starlette routes plus what the test needs to
see and steer, namely every request received (`.requests`) and errors to
answer with next (`.fail_next`). `running(fake)` serves it with uvicorn in a
background thread for the length of a `with` block.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

Handler = Callable[[Request, "RecordedRequest"], Awaitable[Response]]


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, Any]
    headers: dict[str, str]  # names lower-cased
    body: Any  # JSON as parsed; a form as a dict (a repeated key maps to a list); else bytes
    raw: bytes


def _flatten(parsed: dict[str, list[str]]) -> dict[str, Any]:
    return {k: v[0] if len(v) == 1 else v for k, v in parsed.items()}


def _parse_body(content_type: str, raw: bytes) -> Any:
    if content_type.startswith("application/json") and raw:
        return json.loads(raw)
    if content_type.startswith("application/x-www-form-urlencoded"):
        return _flatten(parse_qs(raw.decode(), keep_blank_values=True))
    return raw


class FakeProvider:
    """Shared plumbing of the fakes; subclasses list their routes and their auth check."""

    def __init__(self) -> None:
        self.url = ""
        self.requests: list[RecordedRequest] = []
        self._failures: list[tuple[str | None, Response]] = []

    def routes(self) -> list[Route]:
        raise NotImplementedError

    def reset(self) -> None:
        """Forget what was received and any failures still queued (one server, many tests)."""
        self.requests.clear()
        self._failures.clear()

    def unauthorized(self, request: Request) -> Response | None:
        """A rejection if the request's credentials are wrong, else None."""
        return None

    def fail_next(
        self,
        status: int,
        body: Any = None,
        times: int = 1,
        headers: dict[str, str] | None = None,
        path: str | None = None,
    ) -> None:
        """Answer the next `times` requests with this status and JSON body.

        With `path` (a route template) only that route fails; without it, any
        route but the auxiliary ones (such as an OAuth token endpoint).
        """
        for _ in range(times):
            self._failures.append((path, JSONResponse(body, status_code=status, headers=headers)))

    def _take_failure(self, path: str, auxiliary: bool) -> Response | None:
        for i, (target, response) in enumerate(self._failures):
            if target == path or (target is None and not auxiliary):
                del self._failures[i]
                return response
        return None

    def route(self, path: str, handler: Handler, *, auxiliary: bool = False) -> Route:
        """A POST route that records, checks auth and injected failures, then answers.

        An auxiliary route skips the auth check and fails only when aimed at.
        """

        async def endpoint(request: Request) -> Response:
            raw = await request.body()
            recorded = RecordedRequest(
                method=request.method,
                path=request.url.path,
                query=_flatten(parse_qs(request.url.query)),
                headers={k.lower(): v for k, v in request.headers.items()},
                body=_parse_body(request.headers.get("content-type", ""), raw),
                raw=raw,
            )
            self.requests.append(recorded)
            if not auxiliary and (denied := self.unauthorized(request)) is not None:
                return denied
            if (failure := self._take_failure(path, auxiliary)) is not None:
                return failure
            return await handler(request, recorded)

        return Route(path, endpoint, methods=["POST"])


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Serve an ASGI app on 127.0.0.1:<free port>; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("fake provider server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = server.force_exit = True  # nothing in flight worth waiting for
        thread.join(timeout=10)
        sock.close()


@contextmanager
def running(fake: FakeProvider) -> Iterator[Any]:
    """Serve `fake` for the block; yields the fake with `.url` set."""
    with serve(Starlette(routes=fake.routes())) as url:
        fake.url = url
        yield fake


@contextmanager
def unresponsive_server() -> Iterator[str]:
    """A port that accepts connections and never answers, for client timeouts."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)  # the kernel completes handshakes; nobody ever reads or replies
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


def closed_port_url() -> str:
    """A loopback URL nothing listens on, for connection-refused failures."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"
