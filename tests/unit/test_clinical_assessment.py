"""Assessment: NEWS2, trend and threshold findings mapped to an alarm priority."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from clinical.assessment import assess
from clinical.thresholds import Thresholds, apply_overrides
from clinical.vitals import VitalSigns

NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
NORMAL = VitalSigns(
    heart_rate=70, systolic_bp=120, diastolic_bp=80, respiratory_rate=16,
    temperature_c=37.0, spo2=97, on_oxygen=False, consciousness="alert",
)
# Wide limits so these cases exercise NEWS2 alone.
WIDE = Thresholds(heart_rate_low=30, heart_rate_high=200, spo2_low=80, spo2_critical=75,
                  systolic_low=60, systolic_high=250, rr_low=3, rr_high=40,
                  temp_low=30, temp_high=42)


def vitals(**changes) -> VitalSigns:
    return replace(NORMAL, **changes)


def test_normal_vitals_assess_to_none():
    a = assess(NORMAL, Thresholds(), [], NOW)
    assert (a.priority, a.response, a.alarm_keys, a.reasons) == ("none", "none", [], [])


@pytest.mark.parametrize(
    "changes, total, priority, response",
    [
        ({"heart_rate": 95}, 1, "low", "notify_viewers"),
        ({"heart_rate": 115, "respiratory_rate": 22}, 4, "low", "notify_viewers"),
        ({"heart_rate": 115, "respiratory_rate": 22, "temperature_c": 38.5}, 5, "medium",
         "page_care_team"),
        ({"heart_rate": 115, "respiratory_rate": 22, "temperature_c": 39.5}, 6, "medium",
         "page_care_team"),
        ({"heart_rate": 115, "respiratory_rate": 22, "temperature_c": 38.5, "on_oxygen": True},
         7, "high", "start_emergency"),
    ],
)
def test_news2_total_maps_to_priority(changes, total, priority, response):
    a = assess(vitals(**changes), WIDE, [], NOW)
    assert (a.news2.total, a.priority, a.response) == (total, priority, response)
    assert a.alarm_keys == ["news2"]


def test_single_parameter_scoring_3_is_medium():
    a = assess(vitals(consciousness="voice"), WIDE, [], NOW)
    assert (a.news2.total, a.priority) == (3, "medium")
    assert "Consciousness scores 3" in a.reasons[0]


def test_single_parameter_scoring_3_with_rising_trend_is_high():
    history = [(NOW - timedelta(minutes=40), 0), (NOW - timedelta(minutes=20), 1)]
    a = assess(vitals(consciousness="voice"), WIDE, history, NOW)
    assert (a.trend, a.priority, a.response) == ("rising", "high", "start_emergency")
    assert "rising" in a.reasons[0]


def test_single_3_with_stable_trend_stays_medium():
    history = [(NOW - timedelta(minutes=40), 3)]
    a = assess(vitals(consciousness="voice"), WIDE, history, NOW)
    assert (a.trend, a.priority) == ("stable", "medium")


def test_spo2_below_critical_is_high_even_when_news2_alone_is_medium():
    a = assess(vitals(spo2=87), Thresholds(), [], NOW)
    assert a.news2.total == 3
    assert a.priority == "high"
    assert a.alarm_keys == ["news2", "spo2_low"]
    assert "SpO2 87 % below critical limit 88 %" in a.reasons


def test_threshold_finding_alone_is_medium():
    a = assess(vitals(blood_glucose=3.1), Thresholds(), [], NOW)
    assert (a.news2.total, a.priority, a.alarm_keys) == (0, "medium", ["blood_glucose_low"])
    assert a.reasons == ["Blood glucose 3.1 mmol/L below limit 4 mmol/L"]


def test_priority_is_the_highest_of_all_conditions():
    a = assess(vitals(heart_rate=95, blood_glucose=3.1), Thresholds(), [], NOW)
    assert [c.priority for c in a.conditions] == ["low", "medium"]
    assert a.priority == "medium"


def test_scale_2_thresholds_score_spo2_on_scale_2():
    t = apply_overrides(Thresholds(), {"spo2_scale": 2, "spo2_low": 86, "spo2_critical": 84})
    a = assess(vitals(spo2=89), t, [], NOW)
    assert (a.news2.total, a.priority) == (0, "none")


def test_incomplete_vitals_are_said_so_in_the_reasons():
    a = assess(VitalSigns(heart_rate=115), WIDE, [], NOW)
    assert a.news2.complete is False
    assert any("incomplete" in r for r in a.reasons)
    assert a.measured == ["heart_rate"]


def test_incomplete_score_is_left_out_of_the_trend():
    history = [(NOW - timedelta(minutes=30), 5)]
    a = assess(VitalSigns(heart_rate=70), WIDE, history, NOW)
    assert a.trend == "unknown"


def test_threshold_reason_names_the_value_and_the_limit():
    a = assess(vitals(heart_rate=135), Thresholds(), [], NOW)
    assert "Heart rate 135 bpm above limit 130 bpm" in a.reasons
