"""The console's medication plans: the list, one plan live with its adherence, pause/resume/stop.

Each page and form calls the services GET/POST /api/v1/medication-schedules... call, behind the
same role sets and the same `check_read` (a patient's or family member's access from consent).
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Form, Header, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sse_starlette.sse import EventSourceResponse

from api.console_session import as_page, check_csrf, form_body, render, session_principal, temporal
from api.permissions import COORDINATORS
from api.streams import sse_events
from console.charts import adherence_bar
from events.topics import medication_topic
from services.medication import (
    actor_for,
    adherence,
    check_read,
    get_schedule,
    list_schedules,
    live_state,
    read_schedule_as,
    run_command,
)
from services.principal import ROLES
from services.schemas.medication import SteerBody
from workflows.medication import MedicationScheduleWorkflow as Wf
from workflows.medication_types import SteerCommand

router = APIRouter(prefix="/console/medication", tags=["console"], include_in_schema=False)
Csrf = Annotated[str | None, Form(alias="csrf_token")]
DONE = {"pause": "Paused: no reminders until it is resumed.",
        "resume": "Resumed from the next dose.", "stop": "Stopped."}


@router.get("")
def plans(request: Request, patient_id: str | None = None) -> HTMLResponse:
    """Medication plans, newest first (as GET /api/v1/medication-schedules)."""
    user = session_principal(request, ROLES, "/console/medication")
    with as_page():
        rows = list_schedules(user, patient_id, None, 100)
    return render(request, "medication_list.html", {"user": user, "plans": rows,
                                                    "patient_id": patient_id})


def _page(user: Any, schedule_id: str) -> dict[str, Any]:
    with as_page():
        row = read_schedule_as(user, schedule_id, "schedule")
    periods = []
    for days in (7, 30):
        meds = adherence(schedule_id=schedule_id, days=days)["medications"]
        periods.append({"days": days, "medications": [
            {"id": med, "tally": tally, "bar": adherence_bar(tally)}
            for med, tally in meds.items()]})
    names = {m["id"]: m.get("name", m["id"]) for m in row.medications}
    return {"plan": row, "periods": periods, "med_names": names}


@router.get("/{schedule_id}")
async def plan_page(request: Request, schedule_id: str, done: str | None = None) -> HTMLResponse:
    """One plan live: its medicines and times, the next dose, adherence over 7 and 30 days."""
    path = str(request.url.path) + (f"?{request.url.query}" if request.url.query else "")
    user = session_principal(request, ROLES, path)
    page = await asyncio.to_thread(_page, user, schedule_id)
    client = request.app.state.temporal
    live = await live_state(client, page["plan"]) if client is not None else None
    return render(request, "medication.html", {
        **page, "user": user, "live": live, "done": DONE.get(done or ""),
        "can_steer": user.has_any(COORDINATORS)})


async def _steer(request: Request, schedule_id: str, csrf: str | None, reason: str,
                 verb: str, update: Any) -> RedirectResponse:
    user = session_principal(request, COORDINATORS, f"/console/medication/{schedule_id}")
    check_csrf(request, csrf)
    with as_page():
        body = form_body(SteerBody, reason=reason)
        row = await asyncio.to_thread(get_schedule, schedule_id)
        cmd = SteerCommand(await asyncio.to_thread(actor_for, user, row), body.reason)
        await run_command(client=temporal(request), row=row, update=update, arg=cmd)
    return RedirectResponse(f"/console/medication/{schedule_id}?done={verb}", status_code=303)


@router.post("/{schedule_id}/pause")
async def pause(request: Request, schedule_id: str, csrf: Csrf = None,
                reason: Annotated[str, Form()] = "") -> RedirectResponse:
    """No reminders until resumed (as POST /api/v1/medication-schedules/{id}/pause)."""
    return await _steer(request, schedule_id, csrf, reason, "pause", Wf.pause)


@router.post("/{schedule_id}/resume")
async def resume(request: Request, schedule_id: str, csrf: Csrf = None,
                 reason: Annotated[str, Form()] = "") -> RedirectResponse:
    """Remind again from the next dose."""
    return await _steer(request, schedule_id, csrf, reason, "resume", Wf.resume)


@router.post("/{schedule_id}/stop")
async def stop(request: Request, schedule_id: str, csrf: Csrf = None,
               reason: Annotated[str, Form()] = "") -> RedirectResponse:
    """End the plan; an open dose is closed as stopped and never counted."""
    return await _steer(request, schedule_id, csrf, reason, "stop", Wf.stop)


@router.get("/{schedule_id}/events")
async def plan_events(request: Request, schedule_id: str,
                      last_event_id: Annotated[str | None, Header()] = None) -> EventSourceResponse:
    """Every reminder, confirmation and change (as GET .../medication-schedules/{id}/events)."""
    user = session_principal(request, ROLES, f"/console/medication/{schedule_id}")
    with as_page():
        await asyncio.to_thread(lambda: check_read(get_schedule(schedule_id), user))
    return sse_events(request.app.state.hub, [medication_topic(schedule_id)], last_event_id,
                      request, named=False)
