"""Find workflows for a review through Temporal visibility and Vigil's search attributes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from temporalio.client import Client, WorkflowExecution

from workflows.search_attributes import (
    VIGIL_FACILITY,
    VIGIL_KIND,
    VIGIL_PATIENT,
    VIGIL_SEVERITY,
    VIGIL_STATUS,
)

# Values go into a visibility query string; ids this plain need no quoting rules.
_PLAIN = re.compile(r"[A-Za-z0-9._:@-]{1,200}")


class InvalidFilter(ValueError):
    """A filter value that cannot go into a visibility query."""


@dataclass
class WorkflowFilter:
    patient_id: str | None = None
    kind: str | None = None
    facility_id: str | None = None
    severity: str | None = None
    status: str | None = None
    started_after: datetime | None = None
    started_before: datetime | None = None
    closed_after: datetime | None = None
    closed_before: datetime | None = None


def _moment(value: datetime) -> str:
    aware = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return aware.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def visibility_query(f: WorkflowFilter) -> str:
    """The list filter for `f`; raises InvalidFilter for a value that is not a plain id."""
    terms = []
    for key, value in ((VIGIL_PATIENT, f.patient_id), (VIGIL_KIND, f.kind),
                       (VIGIL_FACILITY, f.facility_id), (VIGIL_SEVERITY, f.severity),
                       (VIGIL_STATUS, f.status)):
        if value is None:
            continue
        if not _PLAIN.fullmatch(value):
            raise InvalidFilter(f"{key.name} may only use letters, digits and ._:@-")
        terms.append(f"{key.name} = '{value}'")
    for field, op, value in (("StartTime", ">=", f.started_after), ("StartTime", "<=", f.started_before),
                             ("CloseTime", ">=", f.closed_after), ("CloseTime", "<=", f.closed_before)):
        if value is not None:
            terms.append(f"{field} {op} '{_moment(value)}'")
    # Only Vigil's own workflows: every one is started with a kind.
    return " AND ".join(terms) if terms else f"{VIGIL_KIND.name} IS NOT NULL"


def summarise(execution: WorkflowExecution) -> dict[str, Any]:
    """One search hit as the API returns it."""
    attrs = execution.typed_search_attributes
    return {
        "workflow_id": execution.id, "run_id": execution.run_id,
        "workflow_type": execution.workflow_type,
        "kind": attrs.get(VIGIL_KIND), "patient_id": attrs.get(VIGIL_PATIENT),
        "facility_id": attrs.get(VIGIL_FACILITY), "severity": attrs.get(VIGIL_SEVERITY),
        "status": attrs.get(VIGIL_STATUS),
        "execution_status": execution.status.name if execution.status else None,
        "start_time": execution.start_time, "close_time": execution.close_time,
    }


async def search_workflows(client: Client, f: WorkflowFilter, limit: int = 100) -> list[dict[str, Any]]:
    """Workflows matching `f`, newest first, at most `limit`."""
    found = client.list_workflows(visibility_query(f), limit=limit, page_size=min(limit, 1000))
    return [summarise(execution) async for execution in found]
