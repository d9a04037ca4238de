"""Webhook fan-out: does one slow receiver delay the others? Both cases measured in one run.

Starts its own Temporal dev server and Vigil stack (worker and API processes,
SQLite unless VIGIL_DATABASE_URL says otherwise) and --endpoints loopback
receivers, one of which takes --slow-s to answer every request. Endpoints are
subscribed through the API, so each has its own WebhookDeliveryWorkflow. Events
are written to the outbox at --rate per second for --seconds, as the record
activities write them (activities/webhook_events.queue, one transaction per
tick), each owed to every enabled endpoint. Latency is from the moment an event
is written to the moment its first request reaches the receiver.

Three phases, one after the other in the same run:
- without: only the fast endpoints are enabled;
- with: the slow endpoint is enabled too;
- again: the slow endpoint is disabled again, so a drift in the machine's own
  speed between phases (it is shared) shows as a change between the two
  without-phases rather than passing for the slow endpoint's doing.
Each waits up to --drain-s for the fast endpoints to receive everything; an
event still undelivered then counts as slower than any delivered one, so a p99
that falls among those is reported as not reached (null). The yardstick is a
bare Temporal start-to-activity round trip, measured in the same run.

    .venv/bin/python bench/webhook_fanout.py                       # 200 events/s, 30 s each phase
    .venv/bin/python bench/webhook_fanout.py --rate 20 --seconds 30
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402

EVENT_TYPE = "monitoring.ended"
TICK_S = 0.05


@dataclass
class Arrivals:
    """First arrival of each webhook-id at each receiver: (phase, latency in seconds)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    seen: dict[tuple[int, str], tuple[str, float]] = field(default_factory=dict)

    def record(self, receiver: int, webhook_id: str, phase: str, latency_s: float) -> None:
        with self.lock:
            self.seen.setdefault((receiver, webhook_id), (phase, latency_s))

    def latencies(self, phase: str, receivers: set[int]) -> list[float]:
        with self.lock:
            return [lat for (r, _), (p, lat) in self.seen.items() if p == phase and r in receivers]


def start_receiver(index: int, slow_s: float, arrivals: Arrivals) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server name
            body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))))
            data = body["data"]
            arrivals.record(index, self.headers["webhook-id"], data["phase"],
                            time.time() - data["queued_at"])
            if slow_s:
                time.sleep(slow_s)
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def write_events(phase: str, count: int, first: int) -> None:
    """`count` events in one transaction, owed to every enabled endpoint, as a record would."""
    from activities.webhook_events import queue
    from db.engine import writing

    with writing() as session:
        for i in range(first, first + count):
            queue(session, EVENT_TYPE, f"bench-{phase}-{i}", "bench-patient", None,
                  {"session_id": f"bench-{phase}-{i}", "patient_id": "bench-patient",
                   "phase": phase, "queued_at": time.time()})


async def produce(phase: str, rate: float, seconds: float) -> int:
    """Write events at `rate` per second for `seconds`; how many were written."""
    written, began = 0, time.monotonic()
    while (elapsed := time.monotonic() - began) < seconds:
        due = int(rate * min(elapsed + TICK_S, seconds)) - written
        if due > 0:
            await asyncio.to_thread(write_events, phase, due, written)
            written += due
        await asyncio.sleep(max(0.0, began + elapsed + TICK_S - time.monotonic()))
    return written


def percentile(values: list[float], q: float) -> float | None:
    """The q-quantile (nearest rank); None if it falls among undelivered (infinite) values."""
    if not values:
        return None
    ordered = sorted(values)
    value = ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]
    return None if math.isinf(value) else round(value * 1000, 1)


async def phase_figures(phase: str, rate: float, seconds: float, drain_s: float,
                        arrivals: Arrivals, fast: set[int]) -> dict:
    began = time.monotonic()
    events = await produce(phase, rate, seconds)
    expected = events * len(fast)
    deadline = time.monotonic() + drain_s
    while len(arrivals.latencies(phase, fast)) < expected and time.monotonic() < deadline:
        await asyncio.sleep(0.5)
    took = time.monotonic() - began
    got = arrivals.latencies(phase, fast)
    censored = got + [math.inf] * (expected - len(got))
    return {"events": events, "fast_deliveries_expected": expected,
            "fast_deliveries_received": len(got),
            "fast_deliveries_per_s": round(len(got) / took, 1),
            "fast_p50_ms": percentile(censored, 0.50), "fast_p99_ms": percentile(censored, 0.99),
            "fast_max_delivered_ms": round(max(got) * 1000, 1) if got else None}


