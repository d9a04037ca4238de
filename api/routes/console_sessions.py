"""The console's monitoring pages: the list, the start form, one session live, its commands.

Each page and form calls the services GET/POST /api/v1/sessions... call, behind the same role
sets and the same `check_access`; the form's fields go through the API's own `SessionCreate`, so
a bad value is refused for the same reason, shown next to its field.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict, fields
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from api.console_session import (
    ConsoleRefusal,
    as_page,
    check_csrf,
    form_body,
    render,
    session_principal,
    temporal,
)
from api.permissions import COORDINATORS, RESPONDERS, STAFF
from clinical.thresholds import MONITORING_TYPES, Thresholds, default_thresholds
from console.charts import LIMIT_LABELS, session_charts
from console.forms import TOP, refusal_errors, validation_errors
from services.directory_reads import facilities, staff_people
from services.errors import VigilError
from services.monitoring import (
    actor_for,
    forget_for_intake,
    get_session,
    list_sessions,
    live_state,
    read_session_as,
    run_command,
    start_session,
    time_series,
)
from services.schemas.monitoring import DeviceType, EndBody, SessionCreate, ThresholdsUpdate
from workflows.monitoring import MonitoringSessionWorkflow as Wf
from workflows.monitoring_types import AlarmAcknowledge, EndSession, ThresholdsChange

router = APIRouter(prefix="/console", tags=["console"], include_in_schema=False)
Csrf = Annotated[str | None, Form(alias="csrf_token")]
DEVICE_ROWS = 3
DEVICE_TYPES = DeviceType.__args__  # type: ignore[attr-defined]
LIMITS = tuple(f.name for f in fields(Thresholds))
CHART_POINTS = 2000
DONE = {"alarm": "Alarm acknowledged: it stays quiet for the session's window.",
        "limits": "Limits changed: they apply from the next reading.",
        "ended": "Session ended.", "started": "Monitoring started."}


@router.get("/sessions")
def sessions(request: Request) -> HTMLResponse:
    """Monitoring sessions, newest first (a provider sees only the ones they are on)."""
    user = session_principal(request, STAFF, "/console/sessions")
    return render(request, "sessions.html", {"user": user, "sessions": list_sessions(user),
                                              "can_start": user.has_any(COORDINATORS)})


def _form_context(values: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    defaults = {kind: asdict(default_thresholds(kind)) for kind in MONITORING_TYPES}
    people = staff_people()
    return {"values": values, "errors": errors, "top_error": errors.get(TOP),
            "types": MONITORING_TYPES, "device_types": DEVICE_TYPES, "device_rows": DEVICE_ROWS,
            "limits": LIMITS, "limit_labels": LIMIT_LABELS, "defaults": defaults,
            "facilities": facilities(),
            "care_team_choices": [p for p in people if p.role in ("provider", "coordinator")],
            "viewer_choices": [p for p in people if p.role == "provider"]}


def _blank_form() -> dict[str, Any]:
    kind = MONITORING_TYPES[0]
    return {"monitoring_type": kind, "expected_interval_s": "60", "care_team": [], "viewers": [],
            **{f"threshold_{k}": f"{v:g}" for k, v in asdict(default_thresholds(kind)).items()}}


@router.get("/sessions/new")
def new_session(request: Request) -> HTMLResponse:
    """The start form, with the first monitoring type's default limits filled in."""
    user = session_principal(request, COORDINATORS, "/console/sessions/new")
    return render(request, "session_new.html", {"user": user, **_form_context(_blank_form(), {})})


def _field_for(path: tuple[str, ...]) -> str | None:
    """Where SessionCreate's field `path` is on the form."""
    head = path[0] if path else ""
    if head == "location" and len(path) > 1:
        return path[1] if path[1] in ("facility_id", "department", "room", "floor") else None
    if head == "devices":
        index = path[1] if len(path) > 1 and path[1].isdigit() else "0"
        return f"device_{'type' if path[-1] == 'type' else 'id'}_{index}"
    if head == "thresholds" and len(path) > 1:
        return f"threshold_{path[1]}"
    if head in ("patient_id", "monitoring_type", "care_team", "viewers", "family_viewers",
                "expected_interval_s"):
        return head
    return None


