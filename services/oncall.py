"""On-call schedules: create schedules, add and change layers and overrides, all audited.

Every change names who made it and why (audit action `oncall.*`, subject
`schedule:<id>`), bumps the schedule's version, and is checked whole before
anything is written: a refusal changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from audit.chain import append as audit
from db.engine import writing
from db.models import Facility, OnCallLayer, OnCallOverride, OnCallSchedule, Staff, utcnow
from services.errors import VigilError, not_found
from services.principal import Principal
from services.schemas.oncall import LayerIn, OverrideIn, ScheduleCreate

WRITERS = ("admin", "coordinator")


def invalid(field: str, message: str, code: str = "invalid_request") -> VigilError:
    """A 422 naming the field, in the same shape as a body that fails validation."""
    return VigilError(422, code, f"{field}: {message}", [{"field": field, "message": message}])


def schedule_row(session: Session, schedule_id: str) -> OnCallSchedule:
    row = session.get(OnCallSchedule, schedule_id)
    if row is None:
        raise not_found("schedule", schedule_id)
    return row


def check_people(session: Session, people: list[str], field: str, listed: bool = True) -> None:
    for n, person in enumerate(people):
        if session.get(Staff, person) is None:
            raise invalid(f"{field}.{n}" if listed else field, f"no staff member {person!r}",
                          "unknown_staff")


def _layer_row(schedule: OnCallSchedule, body: LayerIn, layer_id: str) -> OnCallLayer:
    start = body.rotation_start
    if start.tzinfo is not None:  # an instant: where the schedule's clock showed it
        start = start.astimezone(ZoneInfo(schedule.time_zone)).replace(tzinfo=None)
    return OnCallLayer(id=layer_id, schedule_id=schedule.id, name=body.name,
                       members=list(body.members), rotation_start=start, turn=body.turn,
                       turn_hours=body.turn_hours, priority=body.priority,
                       windows=[w.stored() for w in body.windows])


def _check_layer(session: Session, schedule_id: str, body: LayerIn, field: str,
                 replacing: str | None = None, also: Sequence[LayerIn] = ()) -> None:
    check_people(session, body.members, f"{field}members")
    taken = [layer.priority for layer in session.exec(
        select(OnCallLayer).where(OnCallLayer.schedule_id == schedule_id)).all()
        if layer.id != replacing] + [other.priority for other in also]
    if body.priority in taken:
        raise invalid(f"{field}priority", f"another layer of this schedule has priority "
                      f"{body.priority}; priorities decide who wins, so each is distinct")


def _touch(schedule: OnCallSchedule) -> None:
    schedule.version += 1
    schedule.updated_at = utcnow()


def record(session: Session, user: Principal, action: str, row: OnCallSchedule,
            reason: str | None, **detail: Any) -> None:
    audit(session, actor=user.sub, action=f"oncall.{action}", subject=f"schedule:{row.id}",
          detail={**detail, "reason": reason, "version": row.version})


def create_schedule(*, user: Principal, body: ScheduleCreate) -> str:
    """A new schedule, with any layers given."""
    with writing() as session:
        if session.get(OnCallSchedule, body.id):
            raise VigilError(409, "already_exists", f"Schedule {body.id!r} already exists.")
        if session.get(Facility, body.facility_id) is None:
            raise invalid("body.facility_id", f"no facility {body.facility_id!r}",
                          "unknown_facility")
        schedule = OnCallSchedule(id=body.id, name=body.name, facility_id=body.facility_id,
                                  specialisation=body.specialisation, time_zone=body.time_zone,
                                  handoff_notice_minutes=body.handoff_notice_minutes)
        session.add(schedule)
        for n, layer in enumerate(body.layers):
            _check_layer(session, body.id, layer, f"body.layers.{n}.", also=body.layers[:n])
            session.add(_layer_row(schedule, layer, f"layer-{uuid.uuid4().hex[:12]}"))
        record(session, user, "schedule_created", schedule, body.reason,
                schedule=body.model_dump(mode="json", exclude={"reason"}))
    return body.id


def add_layer(*, user: Principal, schedule_id: str, body: LayerIn) -> str:
    """Add a rotation to a schedule."""
    with writing() as session:
        schedule = schedule_row(session, schedule_id)
        _check_layer(session, schedule_id, body, "body.")
        row = _layer_row(schedule, body, f"layer-{uuid.uuid4().hex[:12]}")
        session.add(row)
        _touch(schedule)
        session.add(schedule)
        record(session, user, "layer_added", schedule, body.reason, layer_id=row.id,
                layer=body.model_dump(mode="json", exclude={"reason"}))
    return row.id


def replace_layer(*, user: Principal, schedule_id: str, layer_id: str, body: LayerIn) -> None:
    """Change a rotation; the audit entry keeps what it was."""
    with writing() as session:
        schedule = schedule_row(session, schedule_id)
        row = session.get(OnCallLayer, layer_id)
        if row is None or row.schedule_id != schedule_id:
            raise not_found("layer", layer_id)
        before = row.model_dump(mode="json")
        _check_layer(session, schedule_id, body, "body.", replacing=layer_id)
        for name, value in _layer_row(schedule, body, layer_id).model_dump().items():
            setattr(row, name, value)
        session.add(row)
        _touch(schedule)
        session.add(schedule)
        record(session, user, "layer_replaced", schedule, body.reason, layer_id=layer_id,
                before=before, layer=body.model_dump(mode="json", exclude={"reason"}))


def remove_layer(*, user: Principal, schedule_id: str, layer_id: str, reason: str | None) -> None:
    """Take a rotation out of a schedule."""
    with writing() as session:
        schedule = schedule_row(session, schedule_id)
        row = session.get(OnCallLayer, layer_id)
        if row is None or row.schedule_id != schedule_id:
            raise not_found("layer", layer_id)
        before = row.model_dump(mode="json")
        session.delete(row)
        _touch(schedule)
        session.add(schedule)
        record(session, user, "layer_removed", schedule, reason, layer_id=layer_id, before=before)


def place_override(session: Session, schedule: OnCallSchedule, *, person: str,
                   starts: datetime, ends: datetime, reason: str | None, created_by: str,
                   field: str = "body.") -> OnCallOverride:
    """Write an override into the caller's transaction, refusing one that overlaps another."""
    starts, ends = starts.astimezone(UTC), ends.astimezone(UTC)
    check_people(session, [person], f"{field}person", listed=False)
    for other in session.exec(select(OnCallOverride)
                              .where(OnCallOverride.schedule_id == schedule.id)).all():
        other_starts, other_ends = (t.replace(tzinfo=UTC) if t.tzinfo is None else t
                                    for t in (other.starts_at, other.ends_at))
        if starts < other_ends and other_starts < ends:
            raise invalid(f"{field}starts_at", f"overlaps override {other.id} ({other.person}, "
                          f"{other_starts.isoformat()} to {other_ends.isoformat()}); "
                          "one slot has one override", "overlapping_override")
    row = OnCallOverride(id=f"override-{uuid.uuid4().hex[:12]}", schedule_id=schedule.id,
                         person=person, starts_at=starts, ends_at=ends, reason=reason,
                         created_by=created_by)
    session.add(row)
    session.flush()  # a later override in the same transaction sees this one
    _touch(schedule)
    session.add(schedule)
    return row


def add_override(*, user: Principal, schedule_id: str, body: OverrideIn) -> str:
    """Put a named person on call for a time range, over every layer; ranges never overlap."""
    with writing() as session:
        schedule = schedule_row(session, schedule_id)
        row = place_override(session, schedule, person=body.person, starts=body.starts_at,
                             ends=body.ends_at, reason=body.reason, created_by=user.sub)
        record(session, user, "override_added", schedule, body.reason, override_id=row.id,
                override=body.model_dump(mode="json", exclude={"reason"}))
    return row.id


def remove_override(*, user: Principal, schedule_id: str, override_id: str,
                    reason: str | None) -> None:
    """Cancel an override; the layers answer again for its range."""
    with writing() as session:
        schedule = schedule_row(session, schedule_id)
        row = session.get(OnCallOverride, override_id)
        if row is None or row.schedule_id != schedule_id:
            raise not_found("override", override_id)
        before = row.model_dump(mode="json")
        session.delete(row)
        _touch(schedule)
        session.add(schedule)
        record(session, user, "override_removed", schedule, reason, override_id=override_id,
                before=before)
