"""A schedule that runs for a year keeps working: it continues as new before its history grows
long, carrying its place, its adherence and its terms."""

from __future__ import annotations

from datetime import timedelta

from temporalio.testing import WorkflowEnvironment

from activities.delivery_types import DeliveryRequest
from clinical.dose_times import DoseSchedule
from tests.utils.medication import PATIENT, Seen, running_schedule, schedule_input
from workflows.medication_types import ConfirmDose


async def test_a_year_long_schedule_runs_to_its_end_across_continue_as_new(
        medication_env: WorkflowEnvironment) -> None:
    start = (await medication_env.get_current_time()).date() + timedelta(days=1)
    end = start + timedelta(days=364)
    # Twice a week for a year, and a history limit small enough to switch runs many times.
    schedule = DoseSchedule(start_date=start.isoformat(), end_date=end.isoformat(),
                            times=["09:00"], weekdays=["mon", "thu"])
    data = schedule_input([], start.isoformat(), schedule=schedule, history_limit=300)
    seen = Seen()

    def patient(request: DeliveryRequest) -> ConfirmDose | None:
        if request.kind == "medication_reminder" and request.content["reminder"] == 0:
            return ConfirmDose(PATIENT, request.content["dose_id"], "taken")
        return None

    async with running_schedule(medication_env.client, data, seen, patient) as handle:
        view = await handle.result()

    doses = sum(1 for n in range(365) if (start + timedelta(days=n)).weekday() in (0, 3))
    assert view.status == "completed"
    assert view.adherence["m1"].taken == doses and view.doses == doses
    assert view.runs > 3  # it continued as new, more than once
    reminded = [r.content["dose_id"] for r in seen.reminders()]
    assert len(reminded) == len(set(reminded)) == doses  # none lost, none repeated
