"""Emergency latency: POST /emergencies to the first WebSocket frame at an on-call client.

Starts its own Temporal dev server and Vigil stack (worker and API processes,
SQLite) on loopback, connects --clients WebSocket clients (a few of them
on-call responders, the rest idle staff), posts emergencies at --rate per
second for --seconds, and reports p50/p99 beside a bare Temporal
start-to-activity round trip measured in the same run. It also measures how
late escalation timers fire under that load. It stops by itself.

    .venv/bin/python bench/emergency_latency.py --clients 1000 --rate 20 --seconds 15
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def summary(values: list[float]) -> dict[str, float]:
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


def timer_lateness(tier_timeout_s: float) -> list[float]:
    """Per emergency: when tier 2's escalation was recorded, minus tier 1's deadline.

    Tier 1's start is the workflow's own clock (state.tier_started_at); the
    escalation is recorded by an activity after the timer fires, so this is an
    upper bound on how late the timer itself fired.
    """
    from datetime import datetime

    from sqlmodel import select

    from db.engine import reading
    from db.models import Event, as_utc

    started: dict[str, float] = {}
    escalated: dict[str, float] = {}
    with reading() as session:
        for event in session.exec(select(Event).where(Event.topic.startswith("emergency:"))):
            state = event.payload.get("state", {})
            if event.kind == "tier_paged" and state.get("tier") == 0 and state.get("tier_started_at"):
                started.setdefault(event.topic, datetime.fromisoformat(state["tier_started_at"]).timestamp())
            if event.kind == "escalated":
                escalated.setdefault(event.topic, as_utc(event.created_at).timestamp())
    return [escalated[t] - started[t] - tier_timeout_s for t in escalated if t in started]


async def run(args: argparse.Namespace) -> dict:
    from api.auth import mint_token
    from bench.bare_temporal import bare_round_trips
    from cli.stack import Stack
    from cli.temporal_server import free_port, start_dev_server
    from db.migrate import upgrade
    from temporalio.client import Client

    data = Path(tempfile.mkdtemp(prefix="vigil-bench-"))
    port = free_port()
    server = start_dev_server(port=port, ui_port=None, db_file=data / "temporal.db",
                              log_file=data / "temporal.log", headless=True)
    stack = None
    try:
        upgrade()
        seed(args.responders, args.clients - args.responders, args.tier_timeout)
        count = int(args.rate * args.seconds)
        client = await Client.connect(f"127.0.0.1:{port}")
        bare = await bare_round_trips(client, rate=args.rate, count=count)

        stack = Stack(database_url=os.environ["VIGIL_DATABASE_URL"],
                      temporal_address=f"127.0.0.1:{port}", logs=data, name="bench").start()
        first_frame: dict[str, float] = {}
        ready = asyncio.Event()
        connected = 0

        async def staff_client(staff_id: str) -> None:
            nonlocal connected
            url = f"{stack.ws_url()}?token={mint_token(staff_id, ['provider'], 3600)}"
            async with connect(url, max_queue=None) as ws:
                connected += 1
                if connected == args.clients:
                    ready.set()
                async for raw in ws:
                    frame = json.loads(raw)
                    if frame.get("kind") == "page":
                        first_frame.setdefault(frame["payload"]["subject_id"], time.perf_counter())

        people = [f"r-{i}" for i in range(args.responders)] + [
            f"idle-{i}" for i in range(args.clients - args.responders)]
        clients = [asyncio.create_task(staff_client(p)) for p in people]
        await asyncio.wait_for(ready.wait(), 120)

        posted: dict[str, float] = {}
        token = mint_token("bench-admin", ["admin"], 3600)
        async with httpx.AsyncClient(base_url=f"{stack.api_url}/api/v1", timeout=30,
                                     headers={"Authorization": f"Bearer {token}"},
                                     limits=httpx.Limits(max_connections=100)) as api:
            async def post(i: int) -> None:
                body = {"idempotency_key": f"bench-{i}", "type": "cardiac_arrest",
                        "severity": "critical", "patient_id": f"p-{i}",
                        "location": {"facility_id": "bench", "department": "ED",
                                     "latitude": 3.0, "longitude": 101.0}}
                started = time.perf_counter()
                response = await api.post("/emergencies", json=body)
                response.raise_for_status()
                posted[response.json()["id"]] = started

            posts = []
            for i in range(count):
                posts.append(asyncio.create_task(post(i)))
                await asyncio.sleep(1 / args.rate)
            await asyncio.gather(*posts)
        deadline = time.monotonic() + 60
        while len([e for e in posted if e in first_frame]) < len(posted) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await asyncio.sleep(args.tier_timeout + 3)  # let every first tier time out
        for task in clients:
            task.cancel()
        vigil = [first_frame[e] - posted[e] for e in posted if e in first_frame]
        late = timer_lateness(args.tier_timeout)
        result = {
            "clients": args.clients, "rate_per_s": args.rate, "emergencies": len(posted),
            "no_frame_within_60_s": len(posted) - len(vigil),
            "bare_temporal_start_to_activity": summary(bare),
            "vigil_post_to_first_websocket_frame": summary(vigil),
            "escalation_timer_lateness": summary(late) if late else None,
        }
        v, b = result["vigil_post_to_first_websocket_frame"], result["bare_temporal_start_to_activity"]
        result["ratio_p50"] = round(v["p50_ms"] / b["p50_ms"], 2)
        result["ratio_p99"] = round(v["p99_ms"] / b["p99_ms"], 2)
        return result
    finally:
        if stack:
            stack.stop()
        server.terminate()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--responders", type=int, default=5)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--tier-timeout", type=float, default=5.0)
    args = parser.parse_args()
    os.environ.setdefault("VIGIL_DEV_MODE", "1")  # the bench runs on the development secret
    os.environ.setdefault("VIGIL_DATABASE_URL",
                          f"sqlite:///{tempfile.mkdtemp(prefix='vigil-bench-db-')}/vigil.db")
    print(json.dumps(asyncio.run(run(args)), indent=2))


if __name__ == "__main__":
    main()
