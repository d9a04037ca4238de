"""Audit review: find workflows, read their history and timeline, export, replay.

Auditors and admins only; every read writes an audit entry naming the reader.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response
from temporalio.service import RPCError, RPCStatusCode

from api.deps import Reviewer, TemporalDep
from api.errors import ERROR_RESPONSES, VigilError, not_found
from services.schemas.review import Kind, ReplayRange, ReplayResult, TimelineEntry, WorkflowHit
from audit import review
from audit.search import InvalidFilter, WorkflowFilter

router = APIRouter(prefix="/review", tags=["audit"], responses=ERROR_RESPONSES)


@asynccontextmanager
async def review_refusals(workflow_id: str | None = None) -> AsyncIterator[None]:
    """Temporal's refusals in the API's one error shape."""
    try:
        yield
    except InvalidFilter as error:
        raise VigilError(422, "invalid_request", str(error))
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND and workflow_id:
            raise not_found("workflow (or it has passed retention)", workflow_id)
        if error.status == RPCStatusCode.INVALID_ARGUMENT:
            raise VigilError(422, "invalid_query", error.message)
        raise VigilError(503, "temporal_unavailable", f"The workflow engine did not answer: {error}")


@router.get("/workflows", response_model=list[WorkflowHit])
async def search(user: Reviewer, client: TemporalDep, patient_id: str | None = None,
                 kind: Kind | None = None, facility_id: str | None = None,
                 severity: str | None = None, status: str | None = None,
                 started_after: datetime | None = None, started_before: datetime | None = None,
                 closed_after: datetime | None = None, closed_before: datetime | None = None,
                 limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[dict[str, Any]]:
    """Workflows by patient, kind, facility, severity, status and time range (newest first)."""
    f = WorkflowFilter(patient_id, kind, facility_id, severity, status, started_after,
                       started_before, closed_after, closed_before)
    async with review_refusals():
        return await review.search(client, f, limit, reader=user.sub)


@router.get("/workflows/{workflow_id}/history")
async def history(workflow_id: str, user: Reviewer, client: TemporalDep) -> dict[str, Any]:
    """The recorded Temporal history of every kept run, in Temporal's JSON form."""
    async with review_refusals(workflow_id):
        return await review.read_history(client, workflow_id, reader=user.sub)


@router.get("/workflows/{workflow_id}/timeline", response_model=list[TimelineEntry])
async def timeline(workflow_id: str, user: Reviewer, client: TemporalDep) -> list[dict[str, Any]]:
    """Who was paged, when, how, with what result; who acknowledged; every escalation."""
    async with review_refusals(workflow_id):
        items = await review.read_timeline(client, workflow_id, reader=user.sub)
    return [item.as_dict() for item in items]


@router.get("/workflows/{workflow_id}/timeline.html", response_class=HTMLResponse)
async def timeline_html(workflow_id: str, user: Reviewer, client: TemporalDep) -> HTMLResponse:
    """The same timeline as a printable page."""
    async with review_refusals(workflow_id):
        return HTMLResponse(await review.timeline_page(client, workflow_id, reader=user.sub))


@router.get("/workflows/{workflow_id}/export",
            responses={200: {"content": {"application/zip": {}}}})
async def export(workflow_id: str, user: Reviewer, client: TemporalDep) -> Response:
    """A zip of history, timeline, audit entries and chain verification, with digests."""
    async with review_refusals(workflow_id):
        data = await review.export_bundle(client, workflow_id, reader=user.sub)
    name = f"vigil-{workflow_id}.zip"
    return Response(data, media_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post("/workflows/{workflow_id}/replay", response_model=list[ReplayResult])
async def replay_one(workflow_id: str, user: Reviewer, client: TemporalDep) -> list[dict[str, Any]]:
    """Replay every kept run of the workflow against today's code."""
    async with review_refusals(workflow_id):
        outcomes = await review.replay_workflow(client, workflow_id, reader=user.sub)
    return [outcome.as_dict() for outcome in outcomes]


@router.post("/replay", response_model=list[ReplayResult])
async def replay_range(body: ReplayRange, user: Reviewer, client: TemporalDep) -> list[dict[str, Any]]:
    """Replay every workflow that closed in the range (at most `limit`)."""
    f = WorkflowFilter(kind=body.kind, closed_after=body.closed_after,
                       closed_before=body.closed_before)
    async with review_refusals():
        outcomes = await review.replay_closed(client, f, body.limit, reader=user.sub)
    return [outcome.as_dict() for outcome in outcomes]
