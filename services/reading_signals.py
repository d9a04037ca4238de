"""One signal for every reading that reaches a session while its last signal is in flight.

A reading costs the workflow one task, whatever the signal carries; under load
(a ward of monitors, a device catching up after a dropout) the readings for a
session arrive faster than signals return. The first reading for a session is
signalled at once, so a lone reading waits for nothing; readings that arrive
while that signal is in flight ride together in the next one (in arrival order,
at most MAX_READINGS_PER_REQUEST, the most one request may carry). Each request
still returns only once its own readings are accepted by Temporal.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from clinical.vitals import Reading
from services.schemas.monitoring import MAX_READINGS_PER_REQUEST

Signal = Callable[[list[Reading]], Awaitable[None]]


@dataclass
class _Next:
    """The readings that will go out in a session's next signal, and who waits for them."""

    readings: list[Reading] = field(default_factory=list)
    sent: asyncio.Future[None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future())


class ReadingSignals:
    def __init__(self, most: int = MAX_READINGS_PER_REQUEST) -> None:
        self._most = most
        self._waiting: dict[str, list[_Next]] = {}  # session id -> signals still to send
        self._senders: dict[str, asyncio.Task[None]] = {}

    async def send(self, session_id: str, readings: list[Reading], signal: Signal) -> None:
        """Signal `readings` to the session, with any that arrive meanwhile; raises what the
        signal raised."""
        queue = self._waiting.setdefault(session_id, [])
        if not queue or len(queue[-1].readings) + len(readings) > self._most:
            queue.append(_Next())
        batch = queue[-1]
        batch.readings.extend(readings)
        if session_id not in self._senders:
            self._senders[session_id] = asyncio.create_task(self._send_all(session_id, signal))
        await asyncio.shield(batch.sent)

    async def _send_all(self, session_id: str, signal: Signal) -> None:
        """Send the session's waiting signals one after another until none is left."""
        batch = None
        try:
            while queue := self._waiting.get(session_id):
                batch = queue.pop(0)  # (what arrives from now on waits for the next signal)
                try:
                    await signal(batch.readings)
                except Exception as error:  # noqa: BLE001 - each waiting request hears it
                    batch.sent.set_exception(error)
                else:
                    batch.sent.set_result(None)
        finally:  # (cancelled: shutting down) nobody is left waiting for an answer
            for unsent in [batch, *self._waiting.pop(session_id, [])]:
                if unsent is not None and not unsent.sent.done():
                    unsent.sent.set_exception(ConnectionAbortedError("the API is stopping"))
            del self._senders[session_id]
