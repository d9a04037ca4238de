"""Start medication schedules, steer them, confirm doses and count adherence; the routes stay thin.

Everything a schedule is given is checked here, all of it or none, before a
workflow starts: an impossible schedule is a 422 naming its field and nothing
is started.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import asdict
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Any

from sqlmodel import col, select
from temporalio.client import Client
from temporalio.service import RPCError

from activities.medication_records import projection_from_input
from clinical.dose_times import DoseSchedule, ScheduleError, reminder_offset_s, validate_schedule
from clinical.halal import halal_warnings
from clinical.prayer_times import JAKIM_ADJUSTMENTS, PrayerSettings
from clinical.quiet_hours import QuietHours, validate_quiet_hours
from audit.chain import append as audit
from db.engine import reading, writing
from db.models import DoseRecord, MedicationSchedule
from events.hub import EventHub
from events.topics import medication_topic
from services.consent import require_consent
from services.errors import VigilError, not_found
from services.principal import Principal
from services.projections import ROUTINE_FIRST_RECORD_WAIT_S, await_first_record
from services.schemas.medication import (
    MedicationIn,
    PreferencesIn,
    RemindersIn,
    ScheduleCreate,
    ScheduleIn,
)
from services.workflow_commands import send_update
from settings import get_settings
from workflows.medication import MedicationScheduleWorkflow
from workflows.medication_types import (
    OUTCOMES,
    Medication,
    Preferences,
    ReminderPolicy,
    ScheduleActor,
    ScheduleInput,
    ScheduleView,
    Terms,
)
from workflows.search_attributes import for_start

STEER_ROLES = ("coordinator", "admin")
READ_ROLES = ("coordinator", "admin", "auditor", "provider")


def _invalid(error: ScheduleError, prefix: str = "") -> VigilError:
    field = f"{prefix}{error.field}"
    return VigilError(422, "invalid_schedule", f"{field}: {error.reason}",
                      [{"field": field, "message": error.reason}])


def schedule_from(body: ScheduleIn) -> DoseSchedule:
    return DoseSchedule(**body.model_dump())


def medications_from(meds: list[MedicationIn]) -> list[Medication]:
    ids = [m.id for m in meds]
    if len(set(ids)) != len(ids):
        raise VigilError(422, "invalid_schedule", "medications: the same id is given twice",
                         [{"field": "medications", "message": "duplicate id"}])
    return [Medication(**m.model_dump()) for m in meds]


def preferences_from(body: PreferencesIn) -> Preferences:
    prayer = None
    if body.prayer is not None:
        if body.latitude is None or body.longitude is None:
            raise VigilError(422, "invalid_schedule", "preferences.latitude: prayer-time awareness "
                             "needs the patient's home location",
                             [{"field": "preferences.latitude", "message": "required"}])
        prayer = PrayerSettings(**{**body.prayer.model_dump(), "adjustments":
                                   body.prayer.adjustments or dict(JAKIM_ADJUSTMENTS)})
    quiet = QuietHours(body.quiet_hours.start, body.quiet_hours.end) if body.quiet_hours else None
    try:
        if quiet:
            validate_quiet_hours(quiet)
        for i, (first, last) in enumerate(body.ramadan_calendar):
            if last < first:
                raise ScheduleError(f"preferences.ramadan_calendar[{i}]", "ends before it starts")
    except ScheduleError as error:
        raise _invalid(error)
    return Preferences(zone=body.zone, language=body.language, latitude=body.latitude,
                       longitude=body.longitude, quiet_hours=quiet, prayer=prayer,
                       ramadan_mode=body.ramadan_mode, ramadan_calendar=body.ramadan_calendar,
                       halal_only=body.halal_only)


def check_schedule(schedule: DoseSchedule, zone: str) -> None:
    try:
        validate_schedule(schedule, zone)
    except ScheduleError as error:
        raise _invalid(error, "preferences." if error.field == "zone" else "")


def reminders_from(body: RemindersIn) -> ReminderPolicy:
    return ReminderPolicy(**body.model_dump())


async def start_schedule(*, client: Client, hub: EventHub | None, body: ScheduleCreate,
                         user: Principal) -> MedicationSchedule:
    """Check everything, then start the schedule's workflow on the routine queue."""
    prefs = preferences_from(body.preferences)
    schedule = schedule_from(body.schedule)
    check_schedule(schedule, prefs.zone)
    meds = medications_from(body.medications)
    data = ScheduleInput(
        schedule_id=f"medication-{uuid.uuid4().hex[:16]}", patient_id=body.patient_id,
        terms=Terms(meds, schedule, reminders_from(body.reminders)), preferences=prefs,
        created_by=user.sub, escalation_contacts=list(body.escalation_contacts),
        warnings=halal_warnings([(m.name, m.halal) for m in meds], prefs.halal_only))
    data.reminder_offset_s = reminder_offset_s(data.schedule_id, get_settings().reminder_spread_s)
    try:
        await client.start_workflow(
            MedicationScheduleWorkflow.run, data, id=data.schedule_id,
            task_queue=get_settings().routine_task_queue,
            search_attributes=for_start(kind="medication_schedule", patient_id=data.patient_id))
    except RPCError as error:
        raise VigilError(503, "temporal_unavailable", f"Could not start the workflow: {error}")
    row = await await_first_record(hub=hub, topic=medication_topic(data.schedule_id),
                                   load=partial(_find, data.schedule_id),
                                   timeout_s=ROUTINE_FIRST_RECORD_WAIT_S)
    return row or projection_from_input(data)


