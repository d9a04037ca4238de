"""The console for patients and their family: the patient's status in words, today's doses
(an open one confirmed from the page, as POST /api/v1/medication-schedules/{id}/doses/confirm).

Nothing else: who may open a patient comes from the consent records (`services.family_view`,
as the /api/v1/patients/{id}/updates stream decides), and anyone else gets a refusal page.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Form, Header, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sse_starlette.sse import EventSourceResponse

from api.console_session import as_page, check_csrf, form_body, render, session_principal
from api.permissions import RESPONDERS
from api.routes.family import family_updates
from services.dose_confirmations import confirm_dose
from services.family_view import patient_view, patients_of
from services.medication import get_schedule
from services.principal import ROLES, STAFF_ROLES
from services.schemas.medication import ConfirmBody

router = APIRouter(prefix="/console", tags=["console"], include_in_schema=False)
LastEventId = Annotated[str | None, Header()]
Text = Annotated[str, Form()]
CONFIRMERS = (*RESPONDERS, "patient", "family")  # an auditor only reads


@router.get("/me", response_model=None)
def me(request: Request) -> Response:
    """Where each person starts: staff at their inbox, a patient or family at their patient."""
    user = session_principal(request, ROLES, "/console/me")
    if user.has_any(STAFF_ROLES):
        return RedirectResponse("/console/inbox", status_code=303)
    patients = patients_of(user)
    if len(patients) == 1:
        return RedirectResponse(f"/console/patients/{patients[0]}", status_code=303)
    return render(request, "my_patients.html", {"user": user, "patients": patients})


@router.get("/patients/{patient_id}")
def patient_page(request: Request, patient_id: str, done: str | None = None) -> HTMLResponse:
    """The patient's status in words and (with a medication consent) today's doses."""
    user = session_principal(request, ROLES, f"/console/patients/{patient_id}")
    with as_page():
        view = patient_view(user, patient_id)
    return render(request, "patient.html", {
        "user": user, **view, "done": done if done in ("taken", "skipped") else None,
        "can_confirm": view["shows_doses"] and user.has_any(CONFIRMERS)})


@router.post("/medication/{schedule_id}/doses/confirm")
async def confirm(request: Request, schedule_id: str, dose_id: Text = "", outcome: Text = "",
                  reason: Text = "", csrf_token: Annotated[str | None, Form()] = None
                  ) -> RedirectResponse:
    """Taken, or skipped with a reason: the API's own `confirm_dose`, as this person (a
    caregiver's or staff member's answer is recorded as on the patient's behalf)."""
    user = session_principal(request, ROLES, f"/console/medication/{schedule_id}")
    check_csrf(request, csrf_token)
    with as_page():
        body = form_body(ConfirmBody, dose_id=dose_id, outcome=outcome, reason=reason.strip())
        result = await confirm_dose(client=request.app.state.temporal, user=user,
                                    schedule_id=schedule_id, dose_id=body.dose_id,
                                    outcome=body.outcome, reason=body.reason, via=body.via)
        row = await asyncio.to_thread(get_schedule, schedule_id)
    done = "skipped" if result.outcome == "skipped" else "taken"  # late is taken too
    return RedirectResponse(f"/console/patients/{row.patient_id}?done={done}#doses",
                            status_code=303)


@router.get("/patients/{patient_id}/updates")
async def patient_updates(request: Request, patient_id: str,
                          last_event_id: LastEventId = None) -> EventSourceResponse:
    """The same stream as GET /api/v1/patients/{id}/updates, for the page's live part."""
    user = session_principal(request, ROLES, f"/console/patients/{patient_id}")
    with as_page():
        return await family_updates(patient_id, user, request.app.state.hub, request, last_event_id)


