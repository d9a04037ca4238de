"""Patients and the consents that let their caregivers and family see them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.deps import CurrentUser, require
from api.errors import ERROR_RESPONSES
from services import consent, people
from services.principal import Principal
from services.schemas.people import (
    ConsentCreate,
    ConsentPublic,
    ConsentRevoke,
    PatientChange,
    PatientCreate,
    PatientPublic,
)

router = APIRouter(prefix="/patients", tags=["patients"], responses=ERROR_RESPONSES)
Coordinator = Annotated[Principal, Depends(require("coordinator", "admin"))]


@router.post("", status_code=201, response_model=PatientPublic)
def create_patient(body: PatientCreate, user: Coordinator) -> PatientPublic:
    """Add a patient: language, time zone, contact channels, home, preferences."""
    return people.create_patient(body=body, principal=user)


@router.get("", response_model=list[PatientPublic])
def list_patients(user: CurrentUser, limit: Annotated[int, Query(ge=1, le=500)] = 100,
                  offset: Annotated[int, Query(ge=0)] = 0) -> list[PatientPublic]:
    """Patients by id, for staff (the read is audited)."""
    return people.list_patients(principal=user, limit=limit, offset=offset)


@router.get("/{patient_id}", response_model=PatientPublic)
def read_patient(patient_id: str, user: CurrentUser) -> PatientPublic:
    """One patient, for staff or the patient themself (the read is audited)."""
    return people.read_patient(patient_id=patient_id, principal=user)


@router.patch("/{patient_id}", response_model=PatientPublic)
def change_patient(patient_id: str, body: PatientChange, user: Coordinator) -> PatientPublic:
    """Change some fields (null clears one); the result is checked as a whole."""
    return people.change_patient(patient_id=patient_id, body=body, principal=user)


@router.get("/{patient_id}/consents", response_model=list[ConsentPublic])
def list_consents(patient_id: str, user: CurrentUser,
                  include_revoked: bool = True) -> list:
    """Who the patient has authorised, for what, and who revoked what (the read is audited)."""
    return consent.list_consents(patient_id=patient_id, principal=user,
                                 include_revoked=include_revoked)


@router.post("/{patient_id}/consents", status_code=201, response_model=ConsentPublic)
def grant_consent(patient_id: str, body: ConsentCreate, user: CurrentUser) -> object:
    """The patient, or a coordinator/admin for them with a reason, authorises a caregiver."""
    return consent.grant_consent(patient_id=patient_id, body=body, principal=user)


@router.post("/{patient_id}/consents/{consent_id}/revoke", response_model=ConsentPublic)
def revoke_consent(patient_id: str, consent_id: str, user: CurrentUser,
                   body: ConsentRevoke | None = None) -> object:
    """End a consent at once (the patient, the caregiver themself, or staff with a reason)."""
    return consent.revoke_consent(patient_id=patient_id, consent_id=consent_id,
                                  body=body or ConsentRevoke(), principal=user)
