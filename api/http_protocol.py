"""uvicorn's h11 protocol with a deadline for a request's line and headers.

uvicorn times out an idle keep-alive connection (`--timeout-keep-alive`) but
not one that sends half a request header and stops: such a connection would
be held open for as long as the client likes, and enough of them starve the
API. Launch uvicorn with `--http api.http_protocol:HeaderTimeoutH11Protocol`
(cli/stack.py, Dockerfile and docker-compose.yml do): the request line and
headers must then arrive within VIGIL_HTTP_HEADER_TIMEOUT_S of the connection
opening or of the first byte of a kept-alive connection's next request, or the
connection is closed.

Between requests a kept-alive connection is idle, and uvicorn's own
`--timeout-keep-alive` closes it (20 s in UVICORN_GUARDS). That is longer than
the idle expiry of the usual client pools (httpx 5 s, aiohttp 15 s) on purpose:
a server that closes an idle connection at the moment a client reuses it makes
that client's request fail with a reset, which is what an equal 5 s on both
sides did under load. Behind a load balancer, set it above the balancer's idle
timeout for the same reason.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from settings import get_settings


class HeaderTimeoutH11Protocol(H11Protocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_headers()

    def connection_lost(self, exc: Exception | None) -> None:
        self._headers_arrived()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._header_deadline is None and (self.cycle is None or self.cycle.response_complete):
            self._await_headers()  # the first byte of a kept-alive connection's next request
        super().data_received(data)

    def handle_events(self) -> None:
        super().handle_events()
        if self.cycle is not None and not self.cycle.response_complete:
            self._headers_arrived()  # a request is under way: its headers are in

    def handle_websocket_upgrade(self, event: Any) -> None:
        # The headers are in and the socket is handed to the WebSocket protocol: without
        # this, the deadline would close a live WebSocket once it ran out.
        self._headers_arrived()
        super().handle_websocket_upgrade(event)

    def _await_headers(self) -> None:
        self._headers_arrived()
        self._header_deadline = self.loop.call_later(
            get_settings().http_header_timeout_s, self._header_timeout)

    def _headers_arrived(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _header_timeout(self) -> None:
        self._header_deadline = None
        if not self.transport.is_closing():
            self.transport.close()
