"""Alarm-fatigue state machine: raise once, re-page on worsening, clear with hysteresis."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from clinical.alarms import (
    AlarmConfig,
    AlarmState,
    acknowledge_alarm,
    check_device_silence,
    step_alarms,
    step_technical_alarms,
)
from clinical.assessment import assess
from clinical.thresholds import default_thresholds
from clinical.vitals import VitalSigns

T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
CONFIG = AlarmConfig(hysteresis_seconds=300, ack_silence_seconds=900)
# remote_patient: HR 40-130, SpO2 low 90 / critical 88, RR 8-28, temp 35-39.
THRESHOLDS = default_thresholds("remote_patient")
NORMAL = VitalSigns(
    heart_rate=70, systolic_bp=120, diastolic_bp=80, respiratory_rate=16,
    temperature_c=37.0, spo2=97, on_oxygen=False, consciousness="alert",
)
NEWS2_2 = replace(NORMAL, respiratory_rate=22)
NEWS2_3 = replace(NORMAL, respiratory_rate=22, heart_rate=95)
NEWS2_4 = replace(NORMAL, respiratory_rate=22, heart_rate=115)
NEWS2_5 = replace(NORMAL, respiratory_rate=22, heart_rate=115, temperature_c=38.5)
NEWS2_8 = replace(NORMAL, respiratory_rate=24, heart_rate=115, temperature_c=38.5,
                  systolic_bp=100, spo2=95)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


class Session:
    """Feeds readings through assess and step_alarms the way the workflow will."""

    def __init__(self) -> None:
        self.state = AlarmState()
        self.history: list[tuple[datetime, int]] = []

    def reading(self, minute: float, vitals: VitalSigns) -> list[tuple[str, str, str]]:
        now = at(minute)
        a = assess(vitals, THRESHOLDS, self.history, now)
        if a.news2.complete:
            self.history.append((now, a.news2.total))
        self.state, actions = step_alarms(self.state, a, now, CONFIG)
        return [(x.kind, x.key, x.priority) for x in actions]

    def ack(self, key: str, minute: float) -> None:
        self.state = acknowledge_alarm(self.state, key, at(minute), CONFIG)


def test_deteriorating_news2_2_5_8_pages_low_then_medium_then_high_once_each():
    s = Session()
    steps = [s.reading(m, v) for m, v in enumerate(
        [NEWS2_2, NEWS2_2, NEWS2_5, NEWS2_5, NEWS2_8, NEWS2_8, NEWS2_8])]
    assert steps == [
        [("raise", "news2", "low")], [],
        [("escalate", "news2", "medium")], [],
        [("escalate", "news2", "high")], [], [],
    ]


@pytest.mark.parametrize(
    "low, high",
    [(89, 91), (87, 89)],
    ids=["around_spo2_low_limit", "around_spo2_critical_limit"],
)
def test_flapping_spo2_pages_once(low, high):
    s = Session()
    steps = [s.reading(m, replace(NORMAL, spo2=low if m % 2 == 0 else high)) for m in range(30)]
    pages = [step for step in steps if step]
    assert len(pages) == 1
    assert sorted(kind for kind, _, _ in pages[0]) == ["raise", "raise"]
    assert s.state.active_keys() == ["news2", "spo2_low"]


def test_worsening_score_at_same_priority_pages_again():
    s = Session()
    assert s.reading(0, NEWS2_2) == [("raise", "news2", "low")]
    assert s.reading(1, NEWS2_3) == [("escalate", "news2", "low")]
    assert s.state.alarms["news2"].score == 3


def test_improvement_then_return_to_the_same_level_does_not_page():
    s = Session()
    s.reading(0, NEWS2_5)
    assert s.reading(1, NEWS2_2) == []
    assert s.reading(2, NEWS2_5) == []


def test_acknowledged_alarm_stays_quiet_for_its_window_but_a_different_alarm_still_raises():
    s = Session()
    s.reading(0, NEWS2_2)
    s.ack("news2", 1)
    assert s.reading(2, NEWS2_3) == []
    assert s.reading(3, NEWS2_4) == []
    assert s.reading(4, replace(NEWS2_4, blood_glucose=3.0)) == [
        ("raise", "blood_glucose_low", "medium")]


def test_acknowledged_alarm_pages_again_when_it_rises_to_a_higher_priority():
    s = Session()
    s.reading(0, NEWS2_2)
    s.ack("news2", 1)
    assert s.reading(2, NEWS2_5) == [("escalate", "news2", "medium")]
    # The new page needs its own acknowledgement.
    assert s.state.alarms["news2"].acknowledged_until is None


def test_acknowledgement_window_ends_after_its_set_time():
    s = Session()
    s.reading(0, NEWS2_2)
    s.ack("news2", 1)
    assert s.reading(15, NEWS2_3) == []
    assert s.reading(16, NEWS2_4) == [("escalate", "news2", "low")]


def test_alarm_clears_only_after_readings_stay_normal_for_the_hysteresis_window():
    s = Session()
    s.reading(0, NEWS2_2)
    assert [s.reading(m, NORMAL) for m in (1, 2, 3)] == [[], [], []]
    # One abnormal reading restarts the five minutes.
    assert s.reading(4, NEWS2_2) == []
    assert [s.reading(m, NORMAL) for m in (5, 6, 7, 8, 9)] == [[], [], [], [], []]
    assert s.reading(10, NORMAL) == [("clear", "news2", "low")]
    assert s.state.active_keys() == []
    assert s.state.alarms["news2"].cleared_at == at(10)


def test_readings_that_do_not_measure_the_alarm_do_not_clear_it():
    s = Session()
    s.reading(0, VitalSigns(spo2=85))
    assert "spo2_low" in s.state.active_keys()
    for minute in range(1, 20):
        assert s.reading(minute, VitalSigns(systolic_bp=120, diastolic_bp=80)) == []
    assert "spo2_low" in s.state.active_keys()
    s.reading(20, VitalSigns(spo2=97))
    assert ("clear", "spo2_low", "high") in s.reading(25, VitalSigns(spo2=97))


def test_cleared_alarm_raises_afresh_when_the_condition_returns():
    s = Session()
    s.reading(0, NEWS2_5)
    s.reading(1, NORMAL)
    assert s.reading(6, NORMAL) == [("clear", "news2", "medium")]
    assert s.reading(7, NEWS2_2) == [("raise", "news2", "low")]


def test_step_does_not_change_the_state_it_was_given():
    before = AlarmState()
    a = assess(NEWS2_5, THRESHOLDS, [], T0)
    after, _ = step_alarms(before, a, T0, CONFIG)
    assert before.alarms == {} and "news2" in after.alarms


def test_acknowledging_an_alarm_that_is_not_active_is_refused():
    with pytest.raises(KeyError):
        acknowledge_alarm(AlarmState(), "news2", T0, CONFIG)


def test_device_is_silent_after_three_expected_intervals():
    last_seen = {"ox-1": at(0), "bp-2": at(2)}
    interval = timedelta(minutes=1)
    assert check_device_silence(last_seen, interval, at(0) + timedelta(seconds=179)) == []
    assert check_device_silence(last_seen, interval, at(3)) == ["ox-1"]
    assert check_device_silence(last_seen, interval, at(5)) == ["bp-2", "ox-1"]


def test_silent_device_raises_technical_alarm_once_then_clears_when_readings_return():
    state = AlarmState()
    state, actions = step_technical_alarms(state, ["ox-1"], at(3))
    assert [(a.kind, a.key, a.priority) for a in actions] == [
        ("raise", "device_silent:ox-1", "medium")]
    state, actions = step_technical_alarms(state, ["ox-1"], at(4))
    assert actions == []
    state, actions = step_technical_alarms(state, [], at(5))
    assert [(a.kind, a.key) for a in actions] == [("clear", "device_silent:ox-1")]
    assert state.active_keys() == []


def test_clinical_readings_leave_technical_alarms_alone():
    state, _ = step_technical_alarms(AlarmState(), ["ox-1"], at(3))
    for minute in range(4, 20):
        state, actions = step_alarms(state, assess(NORMAL, THRESHOLDS, [], at(minute)),
                                     at(minute), CONFIG)
        assert actions == []
    assert state.active_keys() == ["device_silent:ox-1"]
