"""Monitoring ingestion: readings through the API until scored and stored, against raw signals.

Starts its own Temporal dev server and Vigil stack (worker and API processes,
SQLite) on loopback, opens --sessions monitoring sessions through the API and
records the worker's memory. Then, in the same run, it pushes --readings
readings three ways and times each until every one has been processed:

- bare: signals to do-nothing workflows, as many as the sessions and in the same pattern
  (Temporal's own ceiling on this machine, with that many workflows open);
- raw: signals carrying a reading straight to the sessions, until scored and stored;
- api: POST /sessions/{id}/readings, until scored and stored; meanwhile, every
  --alarm-every seconds, one alarming reading to one of --alarm-probes sessions
  of their own, timed from its POST to the care team's alarm frame (WebSocket).

Senders keep at most --window readings unprocessed, so a burst never turns
into a backlog that measures queueing instead of throughput. Readings go to the
sessions in turn, --burst at a time to each (1: one reading per session per
pass; more: a device sending several in a row, as a ward monitor does, or one
catching up after a dropout). With --per-request K, the API phase posts each
K readings of a burst in one request ({"readings": [...]}, as a device that
batches does; SPEC §8 allows batching); the bare and raw ways still signal one
reading at a time. It stops by itself.

    .venv/bin/python bench/monitoring_ingest.py                   # 2,000 sessions
    .venv/bin/python bench/monitoring_ingest.py --sessions 10000
    .venv/bin/python bench/monitoring_ingest.py --burst 10 --per-request 10
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402
from temporalio import workflow  # noqa: E402

NORMAL = {"respiratory_rate": 16, "spo2": 97, "on_oxygen": False, "systolic_bp": 120,
          "heart_rate": 75, "consciousness": "alert", "temperature_c": 37.0}


# The yardstick before 2026-11-29 signalled this many workflows whatever --sessions said.
FEW_WORKFLOWS = 200
# Signals the yardstick's workflows have taken, and how many of them have run their first task,
# counted by this process's own worker outside replay: one cheap read, as the stored readings
# are one count in the database.
TAKEN = 0
RUNNING = 0


@workflow.defn(name="BenchSignalCounter")
class SignalCounter:
    """The yardstick: takes a signal and counts it (in TAKEN), nothing else."""

    @workflow.signal
    def add(self, _: dict) -> None:
        global TAKEN
        if not workflow.unsafe.is_replaying():
            TAKEN += 1

    @workflow.run
    async def run(self) -> None:
        global RUNNING
        if not workflow.unsafe.is_replaying():
            RUNNING += 1
        await workflow.wait_condition(lambda: False)  # open until the benchmark terminates it


# NEWS2 5 with no single score of 3: a medium alarm, paged to the care team at once.
ALARMING = {**NORMAL, "respiratory_rate": 22, "spo2": 94, "heart_rate": 105, "temperature_c": 38.2}
PROBE_CARE_TEAM = "rrt-wong"  # a demo responder


async def open_probe_sessions(api: httpx.AsyncClient, count: int) -> list[str]:
    body = {"monitoring_type": "continuous_vitals", "expected_interval_s": 3600,
            "location": {"facility_id": "vigil-general", "department": "Ward 5B"},
            "devices": [{"id": "dev-1", "type": "pulse_oximeter"}],
            "care_team": [PROBE_CARE_TEAM]}
    ids = []
    for i in range(count):
        response = await api.post("/sessions", json={**body, "patient_id": f"probe-{i}"})
        response.raise_for_status()
        ids.append(response.json()["id"])
    return ids


async def alarm_probes(api: httpx.AsyncClient, ws_url: str, sessions: list[str],
                       stop: asyncio.Event, every_s: float) -> tuple[list[float], int]:
    """While the flood runs: one alarming reading per probe session, every `every_s`; seconds
    from each POST to the care team's first alarm frame for that session, and how many sent."""
    from websockets.asyncio.client import connect

    from api.auth import mint_token

    seen: dict[str, float] = {}
    posted: dict[str, float] = {}
    url = f"{ws_url}?token={mint_token(PROBE_CARE_TEAM, ['provider'], 3600)}"
    async with connect(url, max_queue=None) as ws:
        async def listen() -> None:
            async for raw in ws:
                frame = json.loads(raw)
                if frame.get("kind") == "alarm":
                    seen.setdefault(frame["payload"].get("subject_id"), time.perf_counter())

        listener = asyncio.create_task(listen())
        for sid in sessions:
            await asyncio.sleep(every_s)
            if stop.is_set():
                break
            taken = datetime.now(timezone.utc) - timedelta(seconds=1)
            posted[sid] = time.perf_counter()
            response = await api.post(f"/sessions/{sid}/readings", json={
                "device_id": "dev-1", "taken_at": taken.isoformat(), "vitals": ALARMING})
            response.raise_for_status()
        deadline = time.monotonic() + 30
        while [sid for sid in posted if sid not in seen] and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        listener.cancel()
    return [seen[sid] - posted[sid] for sid in posted if sid in seen], len(posted)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def cpu_s(pid: int) -> float:
    """User + system CPU seconds a process has used: comparable even on a busy machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stored_count() -> int:
    from sqlalchemy import func
    from sqlmodel import select

    from db.engine import reading
    from db.models import VitalReading

    with reading() as session:
        return session.exec(select(func.count()).select_from(VitalReading)).one()


def started_count() -> int:
    from sqlalchemy import func
    from sqlmodel import select

    from db.engine import reading
    from db.models import AuditEntry

    with reading() as session:
        return session.exec(select(func.count()).select_from(AuditEntry)
                            .where(AuditEntry.action == "monitoring.started")).one()


async def push(count: int, send: Callable[[int], Awaitable[None]],
               done: Callable[[], Awaitable[int]], *, concurrency: int, window: int,
               timeout_s: float) -> float:
    """Seconds to send `count` items and see them all done, never `window` ahead of done."""
    began, sent, finished = time.perf_counter(), 0, await done()
    start_done = finished
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with gate:
            await send(i)

    tasks = []
    for i in range(count):
        while sent - (finished - start_done) >= window:
            await asyncio.sleep(0.02)
            finished = await done()
        tasks.append(asyncio.create_task(one(i)))
        sent += 1
    await asyncio.gather(*tasks)
    deadline = time.monotonic() + timeout_s
    while await done() - start_done < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {await done() - start_done} of {count} processed")
        await asyncio.sleep(0.05)
    return time.perf_counter() - began


def a_reading(i: int) -> dict:
    taken = datetime.now(timezone.utc) - timedelta(seconds=1)
    return {"device_id": "dev-1", "taken_at": taken.isoformat(),
            "vitals": {**NORMAL, "heart_rate": 70 + i % 10}}


async def open_sessions(api: httpx.AsyncClient, count: int, concurrency: int) -> list[str]:
    body = {"monitoring_type": "remote_patient", "expected_interval_s": 3600,
            "location": {"facility_id": "vigil-general", "department": "Home"},
            "devices": [{"id": "dev-1", "type": "pulse_oximeter"}]}
    ids: list[str] = []
    gate = asyncio.Semaphore(concurrency)

    async def start(i: int) -> None:
        async with gate:
            response = await api.post("/sessions", json={**body, "patient_id": f"bench-{i}"})
            response.raise_for_status()
            ids.append(response.json()["id"])

    await asyncio.gather(*(start(i) for i in range(count)))
    return ids


async def bare_rate(client, args: argparse.Namespace,  # type: ignore[no-untyped-def]
                    workflows: int, temporal_pid: int) -> tuple[float, dict]:
    """Signals per second into `workflows` do-nothing workflows, counted by their worker, and the
    CPU per signal of the Temporal server and of this process (the yardstick's client and
    worker both). With as many workflows as there are sessions, each signalled in the sessions'
    pattern (`--burst` in a row), the yardstick keeps as many open for the server and worker as
    Vigil does."""
    from temporalio.worker import UnsandboxedWorkflowRunner, Worker

    queue = f"bench-bare-{uuid.uuid4().hex[:6]}"
    # Unsandboxed: the yardstick measures Temporal, not Python's import machinery.
    async with Worker(client, task_queue=queue, workflows=[SignalCounter],
                      workflow_runner=UnsandboxedWorkflowRunner(),
                      max_cached_workflows=workflows + 100):
        gate = asyncio.Semaphore(args.concurrency)

        async def start(i: int):  # type: ignore[no-untyped-def]
            async with gate:
                return await client.start_workflow(SignalCounter.run, id=f"{queue}-{i}",
                                                   task_queue=queue)

        running_before = RUNNING
        handles = await asyncio.gather(*(start(i) for i in range(workflows)))
        # As the sessions are: every workflow running before the first signal is timed (else the
        # yardstick would be timed while its worker still runs thousands of first tasks).
        while RUNNING - running_before < workflows:
            await asyncio.sleep(0.5)
        await asyncio.sleep(5)

        async def send(i: int) -> None:
            await handles[(i // args.burst) % len(handles)].signal(SignalCounter.add,
                                                                   a_reading(i))

        async def done() -> int:
            return TAKEN

        pids = {"temporal": temporal_pid, "bench_client_and_worker": os.getpid()}
        cpu_before = {k: cpu_s(p) for k, p in pids.items()}
        seconds = await push(args.readings, send, done, concurrency=args.concurrency,
                             window=args.window, timeout_s=args.timeout)
        cpu = {k: round((cpu_s(p) - cpu_before[k]) * 1000 / args.readings, 2)
               for k, p in pids.items()}

        async def end(handle) -> None:  # type: ignore[no-untyped-def]
            async with gate:
                await handle.terminate()

        await asyncio.gather(*(end(h) for h in handles))
    return args.readings / seconds, cpu


async def run(args: argparse.Namespace) -> dict:
    from temporalio.client import Client

    from api.auth import mint_token
    from bench.bench_temporal import demo_stack
    from clinical.vitals import Reading, VitalSigns
    from workflows.monitoring_types import ReadingBatch

    load_start = round(os.getloadavg()[0], 2)  # other work on the machine skews every figure
    # One token opening thousands of sessions is the load being measured, not abuse.
    with demo_stack("bench", env={"VIGIL_RATE_LIMITS_ENABLED": "false"}) as (stack, server):
        assert stack.worker is not None
        await asyncio.sleep(2)
        pids = {"api": stack.apis[0].pid, "worker": stack.worker.pid, "temporal": server.pid}
        memory = {"idle": rss_mb(stack.worker.pid)}
        token = mint_token("bench-coordinator", ["coordinator"], 7200)

        def api() -> httpx.AsyncClient:
            # A fresh pool per phase: uvicorn closes connections idle for 5 s.
            return httpx.AsyncClient(base_url=f"{stack.api_url}/api/v1", timeout=120,
                                     headers={"Authorization": f"Bearer {token}"},
                                     limits=httpx.Limits(max_connections=args.concurrency))

        began = time.perf_counter()
        async with api() as starter:
            sessions = await open_sessions(starter, args.sessions, args.concurrency)
            probes = await open_probe_sessions(starter, args.alarm_probes)
        accepted_per_s = args.sessions / (time.perf_counter() - began)
        while started_count() < args.sessions:  # each session records its own start
            await asyncio.sleep(0.5)
        opened_per_s = args.sessions / (time.perf_counter() - began)
        await asyncio.sleep(5)
        memory["sessions_open"] = rss_mb(stack.worker.pid)

        async def stored() -> int:
            return await asyncio.to_thread(stored_count)

        client = await Client.connect(stack.env["VIGIL_TEMPORAL_ADDRESS"])
        cpu_before = {k: cpu_s(p) for k, p in pids.items()}
        def session_for(i: int) -> str:
            return sessions[(i // args.burst) % len(sessions)]

        raw_s = await push(args.readings, lambda i: client.get_workflow_handle(
            session_for(i)).signal("add_readings", ReadingBatch([Reading(
                "dev-1", datetime.now(timezone.utc) - timedelta(seconds=1),
                VitalSigns(**a_reading(i)["vitals"]))])), stored,
            concurrency=args.concurrency, window=args.window, timeout_s=args.timeout)
        cpu_between = {k: cpu_s(p) for k, p in pids.items()}

        per = args.per_request

        async def stored_requests() -> int:
            return await stored() // per

        async with api() as feeder:
            async def post(j: int) -> None:
                first = j * per  # the request's readings: first .. first + per - 1
                body = (a_reading(first) if per == 1
                        else {"readings": [a_reading(first + n) for n in range(per)]})
                response = await feeder.post(f"/sessions/{session_for(first)}/readings",
                                             json=body)
                response.raise_for_status()

            flooded = asyncio.Event()
            prober = api()  # a device of its own: not queued behind the flood's connections
            probing = asyncio.create_task(alarm_probes(prober, stack.ws_url(), probes, flooded,
                                                       args.alarm_every))
            api_s = await push(args.readings // per, post, stored_requests,
                               concurrency=args.concurrency, window=args.window // per,
                               timeout_s=args.timeout)
            flooded.set()
            alarm_s, alarms_sent = await probing
            await prober.aclose()
        cpu_after = {k: cpu_s(p) for k, p in pids.items()}
        memory["after_readings"] = rss_mb(stack.worker.pid)
        bare, bare_cpu = await bare_rate(client, args, args.sessions, server.pid)
        bare_few, _ = await bare_rate(client, args, FEW_WORKFLOWS, server.pid)

        def ms_per_reading(a: dict, b: dict) -> dict:
            return {k: round((b[k] - a[k]) * 1000 / args.readings, 2) for k in a}

        raw, through_api = args.readings / raw_s, args.readings / api_s
        return {
            "sessions": args.sessions, "readings_per_way": args.readings, "cpus": os.cpu_count(),
            "load_average_1m": {"start": load_start, "end": round(os.getloadavg()[0], 2)},
            "concurrency": args.concurrency, "window": args.window, "burst": args.burst,
            "api_readings_per_request": args.per_request,
            "sessions_started_per_s": {"api_accepted": round(accepted_per_s, 1),
                                       "workflow_recorded": round(opened_per_s, 1)},
            "readings_per_s": {"bare_temporal_signals": round(bare, 1),
                               f"bare_to_{FEW_WORKFLOWS}_workflows": round(bare_few, 1),
                               "raw_signals_scored_and_stored": round(raw, 1),
                               "api_scored_and_stored": round(through_api, 1)},
            "ratio_api_to_raw": round(through_api / raw, 2),
            "ratio_api_to_bare": round(through_api / bare, 2),
            f"ratio_api_to_bare_{FEW_WORKFLOWS}_workflows": round(through_api / bare_few, 2),
            "alarm_paged_during_api_flood": {
                "sent": alarms_sent, "paged": len(alarm_s),
                "p50_ms": round(1000 * sorted(alarm_s)[len(alarm_s) // 2]) if alarm_s else None,
                "max_ms": round(1000 * max(alarm_s)) if alarm_s else None},
            "cpu_ms_per_reading": {"bare": bare_cpu,
                                   "raw": ms_per_reading(cpu_before, cpu_between),
                                   "api": ms_per_reading(cpu_between, cpu_after)},
            "worker_rss_mb": memory,
            "worker_kb_per_open_session": round(
                (memory["sessions_open"] - memory["idle"]) * 1024 / args.sessions, 1),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=2000, help="open sessions (spec: 10000)")
    parser.add_argument("--readings", type=int, default=3000, help="readings sent each way")
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight")
    parser.add_argument("--window", type=int, default=200, help="most readings unprocessed")
    parser.add_argument("--burst", type=int, default=1, help="readings to a session in a row")
    parser.add_argument("--per-request", type=int, default=1,
                        help="readings per API request (a divisor of --burst and --readings)")
    parser.add_argument("--alarm-probes", type=int, default=10,
                        help="sessions that each get one alarming reading during the API flood")
    parser.add_argument("--alarm-every", type=float, default=2.0, help="seconds between them")
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait for the rest")
    args = parser.parse_args()
    if args.burst % args.per_request or args.readings % args.per_request:
        parser.error("--per-request must divide --burst and --readings")
    from bench.bench_temporal import run_on_own_database

    run_on_own_database(run, args)


if __name__ == "__main__":
    main()
