"""Schedules due at the same minute fire spread over it: every dose timer keeps the schedule's offset."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from temporalio.testing import WorkflowEnvironment

from tests.utils.medication import Seen, running_schedule, schedule_input


async def test_every_timer_of_a_dose_fires_the_schedules_offset_after_its_time(
        medication_env: WorkflowEnvironment) -> None:
    day = (await medication_env.get_current_time()).date() + timedelta(days=1)
    data = schedule_input(["08:00"], day.isoformat(), day.isoformat(), reminder_offset_s=37.0)
    seen = Seen()  # nobody confirms: two re-reminders 15 min apart, then the caregiver at 60 min
    async with running_schedule(medication_env.client, data, seen) as handle:
        await handle.result()
    eight = datetime.combine(day, time(8, 0), tzinfo=timezone.utc)
    offset = timedelta(seconds=37)
    sent = [(request.kind, at.replace(microsecond=0))
            for request, at in zip(seen.sent, seen.sent_at)]
    assert sent == [("medication_reminder", eight + offset),
                    ("medication_reminder", eight + timedelta(minutes=15) + offset),
                    ("medication_reminder", eight + timedelta(minutes=30) + offset),
                    ("medication_missed", eight + timedelta(minutes=60) + offset)]
    # The dose itself keeps its time: the offset is when Vigil speaks, not when it is due.
    missed = [c.dose for c in seen.changes if c.dose and c.dose.outcome == "missed"]
    assert [d.remind_at for d in missed] == [eight]
