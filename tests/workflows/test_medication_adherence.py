"""A three-times-daily plan over a week: confirmations, lates, skips and misses add up right."""

from __future__ import annotations

from datetime import timedelta

from temporalio.testing import WorkflowEnvironment

from activities.delivery_types import DeliveryRequest
from tests.utils.medication import CAREGIVER, PATIENT, Seen, running_schedule, schedule_input
from workflows.medication_types import ConfirmDose

# What the patient does with each dose, by (day, slot): a week of a real person.
PLAN = ["taken", "taken_on_second", "taken", "skipped", "taken", "late", "missed"]


def _behaviour(dose_id: str, first_day: str) -> str:
    day = (int(dose_id[8:10]) - int(first_day[8:10])) % 31
    slot = ["08:00", "13:00", "20:00"].index(dose_id[11:16])
    return PLAN[(day * 3 + slot) % len(PLAN)]


async def test_a_week_three_times_daily_gives_the_right_adherence(
        medication_env: WorkflowEnvironment) -> None:
    start = (await medication_env.get_current_time()).date() + timedelta(days=1)
    end = start + timedelta(days=6)
    data = schedule_input(["08:00", "13:00", "20:00"], start.isoformat(), end.isoformat())
    seen = Seen()

    def patient(request: DeliveryRequest) -> ConfirmDose | None:
        dose_id, reminder = request.content["dose_id"], request.content["reminder"]
        does = _behaviour(dose_id, start.isoformat())
        if request.kind == "medication_reminder":
            if (does == "taken" and reminder == 0) or (does == "taken_on_second" and reminder == 1):
                return ConfirmDose(PATIENT, dose_id, "taken", via="app")
            if does == "skipped" and reminder == 0:
                return ConfirmDose(PATIENT, dose_id, "skipped", reason="felt sick", via="sms")
        if request.kind == "medication_missed" and does == "late":
            return ConfirmDose(CAREGIVER, dose_id, "taken", via="app")  # on the patient's behalf
        return None

    async with running_schedule(medication_env.client, data, seen, patient) as handle:
        view = await handle.result()

    expected = {"taken": 0, "late": 0, "skipped": 0, "missed": 0}
    for dose_id in seen.outcomes():
        does = _behaviour(dose_id, start.isoformat())
        expected["taken" if does.startswith("taken") else does] += 1
    assert sum(expected.values()) == 21 and all(expected.values())
    tally = view.adherence["m1"]
    assert (tally.taken, tally.late, tally.skipped, tally.missed) == (
        expected["taken"], expected["late"], expected["skipped"], expected["missed"])
    assert view.status == "completed"
    outcomes = seen.outcomes()
    assert sorted(set(outcomes.values())) == ["late", "missed", "skipped", "taken"]
    # A late dose was first recorded missed, and its caregiver was told; then it became late.
    late = next(d for d, o in outcomes.items() if o == "late")
    recorded = [c.dose.outcome for c in seen.changes if c.dose and c.dose.dose_id == late]
    assert recorded[-2:] == ["missed", "late"]
    late_change = next(c for c in seen.changes if c.change == "dose_late")
    assert late_change.actor == "cg-1" and late_change.detail["on_behalf"] is True
    # Every confirmation was accepted; the late one carries the no-double-dose advice.
    assert not [r for r in seen.results if isinstance(r, Exception)]
    assert any("never take two doses" in r.message for r in seen.results if r.outcome == "late")
    # Re-reminders: a missed dose had its first reminder and two more; nobody else is paged.
    missed = next(d for d, o in outcomes.items() if o == "missed")
    assert len([r for r in seen.reminders() if r.content["dose_id"] == missed]) == 3
    assert {r.recipient_id for r in seen.sent if r.kind == "medication_missed"} == {"cg-1"}
