"""Wake signals to endpoints' delivery workflows, sent from a synchronous activity's thread.

The record activities that write outbox rows are synchronous: they run on the
worker's threads and have no `activity.client()`. worker.py installs its
Temporal client and event loop here at start-up (`install`); `wake` then hands
each endpoint's `wake` signal to that loop (asyncio.run_coroutine_threadsafe)
and returns at once: fire and forget, a failure only logged. A signal to a
workflow that is not running (its endpoint disabled meanwhile) fails harmlessly.

With nothing installed (a script, a unit test, the API process) nothing is
sent, and the endpoint's workflow finds the rows at its next poll
(VIGIL_WEBHOOK_POLL_INTERVAL_S): the signal only makes it sooner. Which
endpoints to wake, and when, is decided in activities/webhook_idle.py.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from concurrent.futures import Future

from temporalio.client import Client

from workflows.webhook_delivery_types import WAKE_SIGNAL, workflow_id_for

log = logging.getLogger("vigil.webhook_wake")

_installed: tuple[Client, asyncio.AbstractEventLoop] | None = None
_in_flight: set[Future[None]] = set()  # kept referenced until sent


def install(client: Client, loop: asyncio.AbstractEventLoop) -> None:
    """Send wake signals through `client`, on `loop` (the worker's, at start-up)."""
    global _installed
    _installed = (client, loop)


def uninstall() -> None:
    global _installed
    _installed = None


def wake(endpoint_ids: Iterable[str]) -> int:
    """Signal each endpoint's workflow to read its outbox now; how many signals were handed on.
    Callable from any thread; never waits for the signals."""
    installed = _installed
    if installed is None:
        return 0
    client, loop = installed
    sent = 0
    for endpoint_id in endpoint_ids:
        try:
            future = asyncio.run_coroutine_threadsafe(_signal(client, endpoint_id), loop)
        except RuntimeError:  # the loop is closed: the worker is stopping
            return sent
        _in_flight.add(future)
        future.add_done_callback(_in_flight.discard)
        sent += 1
    return sent


async def _signal(client: Client, endpoint_id: str) -> None:
    try:
        await client.get_workflow_handle(workflow_id_for(endpoint_id)).signal(WAKE_SIGNAL)
    except Exception as error:  # noqa: BLE001 - the poll finds the rows anyway
        log.info("wake signal to endpoint %s not sent: %s", endpoint_id, error)
