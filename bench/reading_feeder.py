"""Readings as fast as an API accepts them, from a process of its own, until SIGTERM.

A flood's readings come from monitors and integrations on other machines, not from the host
that serves pages. In one process with the benchmark's WebSocket clients and its timing, the
sender took about two thirds of a core of the same two cores (bench/priority_flood.py), at the
benchmark's own priority. Here it runs apart, at the niceness it is given, and its CPU is
reported on its own.

Reads the session ids from stdin (one per line), posts --concurrency readings at a time in
turn to them, and on SIGTERM finishes the requests in flight and prints {"accepted": N}.

    ... | python bench/reading_feeder.py --base http://127.0.0.1:8002/api/v1 --token T
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402


async def flood_readings(api: httpx.AsyncClient, sessions: list[str], concurrency: int,
                         stop: asyncio.Event, accepted: list[int]) -> None:
    """Readings as fast as the API accepts them, `concurrency` in flight, until `stop`."""
    from bench.monitoring_ingest import a_reading

    async def sender(k: int) -> None:
        i = k
        while not stop.is_set():
            response = await api.post(f"/sessions/{sessions[i % len(sessions)]}/readings",
                                      json=a_reading(i))
            response.raise_for_status()
            accepted[0] += 1
            i += concurrency

    await asyncio.gather(*(sender(k) for k in range(concurrency)))


async def feed(args: argparse.Namespace, sessions: list[str]) -> int:
    stop, accepted = asyncio.Event(), [0]
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with httpx.AsyncClient(base_url=args.base, timeout=120,
                                 headers={"Authorization": f"Bearer {args.token}"},
                                 limits=httpx.Limits(max_connections=args.concurrency)) as api:
        await flood_readings(api, sessions, args.concurrency, stop, accepted)
    return accepted[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="the API's /api/v1 address")
    parser.add_argument("--token", required=True)
    parser.add_argument("--concurrency", type=int, default=32, help="readings in flight")
    parser.add_argument("--nice", type=int, default=0, help="niceness to take (os.nice)")
    args = parser.parse_args()
    sessions = sys.stdin.read().split()
    if args.nice:
        os.nice(args.nice)
    print(json.dumps({"accepted": asyncio.run(feed(args, sessions))}), flush=True)


if __name__ == "__main__":
    main()
