"""A medication schedule's audit entries read as reminders, doses, escalations and plan changes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from audit.timeline import build_timeline

HISTORY = Path(__file__).parents[1] / "replay" / "histories" / \
    "medication_schedule_steered_and_stopped.json"


def entry(seq: int, change: str, actor: str = "vigil", dose: dict[str, Any] | None = None,
          **detail: Any) -> dict[str, Any]:
    payload = {"change": change, "state": {"status": "active"}, "dose": dose, **detail}
    return {"seq": seq, "at": f"2026-12-01T08:{seq:02d}:00+00:00", "actor": actor,
            "action": f"medication.{change}", "subject": "medication-1", "detail": payload}


def dose(outcome: str, **fields: Any) -> dict[str, Any]:
    return {"dose_id": "2026-12-01T08:00", "outcome": outcome, "reminders": 3, "moves": [],
            "escalated_to": [], "confirmed_by": None, "on_behalf": False, "via": None,
            "reason": None, **fields}


def test_medication_entries_read_as_reminders_doses_escalations_and_plan_changes() -> None:
    entries = [
        entry(1, "started", "coord-lee", warnings=["Heparin is not marked halal"]),
        entry(2, "reminded", dose=dose("open", reminders=1, moves=["prayer:maghrib"]), reminder=1),
        entry(3, "reminded", dose=dose("open", reminders=2), reminder=2),
        entry(4, "dose_taken", "patient-1", dose=dose("taken", confirmed_by="patient-1",
                                                      via="sms")),
        entry(5, "dose_late", "cg-1", dose=dose("late", confirmed_by="cg-1", on_behalf=True,
                                                via="app")),
        entry(6, "dose_skipped", "patient-1", dose=dose("skipped", confirmed_by="patient-1",
                                                        via="app", reason="nausea")),
        entry(7, "dose_missed", dose=dose("missed", escalated_to=["cg-1"]),
              escalated_to=["cg-1"]),
        entry(8, "dose_missed", dose=dose("missed"), escalated_to=[]),
        entry(9, "paused", "coord-lee", reason="admitted to hospital"),
        entry(10, "resumed", "coord-lee", reason="home again"),
        entry(11, "changed", "coord-lee", reason="once a day", terms={"medications": []}),
        entry(12, "stopped", "coord-lee", reason="course finished"),
    ]
    items = build_timeline([], entries)
    assert [(i.kind, i.summary) for i in items] == [
        ("started", "Medication schedule started by coord-lee; warnings: Heparin is not marked "
                    "halal"),
        ("reminder", "Reminder sent for dose 2026-12-01T08:00 (moved: prayer:maghrib)"),
        ("reminder", "Re-reminder 1 sent for dose 2026-12-01T08:00"),
        ("dose", "Dose 2026-12-01T08:00 taken, confirmed by patient-1 via sms"),
        ("dose", "Dose 2026-12-01T08:00 taken late (after its window), confirmed by cg-1 on the "
                 "patient's behalf via app"),
        ("dose", "Dose 2026-12-01T08:00 skipped, confirmed by patient-1 via app: nausea"),
        ("escalation", "Dose 2026-12-01T08:00 missed after 3 reminders; escalated to caregiver "
                       "cg-1"),
        ("dose", "Dose 2026-12-01T08:00 missed after 3 reminders; no caregiver with medication "
                 "consent to tell"),
        ("plan_change", "Plan paused by coord-lee: admitted to hospital"),
        ("plan_change", "Plan resumed by coord-lee: home again"),
        ("plan_change", "Plan changed by coord-lee: once a day"),
        ("plan_change", "Plan stopped by coord-lee: course finished"),
    ]
    assert "state" not in items[0].detail


def test_a_schedule_history_names_who_steered_it() -> None:
    events = json.loads(HISTORY.read_text())["events"]
    commands = [i for i in build_timeline(events, []) if i.kind == "command"]
    assert [c.summary.split(" (")[0] for c in commands] == [
        f"{name} accepted from {c.actor}" for name, c in
        zip(("pause", "resume", "change", "stop"), commands)]
    assert all(c.actor and c.actor != "unknown" for c in commands)
