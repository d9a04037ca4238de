"""Many medication schedules on a bench stack: patients, schedules started at once, reminders counted.

Schedules are started with the Temporal client directly, exactly as
`services.medication.start_schedule` starts them (same input, routine task
queue, search attributes), without the API's request handling: the benches
measure the workflows and the worker, and starting 10,000 through the API on
two cores would take most of the run. Each patient exists in the directory,
so a reminder is delivered for real through `deliver` (WebSocket event and,
per channel, the local outbox) and recorded like any other.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta, timezone

from temporalio.client import Client

from clinical.dose_times import DoseSchedule, reminder_offset_s
from workflows.medication import MedicationScheduleWorkflow
from workflows.medication_types import Medication, Preferences, ReminderPolicy, ScheduleInput, Terms
from workflows.search_attributes import for_start


def seed_patients(count: int, prefix: str = "bp") -> None:
    from db.engine import writing
    from db.models import Patient

    with writing() as session:
        for i in range(count):
            session.add(Patient(id=f"{prefix}-{i}", name=f"Bench Patient {i}", time_zone="UTC",
                                phone=f"+6012{i:07d}", push_token=f"ptok-{i}"))


def next_minute_after(seconds: float) -> datetime:
    """The first whole UTC minute at least `seconds` from now."""
    at = datetime.now(timezone.utc) + timedelta(seconds=seconds)
    return at.replace(second=0, microsecond=0) + timedelta(minutes=1)


def schedule_input(i: int, due: datetime, channels: list[str], prefix: str = "bp",
                   spread_s: float = 60.0) -> ScheduleInput:
    """One medication, one dose a day at `due` (UTC), one reminder, no escalation during a run;
    its timers offset within `spread_s` as `services.medication.start_schedule` offsets them."""
    schedule = DoseSchedule(start_date=due.date().isoformat(), times=[due.strftime("%H:%M")])
    reminders = ReminderPolicy(channels=channels, confirm_window_min=720, re_reminders=0,
                               escalation_channels=["websocket"])
    terms = Terms([Medication("m1", "Metformin", "500 mg")], schedule, reminders)
    schedule_id = f"medication-bench-{prefix}-{i}"
    return ScheduleInput(schedule_id=schedule_id, patient_id=f"{prefix}-{i}",
                         terms=terms, preferences=Preferences(zone="UTC"),
                         created_by="bench-coordinator",
                         reminder_offset_s=reminder_offset_s(schedule_id, spread_s))


async def start_schedules(client: Client, queue: str, inputs: list[ScheduleInput],
                          concurrency: int) -> float:
    """Seconds to have Temporal accept every start."""
    gate = asyncio.Semaphore(concurrency)

    async def start(data: ScheduleInput) -> None:
        async with gate:
            await client.start_workflow(
                MedicationScheduleWorkflow.run, data, id=data.schedule_id, task_queue=queue,
                search_attributes=for_start(kind="medication_schedule",
                                            patient_id=data.patient_id))

    began = time.perf_counter()
    await asyncio.gather(*(start(d) for d in inputs))
    return time.perf_counter() - began


def recorded_schedules() -> int:
    """Schedules whose workflow has recorded its start (the projection row exists)."""
    from sqlalchemy import func
    from sqlmodel import select

    from db.engine import reading
    from db.models import MedicationSchedule

    with reading() as session:
        return session.exec(select(func.count()).select_from(MedicationSchedule)).one()


def reminders_sent() -> tuple[int, datetime | None]:
    """Reminder deliveries (one per channel) sent so far, and when the last one was."""
    from sqlalchemy import func
    from sqlmodel import select

    from db.engine import reading
    from db.models import DeliveryAttempt

    with reading() as session:
        count, last = session.exec(
            select(func.count(), func.max(DeliveryAttempt.sent_at))
            .where(DeliveryAttempt.kind == "medication_reminder")
            .where(DeliveryAttempt.sent_at.is_not(None))).one()
    return count, last


async def wait_for(check, target: int, timeout_s: float, poll_s: float = 0.5) -> float:  # type: ignore[no-untyped-def]
    """Seconds until `check()` (run off the loop) reaches `target`; TimeoutError after timeout_s."""
    began = time.perf_counter()
    while True:
        value = await asyncio.to_thread(check)
        if (value[0] if isinstance(value, tuple) else value) >= target:
            return time.perf_counter() - began
        if time.perf_counter() - began > timeout_s:
            raise TimeoutError(f"{value} of {target} after {timeout_s:g} s")
        await asyncio.sleep(poll_s)
