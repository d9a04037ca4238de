"""A probe for emergency latency under other load: POST /emergencies to the first WebSocket frame.

Shared by the benches that ask "does this load slow a page down?"
(bench/medication_load.py, bench/priority_flood.py). It connects on-call
responders and idle staff as WebSocket clients of a running stack (seeded with
bench/emergency_latency.py's `seed`), then posts critical emergencies at a
steady rate in named phases and times each from just before its POST to the
first page frame at any responder.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
from websockets.asyncio.client import connect


def ratio(a: float, b: float) -> float | None:
    return round(a / b, 2) if b else None


class EmergencyProbe:
    """WebSocket clients on a stack, and emergencies posted in phases; stop it with `close`."""

    def __init__(self, stack: Any, *, clients: int, responders: int) -> None:
        self.stack, self.clients, self.responders = stack, clients, responders
        self.first_frame: dict[str, float] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._posted = 0
        self.last_posted: dict[str, float] = {}
        self.posted_wall: dict[str, float] = {}  # emergency id -> wall-clock time of its POST
        self.lost = 0  # client sockets closed (read it before `close`)

    async def connect(self, timeout_s: float = 120) -> None:
        from api.auth import mint_token

        ready, connected = asyncio.Event(), 0

        async def staff_client(staff_id: str) -> None:
            nonlocal connected
            url = f"{self.stack.ws_url()}?token={mint_token(staff_id, ['provider'], 7200)}"
            try:
                async with connect(url, max_queue=None) as ws:
                    connected += 1
                    if connected == self.clients:
                        ready.set()
                    async for raw in ws:
                        frame = json.loads(raw)
                        if frame.get("kind") == "page":
                            self.first_frame.setdefault(frame["payload"]["subject_id"],
                                                        time.perf_counter())
            finally:
                self.lost += 1  # a socket the server closed: its pages can no longer be timed

        people = [f"r-{i}" for i in range(self.responders)] + [
            f"idle-{i}" for i in range(self.clients - self.responders)]
        self._tasks = [asyncio.create_task(staff_client(p)) for p in people]
        await asyncio.wait_for(ready.wait(), timeout_s)

    async def phase(self, *, rate: float, seconds: float,
                    wait_s: float = 90) -> tuple[list[float], int]:
        """Post `rate`/s for `seconds`: seconds from each POST to its first frame, and how many
        had no frame within `wait_s` after the last POST."""
        from api.auth import mint_token

        posted: dict[str, float] = {}
        self.last_posted = posted  # emergency id -> when its POST began, of the latest phase
        token = mint_token("bench-admin", ["admin"], 7200)
        async with httpx.AsyncClient(base_url=f"{self.stack.api_url}/api/v1", timeout=60,
                                     headers={"Authorization": f"Bearer {token}"},
                                     limits=httpx.Limits(max_connections=50)) as api:
            async def post(i: int) -> None:
                body = {"idempotency_key": f"probe-{i}", "type": "cardiac_arrest",
                        "severity": "critical", "patient_id": f"p-{i}",
                        "location": {"facility_id": "bench", "department": "ED",
                                     "latitude": 3.0, "longitude": 101.0}}
                started, started_wall = time.perf_counter(), time.time()
                response = await api.post("/emergencies", json=body)
                response.raise_for_status()
                posted[response.json()["id"]] = started
                self.posted_wall[response.json()["id"]] = started_wall

            posts = []
            for _ in range(int(rate * seconds)):
                self._posted += 1
                posts.append(asyncio.create_task(post(self._posted)))
                await asyncio.sleep(1 / rate)
            await asyncio.gather(*posts)
        deadline = time.monotonic() + wait_s
        while any(e not in self.first_frame for e in posted) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        framed = [self.first_frame[e] - t for e, t in posted.items() if e in self.first_frame]
        return framed, len(posted) - len(framed)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
