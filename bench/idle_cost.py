"""What an idle Vigil costs: CPU of each process over a quiet minute, read from /proc.

Starts its own Temporal dev server, worker and API on a temporary SQLite
database with the demo data, waits for them to settle, then reads each
process's user+system CPU time at the start and the end of the window. SPEC §8:
an idle Vigil process uses under 1 % of a core. With --endpoints N, N enabled
webhook endpoints are created through the API first (their delivery workflows
then sit idle, each waiting for a wake or its poll). Loopback only; stops by
itself.

    .venv/bin/python bench/idle_cost.py --seconds 60
    .venv/bin/python bench/idle_cost.py --seconds 30 --endpoints 10
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of one process so far (fields 14 and 15 of /proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def create_endpoints(api_url: str, count: int) -> None:
    """`count` enabled endpoints, through the API as an admin would (each starts its workflow).
    Nothing is ever sent to their address: no event is written while the bench runs."""
    from api.auth import mint_token

    headers = {"Authorization": f"Bearer {mint_token('admin-raj', ['admin'])}"}
    with httpx.Client(base_url=f"{api_url}/api/v1", headers=headers, timeout=30) as admin:
        for _ in range(count):
            admin.post("/webhook-endpoints", json={
                "url": "http://127.0.0.1:9/hooks",
                "event_types": ["emergency.created"]}).raise_for_status()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--settle", type=float, default=10.0)
    parser.add_argument("--endpoints", type=int, default=0,
                        help="enabled webhook endpoints, idle, during the window")
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="vigil-idle-"))
    os.environ.setdefault("VIGIL_DEV_MODE", "1")  # the bench runs on the development secret
    os.environ.setdefault("VIGIL_DATABASE_URL", f"sqlite:///{data / 'vigil.db'}")

    from bench.bench_temporal import demo_stack

    with demo_stack("idle") as (stack, server):
        assert stack.worker is not None
        processes = {"api": stack.apis[0].pid, "worker": stack.worker.pid, "temporal": server.pid}
        create_endpoints(stack.api_url, args.endpoints)
        time.sleep(args.settle)
        before = {name: cpu_seconds(pid) for name, pid in processes.items()}
        started = time.monotonic()
        time.sleep(args.seconds)
        elapsed = time.monotonic() - started
        used = {name: cpu_seconds(pid) - before[name] for name, pid in processes.items()}
        print(json.dumps({
            "window_s": round(elapsed, 1), "endpoints": args.endpoints,
            "load_average_1m": round(os.getloadavg()[0], 2),
            "percent_of_a_core": {name: round(100 * s / elapsed, 2) for name, s in used.items()},
            "cpu_s": {name: round(s, 2) for name, s in used.items()},
        }, indent=2))


if __name__ == "__main__":
    main()
