"""Wake the SQLite event tailer the moment an event is committed, instead of polling.

A transaction that publishes an event (events.publish) touches a marker file
beside the database once it has committed, whichever process made it. The
kernel's file notifications (inotify, through `inotify_simple`) wake every API
process's tailer at once, and the tailer reads the rows that commit made visible.
An idle API spends no CPU on the event log.

The marker, not the write-ahead log, is watched for two reasons. The log is
written before a commit is visible, so a reader woken by its last write could
look too soon and hear nothing more. And a watcher of the log has to wait a
moment to let a commit's writes settle: `watchfiles` added 20-50 ms to every
live event that way. A slow re-check (`events_poll_interval_s`) remains as a
safety net. Where inotify is missing (not Linux), `watchfiles` watches the marker.
"""

from __future__ import annotations

import asyncio
import logging
from functools import lru_cache
from pathlib import Path

log = logging.getLogger(__name__)


def sqlite_path(database_url: str) -> Path | None:
    """The database file a sqlite:/// URL names; None for memory or another kind."""
    if not database_url.startswith("sqlite:///"):
        return None
    path = database_url.removeprefix("sqlite:///").split("?", 1)[0]
    return None if path in ("", ":memory:") else Path(path).resolve()


@lru_cache(maxsize=16)
def commit_marker(database_url: str) -> Path | None:
    """The file touched after each commit that published events; None if not a SQLite file."""
    database = sqlite_path(database_url)
    return None if database is None else database.with_name(f"{database.name}-events")


def announce_commit(marker: Path) -> None:
    """Tell every watcher that events were committed (one utime; the first call creates it)."""
    try:
        marker.touch()
    except OSError:  # the commit stands; watchers find it on their slow re-check
        log.exception("cannot touch %s; live events wait for the re-check", marker)


async def watch_for_commits(marker: Path, wake: asyncio.Event) -> None:
    """Set `wake` each time `marker` is touched, until cancelled."""
    try:
        from inotify_simple import INotify, flags

        notify = INotify(nonblocking=True)
    except (ImportError, OSError, AttributeError):  # not Linux
        await _watch_with_watchfiles(marker, wake)
        return
    loop = asyncio.get_running_loop()
    with notify:
        try:
            notify.add_watch(str(marker.parent), flags.ATTRIB | flags.CREATE | flags.MOVED_TO)
        except OSError:
            log.exception("cannot watch %s; events arrive on the slow re-check only", marker)
            return

        def readable() -> None:
            events = notify.read(timeout=0)
            if any(e.name == marker.name or e.mask & flags.Q_OVERFLOW for e in events):
                wake.set()

        loop.add_reader(notify.fileno(), readable)
        try:
            await asyncio.Future()  # until cancelled
        finally:
            loop.remove_reader(notify.fileno())


async def _watch_with_watchfiles(marker: Path, wake: asyncio.Event) -> None:
    from watchfiles import awatch

    try:
        # step (ms): how often the watcher looks at what the kernel reported.
        async for _ in awatch(marker.parent, step=20, debounce=50, recursive=False,
                              watch_filter=lambda _change, path: Path(path).name == marker.name):
            wake.set()
    except asyncio.CancelledError:
        raise
    except Exception:  # no notifications here: the tailer's slow re-check carries on alone
        log.exception("cannot watch %s; events arrive on the slow re-check only", marker)