def _body_from(form: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The JSON body the API would take, from the form; a limit that is not a number is refused
    here (the API's JSON parser would have refused it the same way)."""
    kind = form.get("monitoring_type", "")
    defaults = asdict(default_thresholds(kind)) if kind in MONITORING_TYPES else {}
    overrides: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name in LIMITS:
        raw = str(form.get(f"threshold_{name}", "")).strip()
        if not raw:
            continue
        try:
            value: float | int = int(raw) if name == "spo2_scale" else float(raw)
        except ValueError:
            errors[f"threshold_{name}"] = "must be a number"
            continue
        if value != defaults.get(name):
            overrides[name] = value
    devices = [{"id": form.get(f"device_id_{i}", "").strip(), "type": form.get(f"device_type_{i}")}
               for i in range(DEVICE_ROWS) if form.get(f"device_id_{i}", "").strip()]
    body = {"patient_id": form.get("patient_id", "").strip(), "monitoring_type": kind,
            "location": {"facility_id": form.get("facility_id", ""),
                         **{k: form.get(k, "").strip() or None
                            for k in ("department", "room", "floor")}},
            "devices": devices, "care_team": form.get("care_team", []),
            "viewers": form.get("viewers", []),
            "family_viewers": [v.strip() for v in form.get("family_viewers", "").split(",")
                               if v.strip()],
            "thresholds": overrides, "expected_interval_s": form.get("expected_interval_s") or 60}
    return body, errors


@router.post("/sessions", response_model=None)
async def start(request: Request) -> HTMLResponse | RedirectResponse:
    """Start monitoring, as POST /api/v1/sessions does; a refusal is shown next to its field."""
    user = session_principal(request, COORDINATORS, "/console/sessions/new")
    raw = await request.form()
    check_csrf(request, raw.get("csrf_token"))  # type: ignore[arg-type]
    form: dict[str, Any] = {k: raw.get(k) for k in raw.keys() if k not in ("care_team", "viewers")}
    form["care_team"], form["viewers"] = raw.getlist("care_team"), raw.getlist("viewers")
    body, errors = _body_from(form)
    row = None
    if not errors:
        try:
            row = await start_session(client=temporal(request), hub=request.app.state.hub,
                                      body=SessionCreate.model_validate(body), user=user)
        except ValidationError as error:
            errors = validation_errors(error, _field_for)
        except VigilError as error:
            if error.status >= 500:
                raise ConsoleRefusal.of(error)
            errors = refusal_errors(error, _field_for)
    if row is not None:
        return RedirectResponse(f"/console/sessions/{row.id}?done=started", status_code=303)
    context = await asyncio.to_thread(_form_context, form, errors)
    return render(request, "session_new.html", {"user": user, **context}, status=422)


def _page(user: Any, session_id: str) -> dict[str, Any]:
    try:
        row = read_session_as(user, session_id)
    except VigilError as error:
        raise ConsoleRefusal.of(error)
    thresholds = Thresholds(**row.thresholds)
    series = time_series(session_id, None, None, CHART_POINTS)["series"]
    names = {person.id: person.name for person in staff_people()}
    return {"s": row, "thresholds": asdict(thresholds), "limit_labels": LIMIT_LABELS,
            "names": names, "charts": session_charts(series, thresholds)}


async def _session_page(request: Request, user: Any, session_id: str, *, done: str | None = None,
                        values: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
                        status: int = 200) -> HTMLResponse:
    page = await asyncio.to_thread(_page, user, session_id)
    client = request.app.state.temporal
    live = await live_state(client, page["s"]) if client is not None else None
    alarms = (live or {}).get("active_alarms", page["s"].active_alarms)
    return render(request, "session.html", {
        **page, "user": user, "live": live, "alarms": alarms, "done": DONE.get(done or ""),
        "can_act": user.has_any(RESPONDERS), "can_end": user.has_any(COORDINATORS),
        "values": values or {}, "errors": errors or {}, "top_error": (errors or {}).get(TOP)},
        status=status)


@router.get("/sessions/{session_id}")
async def session_page(request: Request, session_id: str, done: str | None = None) -> Response:
    """One session live: a chart of each vital and NEWS2, its alarms, its limits, its end."""
    path = str(request.url.path) + (f"?{request.url.query}" if request.url.query else "")
    user = session_principal(request, STAFF, path)
    return await _session_page(request, user, session_id, done=done)


def _limits_field(path: tuple[str, ...]) -> str | None:
    """Where ThresholdsUpdate's (or the workflow's) field is on the limits form."""
    name = path[-1] if path else ""
    if name in LIMITS:
        return f"limit_{name}"
    return "limit_reason" if name == "reason" else None


@router.post("/sessions/{session_id}/thresholds", response_model=None)
async def change_thresholds(request: Request, session_id: str) -> Response:
    """New limits from the next reading, as PUT /api/v1/sessions/{id}/thresholds; a limit the
    workflow refuses is shown next to its field."""
    user = session_principal(request, RESPONDERS, f"/console/sessions/{session_id}")
    raw = await request.form()
    check_csrf(request, raw.get("csrf_token"))  # type: ignore[arg-type]
    values = {k: str(v) for k, v in raw.items() if k.startswith("limit_")}
    with as_page():
        row = await asyncio.to_thread(get_session, session_id)
    overrides: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name in LIMITS:
        text = values.get(f"limit_{name}", "").strip()
        try:
            value: float | int = int(text) if name == "spo2_scale" else float(text)
        except ValueError:
            errors[f"limit_{name}"] = "must be a number"
            continue
        if value != row.thresholds.get(name):
            overrides[name] = value
    if not errors:
        try:
            body = ThresholdsUpdate(overrides=overrides, reason=values.get("limit_reason", ""))
            await run_command(client=temporal(request), row=row, update=Wf.change_thresholds,
                              arg=ThresholdsChange(actor=await actor_for(user),
                                                   overrides=body.overrides, reason=body.reason))
        except ValidationError as error:
            errors = validation_errors(error, _limits_field)
        except VigilError as error:
            if error.code != "invalid_thresholds":
                raise ConsoleRefusal.of(error)
            errors = refusal_errors(error, _limits_field)
        else:
            return RedirectResponse(f"/console/sessions/{session_id}?done=limits", status_code=303)
    return await _session_page(request, user, session_id, values=values, errors=errors,
                               status=422)


async def _command(request: Request, session_id: str, csrf: str | None, roles: tuple[str, ...],
                   update: Any, make: Any) -> Any:
    user = session_principal(request, roles, f"/console/sessions/{session_id}")
    check_csrf(request, csrf)
    try:
        row = await asyncio.to_thread(get_session, session_id)
        return await run_command(client=temporal(request), row=row, update=update,
                                 arg=make(await actor_for(user)))
    except VigilError as error:
        raise ConsoleRefusal.of(error)


@router.post("/sessions/{session_id}/alarms/{key}/acknowledge")
async def acknowledge_alarm(request: Request, session_id: str, key: str,
                            csrf: Csrf = None) -> RedirectResponse:
    """Silence one alarm for its window, as POST /api/v1/sessions/{id}/alarms/{key}/acknowledge."""
    await _command(request, session_id, csrf, RESPONDERS, Wf.acknowledge,
                   lambda actor: AlarmAcknowledge(actor=actor, key=key))
    return RedirectResponse(f"/console/sessions/{session_id}?done=alarm", status_code=303)


@router.post("/sessions/{session_id}/end")
async def end(request: Request, session_id: str, csrf: Csrf = None,
              reason: Annotated[str, Form()] = "") -> RedirectResponse:
    """End it (every waiting reading is scored first); the page then shows the summary."""
    await _command(request, session_id, csrf, COORDINATORS, Wf.end, lambda actor: EndSession(
        actor=actor, reason=form_body(EndBody, reason=reason).reason))
    forget_for_intake(session_id)
    return RedirectResponse(f"/console/sessions/{session_id}?done=ended", status_code=303)
