"""The console for patients and their family: the patient's status in words, today's doses.

Nothing else: who may open a patient comes from the consent records (`services.family_view`,
as the /api/v1/patients/{id}/updates stream decides), and anyone else gets a refusal page.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sse_starlette.sse import EventSourceResponse

from api.console_session import as_page, render, session_principal
from api.routes.family import family_updates
from services.family_view import patient_view, patients_of
from services.principal import ROLES, STAFF_ROLES

router = APIRouter(prefix="/console", tags=["console"], include_in_schema=False)
LastEventId = Annotated[str | None, Header()]


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
def patient_page(request: Request, patient_id: str) -> HTMLResponse:
    """The patient's status in words and (with a medication consent) today's doses."""
    user = session_principal(request, ROLES, f"/console/patients/{patient_id}")
    with as_page():
        view = patient_view(user, patient_id)
    return render(request, "patient.html", {"user": user, **view})


@router.get("/patients/{patient_id}/updates")
async def patient_updates(request: Request, patient_id: str,
                          last_event_id: LastEventId = None) -> EventSourceResponse:
    """The same stream as GET /api/v1/patients/{id}/updates, for the page's live part."""
    user = session_principal(request, ROLES, f"/console/patients/{patient_id}")
    with as_page():
        return await family_updates(patient_id, user, request.app.state.hub, request, last_event_id)


