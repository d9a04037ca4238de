"""Timeline items from audit entries: what Vigil did, who did it, and who read the record."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from audit.timeline_item import TimelineItem
from audit.timeline_medication import medication_item

Who = Callable[[str | None], str]


def _join(values: Any) -> str:
    return ", ".join(str(v) for v in values) if isinstance(values, list) else str(values)


def _delivery(what: str, d: dict[str, Any], actor: str, who: Who) -> tuple[str, str]:
    label = "page" if d.get("kind", "page") == "page" else str(d.get("kind"))
    to = who(d.get("recipient_id"))
    if what == "receipt":
        return "receipt", f"{to} confirmed receipt on {d.get('channel')}"
    if what == "status":  # a provider's callback
        return "receipt", (f"{actor} reports the {d.get('channel')} {label} to {to}: "
                           f"{d.get('provider_status')} ({d.get('outcome')})")
    summary = f"{d.get('channel')} {label} to {to}: {what}"
    if d.get("provider_message_id"):
        summary += f" (provider id {d['provider_message_id']})"
    if d.get("error"):
        summary += f"; error: {d['error']}"
    if (d.get("tries") or 0) > 1:
        summary += f"; sent {d['tries']} times (a crash cut a provider call short)"
    return ("page" if label == "page" else "notice"), summary


def _emergency(what: str, d: dict[str, Any], by: str, who: Who) -> tuple[str, str] | None:
    summaries = {
        "created": ("started", f"Raised by {by}"),
        "started": ("started", "Escalation began"),
        "tier_paged": ("page", f"Tier '{d.get('tier_name')}' paged on "
                               f"{_join(d.get('channels', []))}: "
                               + _join([who(t) for t in d.get("targets", [])])),
        "escalated": ("escalation",
                      f"Escalated to tier '{d.get('tier_name')}' by {by}: {d.get('reason')}"),
        "unacknowledged": ("escalation",
                           f"Nobody acknowledged ({d.get('reason')}); every admin paged"),
        "extra_page": ("escalation", f"Paged {d.get('selector')} on {_join(d.get('channels', []))}"),
        "acknowledged": ("acknowledgement", f"Acknowledged by {by} via {d.get('via')}"),
        "handed_over": ("handover", f"Handed over from {who(d.get('from'))} to {who(d.get('to'))}"
                                    f" by {by}" + (f": {d['note']}" if d.get("note") else "")),
        "resolved": ("closed", f"Resolved by {by}: {d.get('outcome')}"),
        "cancelled": ("closed", f"Cancelled by {by}: {d.get('reason')}"),
    }
    return summaries.get(what)


def from_entry(entry: dict[str, Any], who: Who) -> TimelineItem:
    """The item an audit entry reads as; anything unfamiliar still appears, by its action."""
    action, actor = entry["action"], entry["actor"]
    d = {k: v for k, v in (entry.get("detail") or {}).items() if k != "state"}
    group, _, what = action.partition(".")
    found: tuple[str, str] | None = None
    if group == "delivery":
        found = _delivery(what, d, actor, who)
    elif group == "emergency":
        found = _emergency(what, d, who(actor), who)
    elif group == "medication":
        found = medication_item(what, d, who(actor), who)
    elif "threshold" in action:
        reason = f" ({d['reason']})" if d.get("reason") else ""
        found = ("threshold_change",
                 f"Thresholds changed by {who(actor)}: {d.get('overrides', '')}{reason}")
    elif group == "monitoring" and what.startswith("alarm_"):
        found = ("alarm", (f"Alarm {d.get('key')} {what.removeprefix('alarm_')} "
                           f"({d.get('priority')}): {_join(d.get('reasons', []))}"))
    elif group == "monitoring" and what.startswith("emergency_"):
        found = ("escalation", (f"Emergency {what.removeprefix('emergency_')}: "
                                f"{d.get('emergency_id', '')} {_join(d.get('reasons', []))}"))
    elif action in ("patient_data.read", "audit.read") or group == "review":
        found = ("access", f"{who(actor)} read the record ({action})")
    kind, summary = found or ("other", f"{action} by {who(actor)}")
    return TimelineItem(entry["at"], "audit", int(entry["seq"]), kind, actor, summary, d)
