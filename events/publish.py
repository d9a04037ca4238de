"""Write a live event. The row is the record; the wake-up is only a nudge to listeners:
NOTIFY on PostgreSQL, and on SQLite a marker file touched once the transaction has
committed (events/sqlite_wakeup.py)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import event as orm_events
from sqlalchemy import text
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from db.models import Event, as_utc
from events.sqlite_wakeup import announce_commit, commit_marker
from settings import get_settings

# PostgreSQL's NOTIFY payload limit is 8000 bytes; larger events are fetched by id.
_MAX_INLINE_PAYLOAD = 7000
# session.info key: the SQLite marker to touch once this session's transaction commits.
_MARKER = "vigil.events_marker"


def event_dict(event: Event) -> dict[str, Any]:
    """The wire form of an event, as SSE and WebSocket clients receive it."""
    return {
        "id": event.id,
        "topic": event.topic,
        "kind": event.kind,
        "payload": event.payload,
        "created_at": as_utc(event.created_at).isoformat(),  # type: ignore[union-attr]
    }


def publish(session: Session, *, topic: str, kind: str, payload: dict[str, Any],
            flush: bool = True) -> Event:
    """Append an event in the caller's transaction; listeners see it when it commits.

    `flush=False` for a caller that does not need the event's id: the row then goes in with
    the transaction's next flush, among the other rows (on PostgreSQL it is flushed anyway,
    for the NOTIFY)."""
    event = Event(topic=topic, kind=kind, payload=json.loads(json.dumps(payload, default=str)))
    session.add(event)
    bind = session.get_bind()
    postgres = bind.dialect.name == "postgresql"
    if not postgres:
        marker = commit_marker(str(bind.engine.url))
        if marker is not None:
            session.info[_MARKER] = marker
    if flush or postgres:
        session.flush()
    if postgres:
        body = json.dumps(event_dict(event))
        if len(body) > _MAX_INLINE_PAYLOAD:
            body = json.dumps({"id": event.id})
        session.execute(
            text("SELECT pg_notify(:channel, :body)"),
            {"channel": get_settings().events_channel, "body": body},
        )
    return event


@orm_events.listens_for(OrmSession, "after_commit")
def _wake_sqlite_listeners(session: OrmSession) -> None:
    """After the commit, never before: a listener woken now finds the rows."""
    marker = session.info.pop(_MARKER, None)
    if marker is not None:
        announce_commit(marker)


@orm_events.listens_for(OrmSession, "after_rollback")
def _nothing_to_announce(session: OrmSession) -> None:
    session.info.pop(_MARKER, None)
