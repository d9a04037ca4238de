"""The API's side of presence: a LiveSocket row while an inbox WebSocket is open.

Written when the socket opens, refreshed every REFRESH_EVERY while it stays
open, removed when it closes (activities/presence.py reads them).
"""

from __future__ import annotations

from activities.presence import REFRESH_EVERY  # noqa: F401 - the API's refresh interval
from db.engine import writing
from db.models import LiveSocket, utcnow


def socket_opened(socket_key: str, person_id: str) -> None:
    with writing() as session:
        session.add(LiveSocket(id=socket_key, person_id=person_id))


def socket_seen(socket_key: str) -> None:
    with writing() as session:
        row = session.get(LiveSocket, socket_key)
        if row is not None:
            row.seen_at = utcnow()
            session.add(row)


def socket_closed(socket_key: str) -> None:
    with writing() as session:
        row = session.get(LiveSocket, socket_key)
        if row is not None:
            session.delete(row)
