"""Pause, resume, change and stop mid-dose, each with its actor recorded; confirmations refused
with a reason when the dose is not open."""

from __future__ import annotations

from datetime import timedelta

from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from activities.delivery_types import DeliveryRequest
from clinical.dose_times import DoseSchedule
from tests.utils.medication import PATIENT, Action, Seen, running_schedule, schedule_input
from workflows.medication import MedicationScheduleWorkflow as W
from workflows.medication_types import (
    ChangeTerms,
    ConfirmDose,
    Medication,
    ScheduleActor,
    SteerCommand,
)

COORDINATOR = ScheduleActor("coord-lee", "coordinator")


def _refusal(error: object) -> str | None:
    if isinstance(error, WorkflowUpdateFailedError):
        return getattr(error.cause, "type", None)
    return None


async def test_pause_resume_change_and_stop_mid_dose(medication_env: WorkflowEnvironment) -> None:
    start = (await medication_env.get_current_time()).date() + timedelta(days=1)
    data = schedule_input(["08:00", "20:00"], start.isoformat(),
                          (start + timedelta(days=5)).isoformat())
    first, second, third = f"{start}T08:00", f"{start}T20:00", f"{start + timedelta(days=1)}T09:00"
    seen = Seen()

    def people(request: DeliveryRequest) -> Action:
        dose_id, reminder = request.content["dose_id"], request.content["reminder"]
        if request.kind != "medication_reminder" or reminder:
            return None
        if dose_id == first:  # paused while its reminder is out, then resumed at once
            async def pause_and_resume(handle: WorkflowHandle) -> list:
                paused = await handle.execute_update(W.pause, SteerCommand(COORDINATOR, "hospital"))
                try:
                    await handle.execute_update(W.confirm_dose, ConfirmDose(PATIENT, dose_id, "taken"))
                    refused = None
                except WorkflowUpdateFailedError as error:
                    refused = error
                resumed = await handle.execute_update(W.resume, SteerCommand(COORDINATOR, "home"))
                return [paused, refused, resumed]
            return pause_and_resume
        if dose_id == second:  # changed while in flight: this dose keeps metformin
            async def change_then_take(handle: WorkflowHandle) -> str:
                await handle.execute_update(W.change, ChangeTerms(
                    COORDINATOR, medications=[Medication("m2", "Sitagliptin", "100 mg")],
                    schedule=DoseSchedule(start_date=start.isoformat(), times=["09:00"],
                                          end_date=(start + timedelta(days=5)).isoformat()),
                    reason="switched"))
                result = await handle.execute_update(W.confirm_dose,
                                                     ConfirmDose(PATIENT, dose_id, "taken"))
                return result.outcome
            return change_then_take
        if dose_id == third:  # stopped mid-dose; a confirmation after that is refused
            async def stop_then_confirm(handle: WorkflowHandle) -> list:
                stopped = await handle.execute_update(W.stop, SteerCommand(COORDINATOR, "done"))
                try:
                    await handle.execute_update(W.confirm_dose, ConfirmDose(PATIENT, dose_id, "taken"))
                    return [stopped, None]
                except WorkflowUpdateFailedError as error:
                    return [stopped, error]
            return stop_then_confirm
        return None

    async with running_schedule(medication_env.client, data, seen, people) as handle:
        view = await handle.result()

    (paused, refused_paused, resumed), taken, (stopped, refused_stopped) = seen.results
    assert (paused, resumed, taken, stopped) == ("paused", "active", "taken", "stopped")
    assert _refusal(refused_paused) == "DoseNotOpen"
    assert _refusal(refused_stopped) == "ScheduleClosed"
    outcomes = seen.outcomes()
    assert outcomes == {first: "paused", second: "taken", third: "stopped"}
    # The paused dose got no re-reminder; the dose in flight kept its terms; the change applied
    # from the next dose (day two at 09:00, sitagliptin).
    assert [r.content["dose_id"] for r in seen.reminders()] == [first, second, third]
    by_dose = {c.dose.dose_id: c.dose for c in seen.changes if c.dose and c.dose.outcome != "open"}
    assert by_dose[second].medications == ["m1"] and by_dose[third].medications == ["m2"]
    assert view.status == "stopped" and view.adherence["m1"].taken == 1
    actors = {c.change: c.actor for c in seen.changes}
    assert {k: actors[k] for k in ("paused", "resumed", "changed", "stopped")} == {
        "paused": "coord-lee", "resumed": "coord-lee", "changed": "coord-lee",
        "stopped": "coord-lee"}


async def test_a_confirmation_for_a_dose_not_open_is_refused_with_its_reason(
        medication_env: WorkflowEnvironment) -> None:
    start = (await medication_env.get_current_time()).date() + timedelta(days=1)
    data = schedule_input(["08:00", "20:00"], start.isoformat(), start.isoformat())
    first, second = f"{start}T08:00", f"{start}T20:00"
    seen = Seen()

    def patient(request: DeliveryRequest) -> Action:
        if request.kind == "medication_reminder" and request.content["dose_id"] == first \
                and request.content["reminder"] == 0:
            async def confirm_twice_and_early(handle: WorkflowHandle) -> list:
                answers = []
                for dose_id, outcome, reason in ((second, "taken", ""), (first, "skipped", ""),
                                                 (first, "taken", ""), (first, "taken", "")):
                    try:
                        answers.append(await handle.execute_update(
                            W.confirm_dose, ConfirmDose(PATIENT, dose_id, outcome, reason)))
                    except WorkflowUpdateFailedError as error:
                        answers.append(error)
                return answers
            return confirm_twice_and_early
        return None

    async with running_schedule(medication_env.client, data, seen, patient) as handle:
        await handle.result()
    early, no_reason, taken, twice = seen.results[0]
    assert _refusal(early) == "DoseNotOpen" and "not due yet" in str(early.cause)
    assert _refusal(no_reason) == "InvalidConfirmation"
    assert taken.outcome == "taken"
    assert _refusal(twice) == "DoseNotOpen" and "already recorded taken" in str(twice.cause)
    assert seen.outcomes() == {first: "taken", second: "missed"}
