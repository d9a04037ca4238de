"""How a medication schedule's audit entries read on the timeline (`medication.*` actions).

Each entry's detail is what activities/medication_records.py recorded: the
change, the dose as it then stood (id, reminders, who confirmed it, how, on whose
behalf, who was told when it was missed) and the actor's reason.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Who = Callable[[str | None], str]


def _names(ids: Any, who: Who) -> str:
    return ", ".join(who(i) for i in ids) if isinstance(ids, list) else who(ids)


def _dose(d: dict[str, Any]) -> dict[str, Any]:
    return d.get("dose") if isinstance(d.get("dose"), dict) else {}


def _moved(dose: dict[str, Any]) -> str:
    return f" (moved: {', '.join(dose['moves'])})" if dose.get("moves") else ""


def _confirmed(dose: dict[str, Any], who: Who) -> str:
    said = f", confirmed by {who(dose.get('confirmed_by'))}"
    if dose.get("on_behalf"):
        said += " on the patient's behalf"
    return said + (f" via {dose['via']}" if dose.get("via") else "")


def _because(d: dict[str, Any], dose: dict[str, Any] | None = None) -> str:
    reason = (dose or {}).get("reason") or d.get("reason")
    return f": {reason}" if reason else ""


def medication_item(what: str, d: dict[str, Any], by: str, who: Who) -> tuple[str, str] | None:
    """(kind, summary) for one medication.<what> entry, or None if unfamiliar."""
    dose = _dose(d)
    name = f"Dose {dose.get('dose_id', '?')}"
    reminders = int(dose.get("reminders") or 0)
    if what == "started":
        warnings = d.get("warnings") or []
        return "started", (f"Medication schedule started by {by}"
                           + (f"; warnings: {'; '.join(warnings)}" if warnings else ""))
    if what == "reminded":
        n = d.get("reminder", reminders)
        word = "Reminder sent" if n == 1 else f"Re-reminder {int(n) - 1} sent"
        return "reminder", f"{word} for dose {dose.get('dose_id', '?')}{_moved(dose)}"
    if what == "dose_taken":
        return "dose", f"{name} taken{_confirmed(dose, who)}"
    if what == "dose_late":
        return "dose", f"{name} taken late (after its window){_confirmed(dose, who)}"
    if what == "dose_skipped":
        return "dose", f"{name} skipped{_confirmed(dose, who)}{_because(d, dose)}"
    if what == "dose_missed":
        told = d.get("escalated_to") or dose.get("escalated_to") or []
        after = f"{name} missed after {reminders} reminder{'s' if reminders != 1 else ''}"
        if told:
            return "escalation", f"{after}; escalated to caregiver {_names(told, who)}"
        return "dose", f"{after}; no caregiver with medication consent to tell"
    if what == "dose_suppressed":
        return "dose", f"{name}: no reminder sent{_because(d, dose)}"
    if what == "flagged":
        return "flag", f"Flagged for the coordinator: {', '.join(d.get('flags') or [])}"
    if what in ("paused", "resumed", "stopped", "changed"):
        return "plan_change", f"Plan {what} by {by}{_because(d)}"
    if what == "completed":
        return "closed", "Schedule completed: no doses left"
    return None
