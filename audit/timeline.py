"""A readable timeline of one workflow, merged from its Temporal history and its audit entries.

`build_timeline` is a pure function: history events (Temporal's JSON form) and
audit entries (dicts) in, timeline items out, so it is tested without a server.
The history says what the workflow decided (started, commands accepted, timers,
failures, closed: timeline_events.py); the audit log says what Vigil did and
who did it (every page and its outcome, receipts, acknowledgements,
escalations, handovers, threshold changes, medication reminders and doses,
reads of the record: timeline_entries.py, timeline_medication.py).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from audit.history import attributes, payload_values
from audit.timeline_entries import from_entry
from audit.timeline_events import from_event
from audit.timeline_item import TimelineItem

__all__ = ["TimelineItem", "build_timeline"]


def _when(value: str) -> datetime:
    # Temporal writes nanoseconds; datetime keeps six digits.
    trimmed = re.sub(r"(\.\d{6})\d+", r"\1", value.replace("Z", "+00:00"))
    moment = datetime.fromisoformat(trimmed)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _names(events: list[dict[str, Any]], entries: list[dict[str, Any]]) -> dict[str, str]:
    """Staff names as the record itself gives them (paged lists, command actors)."""
    names: dict[str, str] = {}
    for entry in entries:
        for person in (entry.get("detail") or {}).get("state", {}).get("paged", []):
            names[person["staff_id"]] = person["name"]
    for event in events:
        request = attributes(event).get("acceptedRequest", {}).get("input", {})
        for arg in payload_values(request.get("args")):
            actor = arg.get("actor") if isinstance(arg, dict) else None
            if isinstance(actor, dict) and actor.get("staff_id"):
                names[actor["staff_id"]] = actor.get("name") or actor["staff_id"]
    return names


def build_timeline(events: list[dict[str, Any]], entries: list[dict[str, Any]]) -> list[TimelineItem]:
    """Both sources in time order; at the same instant the history comes first."""
    names = _names(events, entries)

    def who(staff_id: str | None) -> str:
        if not staff_id:
            return "unknown"
        name = names.get(staff_id)
        return f"{name} ({staff_id})" if name and name != staff_id else staff_id

    activities: dict[str, str] = {}
    items = [item for event in events if (item := from_event(event, who, activities))]
    items += [from_entry(entry, who) for entry in entries]
    items.sort(key=lambda i: (_when(i.at), i.source != "temporal", i.ref))
    for item in items:
        item.at = _when(item.at).isoformat(timespec="microseconds")
    return items
