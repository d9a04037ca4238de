"""The console's audit review pages: find workflows, read one's timeline, replay, export, verify.

Reviewers only (as /api/v1/review and /api/v1/audit), through the same `audit.review`
functions, so every search, read, replay and export is itself audited the same way.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ValidationError, field_validator

from api.console_session import as_page, check_csrf, render, session_principal, temporal
from api.permissions import REVIEWERS
from api.routes.review import review_refusals
from audit import review
from audit.chain import verify
from audit.search import WorkflowFilter
from console.forms import validation_errors
from db.engine import reading
from services.schemas.review import Kind, ReplayRange

router = APIRouter(prefix="/console/review", tags=["console"], include_in_schema=False)
Csrf = Annotated[str | None, Form(alias="csrf_token")]
KINDS = Kind.__args__  # type: ignore[attr-defined]


class ReviewSearch(BaseModel):
    """The search form's fields, checked as GET /api/v1/review/workflows checks its query."""

    patient_id: str | None = None
    kind: Kind | None = None
    facility_id: str | None = None
    severity: str | None = None
    status: str | None = None
    started_after: datetime | None = None
    started_before: datetime | None = None

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value


@router.get("")
async def search(request: Request) -> HTMLResponse:
    """Search workflows by patient, kind, facility, severity, status and start time."""
    path = str(request.url.path) + (f"?{request.url.query}" if request.url.query else "")
    user = session_principal(request, REVIEWERS, path)
    values = {k: v for k, v in request.query_params.items() if k in ReviewSearch.model_fields}
    hits, errors = None, {}
    if values:
        try:
            query = ReviewSearch.model_validate(values)
        except ValidationError as error:
            errors = validation_errors(error, lambda p: p[0] if p else None)
        else:
            with as_page():
                async with review_refusals():
                    found = WorkflowFilter(**query.model_dump())
                    hits = await review.search(temporal(request), found, 100, reader=user.sub)
    return render(request, "review.html", {"user": user, "values": values, "errors": errors,
                                           "hits": hits, "kinds": KINDS},
                  status=422 if errors else 200)


@router.get("/workflows/{workflow_id}")
async def timeline(request: Request, workflow_id: str) -> HTMLResponse:
    """Who was paged, how, with what result; who acknowledged; every escalation."""
    user = session_principal(request, REVIEWERS, f"/console/review/workflows/{workflow_id}")
    with as_page():
        async with review_refusals(workflow_id):
            items = await review.read_timeline(temporal(request), workflow_id, reader=user.sub)
    return render(request, "review_timeline.html", {
        "user": user, "workflow_id": workflow_id, "items": [i.as_dict() for i in items]})


@router.post("/workflows/{workflow_id}/replay")
async def replay_one(request: Request, workflow_id: str, csrf: Csrf = None) -> HTMLResponse:
    """Replay every kept run against today's code, and say whether it still agrees."""
    user = session_principal(request, REVIEWERS, f"/console/review/workflows/{workflow_id}")
    check_csrf(request, csrf)
    with as_page():
        async with review_refusals(workflow_id):
            outcomes = await review.replay_workflow(temporal(request), workflow_id,
                                                    reader=user.sub)
    return render(request, "review_replay.html", {
        "user": user, "workflow_id": workflow_id, "outcomes": [o.as_dict() for o in outcomes]})


@router.post("/replay", response_model=None)
async def replay_range(request: Request) -> HTMLResponse:
    """Replay every workflow closed in a range (as POST /api/v1/review/replay)."""
    user = session_principal(request, REVIEWERS, "/console/review")
    raw = await request.form()
    check_csrf(request, raw.get("csrf_token"))  # type: ignore[arg-type]
    values = {k.removeprefix("replay_"): str(v) for k, v in raw.items()
              if k.removeprefix("replay_") in ReplayRange.model_fields and str(v).strip()}
    try:
        body = ReplayRange.model_validate(values)
    except ValidationError as error:
        errors = validation_errors(error, lambda p: f"replay_{p[0]}" if p else None)
        return render(request, "review.html", {
            "user": user, "values": {}, "errors": errors, "hits": None, "kinds": KINDS,
            "replay_values": values}, status=422)
    f = WorkflowFilter(kind=body.kind, closed_after=body.closed_after,
                       closed_before=body.closed_before)
    with as_page():
        async with review_refusals():
            outcomes = await review.replay_closed(temporal(request), f, body.limit, reader=user.sub)
    return render(request, "review_replay.html", {
        "user": user, "workflow_id": None, "outcomes": [o.as_dict() for o in outcomes]})


@router.get("/workflows/{workflow_id}/export")
async def export(request: Request, workflow_id: str) -> Response:
    """The export bundle: history, timeline, audit entries and the chain's verification."""
    user = session_principal(request, REVIEWERS, f"/console/review/workflows/{workflow_id}")
    with as_page():
        async with review_refusals(workflow_id):
            data = await review.export_bundle(temporal(request), workflow_id, reader=user.sub)
    return Response(data, media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="vigil-{workflow_id}.zip"'})


def _verify() -> dict[str, Any]:
    with reading() as session:
        return verify(session).as_dict()


@router.get("/verify")
async def verify_chain(request: Request) -> HTMLResponse:
    """Walk the audit chain: whether it holds, and where any break is."""
    user = session_principal(request, REVIEWERS, "/console/review/verify")
    report = await asyncio.to_thread(_verify)
    return render(request, "review_verify.html", {"user": user, "report": report})
