"""An extra API process beside a running stack, with its own (tight) limits for a test."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from cli.stack import ROOT, Stack
from cli.temporal_server import free_port


@contextmanager
def limited_api(stack: Stack, **settings: object) -> Iterator[str]:
    """Run `uvicorn api.main:app` on the stack's database, Temporal and task queues, with
    `settings` (rate_limit_per_token="10/minute", ...) as VIGIL_ variables; yield its URL."""
    port = free_port()
    env = {**stack.env, **{f"VIGIL_{name.upper()}": str(value) for name, value in settings.items()}}
    with open(stack.logs / f"limited-api-{port}.log", "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "api.main:app", "--host", "127.0.0.1",
             "--port", str(port), "--log-level", "warning", "--timeout-graceful-shutdown", "2"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        stack._wait_ready(url)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # a client still connected holds a graceful stop
            process.kill()
            process.wait(timeout=10)
