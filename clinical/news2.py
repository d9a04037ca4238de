"""NEWS2 early warning score (Royal College of Physicians, 2017) and its trend."""

import math
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from clinical.vitals import VitalSigns

# The seven NEWS2 parameters, named after the VitalSigns fields they read.
PARAMETERS = (
    "respiratory_rate",
    "spo2",
    "on_oxygen",
    "systolic_bp",
    "heart_rate",
    "consciousness",
    "temperature_c",
)

# Bands as (inclusive upper bound, score), read top to bottom; the chart's
# integer bands become upper bounds so 35.05 °C or 90.5 bpm land in exactly
# one band instead of falling between "35.0" and "35.1".
_RESPIRATION = ((8, 3), (11, 1), (20, 0), (24, 2), (float("inf"), 3))
_SPO2_SCALE_1 = ((91, 3), (93, 2), (95, 1), (float("inf"), 0))
_SPO2_SCALE_2_LOW = ((83, 3), (85, 2), (87, 1), (92, 0))
_SPO2_SCALE_2_ON_OXYGEN = ((94, 1), (96, 2), (float("inf"), 3))
_SYSTOLIC = ((90, 3), (100, 2), (110, 1), (219, 0), (float("inf"), 3))
_PULSE = ((40, 3), (50, 1), (90, 0), (110, 1), (130, 2), (float("inf"), 3))
_TEMPERATURE = ((35.0, 3), (36.0, 1), (38.0, 0), (39.0, 1), (float("inf"), 2))


@dataclass
class News2Score:
    """A NEWS2 total with its per-parameter breakdown."""

    total: int
    scores: dict[str, int] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    complete: bool = True
    max_single: int = 0
    risk: str = "low"
    spo2_scale: int = 1


def score_news2(vitals: VitalSigns, spo2_scale: int = 1) -> News2Score:
    """Score the vitals on the NEWS2 chart; absent parameters are listed in `missing`."""
    if spo2_scale not in (1, 2):
        raise ValueError("spo2_scale must be 1 or 2")
    scores: dict[str, int] = {}
    if vitals.respiratory_rate is not None:
        scores["respiratory_rate"] = _band(vitals.respiratory_rate, _RESPIRATION)
    if vitals.spo2 is not None:
        scores["spo2"] = _spo2(vitals.spo2, vitals.on_oxygen, spo2_scale)
    if vitals.on_oxygen is not None:
        scores["on_oxygen"] = 2 if vitals.on_oxygen else 0
    if vitals.systolic_bp is not None:
        scores["systolic_bp"] = _band(vitals.systolic_bp, _SYSTOLIC)
    if vitals.heart_rate is not None:
        scores["heart_rate"] = _band(vitals.heart_rate, _PULSE)
    if vitals.consciousness is not None:
        # Any new confusion or worse on ACVPU scores 3.
        scores["consciousness"] = 0 if vitals.consciousness == "alert" else 3
    if vitals.temperature_c is not None:
        scores["temperature_c"] = _band(vitals.temperature_c, _TEMPERATURE)
    total = sum(scores.values())
    max_single = max(scores.values(), default=0)
    missing = [name for name in PARAMETERS if name not in scores]
    return News2Score(
        total=total,
        scores=scores,
        missing=missing,
        complete=not missing,
        max_single=max_single,
        risk=_risk(total, max_single),
        spo2_scale=spo2_scale,
    )


def news2_trend(
    history: list[tuple[datetime, int]],
    now: datetime,
    window: timedelta = timedelta(hours=1),
) -> str:
    """Compare the latest total in [now - window, now] with the earliest one there."""
    # Latest against earliest, not a fitted slope: a nurse reading the chart
    # asks "is it higher than an hour ago?", and the answer must be that.
    # min/max rather than a sort: the same first and last (ties broken by score, as a
    # sort of the tuples would), in one pass, since a session's hour can hold thousands.
    start = now - window
    recent = [(t, s) for t, s in history if start <= t <= now]
    if len(recent) < 2:
        return "unknown"
    first, last = min(recent)[1], max(recent)[1]
    if last > first:
        return "rising"
    if last < first:
        return "falling"
    return "stable"


T = TypeVar("T")


def trend_ends(history: Sequence[T], now: datetime, key: Callable[[T], tuple[datetime, int]],
               window: timedelta = timedelta(hours=1)) -> list[T]:
    """The earliest and latest points of a history sorted by `key` within [now - window, now].

    news2_trend compares only those two, so handing it these instead of the whole
    history gives the same answer at a cost that does not grow with the history:
    a session whose monitor sends every second holds thousands of points an hour.
    """
    low = bisect_left(history, (now - window,), key=key)
    high = bisect_right(history, (now, math.inf), key=key)
    if high <= low:
        return []
    return [history[low]] if high - low == 1 else [history[low], history[high - 1]]


def _band(value: float, bands: tuple[tuple[float, int], ...]) -> int:
    for upper, score in bands:
        if value <= upper:
            return score
    raise AssertionError("bands end at infinity")


def _spo2(spo2: float, on_oxygen: bool | None, scale: int) -> int:
    if scale == 1:
        return _band(spo2, _SPO2_SCALE_1)
    if spo2 <= 92:
        return _band(spo2, _SPO2_SCALE_2_LOW)
    # Scale 2 penalises high saturations only on oxygen (over-oxygenation
    # risks hypercapnia). Unknown oxygen status scores as air: the oxygen
    # parameter is then reported missing, so the total is flagged incomplete.
    if not on_oxygen:
        return 0
    return _band(spo2, _SPO2_SCALE_2_ON_OXYGEN)


def _risk(total: int, max_single: int) -> str:
    if total >= 7:
        return "high"
    if total >= 5:
        return "medium"
    if max_single >= 3:
        return "low_medium"
    return "low"
