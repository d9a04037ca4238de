"""The console's directory and escalation-policy pages: view, create, edit.

Reading is for staff and writing for admins, as GET/POST/PUT /api/v1/policies; the form's fields
become the API's own `PolicyCreate`/`PolicyIn` body and go to the same `services.policies`
functions, so a value the API refuses is refused here for the same reason, next to its field.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from api.console_session import as_page, check_csrf, render, session_principal
from api.permissions import ADMINS, STAFF
from console.forms import TOP, refusal_errors, validation_errors
from services import policies
from services.dashboard import dashboard
from services.directory_reads import staff_people
from services.engine_health import engine_health
from services.errors import VigilError
from services.schemas.directory import PolicyCreate, PolicyIn
from services.schemas.emergencies import Channel, Severity
from workflows.policy import TARGET_SELECTORS

router = APIRouter(prefix="/console", tags=["console"], include_in_schema=False)
CHANNELS = Channel.__args__  # type: ignore[attr-defined]
SEVERITIES = Severity.__args__  # type: ignore[attr-defined]
MAX_TIERS = 10  # as PolicyIn allows
DASHBOARD_EVERY_S = 5  # no one stream carries every figure: the page reads them again


@router.get("/staff")
def directory(request: Request) -> HTMLResponse:
    """Everyone in the staff directory (as GET /api/v1/staff)."""
    user = session_principal(request, STAFF, "/console/staff")
    return render(request, "staff.html", {"user": user, "people": staff_people()})


@router.get("/dashboard")
async def dashboard_page(request: Request) -> HTMLResponse:
    """Open emergencies, delivery per channel, time to first delivery and to acknowledge (p50,
    p90 over the last hour and day), the 5 s SLA for critical pages, worker and Temporal health."""
    user = session_principal(request, ADMINS, "/console/dashboard")
    figures = await asyncio.to_thread(dashboard)
    health = await engine_health(request.app.state.temporal)
    return render(request, "dashboard.html", {"user": user, "d": figures, "health": health,
                                              "every_s": DASHBOARD_EVERY_S})


@router.get("/policies")
def policy_list(request: Request, done: str | None = None) -> HTMLResponse:
    """Every escalation policy, with its channels and tiers."""
    user = session_principal(request, STAFF, "/console/policies")
    return render(request, "policies.html", {
        "user": user, "policies": policies.list_policies(), "can_edit": user.has_any(ADMINS),
        "done": {"saved": "Saved."}.get(done or "")})


def _values(policy: Any | None) -> dict[str, Any]:
    """The form's fields for a saved policy (or a blank one)."""
    if policy is None:
        return {"repeat_count": "0", "channel_websocket": "on", "after_websocket": "0"}
    values: dict[str, Any] = {"id": policy.id, "name": policy.name,
                              "severity": policy.severity or "",
                              "repeat_count": str(policy.repeat_count)}
    for step in policy.channels:
        values[f"channel_{step['channel']}"] = "on"
        values[f"after_{step['channel']}"] = f"{step.get('after_s', 0):g}"
    for i, tier in enumerate(policy.tiers):
        values.update({f"tier_name_{i}": tier["name"], f"tier_targets_{i}": tier["targets"],
                       f"tier_timeout_{i}": f"{tier['ack_timeout_s']:g}"})
    return values


def _form(request: Request, user: Any, policy_id: str | None, values: dict[str, Any],
          errors: dict[str, str], status: int = 200) -> HTMLResponse:
    return render(request, "policy_form.html", {
        "user": user, "policy_id": policy_id, "values": values, "errors": errors,
        "top_error": errors.get(TOP), "channels": CHANNELS, "severities": SEVERITIES,
        "selectors": TARGET_SELECTORS, "tier_rows": _rows(values)}, status=status)


def _rows(values: dict[str, Any]) -> int:
    """The tiers filled in, and room for one more (at least three rows)."""
    used = [i for i in range(MAX_TIERS) if any(values.get(f"tier_{part}_{i}")
                                               for part in ("name", "targets", "timeout"))]
    return min(MAX_TIERS, max(3, (max(used) + 2) if used else 0))


