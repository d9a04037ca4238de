"""Per-session thresholds: defaults by monitoring type, overrides, sanity checks, findings."""

from dataclasses import asdict

import pytest

from clinical.thresholds import (
    MONITORING_TYPES,
    Finding,
    ThresholdError,
    Thresholds,
    apply_overrides,
    check_thresholds,
    default_thresholds,
    validate_thresholds,
)
from clinical.vitals import VitalSigns

SPEC_MONITORING_TYPES = {
    "continuous_vitals", "post_operative", "chronic_condition",
    "remote_patient", "emergency", "telemetry",
}


def test_every_monitoring_type_in_the_spec_has_defaults():
    assert set(MONITORING_TYPES) == SPEC_MONITORING_TYPES


@pytest.mark.parametrize("monitoring_type", sorted(SPEC_MONITORING_TYPES))
def test_default_thresholds_are_valid_scale_1(monitoring_type):
    t = default_thresholds(monitoring_type)
    validate_thresholds(t)
    assert t.spo2_scale == 1
    assert t.spo2_critical == 88


def test_remote_patient_alarms_less_eagerly_than_continuous_vitals():
    remote, icu = default_thresholds("remote_patient"), default_thresholds("continuous_vitals")
    assert remote.heart_rate_high > icu.heart_rate_high
    assert remote.heart_rate_low < icu.heart_rate_low
    assert remote.spo2_low < icu.spo2_low


def test_post_operative_watches_for_respiratory_depression():
    assert default_thresholds("post_operative").rr_low > default_thresholds("remote_patient").rr_low


def test_unknown_monitoring_type_is_rejected():
    with pytest.raises(ThresholdError) as caught:
        default_thresholds("holiday")
    assert caught.value.field == "monitoring_type"


def test_defaults_are_copies_not_shared_objects():
    default_thresholds("telemetry").heart_rate_high = 999
    assert default_thresholds("telemetry").heart_rate_high != 999


def test_overrides_change_only_the_named_limits():
    base = default_thresholds("remote_patient")
    changed = apply_overrides(base, {"heart_rate_high": 110, "glucose_low": 3.5})
    assert (changed.heart_rate_high, changed.glucose_low) == (110, 3.5)
    untouched = set(asdict(base)) - {"heart_rate_high", "glucose_low"}
    assert all(getattr(changed, name) == getattr(base, name) for name in untouched)
    assert base.heart_rate_high == 130


def test_unknown_override_key_is_rejected():
    with pytest.raises(ThresholdError) as caught:
        apply_overrides(Thresholds(), {"heart_rate_max": 120})
    assert caught.value.field == "heart_rate_max"


@pytest.mark.parametrize("value", ["120", None, True])
def test_non_numeric_override_is_rejected(value):
    with pytest.raises(ThresholdError) as caught:
        apply_overrides(Thresholds(), {"heart_rate_high": value})
    assert caught.value.field == "heart_rate_high"


def test_override_that_makes_nonsense_is_rejected():
    with pytest.raises(ThresholdError) as caught:
        apply_overrides(Thresholds(), {"heart_rate_low": 140})
    assert caught.value.field == "heart_rate_low"


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"heart_rate_low": 130, "heart_rate_high": 130}, "heart_rate_low"),
        ({"systolic_low": 180, "systolic_high": 170}, "systolic_low"),
        ({"rr_low": 30}, "rr_low"),
        ({"temp_low": 39.5}, "temp_low"),
        ({"glucose_low": 16}, "glucose_low"),
        ({"heart_rate_high": 251}, "heart_rate_high"),
        ({"spo2_low": 101}, "spo2_low"),
        ({"spo2_low": 45, "spo2_critical": 40}, "spo2_low"),
        ({"spo2_critical": 93}, "spo2_critical"),
        ({"spo2_critical": 49}, "spo2_critical"),
        ({"spo2_scale": 3}, "spo2_scale"),
        ({"spo2_scale": 2}, "spo2_low"),
        ({"spo2_scale": 2, "spo2_low": 88}, "spo2_critical"),
        ({"temp_high": 98.6}, "temp_high"),
        ({"heart_rate_high": float("nan")}, "heart_rate_high"),
    ],
)
def test_nonsense_thresholds_are_rejected_naming_the_field(overrides, field):
    with pytest.raises(ThresholdError) as caught:
        apply_overrides(Thresholds(), overrides)
    assert caught.value.field == field


def test_scale_2_with_limits_below_the_target_range_is_accepted():
    t = apply_overrides(Thresholds(), {"spo2_scale": 2, "spo2_low": 88, "spo2_critical": 84})
    assert t.spo2_scale == 2


def test_normal_vitals_give_no_findings():
    vitals = VitalSigns(heart_rate=70, spo2=97, systolic_bp=120, respiratory_rate=16,
                        temperature_c=37, blood_glucose=6)
    assert check_thresholds(vitals, Thresholds()) == []


def test_values_exactly_at_a_limit_are_not_findings():
    t = Thresholds()
    vitals = VitalSigns(heart_rate=t.heart_rate_high, spo2=t.spo2_low, temperature_c=t.temp_low)
    assert check_thresholds(vitals, t) == []


@pytest.mark.parametrize(
    "vitals, expected",
    [
        (VitalSigns(heart_rate=131), Finding("heart_rate", 131, 130, "high")),
        (VitalSigns(heart_rate=39), Finding("heart_rate", 39, 40, "low")),
        (VitalSigns(spo2=91), Finding("spo2", 91, 92, "low")),
        (VitalSigns(spo2=87), Finding("spo2", 87, 88, "low", critical=True)),
        (VitalSigns(systolic_bp=85), Finding("systolic_bp", 85, 90, "low")),
        (VitalSigns(respiratory_rate=26), Finding("respiratory_rate", 26, 25, "high")),
        (VitalSigns(temperature_c=39.2), Finding("temperature_c", 39.2, 39.0, "high")),
        (VitalSigns(blood_glucose=3.2), Finding("blood_glucose", 3.2, 4.0, "low")),
    ],
)
def test_each_limit_produces_a_finding(vitals, expected):
    assert check_thresholds(vitals, Thresholds()) == [expected]


def test_spo2_below_critical_is_a_single_critical_finding():
    findings = check_thresholds(VitalSigns(spo2=80), Thresholds())
    assert [(f.key, f.critical) for f in findings] == [("spo2_low", True)]


def test_unmeasured_vitals_give_no_findings():
    assert check_thresholds(VitalSigns(pain_scale=9), Thresholds()) == []
