"""A patient's doses as FHIR R4 MedicationAdministration resources (a searchset Bundle)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from api.deps import CurrentUser
from api.errors import ERROR_RESPONSES
from services.medication_administrations import read_administrations

router = APIRouter(prefix="/patients", tags=["medication"], responses=ERROR_RESPONSES)


@router.get("/{patient_id}/medication-administrations")
def administrations(patient_id: str, user: CurrentUser,
                    days: Annotated[int, Query(ge=1, le=366)] = 30,
                    schedule_id: str | None = None) -> JSONResponse:
    """Taken (completed) and skipped or missed (not-done) doses of the last `days` days."""
    bundle = read_administrations(user=user, patient_id=patient_id, days=days,
                                  schedule_id=schedule_id)
    return JSONResponse(bundle, media_type="application/fhir+json")
