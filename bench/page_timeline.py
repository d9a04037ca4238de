"""Where a page's time goes: one emergency at a time, POST to first WebSocket frame, step by step.

Starts its own Temporal dev server and Vigil stack (SQLite, loopback), connects
the on-call responders as WebSocket clients (bench/emergency_latency.py's seed),
then posts --count critical emergencies one at a time, --gap seconds apart. For
each it reads the workflow's history from Temporal and the page's event row, and
reports the median and worst of each step, all on this machine's one clock:

- post_to_workflow_started: the API's request until Temporal recorded the start;
- to_first_task_started: the server handing the first workflow task to the worker;
- then, where the page is written inside that task (a local activity, since
  workflow.patched "tier-pages-in-task"):
  - in_task_to_page_row_written: the task's start until the page's event row
    was stamped (the decision, and the batch up to that row);
- or, where it is written by an activity (histories recorded before):
  - first_task: that task until the worker completed it;
  - to_page_activity_started: the page batch activity scheduled until the worker ran it;
  - to_page_row_written: the activity until the page's event row was stamped;
- to_frame: that row until its frame reached the responder (commit, the API
  hearing of it, reading it, sending it).

And beside them, a bare Temporal start-to-activity round trip, each taken just
before the emergency. With --tier-timeout S, tier 1 times out after S seconds
and the charge nurse (tier 2) is connected too; then, per emergency:

- timeout_to_tier_2_frame: tier 1's timeout timer firing (in the history) until
  tier 2's first frame reached the charge nurse (the escalation's decision, its
  record, the lookup, the page).

It stops by itself.

    .venv/bin/python bench/page_timeline.py --count 20
    .venv/bin/python bench/page_timeline.py --count 20 --tier-timeout 1
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402

STEPS = ["post_to_workflow_started", "to_first_task_started", "in_task_to_page_row_written",
         "first_task", "to_page_activity_started", "to_page_row_written", "to_frame"]


def page_written_at(emergency_id: str) -> float | None:
    """When the first page event of this emergency was stamped (its row's created_at)."""
    from sqlmodel import col, select

    from db.engine import reading
    from db.models import Event, as_utc

    with reading() as session:
        rows = session.exec(select(Event).where(col(Event.kind) == "page")
                            .order_by(col(Event.id))).all()
        for row in rows:
            if row.payload.get("subject_id") == emergency_id:
                return as_utc(row.created_at).timestamp()  # type: ignore[arg-type]
    return None


async def history_times(client, workflow_id: str) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Server times of the first start, first task and first page batch activity (its start and
    the completion the server recorded)."""
    times: dict[str, float] = {}
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    scheduled_batches: set[int] = set()
    for event in history.events:
        at = event.event_time.ToDatetime().timestamp()
        kind = event.WhichOneof("attributes")
        if kind == "marker_recorded_event_attributes":
            marker = event.marker_recorded_event_attributes
            if marker.marker_name == "core_local_activity" and json.loads(
                    marker.details["data"].payloads[0].data)["activity_type"] == "deliver_batch":
                # The page went in the first task: it ended when that task completed.
                times.setdefault("in_task_batch_completed", at)
        if kind == "workflow_execution_started_event_attributes":
            times.setdefault("started", at)
        elif kind == "timer_fired_event_attributes":
            times.setdefault("timer_fired", at)
        elif kind == "workflow_task_started_event_attributes":
            times.setdefault("task_started", at)
        elif kind == "workflow_task_completed_event_attributes":
            times.setdefault("task_completed", at)
        elif kind == "activity_task_scheduled_event_attributes":
            if event.activity_task_scheduled_event_attributes.activity_type.name == "deliver_batch":
                scheduled_batches.add(event.event_id)
                times.setdefault("batch_scheduled", at)
        elif kind == "activity_task_started_event_attributes":
            if event.activity_task_started_event_attributes.scheduled_event_id in scheduled_batches:
                times.setdefault("batch_started", at)
        elif kind == "activity_task_completed_event_attributes":
            if event.activity_task_completed_event_attributes.scheduled_event_id in scheduled_batches:
                times.setdefault("batch_completed", at)
    return times


def history_complete(times: dict[str, float]) -> bool:
    """Whether the page's steps can be read: an activity's start is written into history
    only when it ends."""
    return "in_task_batch_completed" in times or "batch_started" in times


def page_steps(times: dict[str, float], posted_wall: float, written: float,
               framed: float) -> dict[str, float]:
    """Each step of STEPS the page went through (seconds), in order; see the module's doc."""
    if "in_task_batch_completed" in times:
        marks = {"post_to_workflow_started": times["started"],
                 "to_first_task_started": times["task_started"],
                 "in_task_to_page_row_written": written, "to_frame": framed}
    else:  # (the batch's scheduling is in the first task's completion: no step of its own)
        marks = {"post_to_workflow_started": times["started"],
                 "to_first_task_started": times["task_started"],
                 "first_task": times["task_completed"],
                 "to_page_activity_started": times["batch_started"],
                 "to_page_row_written": written, "to_frame": framed}
    steps, before = {}, posted_wall
    for name, at in marks.items():
        steps[name], before = at - before, at
    return steps


async def run(args: argparse.Namespace) -> dict:
    from temporalio.client import Client

    from api.auth import mint_token
    from bench.bare_temporal import bare_round_trips
    from bench.bench_temporal import fresh_temporal
    from bench.emergency_latency import Clients, seed
    from cli.stack import Stack
    from db.migrate import upgrade

    data, port, server = fresh_temporal()
    stack = None
    try:
        upgrade()
        seed(args.responders, 0, args.tier_timeout or 600)
        temporal = await Client.connect(f"127.0.0.1:{port}")
        stack = Stack(database_url=os.environ["VIGIL_DATABASE_URL"],
                      temporal_address=f"127.0.0.1:{port}", logs=data, name="bench").start()
        clients = Clients(stack.ws_url(), [f"r-{i}" for i in range(args.responders)])
        clients.start()
        await asyncio.wait_for(clients.ready.wait(), 60)
        charge = Clients(stack.ws_url(), ["charge"]) if args.tier_timeout else None
        if charge:
            charge.start()
            await asyncio.wait_for(charge.ready.wait(), 60)
        to_tier_2: list[float] = []
        token = mint_token("bench-admin", ["admin"], 3600)
        steps: dict[str, list[float]] = {name: [] for name in STEPS}
        totals, bare = [], []
        async with httpx.AsyncClient(base_url=f"{stack.api_url}/api/v1", timeout=30,
                                     headers={"Authorization": f"Bearer {token}"}) as api:
            for i in range(args.count + args.warmup):
                await asyncio.sleep(args.gap)
                bare_s = (await bare_round_trips(temporal, rate=1, count=1))[0]
                await asyncio.sleep(args.gap)
                body = {"idempotency_key": f"timeline-{i}-{time.time_ns()}", "type": "cardiac_arrest",
                        "severity": "critical", "patient_id": f"p-{i}",
                        "location": {"facility_id": "bench", "department": "ED",
                                     "latitude": 3.0, "longitude": 101.0}}
                posted_wall, posted = time.time(), time.perf_counter()
                response = await api.post("/emergencies", json=body)
                response.raise_for_status()
                eid = response.json()["id"]
                while eid not in clients.first_frame:
                    await asyncio.sleep(0.005)
                framed = clients.first_frame[eid] - posted + posted_wall
                if i < args.warmup:
                    continue
                # The server writes an activity's start into history when the activity ends
                # (with the time it started), so wait for the batch to finish.
                times = await history_times(temporal, eid)
                while not history_complete(times):
                    await asyncio.sleep(0.1)
                    times = await history_times(temporal, eid)
                written = await asyncio.to_thread(page_written_at, eid)
                for name, took in page_steps(times, posted_wall, written, framed).items():
                    steps[name].append(took)
                if charge:
                    async with asyncio.timeout(args.tier_timeout + 30):
                        while eid not in charge.first_frame:
                            await asyncio.sleep(0.005)
                        while "timer_fired" not in times:
                            await asyncio.sleep(0.1)
                            times = await history_times(temporal, eid)
                    tier_2_framed = charge.first_frame[eid] - posted + posted_wall
                    to_tier_2.append(tier_2_framed - times["timer_fired"])
                totals.append(framed - posted_wall)
                bare.append(bare_s)
        clients.stop()
        if charge:
            charge.stop()

        def ms(values: list[float]) -> dict[str, float]:
            return {"p50_ms": round(1000 * statistics.median(values), 1),
                    "max_ms": round(1000 * max(values), 1)}

        return {
            "emergencies": len(totals), "load_average_1m_at_end": round(os.getloadavg()[0], 2),
            "bare_temporal_start_to_activity": ms(bare),
            "post_to_frame": ms(totals),
            "steps": {name: ms(values) for name, values in steps.items() if values},
            "steps_p50_sum_ms": round(sum(1000 * statistics.median(v)
                                          for v in steps.values() if v), 1),
            **({"timeout_to_tier_2_frame": ms(to_tier_2)} if to_tier_2 else {}),
        }
    finally:
        if stack:
            stack.stop()
        server.terminate()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=20, help="emergencies timed")
    parser.add_argument("--warmup", type=int, default=3, help="emergencies posted first, untimed")
    parser.add_argument("--responders", type=int, default=5)
    parser.add_argument("--gap", type=float, default=0.5, help="seconds of quiet between steps")
    parser.add_argument("--tier-timeout", type=float, default=None,
                        help="seconds before tier 1 times out; also times tier 2's page")
    args = parser.parse_args()
    from bench.bench_temporal import run_on_own_database

    run_on_own_database(run, args)


if __name__ == "__main__":
    main()
