"""Vital-sign readings and the checks that keep impossible ones out of a session."""

import math
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any

CONSCIOUSNESS_LEVELS = ("alert", "confusion", "voice", "pain", "unresponsive")

# Plausible ranges (inclusive). A value outside is a device, unit or typing
# error, not a patient; accepting it would page people for nothing or, worse,
# hide a real change behind a nonsense number.
BOUNDS: dict[str, tuple[float, float]] = {
    # Below 20 bpm a monitor cannot count a rate reliably (lead-off and
    # motion artefact); a true arrest is the bedside monitor's alarm.
    "heart_rate": (20, 300),
    "systolic_bp": (40, 300),
    "diastolic_bp": (20, 200),
    # 0 is allowed: apnoea monitors report 0 deliberately, and rejecting it
    # would discard the most dangerous respiratory reading there is.
    "respiratory_rate": (0, 80),
    "temperature_c": (25, 45),
    # Pulse oximeters are not calibrated below ~70 % and report nothing
    # meaningful below 50 %; a number there is almost always a probe-off or a
    # fraction (0.97) sent instead of a percentage.
    "spo2": (50, 100),
    "blood_glucose": (0.5, 50),
    "pain_scale": (0, 10),
}

# A device clock a little ahead of ours is normal; minutes ahead is not.
FUTURE_TOLERANCE = timedelta(minutes=5)


@dataclass
class VitalSigns:
    """One set of measurements; a field left as None was not measured."""

    heart_rate: float | None = None
    systolic_bp: float | None = None
    diastolic_bp: float | None = None
    respiratory_rate: float | None = None
    temperature_c: float | None = None
    spo2: float | None = None
    on_oxygen: bool | None = None
    blood_glucose: float | None = None
    consciousness: str | None = None
    pain_scale: int | None = None

    def measured(self) -> list[str]:
        """Names of the fields that carry a value."""
        return [f.name for f in fields(self) if getattr(self, f.name) is not None]


@dataclass
class Reading:
    """Vital signs from one device at one moment."""

    device_id: str
    taken_at: datetime
    vitals: VitalSigns = field(default_factory=VitalSigns)


_FLOAT_VITALS = ("heart_rate", "systolic_bp", "diastolic_bp", "respiratory_rate", "temperature_c",
                 "spo2", "blood_glucose")


def reading_from_json(data: dict[str, Any]) -> Reading:
    """A Reading from its JSON form, as Temporal's default converter would build it.

    Written out by hand because the generic converter looks up type hints for every
    reading, which inside the workflow sandbox costs more than scoring it: a batch of
    thousands would hold a workflow task past Temporal's 2 s deadlock limit.
    """
    vitals = dict(data.get("vitals") or {})
    for name in _FLOAT_VITALS:
        if vitals.get(name) is not None:
            vitals[name] = float(vitals[name])
    return Reading(device_id=data["device_id"], taken_at=datetime.fromisoformat(data["taken_at"]),
                   vitals=VitalSigns(**vitals))


class ReadingError(ValueError):
    """A reading was rejected; `field` names the offending input."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def validate_reading(
    reading: Reading, now: datetime, known_devices: set[str] | None = None
) -> None:
    """Raise ReadingError for the first malformed or impossible part of a reading."""
    if not isinstance(reading.device_id, str) or not reading.device_id.strip():
        raise ReadingError("device_id", "a device id is required")
    if known_devices is not None and reading.device_id not in known_devices:
        raise ReadingError("device_id", f"unknown device {reading.device_id!r}")
    _check_time(reading.taken_at, now)
    vitals = reading.vitals
    # on_oxygen alone describes therapy, not the patient's state.
    if not [name for name in vitals.measured() if name != "on_oxygen"]:
        raise ReadingError("vitals", "the reading carries no vital sign")
    for name in BOUNDS:
        value = getattr(vitals, name)
        if value is not None:
            _check_number(name, value)
    if vitals.pain_scale is not None and (
        isinstance(vitals.pain_scale, float) and not vitals.pain_scale.is_integer()
    ):
        raise ReadingError("pain_scale", "pain scale is a whole number 0-10")
    if (
        vitals.systolic_bp is not None
        and vitals.diastolic_bp is not None
        and vitals.diastolic_bp >= vitals.systolic_bp
    ):
        raise ReadingError("diastolic_bp", "diastolic must be below systolic")
    if vitals.on_oxygen is not None and not isinstance(vitals.on_oxygen, bool):
        raise ReadingError("on_oxygen", "must be true or false")
    if vitals.consciousness is not None and vitals.consciousness not in CONSCIOUSNESS_LEVELS:
        raise ReadingError(
            "consciousness", f"must be one of {', '.join(CONSCIOUSNESS_LEVELS)}"
        )


def _check_time(taken_at: object, now: datetime) -> None:
    if not isinstance(taken_at, datetime):
        raise ReadingError("taken_at", "must be a date and time")
    if taken_at.tzinfo is None or taken_at.utcoffset() is None:
        raise ReadingError("taken_at", "must carry a time zone")
    if taken_at - now > FUTURE_TOLERANCE:
        raise ReadingError("taken_at", "is more than 5 minutes in the future")


def _check_number(name: str, value: object) -> None:
    # bool is an int subclass; True as a heart rate is a client bug.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ReadingError(name, "must be a number")
    if not math.isfinite(value):
        raise ReadingError(name, "must be a finite number")
    low, high = BOUNDS[name]
    if low <= value <= high:
        return
    raise ReadingError(name, _out_of_range_message(name, value, low, high))


def _out_of_range_message(name: str, value: float, low: float, high: float) -> str:
    plain = f"{value} is outside the plausible range {low}-{high}"
    if name == "temperature_c" and 77 <= value <= 113:
        return f"{plain}; it looks like Fahrenheit, send degrees Celsius"
    if name == "spo2" and value > 100:
        return f"{value} is above 100 %, which is impossible"
    if name == "spo2" and 0 < value <= 1:
        return f"{plain}; it looks like a fraction, send a percentage"
    if name == "blood_glucose" and 50 < value <= 900:
        return f"{plain}; it looks like mg/dL, send mmol/L"
    return plain
