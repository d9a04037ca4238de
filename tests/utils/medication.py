"""Stand-ins and a scripted patient for MedicationScheduleWorkflow tests on the time-skipping server.

The stand-in `deliver` plays the patient and the caregiver: when a reminder
reaches them it may confirm, by a workflow update sent *from inside the
activity*, so the time-skipping server cannot jump past the moment while the
confirmation is on its way.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from temporalio import activity
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

from activities.delivery_types import DeliveryRequest, DeliveryResult
from activities.medication_plans import (
    ContactsRequest,
    DayPlanRequest,
    DayPlanResult,
    next_plan,
)
from activities.medication_records import MedicationChange
from clinical.dose_times import DoseSchedule
from tests.utils.standins import batched
from workflows.medication import MedicationScheduleWorkflow
from workflows.medication_types import (
    ConfirmDose,
    Medication,
    Preferences,
    ReminderPolicy,
    ScheduleActor,
    ScheduleInput,
    Terms,
)

PATIENT = ScheduleActor("patient-1", "patient")
REMINDER_LATENCY = timedelta(seconds=10)  # a timer's firing to its activity, at worst
CAREGIVER = ScheduleActor("cg-1", "caregiver", on_behalf=True)
# What the scripted people do when a message reaches them: a confirmation to send, something
# else to do with the workflow's handle (pause it, say), or nothing.
Action = ConfirmDose | Callable[[WorkflowHandle], Awaitable[Any]] | None
Script = Callable[[DeliveryRequest], Action]


@dataclass
class Seen:
    sent: list[DeliveryRequest] = field(default_factory=list)
    sent_at: list[datetime] = field(default_factory=list)  # the server's clock, per `sent`
    changes: list[MedicationChange] = field(default_factory=list)
    results: list[Any] = field(default_factory=list)  # confirmation answers (or refusals)
    contacts: list[str] = field(default_factory=lambda: ["cg-1"])

    def reminders(self) -> list[DeliveryRequest]:
        return [r for r in self.sent if r.kind == "medication_reminder"]

    def outcomes(self) -> dict[str, str]:
        """dose id -> its last recorded outcome."""
        found: dict[str, str] = {}
        for change in self.changes:
            if change.dose is not None and change.dose.outcome != "open":
                found[change.dose.dose_id] = change.dose.outcome
        return found

    def first_reminder_at(self) -> dict[str, datetime]:
        """dose id -> when its first reminder actually went out (the server's clock). A timer
        fires a little after its moment (seconds, on a loaded machine), so a reminder that went
        out within REMINDER_LATENCY after the moment the workflow recorded for it counts as at
        that moment; one sent before it, or later, is given as sent, to the second."""
        planned: dict[str, datetime] = {}
        for change in self.changes:
            if change.dose is not None:
                planned.setdefault(change.dose.dose_id, change.dose.remind_at)
        found: dict[str, datetime] = {}
        for request, at in zip(self.sent, self.sent_at):
            if request.kind != "medication_reminder":
                continue
            dose_id = request.content["dose_id"]
            moment = planned.get(dose_id)
            on_time = moment is not None and timedelta(0) <= at - moment < REMINDER_LATENCY
            found.setdefault(dose_id, moment if on_time else at.replace(microsecond=0))
        return found


def stand_ins(seen: Seen, script: Script | None, handle_of: Callable[[], WorkflowHandle]) -> list:
    @activity.defn(name="deliver")
    async def deliver(request: DeliveryRequest) -> DeliveryResult:
        seen.sent.append(request)
        seen.sent_at.append(activity.info().current_attempt_scheduled_time)
        action = script(request) if script else None
        try:
            if isinstance(action, ConfirmDose):
                seen.results.append(await handle_of().execute_update(
                    MedicationScheduleWorkflow.confirm_dose, action))
            elif action is not None:
                seen.results.append(await action(handle_of()))
        except Exception as error:  # noqa: BLE001 - the refusal is what the test looks at
            seen.results.append(error)
        return DeliveryResult(request.attempt_id, request.channel, request.recipient_id, "sent")

    @activity.defn(name="plan_medication_day")
    async def plan_day(request: DayPlanRequest) -> DayPlanResult:
        return DayPlanResult(next_plan(request, request.preferences), request.preferences.language)

    @activity.defn(name="medication_contacts")
    async def contacts(request: ContactsRequest) -> list[str]:
        return list(seen.contacts)

    @activity.defn(name="record_medication_change")
    async def record(change: MedicationChange) -> None:
        seen.changes.append(change)

    return [deliver, batched(deliver), plan_day, contacts, record]


def schedule_input(times: list[str], start: str, end: str | None = None, *, zone: str = "UTC",
                   medications: list[Medication] | None = None, **fields: Any) -> ScheduleInput:
    prefs = fields.pop("preferences", None) or Preferences(zone=zone)
    reminders = fields.pop("reminders", None) or ReminderPolicy(
        channels=["websocket"], escalation_channels=["websocket"], confirm_window_min=60,
        re_reminders=2, re_reminder_every_min=15)
    schedule = fields.pop("schedule", None) or DoseSchedule(start_date=start, end_date=end,
                                                            times=times)
    meds = medications or [Medication("m1", "Metformin", "500 mg")]
    return ScheduleInput(schedule_id=f"medication-{uuid.uuid4().hex[:10]}", patient_id="patient-1",
                         terms=Terms(meds, schedule, reminders), preferences=prefs,
                         created_by="coord-lee", escalation_contacts=["cg-1"], **fields)


@asynccontextmanager
async def running_schedule(client: Client, data: ScheduleInput, seen: Seen,
                           script: Script | None = None) -> AsyncIterator[WorkflowHandle]:
    """The workflow on a worker of its own running the stand-ins."""
    from worker import SANDBOX

    queue = f"unit-{uuid.uuid4().hex[:8]}"
    handles: list[WorkflowHandle] = []
    async with Worker(client, task_queue=queue, workflows=[MedicationScheduleWorkflow],
                      activities=stand_ins(seen, script, lambda: handles[0]),
                      workflow_runner=SANDBOX):
        handles.append(await client.start_workflow(MedicationScheduleWorkflow.run, data,
                                                   id=data.schedule_id, task_queue=queue))
        yield handles[0]
