"""The inbox WebSockets this API process has open, their presence rows kept fresh together.

One write per REFRESH_EVERY for all of them: a refresh of its own per socket was a
write transaction (and, on SQLite, a wake-up of every API's event tailer) every
30 s per socket, 33 a second with 1,000 people connected.
"""

from __future__ import annotations

import asyncio
import logging

from services.presence import REFRESH_EVERY, sockets_seen

log = logging.getLogger(__name__)


class OpenSockets:
    def __init__(self, refresh_every_s: float = REFRESH_EVERY.total_seconds()) -> None:
        self.refresh_every_s = refresh_every_s
        self._keys: set[str] = set()

    def add(self, socket_key: str) -> None:
        self._keys.add(socket_key)

    def discard(self, socket_key: str) -> None:
        self._keys.discard(socket_key)

    async def refresh_periodically(self) -> None:
        """Until cancelled: every `refresh_every_s`, mark every open socket as seen now."""
        while True:
            await asyncio.sleep(self.refresh_every_s)
            if not self._keys:
                continue
            try:
                await asyncio.to_thread(sockets_seen, sorted(self._keys))
            except Exception:  # the next round tries again, well within STALE_AFTER
                log.exception("could not refresh the presence of open sockets")
