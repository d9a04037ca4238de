"""Caregivers and family: people a patient may authorise (see POST /patients/{id}/consents)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.deps import CurrentUser, require
from api.errors import ERROR_RESPONSES
from services import people
from services.principal import Principal
from services.schemas.people import CaregiverCreate, CaregiverPublic

router = APIRouter(prefix="/caregivers", tags=["patients"], responses=ERROR_RESPONSES)
Coordinator = Annotated[Principal, Depends(require("coordinator", "admin"))]


@router.post("", status_code=201, response_model=CaregiverPublic)
def create_caregiver(body: CaregiverCreate, user: Coordinator) -> object:
    """Add a caregiver or family member; they see nothing until a consent names them."""
    return people.create_caregiver(body=body, principal=user)


@router.get("", response_model=list[CaregiverPublic])
def list_caregivers(user: CurrentUser, limit: Annotated[int, Query(ge=1, le=500)] = 100,
                    offset: Annotated[int, Query(ge=0)] = 0) -> list[CaregiverPublic]:
    """Caregivers by id, for staff."""
    return people.list_caregivers(principal=user, limit=limit, offset=offset)


@router.get("/{person_id}", response_model=CaregiverPublic)
def read_caregiver(person_id: str, user: CurrentUser) -> CaregiverPublic:
    """One caregiver, for staff or themself."""
    return people.read_caregiver(person_id=person_id, principal=user)
