"""The dashboard's figures: percentiles, time to first delivery and to acknowledge, the 5 s SLA."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from services.dashboard import Page, Raised, figures, percentile

T0 = datetime(2026, 1, 1, 8, 0, tzinfo=timezone.utc)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_nearest_rank_percentiles() -> None:
    assert percentile([], 0.5) is None
    assert percentile([3.0], 0.9) == 3.0
    assert percentile([float(n) for n in range(1, 11)], 0.5) == 5.0
    assert percentile([float(n) for n in range(1, 11)], 0.9) == 9.0


def test_first_delivery_acknowledgement_sla_and_channels_over_a_window() -> None:
    raised = [Raised("fast", "critical", at(0), at(30)), Raised("slow", "critical", at(0), None),
              Raised("urgent", "urgent", at(0), at(100)),
              Raised("old", "critical", at(-7200), at(-7000))]  # outside the window
    pages = [Page("fast", "push", "delivered", at(0), at(2)),
             Page("fast", "sms", "sent", at(0), at(4)),
             Page("slow", "sms", "failed", at(0), None),
             Page("slow", "voice", "sent", at(0), at(9)),
             Page("urgent", "push", "delivered", at(0), at(1))]
    f = figures(raised, pages, since=at(-3600))
    assert f["raised"] == 3
    assert f["first_delivery_s"] == {"p50": 2.0, "p90": 9.0}  # 1, 2, 9 s
    assert f["acknowledge_s"] == {"p50": 30.0, "p90": 100.0}
    assert (f["critical"], f["critical_within_sla"], f["critical_sla_pct"]) == (2, 1, 50)
    assert f["channels"]["sms"] == {"pages": 2, "delivered": 1, "failed": 1, "success_pct": 50}
    assert f["channels"]["push"]["success_pct"] == 100
