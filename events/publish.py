"""Write a live event. The row is the record; the wake-up is only a nudge to listeners:
NOTIFY on PostgreSQL, sent as the transaction commits, and on SQLite a marker file
touched once it has committed (events/sqlite_wakeup.py)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import event as orm_events
from sqlalchemy import insert, text
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from db.models import Event, as_utc, utcnow
from events.sqlite_wakeup import announce_commit, commit_marker
from settings import get_settings

# PostgreSQL's NOTIFY payload limit is 8000 bytes; larger events are fetched by id.
_MAX_INLINE_PAYLOAD = 7000
# session.info keys: the SQLite marker to touch once this session's transaction commits,
# and on PostgreSQL the events to NOTIFY as it commits.
_MARKER = "vigil.events_marker"
_TO_NOTIFY = "vigil.events_to_notify"
_TABLE = Event.__table__  # type: ignore[attr-defined]


class Published(NamedTuple):
    """An event as written: what `event_dict` needs, without an ORM object."""

    id: int
    topic: str
    kind: str
    payload: dict[str, Any]
    created_at: datetime


def event_dict(event: Event | Published) -> dict[str, Any]:
    """The wire form of an event, as SSE and WebSocket clients receive it."""
    return {
        "id": event.id,
        "topic": event.topic,
        "kind": event.kind,
        "payload": event.payload,
        "created_at": as_utc(event.created_at).isoformat(),  # type: ignore[union-attr]
    }


def publish(session: Session, *, topic: str, kind: str, payload: dict[str, Any]) -> Published:
    """Append an event in the caller's transaction; listeners see it when it commits."""
    (event,) = publish_many(session, [(topic, kind, payload)])
    return event


def publish_many(session: Session,
                 events: list[tuple[str, str, dict[str, Any]]]) -> list[Published]:
    """Append (topic, kind, payload) events in the caller's transaction, in order, as one
    statement; listeners see them when it commits. No ORM object is built: the event log is
    append-only."""
    if not events:
        return []
    now = utcnow()
    rows = [{"topic": topic, "kind": kind, "created_at": now,
             "payload": json.loads(json.dumps(payload, default=str))}
            for topic, kind, payload in events]
    with session.no_autoflush:  # nothing pending bears on an append-only row
        ids = session.execute(insert(_TABLE).returning(_TABLE.c.id, sort_by_parameter_order=True),
                              rows).scalars().all()
    published = [Published(id=i, **row) for i, row in zip(ids, rows)]
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        session.info.setdefault(_TO_NOTIFY, []).extend(published)
    else:
        marker = commit_marker(str(bind.engine.url))
        if marker is not None:
            session.info[_MARKER] = marker
    return published


@orm_events.listens_for(OrmSession, "before_commit")
def _notify_postgres_listeners(session: OrmSession) -> None:
    """NOTIFY each event of the transaction, in order, in one round trip (psycopg sends an
    executemany as one pipeline). PostgreSQL delivers the notifications only if, and when,
    the transaction commits."""
    events = session.info.pop(_TO_NOTIFY, None)
    if not events:
        return
    channel = get_settings().events_channel
    notes = []
    for event in events:
        body = json.dumps(event_dict(event))
        if len(body) > _MAX_INLINE_PAYLOAD:
            body = json.dumps({"id": event.id})
        notes.append({"channel": channel, "body": body})
    session.execute(text("SELECT pg_notify(:channel, :body)"), notes)


@orm_events.listens_for(OrmSession, "after_commit")
def _wake_sqlite_listeners(session: OrmSession) -> None:
    """After the commit, never before: a listener woken now finds the rows."""
    marker = session.info.pop(_MARKER, None)
    if marker is not None:
        announce_commit(marker)


@orm_events.listens_for(OrmSession, "after_rollback")
def _nothing_to_announce(session: OrmSession) -> None:
    session.info.pop(_MARKER, None)
    session.info.pop(_TO_NOTIFY, None)
