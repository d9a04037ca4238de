"""Medication schedules at scale: memory and start time of --schedules open schedules on one
worker, and emergency latency while --burst reminders fall due in the same minute.

Starts its own Temporal dev server and Vigil stack (one worker and one API
process, SQLite) on loopback. In one run:

1. The yardstick: --bare bare workflows (one activity, then open) started
   --concurrency at a time, until each one's activity has run.
2. --schedules schedules, one patient each, started with the Temporal client
   (bench/medication_fleet.py says why not the API) at the same concurrency,
   until each has recorded its start: seconds per start against the bare one,
   and the worker's and Temporal server's memory (RSS from /proc) before and
   after, per open schedule. --burst of them have their one daily dose in the
   same minute T, the rest six hours later.
3. Emergencies posted at --rate/s for --seconds with no reminder due
   (baseline), then again from T on while the --burst reminders are sent
   (real reminders: the routine queue, `deliver`, a WebSocket event and the
   outbox per channel), then once more after they are all sent. POST → first
   WebSocket frame p99 during the burst against the baseline, and how long the
   burst took to deliver.

It stops by itself.

    .venv/bin/python bench/medication_load.py --schedules 500 --burst 250    # quick look
    .venv/bin/python bench/medication_load.py                                # 10,000 / 5,000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def latency(values: list[float], missing: int) -> dict:
    from bench.emergency_latency import summary

    return {**(summary(values) if values else {"n": 0}), "no_frame": missing}


async def run(args: argparse.Namespace) -> dict:
    from temporalio.client import Client

    from bench.bare_start import bare_start_seconds
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
    from bench.monitoring_ingest import cpu_s, rss_mb
    from cli.stack import Stack
    from db.migrate import upgrade

    load_start = round(os.getloadavg()[0], 2)  # other work on the machine skews every figure
    data, port, server = fresh_temporal()
    stack = probe = None
    try:
        upgrade()
        seed(args.responders, args.clients - args.responders, 600)  # no escalation in the run
        seed_patients(args.schedules)
        stack = Stack(database_url=os.environ["VIGIL_DATABASE_URL"],
                      temporal_address=f"127.0.0.1:{port}", logs=data, name="medload",
                      env={"VIGIL_RATE_LIMITS_ENABLED": "false"}).start()
        assert stack.worker is not None
        queue = stack.env["VIGIL_ROUTINE_TASK_QUEUE"]
        client = await Client.connect(f"127.0.0.1:{port}")
        pids = {"api": stack.apis[0].pid, "worker": stack.worker.pid, "temporal": server.pid}
        await asyncio.sleep(3)

        bare_s = await bare_start_seconds(client, count=args.bare, concurrency=args.concurrency)
        await asyncio.sleep(3)
        memory = {"before": {"worker": rss_mb(stack.worker.pid), "temporal": rss_mb(server.pid)}}

        # The quiet ones first: their rate tells how far ahead the burst's minute must be.
        channels = args.channels.split(",")
        quiet_due = next_minute_after(6 * 3600)
        quiet = [schedule_input(i, quiet_due, channels, spread_s=args.spread_s) for i in range(args.burst, args.schedules)]
        began = time.perf_counter()
        accept_s = await start_schedules(client, queue, quiet, args.concurrency)
        await wait_for(recorded_schedules, len(quiet), args.timeout)
        quiet_s = time.perf_counter() - began
        per_start = quiet_s / max(1, len(quiet))
        burst_at = next_minute_after(args.burst * per_start * 1.5 + args.seconds + 30)
        burst = [schedule_input(i, burst_at, channels, spread_s=args.spread_s) for i in range(args.burst)]
        began = time.perf_counter()
        accept_s += await start_schedules(client, queue, burst, args.concurrency)
        await wait_for(recorded_schedules, args.schedules, args.timeout)
        start_s = quiet_s + time.perf_counter() - began
        await asyncio.sleep(5)
        memory["open"] = {"worker": rss_mb(stack.worker.pid), "temporal": rss_mb(server.pid)}

        probe = EmergencyProbe(stack, clients=args.clients, responders=args.responders)
        await probe.connect()
        before_burst = (burst_at - datetime.now(timezone.utc)).total_seconds() - 5
        baseline_s = min(args.seconds, before_burst - 3)
        if baseline_s < args.seconds / 2:
            raise RuntimeError(f"only {before_burst:.0f} s left before the burst for the baseline")
        cpu0 = {k: cpu_s(p) for k, p in pids.items()}
        base, base_missing = await probe.phase(rate=args.rate, seconds=baseline_s)
        cpu1 = {k: cpu_s(p) for k, p in pids.items()}
        await asyncio.sleep(max(0.0, (burst_at - datetime.now(timezone.utc)).total_seconds() - 1))
        cpu2 = {k: cpu_s(p) for k, p in pids.items()}
        during, during_missing = await probe.phase(rate=args.rate, seconds=args.seconds)
        cpu3 = {k: cpu_s(p) for k, p in pids.items()}
        sent_in_phase = (await asyncio.to_thread(reminders_sent))[0] // len(channels)
        await wait_for(reminders_sent, args.burst * len(channels), args.timeout)
        count, last = await asyncio.to_thread(reminders_sent)
        after, after_missing = await probe.phase(rate=args.rate, seconds=baseline_s)

        def cpu(a: dict, b: dict, seconds: float) -> dict:
            return {k: round(100 * (b[k] - a[k]) / seconds, 1) for k in a}

        b, d = latency(base, base_missing), latency(during, during_missing)
        workers_mb = memory["open"]["worker"] - memory["before"]["worker"]
        server_mb = memory["open"]["temporal"] - memory["before"]["temporal"]
        return {
            "cpus": os.cpu_count(),
            "load_average_1m": {"start": load_start, "end": round(os.getloadavg()[0], 2)},
            "schedules": args.schedules, "concurrency": args.concurrency,
            "start": {
                "bare_workflows": args.bare,
                "bare_ms_per_start": round(1000 * bare_s / args.bare, 2),
                "schedule_ms_per_start": round(1000 * start_s / args.schedules, 2),
                "schedule_ms_per_start_accepted_by_temporal": round(
                    1000 * accept_s / args.schedules, 2),
                "ratio_schedule_to_bare": ratio(start_s / args.schedules, bare_s / args.bare),
            },
            "memory_mb": memory,
            "kb_per_open_schedule": {"worker": round(workers_mb * 1024 / args.schedules, 1),
                                     "temporal": round(server_mb * 1024 / args.schedules, 1)},
            "burst": {
                "reminders": args.burst, "channels": channels, "due_at": burst_at.isoformat(),
                "spread_s": args.spread_s,
                "sent_while_emergencies_posted": sent_in_phase,
                "all_sent_s_after_due": round((last.replace(tzinfo=timezone.utc)
                                               - burst_at).total_seconds(), 1) if last else None,
                "reminder_deliveries_sent": count,
            },
            "emergency_rate_per_s": args.rate,
            "post_to_frame": {"baseline": b, "during_burst": d,
                              "after_burst": latency(after, after_missing)},
            "client_sockets_lost": probe.lost,
            "ratio_p99_burst_to_baseline": ratio(d.get("p99_ms", 0), b.get("p99_ms", 0)),
            "ratio_p50_burst_to_baseline": ratio(d.get("p50_ms", 0), b.get("p50_ms", 0)),
            "percent_of_a_core": {"baseline": cpu(cpu0, cpu1, baseline_s),
                                  "during_burst": cpu(cpu2, cpu3, args.seconds)},
        }
    finally:
        if probe:
            await probe.close()
        if stack:
            stack.stop()
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schedules", type=int, default=10_000, help="open schedules")
    parser.add_argument("--burst", type=int, default=5_000, help="of them due in the same minute")
    parser.add_argument("--channels", default="websocket,push",
                        help="reminder channels, comma-separated (push and sms: the local outbox)")
    parser.add_argument("--bare", type=int, default=1000, help="bare workflows for the yardstick")
    parser.add_argument("--concurrency", type=int, default=32, help="starts in flight")
    parser.add_argument("--clients", type=int, default=100, help="staff WebSocket clients")
    parser.add_argument("--spread-s", type=float, default=60.0,
                        help="reminders spread over this many seconds (VIGIL_REMINDER_SPREAD_S); 0: all at once")
    parser.add_argument("--responders", type=int, default=5)
    parser.add_argument("--rate", type=float, default=1.0, help="emergencies per second")
    parser.add_argument("--seconds", type=float, default=40.0, help="per emergency phase")
    parser.add_argument("--timeout", type=float, default=1800, help="most seconds per wait")
    args = parser.parse_args()
    if not 0 < args.burst <= args.schedules:
        parser.error("--burst must be between 1 and --schedules")
    from bench.bench_temporal import run_on_own_database

    run_on_own_database(run, args)


if __name__ == "__main__":
    main()
