"""The stack a fault campaign (bench/faults.py) kills: Temporal, worker, API, a slow fake Twilio.

Everything runs on loopback from a fresh temporary directory. SMS goes through
the real twilio library to a fake Twilio (tests/fakes) in the campaign's own
process, which answers after a set latency as a real provider does, so a kill
can land inside a provider call.
"""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path

import httpx

from bench.fault_checks import Policy

FACILITY = "chaos-general"
POLICY = Policy(steps=[("websocket", 0.0), ("sms", 3.0)],
                tiers=[("chaos-oncall", 6.0), ("chaos-backup", 6.0)])
PHONES = {"chaos-oncall": "+15550100001", "chaos-backup": "+15550100002"}


class Campaign:
    """The stack under test and the processes the campaign kills and restarts."""

    def __init__(self, data: Path, provider_latency_s: float) -> None:
        self.data, self.latency = data, provider_latency_s

    def start(self) -> None:
        from api.auth import mint_token
        from cli.stack import Stack
        from cli.temporal_server import free_port
        from db.migrate import upgrade
        from tests.fakes.twilio_fake import ACCOUNT_SID, AUTH_TOKEN

        self.temporal_port = free_port()
        self.temporal = self._start_temporal()
        upgrade()
        self.twilio = _slow_twilio(self.latency)
        self.stack = Stack(
            database_url=os.environ["VIGIL_DATABASE_URL"], logs=self.data, name="chaos",
            temporal_address=f"127.0.0.1:{self.temporal_port}", env={
                "VIGIL_TWILIO_ACCOUNT_SID": ACCOUNT_SID, "VIGIL_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                "VIGIL_TWILIO_FROM_NUMBER": "+15550009999",
                "VIGIL_TWILIO_BASE_URL": self.twilio.url}).start()
        self.headers = {"Authorization": f"Bearer {mint_token('chaos-admin', ['admin'], 86400)}"}

    def _start_temporal(self):  # type: ignore[no-untyped-def]
        from cli.temporal_server import start_dev_server

        return start_dev_server(port=self.temporal_port, ui_port=None, headless=True,
                                db_file=self.data / "temporal.db",
                                log_file=self.data / "temporal.log")

    def kill(self, kind: str) -> None:
        if kind == "worker":
            self.stack.kill_worker()
        elif kind == "api":
            self.stack.kill_api(0)
        else:
            self.temporal.kill()
            self.temporal.wait()

    def restart(self, kind: str) -> None:
        """Start the killed process again; returns once it serves (the worker: once spawned)."""
        if kind == "worker":
            self.stack.start_worker()
        elif kind == "api":
            self.stack.start_api(0)
        else:
            self.temporal = self._start_temporal()  # the same SQLite file, the same port

    def exited(self) -> list[str]:
        """Processes that died without being killed, restarted (a finding in itself)."""
        dead = []
        if self.stack.worker and self.stack.worker.poll() is not None:
            dead.append("worker")
        if self.stack.apis[0].poll() is not None:
            dead.append("api")
        if self.temporal.poll() is not None:
            dead.append("temporal")
        for kind in dead:
            self.restart(kind)
        return dead

    def stop(self) -> None:
        if getattr(self, "stack", None):
            self.stack.stop()
        if getattr(self, "temporal", None):
            self.temporal.terminate()
            self.temporal.wait(timeout=20)
        if getattr(self, "twilio", None):
            self.twilio.stop()

    def api(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=f"{self.stack.api_url}/api/v1", headers=self.headers,
                                 timeout=30)


def _slow_twilio(latency_s: float):  # type: ignore[no-untyped-def]
    """A fake Twilio (tests/fakes) whose Messages API takes `latency_s` to answer."""
    from tests.fakes.server import running
    from tests.fakes.twilio_fake import TwilioFake

    class SlowTwilio(TwilioFake):
        in_call = threading.Event()  # set when a message request arrives, before it is answered

        async def _create_message(self, request, recorded):  # type: ignore[no-untyped-def]
            self.in_call.set()
            await asyncio.sleep(latency_s)
            return await super()._create_message(request, recorded)

    context = running(SlowTwilio())
    fake = context.__enter__()
    fake.stop = lambda: context.__exit__(None, None, None)
    return fake


async def seed_directory(api: httpx.AsyncClient) -> None:
    """The facility, the two people and the short policy, through the API."""
    steps = [{"channel": channel, "after_s": after} for channel, after in POLICY.steps]
    tiers = [{"name": f"tier {n + 1}", "targets": f"staff:{staff_id}", "ack_timeout_s": ack}
             for n, (staff_id, ack) in enumerate(POLICY.tiers)]
    requests = [("/facilities", {"id": FACILITY, "name": "Chaos General", "latitude": 3.0,
                                 "longitude": 101.0})]
    requests += [("/staff", {"id": staff_id, "name": staff_id.replace("-", " ").title(),
                             "role": "provider", "provider_type": "emergency",
                             "facility_id": FACILITY, "on_call": True, "emergency_capable": True,
                             "phone": phone, "push_token": f"push-{staff_id}"})
                 for staff_id, phone in PHONES.items()]
    requests.append(("/policies", {"id": "chaos", "name": "chaos short policy",
                                   "channels": steps, "tiers": tiers, "repeat_count": 0}))
    for path, body in requests:
        response = await api.post(path, json=body)
        assert response.status_code == 201, f"{path}: {response.text}"
