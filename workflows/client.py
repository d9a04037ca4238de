"""Connect to Temporal the same way everywhere (API, worker, command line, tests)."""

from __future__ import annotations

import asyncio
import logging

from temporalio.client import Client

from settings import Settings

log = logging.getLogger(__name__)


async def connect_temporal(settings: Settings, wait_s: float = 60.0) -> Client:
    """Connect, retrying while the Temporal server is still starting."""
    deadline = asyncio.get_running_loop().time() + wait_s
    while True:
        try:
            return await Client.connect(settings.temporal_address,
                                        namespace=settings.temporal_namespace)
        except Exception as error:  # the server may not be listening yet
            if asyncio.get_running_loop().time() > deadline:
                raise
            log.info("Temporal not reachable yet (%s); retrying", error)
            await asyncio.sleep(0.5)
