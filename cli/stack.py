"""A Vigil stack: worker and API processes against a Temporal server (vigil up, tests, bench).

One worker process polls every task queue unless `worker_queues` names a group per process:
`vigil up` runs emergencies in a process of their own (EMERGENCY_APART), so a flood of routine
or webhook work shares no worker with a page, and the other worker runs at a lower CPU priority
(ROUTINE_NICE) (docs/PERFORMANCE.md, "Priority under routine floods"). For the same reason
`vigil up` runs an ingest API: one more API process, niced (INGEST_NICE), on a port of its own,
for devices and integrations to post readings to, so a flood of readings shares no event loop
with a page.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from cli.temporal_server import free_port

# How every API process is launched (also Dockerfile and docker-compose.yml): a request's
# headers must arrive within VIGIL_HTTP_HEADER_TIMEOUT_S, an idle keep-alive closes after 20 s
# (longer than client pools keep one idle: api/http_protocol.py says why).
UVICORN_GUARDS = ["--http", "api.http_protocol:HeaderTimeoutH11Protocol",
                  "--timeout-keep-alive", "20"]

ROOT = Path(__file__).resolve().parents[1]
# VIGIL_WORKER_QUEUES of each worker process in the production shape.
EMERGENCY_APART = ("emergency", "routine,webhooks")
# VIGIL_WORKER_NICE of a worker process that polls no emergency queue (also docker-compose.yml).
ROUTINE_NICE = "10"
# VIGIL_API_NICE of the ingest API process (also docker-compose.yml).
INGEST_NICE = "10"


class ExitedEarly(TimeoutError):
    """An API process ended before it answered /readyz."""


class Stack:
    def __init__(self, *, database_url: str, temporal_address: str, logs: Path, name: str,
                 api_count: int = 1, api_ports: list[int] | None = None,
                 env: dict[str, str] | None = None,
                 worker_queues: tuple[str, ...] | None = None,
                 ingest_port: int | None = None) -> None:
        """`ingest_port`: also an ingest API, niced, on that port (0: a free one); it comes
        after the other API processes (`ingest_index`)."""
        self.env = {
            **os.environ,
            "VIGIL_DATABASE_URL": database_url,
            "VIGIL_TEMPORAL_ADDRESS": temporal_address,
            "VIGIL_TASK_QUEUE": f"vigil-{name}",
            "VIGIL_ROUTINE_TASK_QUEUE": f"vigil-{name}-routine",
            "VIGIL_WEBHOOK_TASK_QUEUE": f"vigil-{name}-webhooks",
            "VIGIL_EVENTS_CHANNEL": f"vigil_events_{name}",
            **(env or {}),
        }
        self.logs, self.name = logs, name
        self.api_ports = api_ports or [free_port() for _ in range(api_count)]
        self.ingest_index: int | None = None
        if ingest_port is not None:
            self.ingest_index = len(self.api_ports)
            self.api_ports = [*self.api_ports, ingest_port or free_port()]
        self._ports_chosen_here = api_ports is None  # so another may be chosen (see start)
        self.apis: list[subprocess.Popen[bytes]] = []
        self.worker_queues = worker_queues
        self.workers: list[subprocess.Popen[bytes]] = []

    @property
    def worker(self) -> subprocess.Popen[bytes] | None:
        """The first worker process (the only one unless `worker_queues` splits them)."""
        return self.workers[0] if self.workers else None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_ports[0]}"

    @property
    def ingest_url(self) -> str:
        """Where devices post readings: the ingest API, or the API when there is none."""
        return self.url(0 if self.ingest_index is None else self.ingest_index)

    def url(self, index: int) -> str:
        return f"http://127.0.0.1:{self.api_ports[index]}"

    def ws_url(self, index: int = 0) -> str:
        return f"ws://127.0.0.1:{self.api_ports[index]}/api/v1/ws"

    def _spawn(self, args: list[str], log_name: str,
               env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        log = open(self.logs / f"{self.name}-{log_name}.log", "ab")
        return subprocess.Popen(args, cwd=ROOT, env={**self.env, **(env or {})}, stdout=log,
                                stderr=subprocess.STDOUT)

    def start_worker(self) -> None:
        """Start (or restart) the worker process, or one per group of `worker_queues`."""
        if self.worker_queues is None:
            self.workers = [self._spawn([sys.executable, "worker.py"], "worker")]
            return
        self.workers = [self._spawn([sys.executable, "worker.py"],
                                    f"worker-{queues.replace(',', '-')}",
                                    {"VIGIL_WORKER_QUEUES": queues,
                                     "VIGIL_WORKER_NICE": ("0" if "emergency" in queues.split(",")
                                                           else ROUTINE_NICE)})
                        for queues in self.worker_queues]

    def kill_worker(self) -> None:
        """SIGKILL every worker process: none gets a chance to finish anything."""
        assert self.workers
        for process in self.workers:
            process.kill()
            process.wait()

    def start_api(self, index: int, *, wait: bool = True) -> None:
        """Start (or restart) the API process on its own port."""
        port = self.api_ports[index]
        process = self._spawn([sys.executable, "-m", "uvicorn", "api.main:app", *UVICORN_GUARDS,
                               "--host", "127.0.0.1", "--port", str(port),
                               "--log-level", "warning"], f"api-{port}",
                             {"VIGIL_API_NICE": INGEST_NICE} if index == self.ingest_index else None)
        if index < len(self.apis):
            self.apis[index] = process
        else:
            self.apis.append(process)
        if wait:
            self._wait_ready(self.url(index), process)

    def kill_api(self, index: int = 0) -> None:
        """SIGKILL an API process: requests in flight are cut off."""
        self.apis[index].kill()
        self.apis[index].wait()

    def start(self) -> Stack:
        """Start the worker(s) and the API processes; if one never gets ready, stop them all."""
        try:
            return self._start()
        except BaseException:
            self.stop()  # a stack that failed to start leaves no process behind
            raise

    def _start(self) -> Stack:
        self.start_worker()
        for index in range(len(self.api_ports)):
            self.start_api(index, wait=False)
        for index in range(len(self.api_ports)):
            for attempt in range(1, 4):
                try:
                    self._wait_ready(self.url(index), self.apis[index])
                    break
                except ExitedEarly:
                    # A free port can be taken by another process before the API binds it
                    # (uvicorn then exits: "address already in use"); a port chosen here
                    # is exchanged for another. An API that exits for any other reason
                    # exits again and is reported the third time.
                    if not self._ports_chosen_here or attempt == 3:
                        raise
                    self.api_ports[index] = free_port()
                    self.start_api(index, wait=False)
        return self

    def _wait_ready(self, base: str, process: subprocess.Popen[bytes] | None = None,
                    timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if process is not None and process.poll() is not None:
                raise ExitedEarly(f"{base} exited with {process.returncode}; see {self.logs}")
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"{base} never became ready; see {self.logs}")

    def stop(self) -> None:
        for process in [*self.apis, *self.workers]:
            if process.poll() is None:
                process.terminate()
        for process in [*self.apis, *self.workers]:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
