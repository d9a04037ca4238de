"""Swaps between colleagues: one asks, the colleague accepts (an override), or an admin imposes.

A swap names whose time it is (`person`), who covers it (`colleague`) and the
range. Accepting or imposing writes the override in the same transaction as the
swap's new status, so a swap is accepted if and only if its override exists.
Every step is audited on the schedule with who and why.
"""

from __future__ import annotations

import uuid

from sqlmodel import col, select

from db.engine import reading, writing
from db.models import OnCallSwap, utcnow
from services.errors import VigilError, not_found
from services.oncall import check_people, invalid, place_override, record, schedule_row
from services.principal import Principal
from services.schemas.oncall import SwapIn


def _swap(session, schedule_id: str, swap_id: str) -> OnCallSwap:  # type: ignore[no-untyped-def]
    row = session.get(OnCallSwap, swap_id)
    if row is None or row.schedule_id != schedule_id:
        raise not_found("swap", swap_id)
    return row


def _open(row: OnCallSwap) -> None:
    if row.status != "requested":
        raise VigilError(409, "swap_decided", f"Swap {row.id} is already {row.status}.")


def request_swap(*, user: Principal, schedule_id: str, body: SwapIn) -> str:
    """Ask a colleague to cover a range; an admin may impose it (the override is made at once)."""
    person = body.person or user.sub
    if person != user.sub and not user.is_admin:
        raise VigilError(403, "forbidden", "Only an admin asks for cover of someone else's time.")
    if body.impose and not user.is_admin:
        raise VigilError(403, "forbidden", "Only an admin imposes a swap.")
    if body.colleague == person:
        raise invalid("body.colleague", "the colleague must be someone else")
    with writing() as session:
        schedule = schedule_row(session, schedule_id)
        check_people(session, [person], "body.person", listed=False)
        check_people(session, [body.colleague], "body.colleague", listed=False)
        row = OnCallSwap(id=f"swap-{uuid.uuid4().hex[:12]}", schedule_id=schedule_id,
                         person=person, colleague=body.colleague, starts_at=body.starts_at,
                         ends_at=body.ends_at, reason=body.reason, requested_by=user.sub)
        if body.impose:
            _make_override(session, schedule, row, user, "imposed", body.reason)
        session.add(row)
        record(session, user, "swap_imposed" if body.impose else "swap_requested", schedule,
               body.reason, swap_id=row.id, person=person, colleague=body.colleague,
               starts_at=body.starts_at.isoformat(), ends_at=body.ends_at.isoformat(),
               override_id=row.override_id)
    return row.id


def _make_override(session, schedule, row: OnCallSwap, user: Principal,  # type: ignore[no-untyped-def]
                   status: str, reason: str | None) -> None:
    override = place_override(
        session, schedule, person=row.colleague, starts=row.starts_at, ends=row.ends_at,
        reason=f"swap {row.id}: {row.colleague} covers {row.person}"
               + (f" ({reason})" if reason else ""),
        created_by=user.sub, field="body." if status == "imposed" else "swap.")
    row.status, row.override_id = status, override.id
    row.decided_by, row.decision_reason, row.decided_at = user.sub, reason, utcnow()


def accept_swap(*, user: Principal, schedule_id: str, swap_id: str, reason: str | None) -> None:
    """The colleague takes the time: an override puts them on call for it."""
    with writing() as session:
        schedule = schedule_row(session, schedule_id)
        row = _swap(session, schedule_id, swap_id)
        if row.colleague != user.sub:
            raise VigilError(403, "forbidden", "Only the colleague asked accepts a swap.")
        _open(row)
        _make_override(session, schedule, row, user, "accepted", reason)
        session.add(row)
        record(session, user, "swap_accepted", schedule, reason, swap_id=row.id,
               override_id=row.override_id)


def decline_swap(*, user: Principal, schedule_id: str, swap_id: str, reason: str | None) -> None:
    """The colleague declines, or the person asking withdraws, or an admin closes it."""
    with writing() as session:
        schedule = schedule_row(session, schedule_id)
        row = _swap(session, schedule_id, swap_id)
        if user.sub not in (row.colleague, row.person, row.requested_by) and not user.is_admin:
            raise VigilError(403, "forbidden", "Only the two colleagues or an admin close a swap.")
        _open(row)
        row.status, row.decided_by, row.decision_reason, row.decided_at = (
            "declined", user.sub, reason, utcnow())
        session.add(row)
        record(session, user, "swap_declined", schedule, reason, swap_id=row.id)


def list_swaps(*, schedule_id: str, status: str | None = None) -> list[dict]:
    """A schedule's swaps, newest first."""
    with reading() as session:
        schedule_row(session, schedule_id)
        query = select(OnCallSwap).where(OnCallSwap.schedule_id == schedule_id)
        if status:
            query = query.where(OnCallSwap.status == status)
        return [row.model_dump() for row in
                session.exec(query.order_by(col(OnCallSwap.created_at).desc())).all()]


def read_swap(*, schedule_id: str, swap_id: str) -> dict:
    with reading() as session:
        return _swap(session, schedule_id, swap_id).model_dump()
