"""The console's on-call pages: the live inbox and one emergency, with its command forms.

Each page and form calls the same services as the matching API route, behind the same role
sets (`api.deps.STAFF`, `RESPONDERS`), so the console can refuse nothing less than the API does.
Forms are plain POSTs with a CSRF token; the inbox's script also acknowledges over the socket.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from api.console_session import (
    ConsoleRefusal,
    check_csrf,
    form_body,
    render,
    session_principal,
    temporal,
)
from api.deps import RESPONDERS, STAFF
from services.directory_reads import hand_over_candidates, staff_people
from services.emergencies import actor_for, find_colleague, run_command_until_recorded
from services.emergency_reads import emergency_detail, emergency_timeline
from services.errors import VigilError
from services.principal import Principal
from services.schemas.emergencies import CancelBody, EscalateBody, HandOverBody, ResolveBody
from workflows.emergency import EmergencyEscalationWorkflow as Wf
from workflows.emergency_types import (
    AcknowledgeInput,
    CancelInput,
    EscalateInput,
    HandOverInput,
    ResolveInput,
)

router = APIRouter(prefix="/console", tags=["console"], include_in_schema=False)
Csrf = Annotated[str | None, Form(alias="csrf_token")]
DONE = {"acknowledged": "You have it.", "resolved": "Resolved.", "cancelled": "Cancelled.",
        "handed_over": "Handed over.", "escalated": "Escalated: the next tier is being paged."}


@router.get("/inbox")
def inbox(request: Request) -> HTMLResponse:
    """My pages, live over the staff WebSocket, with the alarm and one-button acknowledge."""
    user = session_principal(request, STAFF, str(request.url.path))
    return render(request, "inbox.html", {"user": user, "can_act": user.has_any(RESPONDERS)})


def _page(emergency_id: str, user: Principal) -> dict[str, Any]:
    try:
        detail = emergency_detail(emergency_id=emergency_id, user=user)
    except VigilError as error:
        raise ConsoleRefusal.of(error)
    names = {person.id: person.name for person in staff_people()}
    return {"emergency": detail, "timeline": emergency_timeline(emergency_id=emergency_id),
            "names": names, "colleagues": hand_over_candidates()}


@router.get("/emergencies/{emergency_id}")
def emergency_page(request: Request, emergency_id: str, done: str | None = None) -> HTMLResponse:
    """Where, how severe, who was paged on which channel and how it went, who has it, what happened."""
    path = str(request.url.path) + (f"?{request.url.query}" if request.url.query else "")
    user = session_principal(request, STAFF, path)
    return render(request, "emergency.html", {
        **_page(emergency_id, user), "user": user, "can_act": user.has_any(RESPONDERS),
        "done": DONE.get(done or "")})


async def _command(request: Request, emergency_id: str, csrf: str | None, done: str,
                   update: Any, make: Any) -> RedirectResponse:
    """Signed in, a responder, the form's own: then the same workflow update the API sends."""
    user = session_principal(request, RESPONDERS, f"/console/emergencies/{emergency_id}")
    check_csrf(request, csrf)
    client = temporal(request)
    try:
        arg = await make(await actor_for(user))
        await run_command_until_recorded(client=client, hub=request.app.state.hub,
                                         emergency_id=emergency_id, update=update, arg=arg)
    except VigilError as error:
        raise ConsoleRefusal.of(error)
    return RedirectResponse(f"/console/emergencies/{emergency_id}?done={done}", status_code=303)


@router.post("/emergencies/{emergency_id}/acknowledge")
async def acknowledge(request: Request, emergency_id: str, csrf: Csrf = None) -> RedirectResponse:
    """Take it (409 names who already has it; 403 if you were never paged)."""
    async def make(actor: Any) -> AcknowledgeInput:
        return AcknowledgeInput(actor=actor, via="web")
    return await _command(request, emergency_id, csrf, "acknowledged", Wf.acknowledge, make)


@router.post("/emergencies/{emergency_id}/resolve")
async def resolve(request: Request, emergency_id: str, csrf: Csrf = None,
                  outcome: Annotated[str, Form()] = "") -> RedirectResponse:
    """Close it with its outcome."""
    async def make(actor: Any) -> ResolveInput:
        return ResolveInput(actor=actor, outcome=form_body(ResolveBody, outcome=outcome).outcome)
    return await _command(request, emergency_id, csrf, "resolved", Wf.resolve, make)


@router.post("/emergencies/{emergency_id}/cancel")
async def cancel(request: Request, emergency_id: str, csrf: Csrf = None,
                 reason: Annotated[str, Form()] = "") -> RedirectResponse:
    """A false alarm, with the reason: everyone paged is stood down."""
    async def make(actor: Any) -> CancelInput:
        return CancelInput(actor=actor, reason=form_body(CancelBody, reason=reason).reason)
    return await _command(request, emergency_id, csrf, "cancelled", Wf.cancel, make)


@router.post("/emergencies/{emergency_id}/hand-over")
async def hand_over(request: Request, emergency_id: str, csrf: Csrf = None,
                    to_staff_id: Annotated[str, Form()] = "",
                    note: Annotated[str, Form()] = "") -> RedirectResponse:
    """Give it to a named colleague, who is paged with it."""
    async def make(actor: Any) -> HandOverInput:
        body = form_body(HandOverBody, to_staff_id=to_staff_id, note=note)
        colleague = await asyncio.to_thread(find_colleague, body.to_staff_id)
        return HandOverInput(actor=actor, to_staff_id=colleague.id, to_name=colleague.name,
                             note=body.note)
    return await _command(request, emergency_id, csrf, "handed_over", Wf.hand_over, make)


@router.post("/emergencies/{emergency_id}/escalate")
async def escalate(request: Request, emergency_id: str, csrf: Csrf = None,
                   reason: Annotated[str, Form()] = "") -> RedirectResponse:
    """Page the next tier now."""
    async def make(actor: Any) -> EscalateInput:
        return EscalateInput(actor=actor, reason=form_body(EscalateBody, reason=reason).reason)
    return await _command(request, emergency_id, csrf, "escalated", Wf.escalate_now, make)
