"""Personalised alarm limits for a monitoring session, and the check against them."""

import math
from dataclasses import dataclass, fields, replace

from clinical.vitals import VitalSigns

# parameter -> (low field, high field); spo2 has only a low side because a
# high saturation is never an alarm on its own (NEWS2 scale 2 scores it).
_LIMITS = {
    "heart_rate": ("heart_rate_low", "heart_rate_high"),
    "spo2": ("spo2_low", None),
    "systolic_bp": ("systolic_low", "systolic_high"),
    "respiratory_rate": ("rr_low", "rr_high"),
    "temperature_c": ("temp_low", "temp_high"),
    "blood_glucose": ("glucose_low", "glucose_high"),
}

# Outer bounds a limit may be set to; wider than this is a typo, not a choice.
_SANE = {
    "heart_rate": (20, 250),
    "spo2": (50, 100),
    "systolic_bp": (40, 300),
    "respiratory_rate": (0, 80),
    "temperature_c": (25, 45),
    "blood_glucose": (0.5, 50),
}

# On scale 2 the prescribed target is 88-92 %: a low limit above 88 would
# alarm inside the target all day, and a critical limit of 88 would start an
# emergency for a saturation NEWS2 scale 2 scores 1.
SCALE_2_TARGET_LOW = 88


@dataclass
class Thresholds:
    """Alarm limits; a value strictly beyond a limit is a finding."""

    heart_rate_low: float = 40
    heart_rate_high: float = 130
    spo2_low: float = 92
    spo2_critical: float = 88
    systolic_low: float = 90
    systolic_high: float = 200
    rr_low: float = 8
    rr_high: float = 25
    temp_low: float = 35.0
    temp_high: float = 39.0
    glucose_low: float = 4.0
    glucose_high: float = 15.0
    spo2_scale: int = 1


@dataclass
class Finding:
    """One vital sign beyond one limit."""

    parameter: str
    value: float
    limit: float
    direction: str
    critical: bool = False

    @property
    def key(self) -> str:
        """The alarm key for this condition, e.g. 'spo2_low'."""
        return f"{self.parameter}_{self.direction}"


class ThresholdError(ValueError):
    """Thresholds were rejected; `field` names the offending limit."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


# The defaults differ where the setting changes what matters: bedside and
# emergency care want early warning; post-operative care watches opioid
# respiratory depression and hypothermia; remote patients at home are
# alarmed less eagerly because every page is a phone call, not a glance.
_DEFAULTS = {
    "continuous_vitals": Thresholds(
        heart_rate_low=50, heart_rate_high=120, systolic_high=180,
        temp_low=35.5, temp_high=38.5, glucose_high=12.0,
    ),
    "post_operative": Thresholds(
        heart_rate_low=50, heart_rate_high=120, spo2_low=94, systolic_high=180,
        rr_low=10, rr_high=24, temp_low=35.5, temp_high=38.5, glucose_high=12.0,
    ),
    "chronic_condition": Thresholds(
        heart_rate_low=45, heart_rate_high=120, spo2_low=90, systolic_high=180,
        temp_high=38.5,
    ),
    "remote_patient": Thresholds(
        spo2_low=90, systolic_low=85, rr_high=28, glucose_high=20.0,
    ),
    "emergency": Thresholds(
        heart_rate_low=50, heart_rate_high=120, spo2_low=94, systolic_high=180,
        rr_low=10, rr_high=24, temp_low=35.5, temp_high=38.5,
    ),
    "telemetry": Thresholds(
        heart_rate_low=50, heart_rate_high=120, systolic_high=180, temp_high=38.5,
    ),
}

MONITORING_TYPES = tuple(_DEFAULTS)


def default_thresholds(monitoring_type: str) -> Thresholds:
    """The default limits for a monitoring type."""
    if monitoring_type not in _DEFAULTS:
        raise ThresholdError(
            "monitoring_type", f"must be one of {', '.join(MONITORING_TYPES)}"
        )
    return replace(_DEFAULTS[monitoring_type])


def apply_overrides(base: Thresholds, overrides: dict) -> Thresholds:
    """Return `base` with `overrides` applied, rejecting unknown keys and nonsense."""
    known = {f.name for f in fields(Thresholds)}
    for key, value in overrides.items():
        if key not in known:
            raise ThresholdError(key, "unknown threshold")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ThresholdError(key, "must be a number")
    result = replace(base, **overrides)
    validate_thresholds(result)
    return result


def validate_thresholds(t: Thresholds) -> None:
    """Raise ThresholdError for limits no clinician would mean."""
    for f in fields(t):
        value = getattr(t, f.name)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ThresholdError(f.name, "must be a number")
        if not math.isfinite(value):
            raise ThresholdError(f.name, "must be a finite number")
    if t.spo2_scale not in (1, 2):
        raise ThresholdError("spo2_scale", "must be 1 or 2")
    for parameter, (low_name, high_name) in _LIMITS.items():
        lowest, highest = _SANE[parameter]
        for name in (low_name, high_name):
            if name is not None and not lowest <= getattr(t, name) <= highest:
                raise ThresholdError(name, f"must be between {lowest} and {highest}")
        if high_name is not None and getattr(t, low_name) >= getattr(t, high_name):
            raise ThresholdError(low_name, f"must be below {high_name}")
    if not 50 <= t.spo2_critical <= 100:
        raise ThresholdError("spo2_critical", "must be between 50 and 100")
    if t.spo2_critical > t.spo2_low:
        raise ThresholdError("spo2_critical", "must not be above spo2_low")
    if t.spo2_scale == 2 and t.spo2_low > SCALE_2_TARGET_LOW:
        raise ThresholdError("spo2_low", "on SpO2 scale 2 the target is 88-92 %; use 88 or lower")
    if t.spo2_scale == 2 and t.spo2_critical >= SCALE_2_TARGET_LOW:
        raise ThresholdError("spo2_critical", "on SpO2 scale 2 it must be below the 88 % target")


def check_thresholds(vitals: VitalSigns, t: Thresholds) -> list[Finding]:
    """Every measured vital sign strictly beyond its limit."""
    findings = []
    for parameter, (low_name, high_name) in _LIMITS.items():
        value = getattr(vitals, parameter)
        if value is None:
            continue
        low = getattr(t, low_name)
        if parameter == "spo2" and value < t.spo2_critical:
            findings.append(Finding(parameter, value, t.spo2_critical, "low", critical=True))
        elif value < low:
            findings.append(Finding(parameter, value, low, "low"))
        elif high_name is not None and value > getattr(t, high_name):
            findings.append(Finding(parameter, value, getattr(t, high_name), "high"))
    return findings
