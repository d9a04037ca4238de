"""The admins' dashboard figures: what is open, how each channel delivers, how fast people answer.

Read from the projections (emergencies and delivery attempts), over the last hour and day:
- time to first delivery: from an emergency being raised to its first page sent or delivered;
- time to acknowledge: from raised to acknowledged;
- the share of critical emergencies whose first page went out within 5 s (the SLA).
The arithmetic is pure (`figures`), so a unit test can check it without a database.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlmodel import col, select

from db.engine import reading
from db.models import DeliveryAttempt, Emergency, as_utc

WINDOWS = {"hour": timedelta(hours=1), "day": timedelta(days=1)}
SLA_S = 5.0
DELIVERED = ("sent", "delivered")


def percentile(values: Sequence[float], share: float) -> float | None:
    """The nearest-rank percentile (`share` 0.5 is the median); None for no values."""
    if not values:
        return None
    ranked = sorted(values)
    return ranked[max(0, math.ceil(share * len(ranked)) - 1)]


@dataclass(frozen=True)
class Raised:
    id: str
    severity: str
    created_at: datetime
    acknowledged_at: datetime | None


@dataclass(frozen=True)
class Page:
    subject_id: str
    channel: str
    outcome: str
    created_at: datetime
    out_at: datetime | None  # sent or delivered, whichever came first


def figures(emergencies: Iterable[Raised], pages: Iterable[Page],
            since: datetime) -> dict[str, Any]:
    """The window's figures from emergencies raised and pages made since `since`."""
    raised = [e for e in emergencies if e.created_at >= since]
    pages = [p for p in pages if p.created_at >= since]
    first_out: dict[str, datetime] = {}
    for page in pages:
        if page.out_at is not None and (page.subject_id not in first_out
                                        or page.out_at < first_out[page.subject_id]):
            first_out[page.subject_id] = page.out_at
    to_first = [(first_out[e.id] - e.created_at).total_seconds()
                for e in raised if e.id in first_out]
    to_ack = [(e.acknowledged_at - e.created_at).total_seconds()
              for e in raised if e.acknowledged_at]
    critical = [e for e in raised if e.severity == "critical"]
    in_time = [e for e in critical if e.id in first_out
               and (first_out[e.id] - e.created_at).total_seconds() <= SLA_S]
    channels: dict[str, dict[str, Any]] = {}
    for page in pages:
        row = channels.setdefault(page.channel, {"pages": 0, "delivered": 0, "failed": 0})
        row["pages"] += 1
        row["delivered"] += page.outcome in DELIVERED
        row["failed"] += page.outcome in ("failed", "undelivered")
    for row in channels.values():
        row["success_pct"] = round(100 * row["delivered"] / row["pages"]) if row["pages"] else None
    return {"raised": len(raised), "channels": dict(sorted(channels.items())),
            "first_delivery_s": {"p50": percentile(to_first, 0.5),
                                 "p90": percentile(to_first, 0.9)},
            "acknowledge_s": {"p50": percentile(to_ack, 0.5), "p90": percentile(to_ack, 0.9)},
            "critical": len(critical), "critical_within_sla": len(in_time),
            "critical_sla_pct": round(100 * len(in_time) / len(critical)) if critical else None}


def dashboard(now: datetime | None = None) -> dict[str, Any]:
    """Open emergencies by status, and each window's figures."""
    now = now or datetime.now(timezone.utc)
    since = now - max(WINDOWS.values())
    with reading() as session:
        open_by_status = Counter(session.exec(select(Emergency.status).where(
            col(Emergency.status).not_in(("resolved", "cancelled")))).all())
        rows = session.exec(select(Emergency).where(Emergency.created_at >= since)).all()
        attempts = session.exec(select(DeliveryAttempt).where(
            DeliveryAttempt.created_at >= since, DeliveryAttempt.kind == "page")).all()
    emergencies = [Raised(e.id, e.severity, as_utc(e.created_at),
                          as_utc(e.acknowledged_at) if e.acknowledged_at else None) for e in rows]
    pages = [Page(a.subject_id, a.channel, a.outcome, as_utc(a.created_at),
                  min((as_utc(t) for t in (a.sent_at, a.delivered_at) if t), default=None))
             for a in attempts]
    return {"open": dict(sorted(open_by_status.items())), "sla_s": SLA_S,
            "windows": {name: figures(emergencies, pages, now - span)
                        for name, span in WINDOWS.items()}}
