"""`vigil up` (what `make up` runs) on a fresh data directory: Temporal, the demo data, the
workers and the API come up; an emergency raised with the printed demo token is paged; the
emergency queue is polled by a worker process of its own, which polls nothing else, and the
other worker runs niced; readings posted to the ingest API (a niced API process of its own)
are stored; Ctrl-C stops every process it started."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from cli.stack import ROOT
from cli.temporal_server import free_port
from settings import Settings
from tests.utils.api import emergency_body
from tests.utils.monitoring import NORMAL, a_reading, session_body
from tests.utils.waiting import eventually

pytestmark = pytest.mark.e2e


def _fresh_machine_env() -> dict[str, str]:
    """The environment of a newcomer's shell: none of the test session's VIGIL_ settings."""
    return {name: value for name, value in os.environ.items() if not name.startswith("VIGIL_")}


async def _pollers(client: Client, queue: str) -> set[str]:
    answer = await client.workflow_service.describe_task_queue(DescribeTaskQueueRequest(
        namespace=client.namespace, task_queue=TaskQueue(name=queue),
        task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW))
    return {poller.identity for poller in answer.pollers}


def _niceness(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])


def _poller_pid(identity: str) -> int:
    return int(identity.split("@", 1)[0])  # a poller's identity is pid@host


def _api_on(port: int) -> int:
    """The pid of the uvicorn process serving `port`."""
    for proc in Path("/proc").iterdir():
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"api.main:app" in argv and str(port).encode() in argv:
            return int(proc.name)
    raise AssertionError(f"no API process on port {port}")


async def test_vigil_up_serves_the_demo_and_keeps_emergencies_in_a_worker_of_their_own(
        tmp_path: Path) -> None:
    port, ingest_port, temporal_port = free_port(), free_port(), free_port()
    output = tmp_path / "up.out"
    with open(output, "wb") as out:
        up = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "up", "--data-dir", str(tmp_path / "var"),
             "--port", str(port), "--ingest-port", str(ingest_port),
             "--temporal-port", str(temporal_port),
             "--ui-port", str(free_port())],
            cwd=ROOT, env=_fresh_machine_env(), stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True)
    try:
        printed = await eventually(lambda: "Press Ctrl-C" in output.read_text() and output.read_text(),
                                   timeout_s=120, interval_s=0.5, what="vigil up ready")
        admin_token = re.search(r"^\s+admin\s+(\S+)$", printed, re.MULTILINE)
        assert admin_token, printed
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers={
                "Authorization": f"Bearer {admin_token.group(1)}"}) as api:
            console = await api.get("/console", follow_redirects=True)
            assert console.status_code == 200 and "Nur Aisyah" in console.text, console.text[:500]
            raised = await api.post("/api/v1/emergencies", json=emergency_body())
            assert raised.status_code == 201, raised.text
            emergency_id = raised.json()["id"]

            async def paged() -> bool:
                shown = (await api.get(f"/api/v1/emergencies/{emergency_id}")).json()
                return any(a["channel"] == "websocket" and a["outcome"] == "sent"
                           for a in shown["attempts"])

            await eventually(paged, timeout_s=30, what="tier 1 paged")

            opened = await api.post("/api/v1/sessions", json=session_body())
            assert opened.status_code == 201, opened.text
            readings_url = f"/api/v1/sessions/{opened.json()['id']}/readings"
            assert f"http://127.0.0.1:{ingest_port}/api/v1/sessions/" in printed
            taken = await api.post(f"http://127.0.0.1:{ingest_port}{readings_url}",
                                   json=a_reading(NORMAL))
            assert taken.status_code == 202, taken.text

            async def stored() -> bool:
                return bool((await api.get(readings_url)).json()["points"])

            await eventually(stored, timeout_s=30, what="the ingest API's reading stored")

        defaults = Settings.model_fields
        client = await Client.connect(f"127.0.0.1:{temporal_port}")
        emergency = await _pollers(client, defaults["task_queue"].default)
        routine = await _pollers(client, defaults["routine_task_queue"].default)
        webhooks = await _pollers(client, defaults["webhook_task_queue"].default)
        assert len(emergency) == 1 and routine and webhooks, (emergency, routine, webhooks)
        assert not emergency & (routine | webhooks), "the emergency worker polls nothing else"
        # The routine worker yields the cores to the other.
        assert [_niceness(_poller_pid(p)) for p in emergency] == [0]
        assert {_niceness(_poller_pid(p)) for p in routine | webhooks} == {10}
        # The API everyone uses keeps its priority; the one devices post readings to yields.
        assert (_niceness(_api_on(port)), _niceness(_api_on(ingest_port))) == (0, 10)
        api_logs = sorted((tmp_path / "var").glob("vigil-api-*.log"))
        assert len(api_logs) == 2, api_logs
        for api_log in api_logs:  # (the API and the ingest API)
            assert "does not verify" not in api_log.read_text(), "the audit chain verifies"
        assert (tmp_path / "var" / "audit-checkpoints").is_dir(), "checkpoints beside the data"
    finally:
        os.killpg(up.pid, signal.SIGINT)  # Ctrl-C in the newcomer's terminal
        try:
            up.wait(timeout=60)
        finally:
            try:
                os.killpg(up.pid, signal.SIGKILL)  # anything left behind is a failure below
                left = True
            except ProcessLookupError:
                left = False
    assert up.returncode == 0, output.read_text()[-2000:]
    assert not left, "Ctrl-C left processes of vigil up running"
