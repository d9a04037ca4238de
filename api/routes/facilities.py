"""Facilities: the places emergencies happen and staff work."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import Admin, Staff
from api.errors import ERROR_RESPONSES, VigilError
from services.directory_reads import facilities
from services.schemas.directory import FacilityIn
from audit.chain import append as audit
from db.engine import writing
from db.models import Facility

router = APIRouter(prefix="/facilities", tags=["facilities"], responses=ERROR_RESPONSES)


@router.get("", response_model=list[FacilityIn])
def list_facilities(user: Staff) -> list[Facility]:
    """Every facility."""
    return facilities()


@router.post("", status_code=201, response_model=FacilityIn)
def create_facility(body: FacilityIn, user: Admin) -> Facility:
    """Add a facility."""
    with writing() as session:
        if session.get(Facility, body.id):
            raise VigilError(409, "already_exists", f"Facility {body.id!r} already exists.")
        facility = Facility(**body.model_dump())
        session.add(facility)
        audit(session, actor=user.sub, action="facility.created", subject=body.id,
              detail=body.model_dump())
    return facility
