"""Start monitoring sessions, feed them readings and send them commands; the routes stay thin.

Readings are validated here, all of a request or none of it, before one
signal carries them to the workflow: the workflow only ever sees valid data.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import asdict
from functools import partial
from datetime import datetime, timezone
from typing import Any

from sqlmodel import col, select
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from activities.monitoring_records import projection_from_input
from events.hub import EventHub
from events.topics import session_topic
from services.principal import Principal
from services.projections import ROUTINE_FIRST_RECORD_WAIT_S, await_first_record
from services.reading_signals import ReadingSignals
from services.errors import VigilError, not_found
from services.schemas.monitoring import ReadingBatchIn, ReadingIn, SessionCreate
from services.workflow_commands import send_update
from clinical.thresholds import ThresholdError, apply_overrides, default_thresholds
from clinical.vitals import Reading, ReadingError, VitalSigns, validate_reading
from audit.chain import append as audit
from db.engine import reading, writing
from db.models import Facility, MonitoringSession, Staff, VitalReading
from db.short_codes import free_short_code
from settings import get_settings
from workflows.monitoring import MonitoringSessionWorkflow
from workflows.monitoring_types import (
    Device,
    ReadingBatch,
    SessionActor,
    SessionInput,
    SessionTiming,
)
from workflows.search_attributes import for_start

# Readings for a session that arrive while its last signal is in flight go out together.
_signals = ReadingSignals()
SERIES = ("heart_rate", "systolic_bp", "diastolic_bp", "respiratory_rate", "temperature_c", "spo2",
          "blood_glucose", "pain_scale")


def _short_code() -> str:
    # Five digits: room for tens of thousands of open sessions without a clash.
    return free_short_code(select(MonitoringSession.short_code)
                           .where(MonitoringSession.status == "active"), prefix="M", digits=5)


def _check_people(body: SessionCreate) -> Facility:
    with reading() as session:
        facility = session.get(Facility, body.location.facility_id)
        named = set(body.care_team) | set(body.viewers)
        known = set(session.exec(select(Staff.id).where(col(Staff.id).in_(named))).all())
    if facility is None:
        raise VigilError(422, "unknown_facility", f"No facility {body.location.facility_id!r}.")
    if named - known:
        missing = sorted(named - known)
        raise VigilError(422, "unknown_staff", f"No staff member {missing[0]!r}.", missing)
    return facility


async def start_session(*, client: Client, hub: EventHub | None, body: SessionCreate,
                        user: Principal) -> MonitoringSession:
    """Start the session's workflow on the routine queue; it records (and audits) itself."""
    facility = await asyncio.to_thread(_check_people, body)
    try:
        thresholds = apply_overrides(default_thresholds(body.monitoring_type), body.thresholds)
    except ThresholdError as error:
        raise VigilError(422, "invalid_thresholds", f"thresholds.{error}",
                       {"field": f"thresholds.{error.field}", "reason": error.reason})
    location: dict[str, Any] = {**body.location.model_dump(), "facility_name": facility.name}
    settings = get_settings()
    data = SessionInput(
        session_id=f"session-{uuid.uuid4().hex[:16]}", patient_id=body.patient_id,
        monitoring_type=body.monitoring_type, facility_id=facility.id, location=location,
        short_code=await asyncio.to_thread(_short_code), devices=[Device(d.id, d.type) for d in body.devices],
        care_team=body.care_team, viewers=body.viewers, family_viewers=body.family_viewers,
        thresholds=thresholds, expected_interval_s=body.expected_interval_s, created_by=user.sub,
        emergency_task_queue=settings.task_queue, timing=SessionTiming(**body.timing.model_dump()))
    try:
        await client.start_workflow(
            MonitoringSessionWorkflow.run, data, id=data.session_id,
            task_queue=settings.routine_task_queue,
            search_attributes=for_start(kind="monitoring_session", patient_id=data.patient_id,
                                        facility_id=data.facility_id))
    except RPCError as error:
        raise VigilError(503, "temporal_unavailable", f"Could not start the workflow: {error}")
    row = await await_first_record(hub=hub, topic=session_topic(data.session_id),
                                   load=partial(_find_session, data.session_id),
                                   timeout_s=ROUTINE_FIRST_RECORD_WAIT_S)
    return row or projection_from_input(data)


