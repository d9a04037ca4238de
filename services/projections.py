"""Wait for a workflow's own first record instead of writing its projection from the API.

A workflow is the only writer of its projection row and of the audit entry
that says it started. The API that started it waits, briefly, for that record
to appear on the live event log, so a client reading right after creating
sees the row. If the worker is slow (or down) the wait ends and the caller
answers from the input; the workflow still records itself when it runs.

Routine workflows (medication schedules, appointments, monitoring sessions) wait
longer: their queue gives way to emergencies and waits behind floods by design,
so on a busy system their first record can take seconds, and a coordinator who
started a plan would otherwise be sent to a page that cannot find it yet. The
wait ends as soon as the record is there, so it costs nothing when all is quiet.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from events.hub import EventHub

T = TypeVar("T")
FIRST_RECORD_WAIT_S = 2.0
ROUTINE_FIRST_RECORD_WAIT_S = 15.0


async def await_first_record(*, hub: EventHub | None, topic: str, load: Callable[[], T | None],
                             timeout_s: float = FIRST_RECORD_WAIT_S) -> T | None:
    """The projection `load` returns, once the workflow has recorded it (None on timeout)."""
    if hub is None:
        return await asyncio.to_thread(load)
    subscription = hub.subscribe([topic])  # before looking, so the record cannot slip between
    try:
        async with asyncio.timeout(timeout_s):
            while (found := await asyncio.to_thread(load)) is None:
                await subscription.queue.get()  # something happened to it: look again
            return found
    except TimeoutError:
        return None
    finally:
        hub.unsubscribe(subscription)
