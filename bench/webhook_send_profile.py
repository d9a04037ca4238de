"""Where a webhook delivery's time goes, without Temporal: the outbox write and the send.

Makes a fresh SQLite database and one loopback receiver, writes --events
events to the outbox for --endpoints endpoints (activities/webhook_events.queue,
as the record activities write them), then sends one endpoint's events with the
batch activity (`send_batch`, in an activity environment, on this thread),
each under pyinstrument. Prints the cost per event of each (wall time, and the
sending thread's own CPU time: the receiver answers on threads of its own) and
both profiles.

    .venv/bin/python bench/webhook_send_profile.py                 # 500 events, 10 endpoints
    .venv/bin/python bench/webhook_send_profile.py --events 200 --html /tmp/send.html
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pyinstrument import Profiler  # noqa: E402

EVENT_TYPE = "monitoring.ended"


def make_endpoints(count: int, url: str) -> list[str]:
    from channels.webhook_secrets import encrypt, new_secret
    from db.engine import writing
    from db.models import WebhookEndpoint

    ids = [f"whe-{uuid.uuid4().hex[:12]}" for _ in range(count)]
    with writing() as session:
        for endpoint_id in ids:
            session.add(WebhookEndpoint(id=endpoint_id, url=url, event_types=[EVENT_TYPE],
                                        payload="thin", enabled=True,
                                        secret_encrypted=encrypt(new_secret()),
                                        created_by="bench"))
    return ids


def write_events(count: int, per_transaction: int) -> None:
    from activities.webhook_events import queue
    from db.engine import writing

    for first in range(0, count, per_transaction):
        with writing() as session:
            for i in range(first, min(count, first + per_transaction)):
                queue(session, EVENT_TYPE, f"bench-{i}", "bench-patient", None,
                      {"session_id": f"bench-{i}", "patient_id": "bench-patient"})


def send_all(endpoint_id: str) -> int:
    from sqlmodel import col, select
    from temporalio.testing import ActivityEnvironment

    from activities.webhook_delivery import WebhookActivities
    from db.engine import reading
    from db.models import WebhookDelivery
    from settings import get_settings
    from workflows.webhook_delivery_types import SendBatch

    with reading() as session:
        seqs = [s for s in session.exec(select(WebhookDelivery.seq).where(
            WebhookDelivery.endpoint_id == endpoint_id).order_by(col(WebhookDelivery.seq))).all()
            if s is not None]
    activities, env, sent = WebhookActivities(get_settings()), ActivityEnvironment(), 0
    while sent < len(seqs):
        outcome = env.run(activities.send_batch,
                          SendBatch(endpoint_id, seqs[sent:], datetime.now(timezone.utc)))
        assert outcome.stopped is None, outcome.stopped
        sent += outcome.delivered
    return sent


def profiled(what: str, run, html: str | None):  # type: ignore[no-untyped-def]
    profiler = Profiler(interval=0.0005)
    began, cpu_began = time.perf_counter(), time.thread_time()
    with profiler:
        result = run()
    took, cpu = time.perf_counter() - began, time.thread_time() - cpu_began
    print(profiler.output_text(unicode=True, color=False, show_all=False))
    if html:
        Path(f"{html}.{what}.html").write_text(profiler.output_html())
    return result, took, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--endpoints", type=int, default=10)
    parser.add_argument("--per-transaction", type=int, default=10,
                        help="events per outbox transaction (the fan-out bench writes 10 per tick)")
    parser.add_argument("--html", help="also write each profile as HTML to this path prefix")
    args = parser.parse_args()
    os.environ.setdefault("VIGIL_DEV_MODE", "1")
    os.environ.setdefault("VIGIL_DATABASE_URL",
                          f"sqlite:///{tempfile.mkdtemp(prefix='vigil-profile-')}/vigil.db")
    from db.migrate import upgrade
    from tests.utils.webhook_receiver import webhook_receiver

    upgrade()
    with webhook_receiver() as receiver:
        ids = make_endpoints(args.endpoints, receiver.url)
        _, wrote, _ = profiled("outbox", lambda: write_events(args.events, args.per_transaction),
                               args.html)
        import activities.webhook_delivery  # noqa: F401 - imported before the send is timed
        import temporalio.testing  # noqa: F401
        sent, took, cpu = profiled("send", lambda: send_all(ids[0]), args.html)
    rows = args.events * args.endpoints
    print(f"outbox: {args.events} events x {args.endpoints} endpoints in {wrote:.2f} s "
          f"= {wrote / rows * 1000:.2f} ms per row ({rows / wrote:.0f} rows/s)")
    print(f"send: {sent} events to one endpoint in {took:.2f} s = {took / sent * 1000:.2f} ms "
          f"per event ({sent / took:.0f}/s), CPU {cpu / sent * 1000:.2f} ms per event on the sending "
          f"thread; load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