def _find_session(session_id: str) -> MonitoringSession | None:
    with reading() as session:
        return session.get(MonitoringSession, session_id)


def get_session(session_id: str) -> MonitoringSession:
    row = _find_session(session_id)
    if row is None:
        raise not_found("monitoring session", session_id)
    return row


# Readings arrive many times a second; what they are checked against (devices,
# people, status) is fixed at start, so the row is read once per ten minutes, not
# per request. A session ending anywhere leaves the cache at once (forget_ending_sessions),
# and a reading for one that has ended anyway finds its workflow gone (`send_readings`).
# (A few seconds was too short: a ward of 2,000 sessions, each sending a reading every
# few seconds, missed the cache on every request.)
_INTAKE_TTL_S = 600.0
_intake: dict[str, tuple[float, MonitoringSession]] = {}


def session_for_intake(session_id: str) -> MonitoringSession:
    """The session row, from a short-lived per-process cache while it is active."""
    now = time.monotonic()
    cached = _intake.get(session_id)
    if cached and now - cached[0] < _INTAKE_TTL_S:
        return cached[1]
    row = get_session(session_id)
    if row.status == "active":
        if len(_intake) > 50_000:
            _intake.clear()
        _intake[session_id] = (now, row)
    return row


async def intake_session(session_id: str) -> MonitoringSession:
    """`session_for_intake` without blocking the event loop: the database only on a miss."""
    cached = _intake.get(session_id)
    if cached and time.monotonic() - cached[0] < _INTAKE_TTL_S:
        return cached[1]
    return await asyncio.to_thread(session_for_intake, session_id)


def forget_for_intake(session_id: str) -> None:
    """Drop a session this process has just ended from the intake cache."""
    _intake.pop(session_id, None)


def forget_ending_sessions(event: dict[str, Any]) -> None:
    """Watch the live events: a session ending anywhere stops taking readings here at once."""
    if event["kind"] in ("ending", "ended") and event["topic"].startswith("session:"):
        forget_for_intake(event["topic"].removeprefix("session:"))


def check_access(row: MonitoringSession, user: Principal, *, write: bool = False) -> None:
    """Coordinators and admins see every session (auditors read them); providers only their own."""
    if user.has_any(("coordinator", "admin")) or (not write and "auditor" in user.roles):
        return
    if "provider" in user.roles and user.sub in (*row.care_team, *row.viewers):
        return
    raise VigilError(403, "not_on_session", "You are not on this session's care team or viewers.")


def _actor(user: Principal) -> SessionActor:
    with reading() as session:
        person = session.get(Staff, user.sub)
    return SessionActor(staff_id=user.sub, name=person.name if person else user.sub,
                        may_steer=user.has_any(("coordinator", "admin")))


async def actor_for(user: Principal) -> SessionActor:
    """The caller as the session workflow knows them."""
    return await asyncio.to_thread(_actor, user)


def list_sessions(user: Principal, *, patient_id: str | None = None, status: str | None = None,
                  limit: int = 100) -> list[MonitoringSession]:
    """Newest first; providers see only the sessions they are on."""
    query = select(MonitoringSession).order_by(col(MonitoringSession.created_at).desc())
    if patient_id:
        query = query.where(MonitoringSession.patient_id == patient_id)
    if status:
        query = query.where(MonitoringSession.status == status)
    with reading() as session:
        rows = session.exec(query.limit(limit)).all()
    mine = user.has_any(("coordinator", "admin", "auditor"))
    return [r for r in rows if mine or user.sub in (*r.care_team, *r.viewers)]


def read_session_as(user: Principal, session_id: str) -> MonitoringSession:
    """The session row for someone allowed to see it; the read of patient data is audited."""
    row = get_session(session_id)
    check_access(row, user)
    with writing() as session:
        audit(session, actor=user.sub, action="patient_data.read", subject=session_id,
              detail={"patient_id": row.patient_id})
    return row


