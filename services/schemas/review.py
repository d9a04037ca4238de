"""Bodies of the audit review routes: search hits, timeline items, replay outcomes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.schemas.text import RequestModel

Kind = Literal["emergency", "monitoring_session", "medication_schedule"]


class WorkflowHit(BaseModel):
    workflow_id: str
    run_id: str | None
    workflow_type: str | None
    kind: str | None
    patient_id: str | None
    facility_id: str | None
    severity: str | None
    status: str | None = Field(description="Vigil's own status (VigilStatus)")
    execution_status: str | None = Field(description="Temporal's: RUNNING, COMPLETED, ...")
    start_time: datetime | None
    close_time: datetime | None


class TimelineEntry(BaseModel):
    at: datetime
    source: Literal["temporal", "audit"]
    ref: int = Field(description="History event id, or audit entry seq")
    kind: str
    actor: str | None
    summary: str
    detail: dict[str, Any]


class ReplayResult(BaseModel):
    workflow_id: str
    run_id: str
    workflow_type: str
    ok: bool
    events: int
    error_type: str | None = Field(description="NondeterminismError when today's code diverges")
    error: str | None
    diverged_at_event: int | None = Field(None, description="History event where it diverged")


class ReplayRange(RequestModel):
    model_config = ConfigDict(extra="forbid")

    closed_after: datetime
    closed_before: datetime | None = None
    kind: Kind | None = None
    limit: int = Field(200, ge=1, le=1000)
