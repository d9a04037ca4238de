"""An API process refreshes the presence rows of all its open sockets together, and only
those: a closed socket's row is gone, another process's row is left as it was."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlmodel import select

from api.open_sockets import OpenSockets
from db.engine import reading, writing
from db.migrate import upgrade
from db.models import LiveSocket, utcnow
from services.presence import socket_closed, socket_opened
from settings import get_settings



def _seen_at() -> dict[str, datetime]:
    with reading() as session:
        return {row.id: row.seen_at.replace(tzinfo=timezone.utc)  # stored as UTC
                for row in session.exec(select(LiveSocket)).all()}


def _age(key: str, *, by: timedelta) -> None:
    with writing() as session:
        row = session.get(LiveSocket, key)
        assert row is not None
        row.seen_at = utcnow() - by
        session.add(row)


async def test_open_sockets_are_refreshed_together_and_closed_ones_left_out(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'vigil.db'}"
    monkeypatch.setenv("VIGIL_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        await asyncio.to_thread(upgrade, url)
        sockets = OpenSockets(refresh_every_s=0.05)
        for key, person in (("ours-1", "dr-a"), ("ours-2", "dr-b"), ("closed", "dr-c"),
                            ("theirs", "dr-d")):  # "theirs": another API process's socket
            await asyncio.to_thread(socket_opened, key, person)
            await asyncio.to_thread(_age, key, by=timedelta(minutes=5))
        for key in ("ours-1", "ours-2", "closed"):
            sockets.add(key)
        sockets.discard("closed")
        await asyncio.to_thread(socket_closed, "closed")
        refreshing = asyncio.create_task(sockets.refresh_periodically())
        try:
            async with asyncio.timeout(10):
                while True:
                    seen = await asyncio.to_thread(_seen_at)
                    if all(seen[k] > datetime.now(timezone.utc) - timedelta(minutes=1)
                           for k in ("ours-1", "ours-2")):
                        break
                    await asyncio.sleep(0.05)
        finally:
            refreshing.cancel()
        assert set(seen) == {"ours-1", "ours-2", "theirs"}
        assert seen["theirs"] < datetime.now(timezone.utc) - timedelta(minutes=4)
    finally:
        get_settings.cache_clear()