def _vigil_reading(item: ReadingIn, index: int, devices: set[str], now: datetime) -> Reading:
    vitals = item.vitals.model_dump()
    if vitals["pain_scale"] is not None and float(vitals["pain_scale"]).is_integer():
        vitals["pain_scale"] = int(vitals["pain_scale"])
    result = Reading(device_id=item.device_id, taken_at=item.taken_at, vitals=VitalSigns(**vitals))
    try:
        validate_reading(result, now, devices)
    except ReadingError as error:
        inside = "vitals." if error.field in VitalSigns.__dataclass_fields__ else ""
        raise _rejected(f"readings[{index}].{inside}{error.field}", error.message)
    return result


def _rejected(field: str, message: str) -> VigilError:
    return VigilError(422, "invalid_reading", f"{field}: {message}",
                    {"field": field, "message": message})


def readings_from_json(body: ReadingBatchIn | ReadingIn, row: MonitoringSession) -> list[Reading]:
    """Vigil JSON, one reading or a batch, every one checked; the first bad one rejects all."""
    items = body.readings if isinstance(body, ReadingBatchIn) else [body]
    devices, now = {d["id"] for d in row.devices}, datetime.now(timezone.utc)
    return [_vigil_reading(item, i, devices, now) for i, item in enumerate(items)]


async def send_readings(*, client: Client, row: MonitoringSession, readings: list[Reading]) -> int:
    """Signal the readings, with any others that reach the session meanwhile (see
    services/reading_signals.py): the workflow scores them in order."""
    if row.status != "active":
        raise VigilError(409, "session_ended", "This monitoring session has ended.")
    handle = client.get_workflow_handle(row.id)

    async def signal(batch: list[Reading]) -> None:
        await handle.signal(MonitoringSessionWorkflow.add_readings, ReadingBatch(batch))

    try:
        await _signals.send(row.id, readings, signal)
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            forget_for_intake(row.id)
            raise VigilError(409, "session_ended", "This monitoring session has ended.")
        raise VigilError(503, "temporal_unavailable", f"The workflow engine did not answer: {error}")
    return len(readings)


async def run_command(*, client: Client, row: MonitoringSession, update: Any, arg: Any) -> Any:
    """Send a validated update; a refusal comes back as a VigilError."""
    return await send_update(client=client, workflow_id=row.id, update=update, arg=arg,
                             when_gone=VigilError(409, "session_ended",
                                                  "This monitoring session has ended."))


async def live_state(client: Client, row: MonitoringSession) -> dict[str, Any] | None:
    """The workflow's own view, for an open session; None when it has ended or cannot answer."""
    if row.status != "active":
        return None
    try:
        view = await client.get_workflow_handle(row.id).query(MonitoringSessionWorkflow.state)
    except Exception:  # the projection still answers; the live part is a bonus
        return None
    return asdict(view)


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def time_series(session_id: str, since: datetime | None, until: datetime | None,
                limit: int) -> dict[str, Any]:
    """Stored readings oldest first, as points and as per-vital [time, value] series."""
    query = select(VitalReading).where(VitalReading.session_id == session_id)
    # Stored times are UTC (SQLite keeps no zone), so compare in UTC.
    since, until = _utc(since), _utc(until)
    if since:
        query = query.where(VitalReading.taken_at >= since)
    if until:
        query = query.where(VitalReading.taken_at <= until)
    with reading() as session:
        rows = session.exec(query.order_by(col(VitalReading.taken_at), col(VitalReading.seq))
                            .limit(limit)).all()
    series: dict[str, list[tuple[datetime, float]]] = {}
    for row in rows:
        for name in SERIES:
            if row.vitals.get(name) is not None:
                series.setdefault(name, []).append((row.taken_at, row.vitals[name]))
        if row.news2 is not None:
            series.setdefault("news2", []).append((row.taken_at, row.news2))
    return {"session_id": session_id, "points": [r.model_dump() for r in rows], "series": series}
