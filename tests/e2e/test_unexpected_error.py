"""An error Vigil did not foresee answers 500 in the one error shape, and says the connection
closes with it: uvicorn closes it anyway (Starlette raises the error again for the server to
log), so a client that kept it for its next request would get a reset instead of an answer."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest

from cli.stack import UVICORN_GUARDS, Stack
from cli.temporal_server import free_port, wait_for_port
from db.engine import writing
from db.migrate import upgrade
from db.models import Patient
from tests.conftest import use_database
from tests.utils.api import as_user

pytestmark = pytest.mark.e2e


async def test_a_500_says_connection_close_and_the_next_request_is_answered(
        tmp_path: Path, logs_dir: Path) -> None:
    # A database of its own: a row no API would write (a phone out of pattern) makes listing
    # patients fail, which is the unforeseen error; other tests list the shared database.
    url = f"sqlite:///{tmp_path / 'vigil.db'}"
    with use_database(url):
        upgrade(url)
        with writing() as session:
            session.add(Patient(id=f"patient-{uuid.uuid4().hex[:8]}", name="Broken Row",
                                time_zone="Asia/Kuala_Lumpur", phone="+60-not-a-phone"))
    stack = Stack(database_url=url, temporal_address=f"127.0.0.1:{free_port()}",
                  logs=logs_dir, name="unexpected-error")
    port = stack.api_ports[0]
    stack.apis.append(stack._spawn([sys.executable, "-m", "uvicorn", "api.main:app",
                                    *UVICORN_GUARDS, "--port", str(port)], "api"))
    try:
        wait_for_port(port, timeout_s=30)
        async with as_user(stack.api_url, "admin-raj", "admin") as admin:
            for _ in range(3):  # one client, its connections reused when they may be
                answer = await admin.get("/patients")
                assert answer.status_code == 500, answer.text
                assert answer.json()["error"]["code"] == "internal_error"
                assert answer.headers["connection"] == "close"
    finally:
        stack.stop()
