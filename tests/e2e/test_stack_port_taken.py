"""A stack whose API port is taken before the API binds it starts on another port.

`free_port` hands out a port nobody holds at that moment; another process (an
outgoing connection's ephemeral port, another test's server) can take it before
uvicorn binds it, and uvicorn then exits with "address already in use". The
stack exchanges a port it chose itself for another, instead of waiting 60 s and
failing the test that asked for it.
"""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest

from cli.stack import Stack
from tests.conftest import STACK_ENV

pytestmark = pytest.mark.e2e


def test_an_api_port_taken_before_the_api_binds_it_is_exchanged_for_another(
        temporal_address: str, sqlite_db: str, logs_dir: Path) -> None:
    stack = Stack(database_url=sqlite_db, temporal_address=temporal_address, logs=logs_dir,
                  name="port-taken", env=STACK_ENV)
    taken = stack.api_ports[0]
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", taken))
        squatter.listen()
        try:
            stack.start()
            assert stack.api_ports[0] != taken
            assert httpx.get(f"{stack.api_url}/readyz", timeout=10).status_code == 200
        finally:
            stack.stop()

