"""How long an API process's event loop stalls while it answers one request.

Starts its own Temporal dev server and Vigil stack on a fresh SQLite database,
then asks the API for /healthz back to back, one at a time: first over a quiet
window, then while one request for --path is in flight (by default the
process's first build of the OpenAPI document). A /healthz answer waits for
the event loop, as every live stream and WebSocket page does, so the worst
/healthz answer during the request, against the quiet p50, is the stall.
Loopback only; stops by itself.

    .venv/bin/python bench/loop_stall.py
    .venv/bin/python bench/loop_stall.py --path /api/v1/staff
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_temporal import demo_stack, run_on_own_database  # noqa: E402
from bench.emergency_latency import summary  # noqa: E402


async def health_answers(http: httpx.AsyncClient, until: asyncio.Future[object]) -> list[float]:
    """Seconds each /healthz took, asked one after another until `until` is done."""
    took = []
    while not until.done():
        started = time.perf_counter()
        (await http.get("/healthz")).raise_for_status()
        took.append(time.perf_counter() - started)
    return took


async def run(args: argparse.Namespace) -> dict:
    from api.auth import mint_token

    headers = {"Authorization": f"Bearer {mint_token('admin-raj', ['admin'])}"}
    with demo_stack("stall") as (stack, _):
        async with httpx.AsyncClient(base_url=stack.api_url, timeout=120) as http, \
                httpx.AsyncClient(base_url=stack.api_url, timeout=120, headers=headers) as asker:
            quiet = await health_answers(http, asyncio.ensure_future(asyncio.sleep(args.quiet)))
            started = time.perf_counter()
            request = asyncio.ensure_future(asker.get(args.path))
            during = await health_answers(http, request)
            (await request).raise_for_status()
            took = time.perf_counter() - started
    quiet_s, during_s = summary(quiet), summary(during)
    assert quiet_s is not None and during_s is not None
    return {
        "path": args.path, "request_ms": round(took * 1000, 1),
        "healthz_quiet": quiet_s, "healthz_during_request": during_s,
        "worst_during_over_quiet_p50": round(during_s["max_ms"] / quiet_s["p50_ms"], 1),
        "load_average_at_end": os.getloadavg(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--path", default="/openapi.json")
    parser.add_argument("--quiet", type=float, default=3.0, help="seconds of /healthz alone first")
    run_on_own_database(run, parser.parse_args())


if __name__ == "__main__":
    main()
