"""Fan live events out to the SSE and WebSocket clients of this API process.

One tailer per process follows the event log: on PostgreSQL it LISTENs (so
every API replica hears every event), on SQLite it reads the table by id each
time a commit with events touches its marker file (events/sqlite_wakeup.py),
and on a slow timer. Each client subscribes to topics and resumes from the
last event id it saw.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import psycopg
from sqlalchemy import func
from sqlmodel import col, select

from db.engine import reading
from db.models import Event
from events.publish import event_dict
from events.sqlite_wakeup import commit_marker, watch_for_commits
from settings import get_settings

log = logging.getLogger(__name__)


# The backlog is read in pages of this many rows, so a client far behind costs bounded memory.
BACKLOG_PAGE = 500
# On SQLite, the least time between two reads of the event table while commits keep coming.
BURST_GAP_S = 0.01


def events_after(topics: list[str], after_id: int, limit: int = BACKLOG_PAGE) -> list[dict[str, Any]]:
    """Stored events on these topics newer than `after_id`, oldest first, at most `limit`."""
    return _read(select(*_COLUMNS).where(col(Event.topic).in_(topics), col(Event.id) > after_id)
                 .order_by(col(Event.id)).limit(limit))


def latest_id() -> int:
    """The newest event id in the log (0 when it is empty)."""
    with reading() as session:
        return session.exec(select(func.max(Event.id))).one() or 0


def _events_by_id(ids: list[int]) -> list[dict[str, Any]]:
    return _read(select(*_COLUMNS).where(col(Event.id).in_(ids)).order_by(col(Event.id)))


# An event's columns, read as plain rows: the tailer reads every event the API hears (11.8 %
# of the API's busy samples under a flood of readings), so it builds no ORM object for each.
_COLUMNS = (col(Event.id), col(Event.topic), col(Event.kind), col(Event.payload),
            col(Event.created_at))


def _read(query: Any) -> list[dict[str, Any]]:
    with reading() as session:
        return [event_dict(row) for row in session.exec(query).all()]


@dataclass(frozen=True)
class Notice:
    """Something a client must know about its stream that is not an event of the log."""

    code: str
    message: str
    last_event_id: int | None = None  # where the stream now stands, when that changed


# What a stream replays when the client has seen nothing: given the newest id at the moment
# of subscribing, the events before it worth replaying, oldest first, and any notice about them.
Opening = Callable[[int], tuple[list[dict[str, Any]], Notice | None]]


class Subscription:
    def __init__(self, topics: list[str]) -> None:
        self.topics = topics
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=10_000)
        self.overflowed = False  # live events were dropped: the stream re-reads the log


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
            except asyncio.QueueFull:  # a stalled client catches up from the log instead
                sub.overflowed = True
                log.warning("dropping live event %s for a stalled subscriber", event["id"])

    async def stream(self, topics: list[str], after_id: int | None = None, *,
                     opening: Opening | None = None,
                     opened_at: int | None = None) -> AsyncIterator[dict[str, Any] | Notice]:
        """Every event the client has not seen, oldest first, then every new one: no gaps, no
        duplicates, however far behind it is.

        `after_id` is the last id the client saw; None means it has seen nothing, which is
        "everything kept" unless `opening` says what to replay before going live from now.
        An id ahead of the log (a restore, another deployment) cannot be trusted: the stream
        starts from now as if nothing was seen, and says so with a Notice first.
        `opened_at` is the newest id when the client's connection was accepted: with an
        opening, what arrived between then and this stream's start is caught up too, so a
        page sent the moment a socket opens is never lost.
        """
        sub = self.subscribe(topics)  # before reading the log, so nothing falls in between
        try:
            latest = await asyncio.to_thread(latest_id)
            if after_id is not None and after_id > latest:
                yield Notice("resume_ahead_of_log",
                             f"Event {after_id} is newer than the log (newest {latest}); "
                             "streaming from now.", latest)
                after_id = None
                if opening is None:
                    after_id = latest
            floor = after_id or 0  # live events at or below this were seen before
            seen: set[int] = set()
            last = floor
            if after_id is None and opening is not None:
                replay, notice = await asyncio.to_thread(opening, latest)
                if notice is not None:
                    yield notice
                for event in replay:
                    seen.add(event["id"])
                    yield event
                # Live events up to `latest` were in the log before this stream began: the
                # opening chose among them already (the SQLite tailer may still dispatch them),
                # but for what came after the client connected (`opened_at`).
                floor = last = latest if opened_at is None else min(opened_at, latest)
                if last < latest:
                    async for event in self._catch_up(topics, last, seen):
                        last = max(last, event["id"])
                        yield event
                floor = max(floor, last)
            else:
                async for event in self._catch_up(topics, last, seen):
                    last = max(last, event["id"])
                    yield event
            while True:
                if sub.overflowed:  # the queue dropped events: read them from the log
                    sub.overflowed = False
                    async for event in self._catch_up(topics, last, seen):
                        last = max(last, event["id"])
                        yield event
                event = await sub.queue.get()
                if event["id"] in seen or event["id"] <= floor:
                    continue
                last = max(last, event["id"])
                yield event
        finally:
            self.unsubscribe(sub)

    @staticmethod
    async def _catch_up(topics: list[str], after_id: int,
                        seen: set[int]) -> AsyncIterator[dict[str, Any]]:
        """Page through the stored events after `after_id` until the newest, noting each id."""
        while True:
            page = await asyncio.to_thread(events_after, topics, after_id)
            for event in page:
                if event["id"] not in seen:
                    seen.add(event["id"])
                    yield event
            if len(page) < BACKLOG_PAGE:
                return
            after_id = page[-1]["id"]

    async def _poll_sqlite(self) -> None:
        settings = get_settings()
        wake = asyncio.Event()
        marker = commit_marker(settings.database_url)
        watcher = (asyncio.create_task(watch_for_commits(marker, wake), name="event-wakeup")
                   if marker is not None else None)
        last = await asyncio.to_thread(latest_id)
        try:
            while True:
                wake.clear()  # before reading: a commit during the read wakes the next one
                try:
                    rows = await asyncio.to_thread(_rows_after, last)
                    for event in rows:
                        last = max(last, event["id"])
                        self.dispatch(event)
                except Exception:  # keep tailing through a transient database error
                    log.exception("event poll failed")
                if wake.is_set():
                    # More commits came during the read: a burst's are read together, at most
                    # one read per BURST_GAP_S, while a lone commit is read the moment it lands.
                    await asyncio.sleep(BURST_GAP_S)
                try:
                    await asyncio.wait_for(wake.wait(), settings.events_poll_interval_s)
                except TimeoutError:
                    pass
        finally:
            if watcher is not None:
                watcher.cancel()

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
    return _read(select(*_COLUMNS).where(col(Event.id) > last).order_by(col(Event.id)).limit(1000))
