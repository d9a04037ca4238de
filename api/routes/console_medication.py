"""The console's medication plans: the list, one plan live with its adherence, pause/resume/stop.

Each page and form calls the services GET/POST /api/v1/medication-schedules... call, behind the
same role sets and the same `check_read` (a patient's or family member's access from consent).
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from typing import Annotated, Any

from fastapi import APIRouter, Form, Header, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sse_starlette.sse import EventSourceResponse

from api.console_session import (
    ConsoleRefusal,
    as_page,
    check_csrf,
    form_body,
    render,
    session_principal,
    temporal,
)
from api.permissions import COORDINATORS
from api.streams import sse_events
from console.charts import adherence_bar
from console.forms import TOP, refusal_errors, validation_errors
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
    start_schedule,
)
from services.errors import VigilError
from services.principal import ROLES
from services.schemas.medication import ScheduleCreate, SteerBody
from workflows.medication import MedicationScheduleWorkflow as Wf
from workflows.medication_types import SteerCommand

router = APIRouter(prefix="/console/medication", tags=["console"], include_in_schema=False)
Csrf = Annotated[str | None, Form(alias="csrf_token")]
DONE = {"started": "The plan has started.", "pause": "Paused: no reminders until it is resumed.",
        "resume": "Resumed from the next dose.", "stop": "Stopped."}


@router.get("")
def plans(request: Request, patient_id: str | None = None) -> HTMLResponse:
    """Medication plans, newest first (as GET /api/v1/medication-schedules)."""
    user = session_principal(request, ROLES, "/console/medication")
    with as_page():
        rows = list_schedules(user, patient_id, None, 100)
    return render(request, "medication_list.html", {"user": user, "plans": rows,
                                                    "patient_id": patient_id})


MED_ROWS = 3
LANGUAGE_CHOICES = ("en", "ms", "zh", "ta")


def _new_form(request: Request, user: Any, values: dict[str, Any], errors: dict[str, str],
              status: int = 200) -> HTMLResponse:
    return render(request, "medication_new.html", {
        "user": user, "values": values, "errors": errors, "top_error": errors.get(TOP),
        "med_rows": MED_ROWS, "language_choices": LANGUAGE_CHOICES}, status=status)


@router.get("/new")
def new_plan(request: Request) -> HTMLResponse:
    """The form to start a plan (coordinators, as POST /api/v1/medication-schedules)."""
    user = session_principal(request, COORDINATORS, "/console/medication/new")
    today = datetime.now(timezone.utc).date().isoformat()
    return _new_form(request, user, {"start_date": today, "zone": "Asia/Kuala_Lumpur",
                                     "language": "en"}, {})


def _plan_field(path: tuple[str, ...]) -> str | None:
    """Where ScheduleCreate's (or the schedule check's) field is on the form."""
    if path[:1] == ("medications",) and len(path) > 2 and path[1].isdigit():
        return {"name": f"med_name_{path[1]}", "dose": f"med_dose_{path[1]}"}.get(path[2])
    if path[:1] == ("medications",):
        return "med_name_0"
    for name in ("patient_id", "times", "start_date", "zone", "language"):
        if name in path or any(part.startswith(f"{name}") for part in path):
            return name
    return None


@router.post("", response_model=None)
async def create(request: Request) -> HTMLResponse | RedirectResponse:
    """Start a plan from the form; a value the API would refuse is shown next to its field."""
    user = session_principal(request, COORDINATORS, "/console/medication/new")
    raw = await request.form()
    check_csrf(request, raw.get("csrf_token"))  # type: ignore[arg-type]
    values = {k: str(v).strip() for k, v in raw.items() if k != "csrf_token"}
    medications = [{"id": f"m{i + 1}", "name": values.get(f"med_name_{i}", ""),
                    "dose": values.get(f"med_dose_{i}", "")}
                   for i in range(MED_ROWS)
                   if values.get(f"med_name_{i}") or values.get(f"med_dose_{i}")]
    body = {"patient_id": values.get("patient_id", ""), "medications": medications,
            "schedule": {"start_date": values.get("start_date", ""),
                         "times": [t.strip() for t in values.get("times", "").split(",")
                                   if t.strip()]},
            "preferences": {"zone": values.get("zone", ""),
                            "language": values.get("language") or "en"}}
    try:
        row = await start_schedule(client=temporal(request), hub=request.app.state.hub,
                                   body=ScheduleCreate.model_validate(body), user=user)
    except ValidationError as error:
        errors = validation_errors(error, _plan_field)
    except VigilError as error:
        if error.status >= 500:
            raise ConsoleRefusal.of(error)
        errors = refusal_errors(error, _plan_field)
    else:
        return RedirectResponse(f"/console/medication/{row.id}?done=started", status_code=303)
    return _new_form(request, user, values, errors, status=422)


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
    return await sse_events(request.app.state.hub, [medication_topic(schedule_id)], last_event_id,
                            request, named=False)