@router.get("/policies/new")
def new_policy(request: Request) -> HTMLResponse:
    user = session_principal(request, ADMINS, "/console/policies/new")
    return _form(request, user, None, _values(None), {})


@router.get("/policies/{policy_id}/edit")
def edit_policy(request: Request, policy_id: str) -> HTMLResponse:
    user = session_principal(request, ADMINS, f"/console/policies/{policy_id}/edit")
    with as_page():
        policy = policies.get_policy(policy_id)
    return _form(request, user, policy_id, _values(policy), {})


def _body(values: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The JSON body the API takes; and which channel each `channels` index is."""
    chosen = [c for c in CHANNELS if values.get(f"channel_{c}")]
    channels = [{"channel": c, "after_s": values.get(f"after_{c}") or 0} for c in chosen]
    tiers = [{"name": values.get(f"tier_name_{i}", "").strip(),
              "targets": values.get(f"tier_targets_{i}", "").strip(),
              "ack_timeout_s": values.get(f"tier_timeout_{i}", "").strip()}
             for i in range(MAX_TIERS)
             if any(str(values.get(f"tier_{part}_{i}", "")).strip()
                    for part in ("name", "targets", "timeout"))]
    body = {"name": values.get("name", "").strip(), "severity": values.get("severity") or None,
            "channels": channels, "tiers": tiers, "repeat_count": values.get("repeat_count") or 0}
    if "id" in values:
        body["id"] = values["id"].strip()
    return body, chosen


def _field_for(chosen: list[str]):  # type: ignore[no-untyped-def]
    def place(path: tuple[str, ...]) -> str | None:
        head = path[0] if path else ""
        if head in ("id", "name", "severity", "repeat_count") and len(path) == 1:
            return head
        if head == "tiers" and len(path) > 2 and path[1].isdigit():
            part = {"ack_timeout_s": "timeout"}.get(path[2], path[2])
            return f"tier_{part}_{path[1]}"
        if head == "tiers":
            return "tier_name_0"
        index = int(path[1]) if len(path) > 2 and path[1].isdigit() else len(chosen)
        if head == "channels" and index < len(chosen):
            return f"after_{chosen[index]}"
        if head == "channels":
            return "channels"
        return None
    return place


async def _save(request: Request, roles: tuple[str, ...], policy_id: str | None) -> Any:
    where = f"/console/policies/{policy_id}/edit" if policy_id else "/console/policies/new"
    user = session_principal(request, roles, where)
    raw = await request.form()
    check_csrf(request, raw.get("csrf_token"))  # type: ignore[arg-type]
    values = {k: str(v) for k, v in raw.items() if k != "csrf_token"}
    if policy_id:
        values.pop("id", None)
    body, chosen = _body(values)
    try:
        if policy_id:
            await asyncio.to_thread(lambda: policies.replace_policy(
                policy_id=policy_id, body=PolicyIn.model_validate(body), actor=user.sub))
        else:
            await asyncio.to_thread(lambda: policies.create_policy(
                body=PolicyCreate.model_validate(body), actor=user.sub))
    except ValidationError as error:
        errors = validation_errors(error, _field_for(chosen))
    except VigilError as error:
        if error.status not in (409, 422):
            raise
        errors = refusal_errors(error, _field_for(chosen))
        if error.code == "already_exists":
            errors = {"id": error.message}
    else:
        return RedirectResponse("/console/policies?done=saved", status_code=303)
    return _form(request, user, policy_id, values, errors, status=422)


@router.post("/policies", response_model=None)
async def create(request: Request) -> HTMLResponse | RedirectResponse:
    """Create a policy, as POST /api/v1/policies."""
    with as_page():
        return await _save(request, ADMINS, None)


@router.post("/policies/{policy_id}", response_model=None)
async def replace(request: Request, policy_id: str) -> HTMLResponse | RedirectResponse:
    """Replace a policy, as PUT /api/v1/policies/{id}: its version goes up."""
    with as_page():
        return await _save(request, ADMINS, policy_id)
