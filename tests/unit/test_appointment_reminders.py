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


ASR = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)  # a prayer window 16:00-16:20 local
WINDOWS = [("asr", ASR, ASR + timedelta(minutes=20))]


def test_a_reminder_in_a_prayer_window_moves_to_the_windows_end() -> None:
    start = ASR + timedelta(minutes=5, hours=2)
    planned = plan_reminders(starts_at=start, offsets_s=[7200], time_zone=KL, now=NOW,
                             quiet_hours=None, prayer_windows=WINDOWS)
    assert planned[0].due_at == ASR + timedelta(minutes=20)
    assert planned[0].moved_from == ASR + timedelta(minutes=5)
    assert planned[0].moved_for == ("prayer:asr",)


def test_a_prayer_window_never_moves_a_reminder_to_or_past_the_start() -> None:
    start = ASR + timedelta(minutes=15)  # the window ends after the appointment starts
    planned = plan_reminders(starts_at=start, offsets_s=[600], time_zone=KL, now=NOW,
                             quiet_hours=None, prayer_windows=WINDOWS)
    assert planned[0].due_at == ASR + timedelta(minutes=5) and planned[0].moved_for == ()


def test_stored_prayer_awareness_becomes_the_clinical_rules_settings() -> None:
    from activities.appointment_plans import prayer_settings_of

    assert prayer_settings_of({"enabled": False}) is None
    settings = prayer_settings_of({"enabled": True, "method": {
        "fajr_angle": 20.0, "isha_angle": 18.0, "asr": "hanafi"}, "adjustments": {"asr": 3}})
    assert settings is not None and settings.madhab == "hanafi" and settings.fajr_angle == 20.0
    assert settings.adjustments == {"asr": 3}
