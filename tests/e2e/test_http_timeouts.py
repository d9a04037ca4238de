"""A connection that sends half a request header and stops is closed, not held forever.

uvicorn itself only times out idle keep-alive connections; the API is launched
with HeaderTimeoutH11Protocol (cli/stack.py UVICORN_GUARDS, the Dockerfile and
docker-compose.yml), which gives the request line and headers a deadline.
"""

from __future__ import annotations

import asyncio
import json
import sys

import httpx
import pytest

from cli.stack import UVICORN_GUARDS, Stack
from cli.temporal_server import free_port, wait_for_port
from tests.utils.live import next_frame, staff_socket

pytestmark = pytest.mark.e2e


def api_with_a_1_s_header_deadline(sqlite_db: str, logs_dir, name: str) -> Stack:  # type: ignore[no-untyped-def]
    stack = Stack(database_url=sqlite_db, temporal_address=f"127.0.0.1:{free_port()}",
                  logs=logs_dir, name=name, env={"VIGIL_HTTP_HEADER_TIMEOUT_S": "1"})
    port = stack.api_ports[0]
    stack.apis.append(stack._spawn([sys.executable, "-m", "uvicorn", "api.main:app",
                                    *UVICORN_GUARDS, "--port", str(port)], "api"))
    wait_for_port(port, timeout_s=30)
    return stack


async def test_a_half_sent_request_header_is_closed_and_whole_requests_still_work(
        sqlite_db, logs_dir) -> None:
    stack = api_with_a_1_s_header_deadline(sqlite_db, logs_dir, "header-timeout")
    port = stack.api_ports[0]
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: vigil\r\nX-Slow: ")  # and nothing more
        await writer.drain()
        # The bound only keeps a broken server from hanging the suite; the assertion is
        # that the server closed the connection, having answered nothing.
        assert await asyncio.wait_for(reader.read(), timeout=60) == b""
        writer.close()
        async with httpx.AsyncClient(base_url=stack.api_url) as client:
            for _ in range(2):  # a kept-alive connection's second request is served too
                assert (await client.get("/healthz")).status_code == 200
    finally:
        stack.stop()


async def test_a_websocket_is_not_cut_by_the_header_deadline(sqlite_db, logs_dir) -> None:
    """The deadline is for the next request's headers; an upgraded connection has none."""
    stack = api_with_a_1_s_header_deadline(sqlite_db, logs_dir, "ws-header-timeout")
    try:
        async with staff_socket(stack.ws_url(), "nurse-siti") as ws:
            await asyncio.sleep(3)  # three deadlines: before the fix the socket was cut at 1 s
            await ws.send(json.dumps({"type": "ping", "ref": "still-there"}))
            assert (await next_frame(ws, ref="still-there"))["type"] == "pong"
    finally:
        stack.stop()
