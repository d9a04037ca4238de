"""A connection that sends half a request header and stops is closed, not held forever.

uvicorn itself only times out idle keep-alive connections; the API is launched
with HeaderTimeoutH11Protocol (cli/stack.py UVICORN_GUARDS, the Dockerfile and
docker-compose.yml), which gives the request line and headers a deadline.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterator

import httpx
import pytest

from cli.stack import UVICORN_GUARDS, Stack
from cli.temporal_server import free_port, wait_for_port
from tests.utils.live import staff_socket

pytestmark = pytest.mark.e2e
HEADER_TIMEOUT_S = 1


@pytest.fixture
def api_with_a_short_header_deadline(sqlite_db, logs_dir) -> Iterator[Stack]:
    stack = Stack(database_url=sqlite_db, temporal_address=f"127.0.0.1:{free_port()}",
                  logs=logs_dir, name="header-timeout",
                  env={"VIGIL_HTTP_HEADER_TIMEOUT_S": str(HEADER_TIMEOUT_S)})
    port = stack.api_ports[0]
    stack.apis.append(stack._spawn([sys.executable, "-m", "uvicorn", "api.main:app",
                                    *UVICORN_GUARDS, "--port", str(port)], "api"))
    try:
        wait_for_port(port, timeout_s=30)
        yield stack
    finally:
        stack.stop()


async def test_a_half_sent_request_header_is_closed_and_whole_requests_still_work(
        api_with_a_short_header_deadline: Stack) -> None:
    stack = api_with_a_short_header_deadline
    port = stack.api_ports[0]
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


async def test_a_websocket_outlives_the_header_deadline(
        api_with_a_short_header_deadline: Stack) -> None:
    async with staff_socket(api_with_a_short_header_deadline.ws_url(), "dr-tan") as ws:
        await asyncio.sleep(HEADER_TIMEOUT_S + 1.5)  # past the deadline of the upgrade request
        await ws.send(json.dumps({"type": "hello", "ref": "still-open"}))
        while (reply := json.loads(await asyncio.wait_for(ws.recv(), timeout=30))).get("ref") \
                != "still-open":
            pass  # (events of the inbox's opening may come first)
    assert reply["type"] == "result", reply
