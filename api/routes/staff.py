"""The staff directory and each staff member's live inbox."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Header, Request
from sqlmodel import col, select
from sse_starlette.sse import EventSourceResponse

from api.deps import Admin, HubDep, Staff
from api.errors import ERROR_RESPONSES, VigilError, not_found
from services import staff_directory
from services.inbox import open_pages
from services.schemas.directory import StaffCreate, StaffIn, StaffPublic
from api.streams import sse_events
from events.topics import staff_topic
from db.engine import reading
from db.models import Staff as StaffRow

router = APIRouter(prefix="/staff", tags=["staff"], responses=ERROR_RESPONSES)


@router.get("", response_model=list[StaffPublic])
def list_staff(user: Staff, facility_id: str | None = None, on_call: bool | None = None) -> list:
    """Everyone in the directory, optionally by facility or on-call state."""
    query = select(StaffRow).order_by(col(StaffRow.id))
    if facility_id:
        query = query.where(StaffRow.facility_id == facility_id)
    if on_call is not None:
        query = query.where(StaffRow.on_call == on_call)
    with reading() as session:
        return list(session.exec(query).all())


@router.get("/{staff_id}", response_model=StaffPublic)
def read_staff(staff_id: str, user: Staff) -> StaffRow:
    """One staff member."""
    with reading() as session:
        person = session.get(StaffRow, staff_id)
    if person is None:
        raise not_found("staff member", staff_id)
    return person


@router.post("", status_code=201, response_model=StaffPublic)
def create_staff(body: StaffCreate, user: Admin) -> StaffRow:
    """Add someone to the directory."""
    return staff_directory.create_staff(body=body, actor=user.sub)


@router.put("/{staff_id}", response_model=StaffPublic)
def replace_staff(staff_id: str, body: StaffIn, user: Admin) -> StaffRow:
    """Replace a directory entry (on-call changes, new phone, ...)."""
    return staff_directory.replace_staff(staff_id=staff_id, body=body, actor=user.sub)


@router.get("/{staff_id}/inbox")
async def inbox(staff_id: str, user: Staff, hub: HubDep, request: Request,
                last_event_id: Annotated[str | None, Header()] = None) -> EventSourceResponse:
    """Server-Sent Events of every page to this person (their own inbox, or any for an admin).
    Without Last-Event-ID: the pages about emergencies and sessions still open, then live."""
    # The sub alone is not enough: a family or patient token may carry a sub equal to a staff id.
    if not user.is_staff or (user.sub != staff_id and not user.is_admin):
        raise VigilError(403, "forbidden", "Staff read their own inbox; admins read any.")
    return await sse_events(hub, [staff_topic(staff_id)], last_event_id, request,
                            opening=partial(open_pages, staff_id))
