"""What writing one page costs the worker: `deliver_batch` on our own channels, in process.

A critical tier's page is two batches (bench/emergency_latency.py's policy): the
WebSocket batch to --people responders, and the provider batch (push and SMS,
which land in the outbox when no provider is configured, as in the benchmarks).
Each message is an attempt row, its page (an event or an outbox row), an audit
entry and a live event. This runs --pages such pages through the real
`DeliveryActivities` on a fresh SQLite database in a temporary directory and
reports the CPU and wall time per page. The yardstick, measured in the same run: one transaction
writing the same number of rows to the same tables with SQLAlchemy Core's
executemany, the floor any ORM bookkeeping sits on. No Temporal, no network.

    .venv/bin/python bench/page_write_cost.py --pages 300
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from itertools import count
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

CHANNEL_BATCHES = [["websocket"], ["push", "sms"]]
_FLOOR_SEQ = count(-1, -1)  # the floor's audit rows stay below the real chain's


def requests_for(people: int, channels: list[str], subject: str) -> list:
    from activities.delivery_types import DeliveryRequest

    return [DeliveryRequest(attempt_id=f"{subject}/t0/r-{i}/{channel}", subject_id=subject,
                            recipient_id=f"r-{i}", channel=channel, kind="emergency",
                            content={"severity": "critical", "short_code": "B001",
                                     "location": {"facility": "bench"}})
            for channel in channels for i in range(people)]


def timed(work) -> tuple[float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    work()
    return time.process_time() - cpu, time.perf_counter() - wall


def core_floor(rows_per_table: int) -> None:
    """The same rows, written with Core executemany in one transaction (no audit chain)."""
    from sqlalchemy import insert

    from db.engine import writing
    from db.models import AuditEntry, DeliveryAttempt, Event, OutboxMessage, utcnow

    tag = uuid.uuid4().hex
    now = utcnow()
    with writing() as session:
        session.execute(insert(DeliveryAttempt.__table__), [  # type: ignore[attr-defined]
            {"id": f"floor/{tag}/{i}", "subject_id": tag, "recipient_id": "r-0",
             "channel": "sms", "kind": "emergency", "tier": 0, "round": 0, "tries": 1,
             "outcome": "sent", "created_at": now} for i in range(rows_per_table)])
        session.execute(insert(Event.__table__), [  # type: ignore[attr-defined]
            {"topic": f"floor:{tag}", "kind": "delivery", "payload": {"n": i}, "created_at": now}
            for i in range(2 * rows_per_table)])
        session.execute(insert(OutboxMessage.__table__), [  # type: ignore[attr-defined]
            {"attempt_id": f"floor/{tag}/{i}", "channel": "sms", "recipient_id": "r-0",
             "address": "+6011", "text": "bench", "created_at": now}
            for i in range(rows_per_table)])
        session.execute(insert(AuditEntry.__table__), [  # type: ignore[attr-defined]
            {"seq": next(_FLOOR_SEQ), "at": now.isoformat(),
             "actor": "bench", "action": "floor", "subject": tag, "detail": {}, "prev_hash": "",
             "hash": "", "mac": None} for i in range(rows_per_table)])


def summary(values: list[float]) -> dict[str, float]:
    ms = sorted(v * 1000 for v in values)
    return {"p50_ms": round(statistics.median(ms), 2), "mean_ms": round(statistics.fmean(ms), 2),
            "max_ms": round(ms[-1], 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--people", type=int, default=5)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="vigil-page-write-"))
    os.environ["VIGIL_DATABASE_URL"] = f"sqlite:///{workdir / 'vigil.db'}"

    from activities.delivery import DeliveryActivities
    from bench.emergency_latency import seed
    from channels.registry import build_channels
    from db.migrate import upgrade
    from settings import get_settings

    upgrade()
    seed(args.people, 0, 5.0)
    activities = DeliveryActivities(build_channels(get_settings()))
    messages = args.people * sum(len(c) for c in CHANNEL_BATCHES)

    def page() -> None:
        subject = f"bench-{uuid.uuid4().hex[:12]}"
        for channels in CHANNEL_BATCHES:
            results = activities._deliver_all(requests_for(args.people, channels, subject))
            assert all(r.outcome in ("sent", "delivered") for r in results), results

    for _ in range(10):  # warm up: imports, statement caches, the audit key
        page()
        core_floor(messages)
    page_cpu, page_wall, floor_cpu, floor_wall = [], [], [], []
    for _ in range(args.pages):  # interleaved, so both see the same machine
        cpu, wall = timed(page)
        page_cpu.append(cpu)
        page_wall.append(wall)
        cpu, wall = timed(lambda: core_floor(messages))
        floor_cpu.append(cpu)
        floor_wall.append(wall)
    print(json.dumps({
        "pages": args.pages, "messages_per_page": messages,
        "page_cpu": summary(page_cpu), "page_wall": summary(page_wall),
        "core_floor_cpu": summary(floor_cpu), "core_floor_wall": summary(floor_wall),
        "ratio_cpu_p50": round(statistics.median(page_cpu) / statistics.median(floor_cpu), 2),
        "ratio_wall_p50": round(statistics.median(page_wall) / statistics.median(floor_wall), 2),
    }, indent=2))


if __name__ == "__main__":
    main()
