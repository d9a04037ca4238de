"""Priority under routine floods: emergency POST → first WebSocket frame with and without a flood
of routine work (monitoring readings as fast as the API takes them, and medication reminders).

Starts its own Temporal dev server and Vigil stack (one worker and one API
process, SQLite; with --split-worker and --ingest-api, the processes of vigil up)
on loopback, opens --sessions monitoring sessions through the
API and starts --reminders medication schedules whose one dose falls due in
the same minute T (bench/medication_fleet.py). Then, in one run:

1. baseline: emergencies at --rate/s for --seconds, nothing else happening;
2. flood: from a few seconds before T, --concurrency readings in flight
   through POST /sessions/{id}/readings (to the ingest API when there is one) for --seconds, while the reminders
   fall due, and emergencies at the same rate;
3. once the flood has drained (every reading stored, every reminder sent),
   the baseline again, so a drift of the shared machine shows.

For the flood's emergencies it also reports where the time went, step by step
(`flood_steps`, bench/page_timeline.py's steps: the API's request until
Temporal recorded the start, the first workflow task, the page's event row
written in that task or by the page batch activity, and the frame), from each
workflow's history and the page's row; and from that row, how long until the
server recorded the batch's completion (the worker's share of the last leg,
against the API's).

SPEC §8 and issue 13: the flood moves emergency p99 by at most 10 %. It stops
by itself.

    .venv/bin/python bench/priority_flood.py
    .venv/bin/python bench/priority_flood.py --worker-env VIGIL_ROUTINE_ACTIVITY_SLOTS=64
    .venv/bin/python bench/priority_flood.py --split-worker   # emergencies in a process of their own
    .venv/bin/python bench/priority_flood.py --split-worker --ingest-api   # the shape of vigil up
    .venv/bin/python bench/priority_flood.py --sessions 0 --reminders 5000 --seconds 60 \
        --clients 20 --split-worker   # SPEC §8's burst alone: 5,000 reminders in one minute
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402


def seed_facility() -> None:
    """The facility bench/monitoring_ingest.py's sessions are opened at."""
    from db.engine import writing
    from db.models import Facility

    with writing() as session:
        session.add(Facility(id="vigil-general", name="Vigil General", latitude=3.0,
                             longitude=101.0))


