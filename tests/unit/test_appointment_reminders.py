"""The appointment reminder rule: offsets before the start, moved out of quiet hours, never past it."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from clinical.appointment_reminders import plan_reminders

KL = "Asia/Kuala_Lumpur"  # UTC+8
NOW = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)


def test_a_reminder_in_quiet_hours_moves_to_their_end() -> None:
    start = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)  # 10:00 local
    # 24 h before is 10:00 local, not quiet; 2 h before is 08:00 local, inside 22:00-08:30.
    planned = plan_reminders(starts_at=start, offsets_s=[86400, 7200], time_zone=KL, now=NOW,
                             quiet_hours=(time(22, 0), time(8, 30)))
    assert [p.due_at for p in planned] == [start - timedelta(hours=24),
                                           datetime(2026, 12, 3, 0, 30, tzinfo=UTC)]
    assert planned[1].moved_from == start - timedelta(hours=2)


def test_a_reminder_is_never_moved_to_or_past_the_start() -> None:
    start = datetime(2026, 12, 3, 0, 0, tzinfo=UTC)  # 08:00 local, quiet until 09:00
    planned = plan_reminders(starts_at=start, offsets_s=[7200], time_zone=KL, now=NOW,
                             quiet_hours=(time(22, 0), time(9, 0)))
    assert planned[0].due_at == start - timedelta(hours=2) and planned[0].moved_from is None


def test_a_reminder_whose_moment_has_passed_is_not_planned() -> None:
    start = NOW + timedelta(hours=3)
    planned = plan_reminders(starts_at=start, offsets_s=[86400, 7200], time_zone=KL, now=NOW,
                             quiet_hours=None)
    assert [p.offset_s for p in planned] == [7200]