async def run(args: argparse.Namespace) -> dict:
    from temporalio.client import Client

    from activities import webhook_wake
    from api.auth import mint_token
    from bench.bare_temporal import bare_round_trips
    from bench.bench_temporal import fresh_temporal
    from cli.demo_data import seed_demo
    from cli.stack import Stack
    from db.migrate import upgrade

    load_start = round(os.getloadavg()[0], 2)  # other work on the machine skews every figure
    data, port, server = fresh_temporal()
    arrivals = Arrivals()
    slow_index = args.endpoints - 1
    receivers = [start_receiver(i, args.slow_s if i == slow_index else 0.0, arrivals)
                 for i in range(args.endpoints)]
    fast = set(range(args.endpoints)) - {slow_index}
    stack = None
    try:
        upgrade()
        seed_demo()
        stack = Stack(database_url=os.environ["VIGIL_DATABASE_URL"],
                      temporal_address=f"127.0.0.1:{port}", logs=data, name="bench",
                      env={"VIGIL_RATE_LIMITS_ENABLED": "false"}).start()
        await asyncio.sleep(2)  # let the worker and API finish starting before the yardstick
        client = await Client.connect(f"127.0.0.1:{port}")
        # This process writes the events, so it wakes idle endpoints as a worker's record
        # activity would (activities/webhook_idle.py), through its own client.
        webhook_wake.install(client, asyncio.get_running_loop())
        bare = sorted(await bare_round_trips(client, rate=20, count=100))
        token = mint_token("admin-raj", ["admin"], 7200)
        async with httpx.AsyncClient(base_url=f"{stack.api_url}/api/v1", timeout=60,
                                     headers={"Authorization": f"Bearer {token}"}) as admin:
            ids = []
            for i, receiver in enumerate(receivers):
                response = await admin.post("/webhook-endpoints", json={
                    "url": f"http://127.0.0.1:{receiver.server_address[1]}/hooks",
                    "event_types": [EVENT_TYPE], "enabled": i != slow_index})
                response.raise_for_status()
                ids.append(response.json()["id"])
            without = await phase_figures("without", args.rate, args.seconds, args.drain_s,
                                          arrivals, fast)
            (await admin.patch(f"/webhook-endpoints/{ids[slow_index]}",
                               json={"enabled": True})).raise_for_status()
            with_slow = await phase_figures("with", args.rate, args.seconds, args.drain_s,
                                            arrivals, fast)
            (await admin.patch(f"/webhook-endpoints/{ids[slow_index]}",
                               json={"enabled": False})).raise_for_status()
            again = await phase_figures("again", args.rate, args.seconds, args.drain_s,
                                        arrivals, fast)
        p99_without, p99_with = without["fast_p99_ms"], with_slow["fast_p99_ms"]
        p99_again = again["fast_p99_ms"]
        bare_p99 = percentile(bare, 0.99)
        return {
            "rate_events_per_s": args.rate, "seconds_per_phase": args.seconds,
            "endpoints": args.endpoints, "slow_endpoint_s_per_request": args.slow_s,
            "cpus": os.cpu_count(),
            "load_average_1m": {"start": load_start, "end": round(os.getloadavg()[0], 2)},
            "bare_temporal_ms": {"p50": percentile(bare, 0.5), "p99": bare_p99},
            "without_slow": without, "with_slow": with_slow, "without_slow_again": again,
            "slow_endpoint_requests": len(arrivals.latencies("with", {slow_index})),
            "ratio_fast_p99_with_to_without": (round(p99_with / p99_without, 2)
                                               if p99_with and p99_without else None),
            "ratio_fast_p99_with_to_without_again": (round(p99_with / p99_again, 2)
                                                     if p99_with and p99_again else None),
            "ratio_fast_p99_with_to_bare_p99": (round(p99_with / bare_p99, 1)
                                                if p99_with and bare_p99 else None),
        }
    finally:
        if stack:
            stack.stop()
        server.terminate()
        for receiver in receivers:
            receiver.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=200, help="events written per second")
    parser.add_argument("--seconds", type=float, default=30,
                        help="seconds of load per phase (three phases)")
    parser.add_argument("--endpoints", type=int, default=10, help="receivers, the last one slow")
    parser.add_argument("--slow-s", type=float, default=2.0, help="the slow receiver's delay")
    parser.add_argument("--drain-s", type=float, default=60,
                        help="how long each phase waits for the fast receivers to catch up")
    args = parser.parse_args()
    os.environ.setdefault("VIGIL_DEV_MODE", "1")  # loopback endpoints, development secret
    os.environ.setdefault("VIGIL_DATABASE_URL",
                          f"sqlite:///{tempfile.mkdtemp(prefix='vigil-bench-db-')}/vigil.db")
    print(json.dumps(asyncio.run(run(args)), indent=2))


if __name__ == "__main__":
    main()
