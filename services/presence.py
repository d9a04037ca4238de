"""The API's side of presence: a LiveSocket row while an inbox WebSocket is open.

Written when the socket opens, refreshed every REFRESH_EVERY while it stays
open (every open socket of an API process in one write: api/open_sockets.py),
removed when it closes (activities/presence.py reads them).
"""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import col

from activities.presence import REFRESH_EVERY  # noqa: F401 - the API's refresh interval
from db.engine import writing
from db.models import LiveSocket, utcnow

# Keys per UPDATE, well under any database's limit on bound parameters.
_KEYS_PER_UPDATE = 500


def socket_opened(socket_key: str, person_id: str) -> None:
    with writing() as session:
        session.add(LiveSocket(id=socket_key, person_id=person_id))


def sockets_seen(socket_keys: list[str]) -> None:
    """Refresh the rows of these open sockets, in one transaction."""
    now = utcnow()
    with writing() as session:
        for start in range(0, len(socket_keys), _KEYS_PER_UPDATE):
            keys = socket_keys[start:start + _KEYS_PER_UPDATE]
            session.execute(update(LiveSocket).where(col(LiveSocket.id).in_(keys))
                            .values(seen_at=now))


def socket_closed(socket_key: str) -> None:
    with writing() as session:
        row = session.get(LiveSocket, socket_key)
        if row is not None:
            session.delete(row)
