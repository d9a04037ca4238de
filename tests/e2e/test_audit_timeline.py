"""The timeline is a pure function of a recorded history and audit entries; so is the search filter."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from audit.search import WorkflowFilter, visibility_query
from audit.timeline import build_timeline
from audit.timeline_html import render_html

HISTORIES = Path(__file__).parents[1] / "replay" / "histories"


def events(name: str) -> list[dict]:
    return json.loads((HISTORIES / f"{name}.json").read_text())["events"]


def entry(seq: int, at: str, action: str, actor: str = "vigil", **detail: object) -> dict:
    return {"seq": seq, "at": at, "actor": actor, "action": action, "subject": "e-1",
            "detail": detail, "prev_hash": "", "hash": ""}


ENTRIES = [
    entry(1, "2026-01-01T10:00:00.000100+00:00", "emergency.tier_paged", tier_name="responders",
          channels=["websocket", "sms"], targets=["dr-tan"],
          state={"paged": [{"staff_id": "dr-tan", "name": "Dr Mei Tan"},
                           {"staff_id": "dr-aziz", "name": "Dr Farid Aziz"}]}),
    entry(2, "2026-01-01T10:00:00.500000+00:00", "delivery.sent", recipient_id="dr-tan",
          channel="sms", kind="page", outcome="sent", provider_message_id="SM123", tries=1),
    entry(3, "2026-01-01T10:00:01+00:00", "delivery.receipt", "dr-tan", recipient_id="dr-tan",
          channel="websocket", outcome="delivered"),
    entry(4, "2026-01-01T10:00:31+00:00", "emergency.escalated", reason="no acknowledgement",
          tier_name="charge nurse"),
    entry(5, "2026-01-01T10:00:40+00:00", "emergency.acknowledged", "dr-tan", via="voice"),
    entry(6, "2026-01-01T10:01:00+00:00", "emergency.handed_over", "dr-tan", **{
        "from": "dr-tan", "to": "dr-aziz", "note": "end of shift"}),
    entry(7, "2026-01-01T10:02:00+00:00", "monitoring.thresholds_changed", "coord-lee",
          spo2_low=90),
    entry(8, "2026-01-01T10:03:00+00:00", "review.timeline", "auditor-ng", patient_id="p-1"),
]


def test_audit_entries_read_as_pages_receipts_acks_escalations_handovers_and_thresholds() -> None:
    items = build_timeline([], ENTRIES)
    kinds = [item.kind for item in items]
    assert kinds == ["page", "page", "receipt", "escalation", "acknowledgement", "handover",
                     "threshold_change", "access"]
    sms = items[1]
    assert sms.summary == "sms page to Dr Mei Tan (dr-tan): sent (provider id SM123)"
    assert sms.detail["provider_message_id"] == "SM123" and sms.detail["channel"] == "sms"
    assert items[4].summary == "Acknowledged by Dr Mei Tan (dr-tan) via voice"
    assert items[5].summary == ("Handed over from Dr Mei Tan (dr-tan) to Dr Farid Aziz (dr-aziz) "
                                "by Dr Mei Tan (dr-tan): end of shift")
    assert items[7].actor == "auditor-ng"
    assert "state" not in items[0].detail  # the full state is in the audit entries, not repeated


def test_a_page_sent_twice_after_a_crash_says_so() -> None:
    twice = entry(1, "2026-01-01T10:00:00+00:00", "delivery.sent", recipient_id="dr-tan",
                  channel="voice", kind="page", outcome="sent", tries=2)
    assert "sent 2 times" in build_timeline([], [twice])[0].summary


def test_recorded_history_merges_with_audit_in_time_order() -> None:
    history = events("emergency_handed_over")
    started_at = history[0]["eventTime"]
    late = entry(99, "2999-01-01T00:00:00+00:00", "emergency.resolved", "dr-aziz", outcome="ok")
    items = build_timeline(history, [late])
    assert items[0].kind == "started" and items[0].source == "temporal"
    assert items[0].actor == "nurse-siti" and "severity critical" in items[0].summary
    assert items[-1].source == "audit" and items[-1].ref == 99
    assert [i.at for i in items] == sorted(i.at for i in items)
    assert items[0].at.startswith(started_at[:19])
    commands = [i.summary for i in items if i.kind == "command"]
    assert any(c.startswith("acknowledge accepted from Dr Mei Tan (dr-tan)") for c in commands)
    assert any(c.startswith("hand_over accepted from Dr Mei Tan (dr-tan)") for c in commands)
    assert any(c.startswith("resolve accepted from Dr Farid Aziz (dr-aziz)") for c in commands)
    statuses = [i.detail["status"] for i in items if i.kind == "status"]
    assert statuses == ["acknowledged", "resolved"]
    assert items[-2].kind == "closed" and items[-2].summary == "Workflow completed (resolved)"


def test_exhausted_history_shows_the_timers_that_ran_out() -> None:
    items = build_timeline(events("emergency_exhausted"), [])
    waits = [i for i in items if i.kind == "timer" and i.summary.startswith("Waiting up to")]
    fired = [i for i in items if i.kind == "timer" and "nobody answering" in i.summary]
    assert waits and fired
    commands = [i.summary for i in items if i.kind == "command"]
    assert commands == [("resolve accepted from Raj Pillai (admin) (admin-raj) (outcome: found "
                         "at bedside; nobody answered the pages)")]
    assert items[-1].kind == "closed"


def test_html_view_escapes_what_people_typed() -> None:
    nasty = entry(1, "2026-01-01T10:00:00+00:00", "emergency.cancelled", "nurse-siti",
                  reason="<script>alert(1)</script>")
    page = render_html(build_timeline([], [nasty]), title="T <1>", facts={"Patient": "p&1"})
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "T &lt;1&gt;" in page and "p&amp;1" in page and "@media print" in page


def test_search_filter_becomes_a_visibility_query() -> None:
    f = WorkflowFilter(patient_id="patient-001", kind="emergency", status="resolved",
                       started_after=datetime(2026, 1, 1, tzinfo=timezone.utc))
    assert visibility_query(f) == ("VigilPatient = 'patient-001' AND VigilKind = 'emergency' AND "
                                   "VigilStatus = 'resolved' AND StartTime >= '2026-01-01T00:00:00Z'")
    assert visibility_query(WorkflowFilter()) == "VigilKind IS NOT NULL"


@pytest.mark.parametrize("value", ["x' OR 'a'='a", 'p"1', "p 1", ""])
def test_search_refuses_values_that_could_change_the_query(value: str) -> None:
    with pytest.raises(ValueError):
        visibility_query(WorkflowFilter(patient_id=value))
