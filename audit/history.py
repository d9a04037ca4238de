"""A workflow's record as a reviewer reads it: its Temporal history runs and its audit entries."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from sqlmodel import col, select
from temporalio.client import Client, WorkflowHistory
from temporalio.service import RPCError, RPCStatusCode

from audit.chain import append
from db.engine import reading, writing
from db.models import AuditEntry


async def fetch_runs(client: Client, workflow_id: str) -> list[WorkflowHistory]:
    """Every run of the workflow still kept, oldest first (continue-as-new makes several)."""
    runs: list[WorkflowHistory] = []
    run_id: str | None = None
    while True:
        try:
            history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        except RPCError as error:
            if runs and error.status == RPCStatusCode.NOT_FOUND:
                break  # older runs have passed the namespace's retention
            raise
        runs.append(history)
        started = history.events[0].workflow_execution_started_event_attributes
        if not started.continued_execution_run_id:
            break
        run_id = started.continued_execution_run_id
    return runs[::-1]


def history_json(workflow_id: str, runs: list[WorkflowHistory]) -> dict[str, Any]:
    """The runs in Temporal's own JSON form (what `temporal workflow show -o json` prints)."""
    return {"workflow_id": workflow_id, "runs": [run.to_json_dict() for run in runs]}


def event_type(event: dict[str, Any]) -> str:
    """"EVENT_TYPE_TIMER_FIRED", "TimerFired" (older CLI JSON) -> "TIMER_FIRED"."""
    name = str(event.get("eventType", ""))
    if name.startswith("EVENT_TYPE_"):
        return name.removeprefix("EVENT_TYPE_")
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).upper()


def attributes(event: dict[str, Any]) -> dict[str, Any]:
    """The one `...EventAttributes` member every history event carries."""
    return next((v for k, v in event.items() if k.endswith("EventAttributes")), {})


def payload_values(payloads: dict[str, Any] | None) -> list[Any]:
    """Decode a JSON-form Payloads message; what is not plain JSON is shown by its encoding."""
    values = []
    for payload in (payloads or {}).get("payloads", []):
        encoding = base64.b64decode(payload.get("metadata", {}).get("encoding", "")).decode()
        data = base64.b64decode(payload.get("data", ""))
        if encoding == "json/plain":
            values.append(json.loads(data))
        elif encoding == "binary/null":
            values.append(None)
        else:
            values.append(f"<{encoding}, {len(data)} bytes>")
    return values


def audit_entries(subject: str) -> list[dict[str, Any]]:
    """The audit entries about `subject`, in chain order."""
    with reading() as session:
        rows = session.exec(select(AuditEntry).where(AuditEntry.subject == subject)
                            .order_by(col(AuditEntry.seq))).all()
    return [row.model_dump() for row in rows]


def record_access(*, reader: str, action: str, subject: str, **detail: Any) -> None:
    """Write who read what: reviews are themselves reviewable."""
    with writing() as session:
        append(session, actor=reader, action=action, subject=subject, detail=detail)