def _find(schedule_id: str) -> MedicationSchedule | None:
    with reading() as session:
        return session.get(MedicationSchedule, schedule_id)


def get_schedule(schedule_id: str) -> MedicationSchedule:
    row = _find(schedule_id)
    if row is None:
        raise not_found("medication schedule", schedule_id)
    return row


def is_own(row: MedicationSchedule, user: Principal) -> bool:
    """A patient's own schedule, or a caregiver's whose `medication` consent is in force:
    decided from the consent records, never from the token's claims."""
    if not user.has_any(("patient", "family")):
        return False
    try:
        require_consent(user, row.patient_id, "medication")
    except VigilError:
        return False
    return True


def check_read(row: MedicationSchedule, user: Principal) -> None:
    if user.has_any(READ_ROLES) or is_own(row, user):
        return
    raise VigilError(403, "forbidden", "Only the patient, their caregivers and staff see this.")


def list_schedules(user: Principal, patient_id: str | None, status: str | None,
                   limit: int) -> list[MedicationSchedule]:
    """Staff see every schedule; a patient or caregiver names one patient they may see."""
    if not user.has_any(READ_ROLES):
        if patient_id is None:
            raise VigilError(422, "invalid_request", "patient_id: name the patient.",
                             {"field": "patient_id"})
        require_consent(user, patient_id, "medication")
    query = select(MedicationSchedule).order_by(col(MedicationSchedule.created_at).desc())
    if patient_id:
        query = query.where(MedicationSchedule.patient_id == patient_id)
    if status:
        query = query.where(MedicationSchedule.status == status)
    with reading() as session:
        rows = session.exec(query.limit(limit)).all()
    return [r for r in rows if user.has_any(READ_ROLES) or is_own(r, user)]


def read_schedule_as(user: Principal, schedule_id: str, what: str) -> MedicationSchedule:
    """The schedule, if `user` may see it; the read is audited (sync: call it off the loop)."""
    row = get_schedule(schedule_id)
    check_read(row, user)
    with writing() as session:
        audit(session, actor=user.sub, action="patient_data.read", subject=row.id,
              detail={"patient_id": row.patient_id, "what": what})
    return row


def actor_for(user: Principal, row: MedicationSchedule) -> ScheduleActor:
    """Who confirms or steers: a patient for themselves; anyone else on the patient's behalf."""
    if "patient" in user.roles and user.sub == row.patient_id:
        return ScheduleActor(user.sub, "patient")
    for role in ("admin", "coordinator", "provider"):
        if role in user.roles:
            return ScheduleActor(user.sub, role, on_behalf=True)
    if is_own(row, user):
        return ScheduleActor(user.sub, "caregiver", on_behalf=True)
    raise VigilError(403, "forbidden", "Only the patient, their caregivers and staff do this.")


async def run_command(*, client: Client, row: MedicationSchedule, update: Any, arg: Any) -> Any:
    # The engine no longer runs it, whatever the projection row has caught up to yet.
    closed = "has ended" if row.status == "active" else f"is {row.status}"
    gone = VigilError(409, "schedule_closed", f"Schedule {row.id} {closed}.")
    return await send_update(client=client, workflow_id=row.id, update=update, arg=arg,
                             when_gone=gone)


async def live_state(client: Client, row: MedicationSchedule) -> dict[str, Any] | None:
    """The workflow's own view, or None once it has closed and left the engine."""
    try:
        view: ScheduleView = await client.get_workflow_handle(row.id).query(
            MedicationScheduleWorkflow.state)
    except RPCError:
        return None
    return asdict(view)


def counted_doses(*, since: datetime, schedule_id: str | None = None,
                  patient_id: str | None = None) -> list[DoseRecord]:
    """The doses adherence counts (taken, late, skipped, missed) due since `since`, oldest first."""
    query = (select(DoseRecord).where(col(DoseRecord.due_at) >= since,
                                      col(DoseRecord.outcome).in_(OUTCOMES))
             .order_by(col(DoseRecord.due_at)))
    if schedule_id:
        query = query.where(DoseRecord.schedule_id == schedule_id)
    if patient_id:
        query = query.where(DoseRecord.patient_id == patient_id)
    with reading() as session:
        return list(session.exec(query).all())


def adherence(*, schedule_id: str | None = None, patient_id: str | None = None,
              days: int = 7, now: datetime | None = None) -> dict[str, Any]:
    """Taken on time, late, skipped and missed per medication over the last `days` days."""
    since = (now or datetime.now(timezone.utc)) - timedelta(days=days)
    per: dict[str, dict[str, int]] = {}
    for row in counted_doses(since=since, schedule_id=schedule_id, patient_id=patient_id):
        for med in row.medications:
            tally = per.setdefault(med, {"taken": 0, "late": 0, "skipped": 0, "missed": 0})
            tally[row.outcome] += 1
    for tally in per.values():
        counted = sum(tally.values())
        kept = tally["taken"] + tally["late"]
        tally["adherence_pct"] = round(100 * kept / counted) if counted else 0
    return {"days": days, "since": since.isoformat(), "medications": per}


async def read_adherence(**kwargs: Any) -> dict[str, Any]:
    return await asyncio.to_thread(partial(adherence, **kwargs))
