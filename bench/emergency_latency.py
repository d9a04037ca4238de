"""Emergency latency: POST /emergencies to the first WebSocket frame at an on-call client.

Starts its own Temporal dev server and Vigil stack (worker and API processes,
SQLite by default, or PostgreSQL for Vigil's tables with --database postgres) on
loopback and connects --clients WebSocket clients (a few on-call responders, the
rest idle staff). Then, for each rate in --rates, in the same run: a bare
Temporal start-to-activity round trip at that rate (the yardstick), then
critical emergencies posted at that rate for --seconds, each timed from just
before its POST to the first WebSocket frame at any responder; how late tier 1's
escalation timer fired; and the CPU each process spent per emergency, read from
/proc. It reports the highest rate whose p99 stayed under 1 s, and stops by itself.

    .venv/bin/python bench/emergency_latency.py --clients 1000 --rates 2,5,10,20 --seconds 10
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402

from bench.idle_cost import cpu_seconds  # noqa: E402
from bench.sampling import Sampler  # noqa: E402

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def summary(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    ms = [v * 1000 for v in values]
    return {"n": len(ms), "p50_ms": round(percentile(ms, 50), 1), "p99_ms": round(percentile(ms, 99), 1),
            "mean_ms": round(statistics.fmean(ms), 1), "max_ms": round(max(ms), 1)}


def seed(responders: int, idle: int, tier_timeout_s: float) -> None:
    from audit.chain import append
    from db.engine import writing
    from db.models import EscalationPolicy, Facility, Staff

    with writing() as session:
        session.add(Facility(id="bench", name="Bench Hospital", latitude=3.0, longitude=101.0))
        for i in range(responders):
            session.add(Staff(id=f"r-{i}", name=f"Responder {i}", role="provider",
                              provider_type="emergency", facility_id="bench", on_call=True,
                              emergency_capable=True, phone=f"+601100{i:05d}",
                              push_token=f"tok-{i}", latitude=3.0, longitude=101.0 + i / 1e4))
        session.add(Staff(id="charge", name="Charge Nurse", role="provider", provider_type="nurse",
                          facility_id="bench", on_call=True, charge_nurse=True, phone="+60119999999"))
        for i in range(idle):
            session.add(Staff(id=f"idle-{i}", name=f"Idle {i}", role="provider",
                              provider_type="nurse", facility_id="bench"))
        session.add(EscalationPolicy(
            id="bench-critical", name="bench critical", severity="critical",
            channels=[{"channel": "websocket", "after_s": 0}, {"channel": "push", "after_s": 0},
                      {"channel": "sms", "after_s": 0}, {"channel": "voice", "after_s": 600}],
            tiers=[{"name": "responders", "targets": "responders", "ack_timeout_s": tier_timeout_s},
                   {"name": "charge", "targets": "charge_nurse", "ack_timeout_s": 600}]))
        append(session, actor="bench", action="bench.seeded", subject="bench", detail={})


def timer_lateness(emergency_ids: set[str], tier_timeout_s: float) -> list[float]:
    """Per emergency: when tier 2's escalation was recorded, minus tier 1's deadline.

    Tier 1's start is the workflow's own clock (state.tier_started_at); the
    escalation is recorded by an activity after the timer fires, so this is an
    upper bound on how late the timer itself fired.
    """
    from datetime import datetime

    from sqlmodel import col, select

    from db.engine import reading
    from db.models import Event, as_utc

    topics = [f"emergency:{e}" for e in emergency_ids]
    started: dict[str, float] = {}
    escalated: dict[str, float] = {}
    with reading() as session:
        for event in session.exec(select(Event).where(col(Event.topic).in_(topics))):
            state = event.payload.get("state", {})
            if event.kind == "tier_paged" and state.get("tier") == 0 and state.get("tier_started_at"):
                started.setdefault(event.topic, datetime.fromisoformat(state["tier_started_at"]).timestamp())
            if event.kind == "escalated":
                escalated.setdefault(event.topic, as_utc(event.created_at).timestamp())
    return [escalated[t] - started[t] - tier_timeout_s for t in escalated if t in started]


class Clients:
    """The WebSocket clients: when each emergency's first page frame arrived, how long after
    its event was written (the page's row, stamped in the worker before its commit), and lost
    sockets."""

    def __init__(self, ws_url: str, people: list[str]) -> None:
        self.ws_url, self.people = ws_url, people
        self.first_frame: dict[str, float] = {}
        self.event_to_frame: dict[str, float] = {}
        self.lost: list[str] = []
        self.ready = asyncio.Event()
        self._connected = 0
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._client(p)) for p in self.people]

    def stop(self) -> None:
        for task in self._tasks:
            task.cancel()

    async def _client(self, staff_id: str) -> None:
        from api.auth import mint_token

        url = f"{self.ws_url}?token={mint_token(staff_id, ['provider'], 3600)}"
        try:
            async with connect(url, max_queue=None, open_timeout=120) as ws:
                self._connected += 1
                if self._connected == len(self.people):
                    self.ready.set()
                async for raw in ws:
                    frame = json.loads(raw)
                    if frame.get("kind") == "page":
                        subject = frame["payload"]["subject_id"]
                        if subject not in self.first_frame:
                            self.first_frame[subject] = time.perf_counter()
                            self.event_to_frame[subject] = time.time() - datetime.fromisoformat(
                                frame["created_at"]).timestamp()
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - a lost socket is reported, not hidden
            self.lost.append(f"{staff_id}: {type(error).__name__}: {error}")
            return
        self.lost.append(f"{staff_id}: closed by the server")


async def post_emergencies(api: httpx.AsyncClient, *, rate: float, count: int,
                           tag: str) -> dict[str, float]:
    """Post `count` critical emergencies at `rate`/s; emergency id -> when its POST began."""
    posted: dict[str, float] = {}

    async def post(i: int) -> None:
        body = {"idempotency_key": f"bench-{tag}-{i}", "type": "cardiac_arrest",
                "severity": "critical", "patient_id": f"p-{tag}-{i}",
                "location": {"facility_id": "bench", "department": "ED",
                             "latitude": 3.0, "longitude": 101.0}}
        started = time.perf_counter()
        response = await api.post("/emergencies", json=body)
        response.raise_for_status()
        posted[response.json()["id"]] = started

    posts = []
    began = time.perf_counter()
    for i in range(count):  # on a fixed schedule, so a slow POST does not slow the rate
        posts.append(asyncio.create_task(post(i)))
        await asyncio.sleep(max(0.0, began + (i + 1) / rate - time.perf_counter()))
    await asyncio.gather(*posts)
    return posted


async def settled(processes: dict[str, int], *, quiet: float = 0.15, most_s: float = 180) -> None:
    """Wait until the stack has worked off the last rate (each process under 15 % of a core)."""
    deadline = time.monotonic() + most_s
    while time.monotonic() < deadline:
        before = {name: cpu_seconds(pid) for name, pid in processes.items()}
        await asyncio.sleep(2)
        if all(cpu_seconds(pid) - before[name] < 2 * quiet
               for name, pid in processes.items() if name != "bench_clients"):
            return


async def one_rate(args: argparse.Namespace, rate: float, temporal, api: httpx.AsyncClient,
                   clients: Clients, processes: dict[str, int]) -> dict:
    from bench.bare_temporal import bare_round_trips

    count = int(rate * args.seconds)
    await settled(processes)
    server_before = cpu_seconds(processes["temporal"])
    bare = await bare_round_trips(temporal, rate=rate, count=count)
    bare_server_s = cpu_seconds(processes["temporal"]) - server_before
    before = {name: cpu_seconds(pid) for name, pid in processes.items()}
    posted = await post_emergencies(api, rate=rate, count=count, tag=f"{rate:g}-{uuid.uuid4().hex[:4]}")
    deadline = time.monotonic() + 60
    while [e for e in posted if e not in clients.first_frame] and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    await asyncio.sleep(args.tier_timeout + 3)  # let every first tier time out
    used = {name: cpu_seconds(pid) - before[name] for name, pid in processes.items()}
    vigil = [clients.first_frame[e] - posted[e] for e in posted if e in clients.first_frame]
    written = [clients.event_to_frame[e] for e in posted if e in clients.event_to_frame]
    late = await asyncio.to_thread(timer_lateness, set(posted), args.tier_timeout)
    v, b = summary(vigil), summary(bare)
    return {
        "rate_per_s": rate, "emergencies": len(posted),
        "no_frame_within_60_s": len(posted) - len(vigil),
        "bare_temporal_start_to_activity": b,
        "vigil_post_to_first_websocket_frame": v,
        "ratio_p50": round(v["p50_ms"] / b["p50_ms"], 2) if v and b else None,
        "ratio_p99": round(v["p99_ms"] / b["p99_ms"], 2) if v and b else None,
        # The last leg of the frame: from the page's event row being written (in the worker)
        # to its frame at the client: commit, the API hearing of it, reading it, sending it.
        "page_event_written_to_frame": summary(written),
        "escalation_timer_lateness": summary(late),
        "cpu_ms_per_emergency": {name: round(1000 * s / len(posted), 1) for name, s in used.items()},
        # The floor under the Temporal share: the server's CPU for one bare workflow (start,
        # one activity, completion), taken while the yardstick ran.
        "temporal_cpu_ms_per_bare_workflow": round(1000 * bare_server_s / max(1, len(bare)), 1),
    }


async def run(args: argparse.Namespace) -> dict:
    from temporalio.client import Client

    from api.auth import mint_token
    from bench.bench_temporal import fresh_temporal
    from cli.stack import Stack
    from db.migrate import upgrade

    data, port, server = fresh_temporal()
    stack = None
    try:
        upgrade()
        seed(args.responders, args.clients - args.responders, args.tier_timeout)
        temporal = await Client.connect(f"127.0.0.1:{port}")
        stack = Stack(database_url=os.environ["VIGIL_DATABASE_URL"],
                      temporal_address=f"127.0.0.1:{port}", logs=data, name="bench").start()
        assert stack.worker is not None
        # every thread of the worker: workflow tasks run on threads
        profiler = Sampler(stack.worker.pid, args.profile_worker).start()
        processes = {"api": stack.apis[0].pid, "worker": stack.worker.pid,
                     "temporal": server.pid, "bench_clients": os.getpid()}
        people = [f"r-{i}" for i in range(args.responders)] + [
            f"idle-{i}" for i in range(args.clients - args.responders)]
        clients = Clients(stack.ws_url(), people)
        clients.start()
        await asyncio.wait_for(clients.ready.wait(), 180)
        token = mint_token("bench-admin", ["admin"], 3600)
        rows = []
        async with httpx.AsyncClient(base_url=f"{stack.api_url}/api/v1", timeout=30,
                                     headers={"Authorization": f"Bearer {token}"},
                                     limits=httpx.Limits(max_connections=100)) as api:
            for rate in args.rates:
                rows.append(await one_rate(args, rate, temporal, api, clients, processes))
                print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
        clients.stop()
        profiler.stop()
        under_1_s = [r["rate_per_s"] for r in rows if not r["no_frame_within_60_s"]
                     and r["vigil_post_to_first_websocket_frame"]
                     and r["vigil_post_to_first_websocket_frame"]["p99_ms"] < 1000]
        return {
            "database": args.database, "clients": args.clients, "seconds_per_rate": args.seconds,
            "load_average_at_end": os.getloadavg(),
            "responder_sockets_lost": [lost for lost in clients.lost if lost.startswith("r-")],
            "sockets_lost": len(clients.lost),
            "highest_rate_with_p99_under_1_s": max(under_1_s, default=None),
            "rates": rows,
        }
    finally:
        if stack:
            stack.stop()
        server.terminate()


def postgres_schema() -> tuple[str, str]:
    """A fresh schema in the local PostgreSQL database: its URL, and its name to drop later."""
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    return f"{POSTGRES}?options=-csearch_path%3D{schema}", schema


def drop_schema(schema: str) -> None:
    import psycopg

    with psycopg.connect(POSTGRES.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--responders", type=int, default=5)
    parser.add_argument("--rates", type=lambda s: [float(r) for r in s.split(",")],
                        default=[2.0, 5.0, 10.0, 20.0], help="emergencies per second, e.g. 2,5,10,20")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long each rate lasts")
    parser.add_argument("--tier-timeout", type=float, default=5.0)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--profile-worker", metavar="PATH",
                        help="sample the worker with py-spy; collapsed stacks to PATH "
                             "(summarise with bench/profile_summary.py)")
    args = parser.parse_args()
    os.environ.setdefault("VIGIL_DEV_MODE", "1")  # the bench runs on the development secret
    schema = None
    if args.database == "postgres":
        os.environ["VIGIL_DATABASE_URL"], schema = postgres_schema()
    os.environ.setdefault("VIGIL_DATABASE_URL",
                          f"sqlite:///{tempfile.mkdtemp(prefix='vigil-bench-db-')}/vigil.db")
    try:
        print(json.dumps(asyncio.run(run(args)), indent=2))
    finally:
        if schema:
            drop_schema(schema)


if __name__ == "__main__":
    main()
