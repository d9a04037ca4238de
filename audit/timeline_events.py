"""Timeline items from Temporal history events: what the workflow decided, and when."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from audit.history import attributes, event_type, payload_values
from audit.timeline_item import TimelineItem

Who = Callable[[str | None], str]
_CLOSES = ("FAILED", "TERMINATED", "CANCELED", "TIMED_OUT")


def _first(payloads: dict[str, Any] | None) -> Any:
    return (payload_values(payloads) or [None])[0]


def _actor_id(actor: Any) -> str | None:
    """Staff commands name `staff_id`; a medication schedule's actor is any person."""
    if not isinstance(actor, dict):
        return None
    return actor.get("staff_id") or actor.get("person_id")


def from_event(event: dict[str, Any], who: Who, activities: dict[str, str]) -> TimelineItem | None:
    """The item an event reads as, or None for the bookkeeping a reviewer need not see."""
    kind_of, attrs = event_type(event), attributes(event)
    ref, at = int(event.get("eventId", 0)), event.get("eventTime", "")

    def item(kind: str, summary: str, actor: str | None = None, **detail: Any) -> TimelineItem:
        return TimelineItem(at, "temporal", ref, kind, actor, summary, detail)

    if kind_of == "ACTIVITY_TASK_SCHEDULED":  # remembered, to name a later failure
        activities[str(ref)] = attrs.get("activityType", {}).get("name", "?")
    elif kind_of == "WORKFLOW_EXECUTION_STARTED":
        data = _first(attrs.get("input"))
        data = data if isinstance(data, dict) else {}
        facts = ", ".join(f"{k} {data[k]}" for k in ("severity", "type", "patient_id") if data.get(k))
        summary = f"{attrs.get('workflowType', {}).get('name', 'Workflow')} started"
        summary += " (continued as new)" if attrs.get("continuedExecutionRunId") else ""
        return item("started", summary + (f": {facts}" if facts else ""), data.get("created_by"))
    elif kind_of == "WORKFLOW_EXECUTION_UPDATE_ACCEPTED":
        request = attrs.get("acceptedRequest", {}).get("input", {})
        arg = _first(request.get("args"))
        arg = arg if isinstance(arg, dict) else {}
        actor = _actor_id(arg.get("actor"))
        extras = {k: v for k, v in arg.items() if k != "actor" and v not in (None, "", {}, [])}
        said = "; ".join(f"{k}: {v}" for k, v in extras.items())
        return item("command", f"{request.get('name')} accepted from {who(actor)}"
                    + (f" ({said})" if said else ""), actor, update=request.get("name"), **extras)
    elif kind_of == "WORKFLOW_EXECUTION_SIGNALED":
        return item("command", f"Signal {attrs.get('signalName')} received",
                    signal=attrs.get("signalName"), input=payload_values(attrs.get("input")))
    elif kind_of == "TIMER_STARTED":
        return item("timer", f"Waiting up to {attrs.get('startToFireTimeout', '?')}",
                    timer_id=attrs.get("timerId"))
    elif kind_of == "TIMER_FIRED":
        return item("timer", "Wait ended with nobody answering", timer_id=attrs.get("timerId"))
    elif kind_of == "TIMER_CANCELED":
        return item("timer", "Wait cut short by a command", timer_id=attrs.get("timerId"))
    elif kind_of == "UPSERT_WORKFLOW_SEARCH_ATTRIBUTES":
        fields = attrs.get("searchAttributes", {}).get("indexedFields", {})
        if "VigilStatus" in fields:
            status = _first({"payloads": [fields["VigilStatus"]]})
            return item("status", f"Status is now {status}", status=status)
    elif kind_of == "CHILD_WORKFLOW_EXECUTION_STARTED":
        child = attrs.get("workflowExecution", {}).get("workflowId")
        return item("escalation", f"Started {attrs.get('workflowType', {}).get('name')} {child}",
                    workflow_id=child)
    elif kind_of in ("ACTIVITY_TASK_FAILED", "ACTIVITY_TASK_TIMED_OUT"):
        name = activities.get(str(attrs.get("scheduledEventId")), "activity")
        message = attrs.get("failure", {}).get("message", "")
        return item("failure", f"{name} gave up: {message}".rstrip(": "), activity=name)
    elif kind_of == "WORKFLOW_TASK_FAILED":
        return item("failure", f"Workflow task failed ({attrs.get('cause', '?')}): "
                    f"{attrs.get('failure', {}).get('message', '')}")
    elif kind_of == "WORKFLOW_EXECUTION_COMPLETED":
        result = _first(attrs.get("result"))
        status = result.get("status") if isinstance(result, dict) else None
        return item("closed", "Workflow completed" + (f" ({status})" if status else ""))
    elif kind_of == "WORKFLOW_EXECUTION_CONTINUED_AS_NEW":
        return item("closed", "Continued as new, to keep the history short",
                    new_run_id=attrs.get("newExecutionRunId"))
    elif kind_of.startswith("WORKFLOW_EXECUTION_") and kind_of.endswith(_CLOSES):
        reason = attrs.get("reason") or attrs.get("failure", {}).get("message", "")
        return item("closed", f"Workflow {kind_of.removeprefix('WORKFLOW_EXECUTION_').lower()}"
                    + (f": {reason}" if reason else ""), attrs.get("identity"))
    return None
