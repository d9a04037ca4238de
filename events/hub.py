"""Fan live events out to the SSE and WebSocket clients of this API process.

One tailer per process follows the event log: on PostgreSQL it LISTENs (so
every API replica hears every event), on SQLite it polls the table by id. Each
client subscribes to topics and resumes from the last event id it saw.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import psycopg
from sqlalchemy import func
from sqlmodel import col, select

from db.engine import reading
from db.models import Event
from events.publish import event_dict
from settings import get_settings

log = logging.getLogger(__name__)


def events_after(topics: list[str], after_id: int, limit: int = 1000) -> list[dict[str, Any]]:
    """Stored events on these topics newer than `after_id`, oldest first."""
    with reading() as session:
        rows = session.exec(
            select(Event)
            .where(col(Event.topic).in_(topics), col(Event.id) > after_id)
            .order_by(col(Event.id))
            .limit(limit)
        ).all()
        return [event_dict(row) for row in rows]


def _latest_id() -> int:
    with reading() as session:
        return session.exec(select(func.max(Event.id))).one() or 0


def _events_by_id(ids: list[int]) -> list[dict[str, Any]]:
    with reading() as session:
        rows = session.exec(select(Event).where(col(Event.id).in_(ids)).order_by(col(Event.id)))
        return [event_dict(row) for row in rows.all()]


class Subscription:
    def __init__(self, topics: list[str]) -> None:
        self.topics = topics
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=10_000)


class EventHub:
    def __init__(self) -> None:
        self._subs: dict[str, set[Subscription]] = {}
        self._watchers: list[Callable[[dict[str, Any]], None]] = []
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        settings = get_settings()
        tail = self._listen_postgres if settings.is_postgres else self._poll_sqlite
        self._task = asyncio.create_task(tail(), name="event-tail")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def subscribe(self, topics: list[str]) -> Subscription:
        sub = Subscription(topics)
        for topic in topics:
            self._subs.setdefault(topic, set()).add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        for topic in sub.topics:
            self._subs.get(topic, set()).discard(sub)

    def watch(self, callback: Callable[[dict[str, Any]], None]) -> None:
        """Call `callback` with every event this process hears (it must not block)."""
        self._watchers.append(callback)

    def dispatch(self, event: dict[str, Any]) -> None:
        for callback in self._watchers:
            callback(event)
        for sub in list(self._subs.get(event["topic"], ())):
            try:
                sub.queue.put_nowait(event)
            except asyncio.QueueFull:  # a stalled client resumes from the log instead
                log.warning("dropping live event %s for a stalled subscriber", event["id"])

    async def stream(self, topics: list[str], after_id: int = 0) -> AsyncIterator[dict[str, Any]]:
        """What the client missed since `after_id`, then every new event, without duplicates."""
        sub = self.subscribe(topics)
        try:
            backlog = await asyncio.to_thread(events_after, topics, after_id)
            seen = {event["id"] for event in backlog}
            for event in backlog:
                yield event
            while True:
                event = await sub.queue.get()
                if event["id"] in seen or event["id"] <= after_id:
                    continue
                yield event
        finally:
            self.unsubscribe(sub)

    async def _poll_sqlite(self) -> None:
        interval = get_settings().events_poll_interval_s
        last = await asyncio.to_thread(_latest_id)
        while True:
            try:
                rows = await asyncio.to_thread(_rows_after, last)
                for event in rows:
                    last = max(last, event["id"])
                    self.dispatch(event)
            except Exception:  # keep tailing through a transient database error
                log.exception("event poll failed")
            await asyncio.sleep(interval)

    async def _listen_postgres(self) -> None:
        settings = get_settings()
        dsn = settings.database_url.replace("postgresql+psycopg://", "postgresql://")
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
                    await conn.execute(f'LISTEN "{settings.events_channel}"')
                    async for note in conn.notifies():
                        body = json.loads(note.payload)
                        if "topic" not in body:  # too large to inline: fetch it
                            for event in await asyncio.to_thread(_events_by_id, [body["id"]]):
                                self.dispatch(event)
                        else:
                            self.dispatch(body)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("LISTEN connection lost; reconnecting")
                await asyncio.sleep(0.5)


def _rows_after(last: int) -> list[dict[str, Any]]:
    with reading() as session:
        rows = session.exec(
            select(Event).where(col(Event.id) > last).order_by(col(Event.id)).limit(1000)
        ).all()
        return [event_dict(row) for row in rows]