async def run(args: argparse.Namespace) -> dict:
    from temporalio.client import Client

    from api.auth import mint_token
    from bench.bench_temporal import fresh_temporal
    from bench.emergency_latency import seed
    from bench.emergency_probe import EmergencyProbe, ratio
    from bench.medication_fleet import (
        next_minute_after,
        recorded_schedules,
        reminders_sent,
        schedule_input,
        seed_patients,
        start_schedules,
        wait_for,
    )
    from bench.monitoring_ingest import cpu_s, open_sessions, stored_count
    from bench.sampling import Sampler
    from cli.stack import EMERGENCY_APART, Stack
    from db.migrate import upgrade

    load_start = round(os.getloadavg()[0], 2)  # other work on the machine skews every figure
    data, port, server = fresh_temporal()
    stack = probe = None
    worker_env = dict(item.split("=", 1) for item in args.worker_env)
    try:
        upgrade()
        seed(args.responders, args.clients - args.responders, 600)  # no escalation in the run
        seed_facility()
        seed_patients(args.reminders)
        stack = Stack(database_url=os.environ["VIGIL_DATABASE_URL"],
                      temporal_address=f"127.0.0.1:{port}", logs=data, name="flood",
                      env={"VIGIL_RATE_LIMITS_ENABLED": "false", **worker_env},
                      worker_queues=EMERGENCY_APART if args.split_worker else None,
                      ingest_port=0 if args.ingest_api else None).start()
        pids = {"api": stack.apis[0].pid, "temporal": server.pid}
        if stack.ingest_index is not None:
            pids["ingest_api"] = stack.apis[stack.ingest_index].pid
        for queues, process in zip(stack.worker_queues or ["all"], stack.workers):
            # the routine worker keeps the name "worker"; the emergency one is named apart
            pids["emergency_worker" if queues == "emergency" else "worker"] = process.pid
        niceness = {name: int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])
                    for name, pid in pids.items() if name != "temporal"}
        token = mint_token("bench-coordinator", ["coordinator"], 7200)

        def api() -> httpx.AsyncClient:
            return httpx.AsyncClient(base_url=f"{stack.api_url}/api/v1", timeout=120,
                                     headers={"Authorization": f"Bearer {token}"},
                                     limits=httpx.Limits(max_connections=args.concurrency))

        async with api() as opener:
            sessions = await open_sessions(opener, args.sessions, 16)
        client = await Client.connect(f"127.0.0.1:{port}")
        due = next_minute_after(args.reminders * 0.1 + args.seconds + 30)
        inputs = [schedule_input(i, due, args.channels.split(","), spread_s=args.spread_s) for i in range(args.reminders)]
        await start_schedules(client, stack.env["VIGIL_ROUTINE_TASK_QUEUE"], inputs, 32)
        await wait_for(recorded_schedules, args.reminders, args.timeout)
        stored_before = await asyncio.to_thread(stored_count)

        probe = EmergencyProbe(stack, clients=args.clients, responders=args.responders)
        await probe.connect()
        lead = 5.0  # the flood starts this long before the reminders fall due
        left = (due - datetime.now(timezone.utc)).total_seconds() - lead - 3
        baseline_s = min(args.seconds, left)
        if baseline_s < args.seconds / 2:
            raise RuntimeError(f"only {left:.0f} s left before the reminders for the baseline")
        before, before_missing = await probe.phase(rate=args.rate, seconds=baseline_s)
        await asyncio.sleep(max(0.0, (due - datetime.now(timezone.utc)).total_seconds() - lead))

        feeder = None  # --sessions 0: the reminders alone, SPEC §8's burst
        if sessions:
            feeder = await asyncio.create_subprocess_exec(
                sys.executable, str(Path(__file__).with_name("reading_feeder.py")),
                "--base", f"{stack.ingest_url}/api/v1", "--token", token,
                "--concurrency", str(args.concurrency), "--nice", str(args.feeder_nice),
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
            assert feeder.stdin
            feeder.stdin.write("\n".join(sessions).encode())
            feeder.stdin.close()
            pids["feeder"] = feeder.pid
        pids["benchmark"] = os.getpid()
        # from the flood until every reminder is sent (py-spy costs a share of a core)
        sampler = Sampler(pids["worker"], args.profile_routine_worker).start()
        cpu0 = {k: cpu_s(p) for k, p in pids.items()}
        began = time.perf_counter()
        during, during_missing = await probe.phase(rate=args.rate, seconds=args.seconds,
                                                   wait_s=0)
        flood_s = time.perf_counter() - began
        cpu1 = {k: cpu_s(p) for k, p in pids.items()}
        accepted = 0
        if feeder:
            feeder.terminate()  # it finishes the readings in flight and says how many it sent
            accepted = json.loads((await feeder.communicate())[0])["accepted"]
        stored_in_flood = await asyncio.to_thread(stored_count) - stored_before
        sent_in_flood = (await asyncio.to_thread(reminders_sent))[0]
        # The frames still on their way after the flood stopped count for the flood.
        deadline = time.monotonic() + 90
        while (any(e not in probe.first_frame for e in probe.last_posted)
               and time.monotonic() < deadline):
            await asyncio.sleep(0.1)
        flooded = probe.last_posted  # (the next phase replaces it)
        during = [probe.first_frame[e] - t for e, t in flooded.items() if e in probe.first_frame]
        during_missing = len(flooded) - len(during)
        drain_began = time.perf_counter()
        await wait_for(lambda: stored_count() - stored_before, accepted, args.timeout)
        await wait_for(reminders_sent, args.reminders * len(args.channels.split(",")),
                       args.timeout)
        drain_s = time.perf_counter() - drain_began
        sampler.stop()
        after, after_missing = await probe.phase(rate=args.rate, seconds=baseline_s)

        from bench.emergency_latency import summary

        def latency(values: list[float], missing: int) -> dict:
            return {**(summary(values) if values else {"n": 0}), "no_frame": missing}

        flood_steps = await steps(client, probe, flooded)
        base = latency(before + after, before_missing + after_missing)
        flood = latency(during, during_missing)
        return {
            "cpus": os.cpu_count(),
            "load_average_1m": {"start": load_start, "end": round(os.getloadavg()[0], 2)},
            "worker_env": worker_env, "split_worker": args.split_worker,
            "ingest_api": args.ingest_api, "niceness": niceness,
            "feeder_niceness": args.feeder_nice, "emergency_rate_per_s": args.rate,
            "flood": {
                "seconds": round(flood_s, 1), "sessions": args.sessions,
                "readings_in_flight": args.concurrency,
                "readings_accepted_per_s": round(accepted / flood_s, 1),
                "readings_stored_per_s_during": round(stored_in_flood / flood_s, 1),
                "reminders": args.reminders, "reminders_due_at": due.isoformat(),
                "reminder_deliveries_sent_during": sent_in_flood,
                "drained_s_after": round(drain_s, 1),
                "percent_of_a_core": {k: round(100 * (cpu1[k] - cpu0[k]) / flood_s, 1)
                                      for k in pids},
            },
            "post_to_frame": {"baseline_before": latency(before, before_missing),
                              "baseline_after": latency(after, after_missing),
                              "baseline": base, "flood": flood},
            "flood_steps": flood_steps,
            "client_sockets_lost": probe.lost,
            "ratio_p99_flood_to_baseline": ratio(flood.get("p99_ms", 0), base.get("p99_ms", 0)),
            "ratio_p50_flood_to_baseline": ratio(flood.get("p50_ms", 0), base.get("p50_ms", 0)),
        }
    finally:
        if probe:
            await probe.close()
        if stack:
            stack.stop()
        server.terminate()
        server.wait(timeout=30)


async def steps(client, probe, posted: dict[str, float]) -> dict:  # type: ignore[no-untyped-def]
    """Where the flood's emergencies spent their time, step by step (bench/page_timeline.py's
    steps, from each workflow's history and the page's event row). Beside them, from the page
    row's stamp: until the server recorded the batch's completion (the rest of the batch, its
    commit and its answer to the server) and until the frame (the commit and the API hearing of
    it), to tell the worker's share of the last leg from the API's."""
    from bench.emergency_latency import summary
    from bench.page_timeline import (
        STEPS,
        history_complete,
        history_times,
        page_steps,
        page_written_at,
    )

    found: dict[str, list[float]] = {name: [] for name in
                                     STEPS + ["page_row_to_batch_completed"]}
    for emergency_id, began in posted.items():
        if emergency_id not in probe.first_frame:
            continue
        times = await history_times(client, emergency_id)
        for _ in range(50):
            if history_complete(times):
                break
            await asyncio.sleep(0.1)
            times = await history_times(client, emergency_id)
        else:
            continue
        written = await asyncio.to_thread(page_written_at, emergency_id)
        if written is None:
            continue
        wall = probe.posted_wall[emergency_id]
        framed = probe.first_frame[emergency_id] - began + wall
        completed = times.get("in_task_batch_completed", times.get("batch_completed"))
        if completed is not None:
            found["page_row_to_batch_completed"].append(completed - written)
        for name, took in page_steps(times, wall, written, framed).items():
            found[name].append(took)
    return {name: summary(values) for name, values in found.items() if values}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=200,
                        help="monitoring sessions (0: no readings, the reminders alone)")
    parser.add_argument("--concurrency", type=int, default=32, help="readings in flight")
    parser.add_argument("--reminders", type=int, default=1000, help="reminders due at once")
    parser.add_argument("--channels", default="websocket,push", help="reminder channels")
    parser.add_argument("--clients", type=int, default=100, help="staff WebSocket clients")
    parser.add_argument("--spread-s", type=float, default=60.0,
                        help="reminders spread over this many seconds (VIGIL_REMINDER_SPREAD_S); 0: all at once")
    parser.add_argument("--responders", type=int, default=5)
    parser.add_argument("--rate", type=float, default=1.0, help="emergencies per second")
    parser.add_argument("--seconds", type=float, default=40.0, help="per phase")
    parser.add_argument("--timeout", type=float, default=1200, help="most seconds per wait")
    parser.add_argument("--split-worker", action="store_true",
                        help="a second worker process for the emergency queue alone")
    parser.add_argument("--feeder-nice", type=int, default=0,
                        help="niceness of the process sending the readings (bench/reading_feeder.py)")
    parser.add_argument("--ingest-api", action="store_true",
                        help="readings posted to an ingest API, niced, as vigil up runs it")
    parser.add_argument("--profile-routine-worker", metavar="PATH",
                        help="sample the routine worker with py-spy from the flood until the "
                             "reminders are sent (summarise with bench/profile_summary.py)")
    parser.add_argument("--worker-env", action="append", default=[], metavar="NAME=VALUE",
                        help="an environment variable for the stack (compare settings)")
    args = parser.parse_args()
    from bench.bench_temporal import run_on_own_database

    run_on_own_database(run, args)


if __name__ == "__main__":
    main()
