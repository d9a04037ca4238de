"""Server-drawn line charts of a monitoring session's vitals and NEWS2: geometry for an SVG.

Pure: a series of (time, value) pairs and the limits that alarm in, out comes what the template
draws (the polyline, the limit lines, the axis labels). Nothing is computed in the browser, so
the page and its screenshot show the same chart, and a unit test can check it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from clinical.thresholds import Thresholds

WIDTH, HEIGHT = 600, 160
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 44, 8, 10, 22
# What each series is called and measured in; and the limits of `Thresholds` that alarm on it.
LABELS = {"news2": ("NEWS2 score", ""), "heart_rate": ("Heart rate", "/min"),
          "spo2": ("SpO₂", "%"), "respiratory_rate": ("Respiratory rate", "/min"),
          "systolic_bp": ("Systolic blood pressure", "mmHg"),
          "diastolic_bp": ("Diastolic blood pressure", "mmHg"),
          "temperature_c": ("Temperature", "°C"), "blood_glucose": ("Blood glucose", "mmol/L"),
          "pain_scale": ("Pain", "/10")}
# What each limit of `Thresholds` is called on a form.
LIMIT_LABELS = {"heart_rate_low": "Heart rate, low", "heart_rate_high": "Heart rate, high",
                "spo2_low": "SpO₂, low", "spo2_critical": "SpO₂, critical",
                "systolic_low": "Systolic blood pressure, low",
                "systolic_high": "Systolic blood pressure, high",
                "rr_low": "Respiratory rate, low", "rr_high": "Respiratory rate, high",
                "temp_low": "Temperature, low", "temp_high": "Temperature, high",
                "glucose_low": "Blood glucose, low", "glucose_high": "Blood glucose, high",
                "spo2_scale": "SpO₂ scale (1 or 2)"}
LIMITS = {"heart_rate": ("heart_rate_low", "heart_rate_high"), "spo2": ("spo2_low", None),
          "respiratory_rate": ("rr_low", "rr_high"),
          "systolic_bp": ("systolic_low", "systolic_high"),
          "temperature_c": ("temp_low", "temp_high"),
          "blood_glucose": ("glucose_low", "glucose_high")}
# NEWS2 aggregate bands (RCP 2017): 5 is urgent review, 7 emergency response.
NEWS2_LINES = (5.0, 7.0)


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    unit: str
    latest: float
    count: int
    points: str  # the SVG polyline's "x,y x,y ..."
    dots: list[tuple[float, float]]  # where each reading is (the last few are marked)
    limits: list[tuple[str, float, float]]  # (label, value, y)
    y_labels: list[tuple[str, float]]  # (text, y)
    x_labels: list[tuple[str, float]]  # (HH:MM:SS, x)
    width: int = WIDTH
    height: int = HEIGHT


def _span(low: float, high: float) -> tuple[float, float]:
    if high - low < 1e-9:
        return low - 1, high + 1
    margin = (high - low) * 0.1
    return low - margin, high + margin


def _number(value: float) -> str:
    return f"{value:g}" if abs(value) < 1000 else f"{value:.0f}"


def line_chart(key: str, series: Sequence[tuple[datetime, float]],
               thresholds: Thresholds | None = None) -> Chart:
    """One vital's readings over time, with the limits that alarm on it drawn across."""
    title, unit = LABELS.get(key, (key.replace("_", " ").capitalize(), ""))
    lines: list[tuple[str, float]] = []
    if key == "news2":
        lines = [(f"NEWS2 {v:g}", v) for v in NEWS2_LINES]
    elif thresholds is not None and key in LIMITS:
        lines = [(f"{side} {getattr(thresholds, name):g}", float(getattr(thresholds, name)))
                 for side, name in zip(("low", "high"), LIMITS[key]) if name]
    values = [float(v) for _, v in series]
    low, high = _span(min(values + [v for _, v in lines]), max(values + [v for _, v in lines]))
    if key == "news2":  # a score of 0 to 20: never below 0
        low, high = 0.0, max(8.0, max(values) + 1)
    times = [t.timestamp() for t, _ in series]
    start, end = times[0], max(times[-1], times[0] + 1)
    plot_w, plot_h = WIDTH - PAD_LEFT - PAD_RIGHT, HEIGHT - PAD_TOP - PAD_BOTTOM

    def x(t: float) -> float:
        return round(PAD_LEFT + (t - start) / (end - start) * plot_w, 1)

    def y(v: float) -> float:
        return round(PAD_TOP + (high - v) / (high - low) * plot_h, 1)

    dots = [(x(t), y(v)) for t, v in zip(times, values)]
    return Chart(
        key=key, title=title, unit=unit, latest=values[-1], count=len(values),
        points=" ".join(f"{px},{py}" for px, py in dots), dots=dots[-20:],
        limits=[(label, value, y(value)) for label, value in lines],
        y_labels=[(_number(v), y(v)) for v in (high, (high + low) / 2, low)],
        x_labels=[(series[0][0].strftime("%H:%M:%S"), float(PAD_LEFT)),
                  (series[-1][0].strftime("%H:%M:%S"), float(WIDTH - PAD_RIGHT))])


def session_charts(series: dict[str, list[tuple[datetime, float]]],
                   thresholds: Thresholds | None) -> list[Chart]:
    """NEWS2 first, then every vital that has readings, in a fixed order."""
    ranked = sorted(series, key=lambda k: (list(LABELS).index(k) if k in LABELS else 99, k))
    return [line_chart(key, series[key], thresholds) for key in ranked if series[key]]


ADHERENCE_PARTS = ("taken", "late", "skipped", "missed")


@dataclass(frozen=True)
class Segment:
    outcome: str
    count: int
    x: float  # percent from the left
    width: float  # percent


def adherence_bar(tally: dict[str, int]) -> list[Segment]:
    """One medication's doses as a bar split by outcome (taken, late, skipped, missed)."""
    total = sum(tally.get(part, 0) for part in ADHERENCE_PARTS)
    segments, x = [], 0.0
    for part in ADHERENCE_PARTS:
        count = tally.get(part, 0)
        if count and total:
            width = round(100 * count / total, 2)
            segments.append(Segment(part, count, x, width))
            x = round(x + width, 2)
    return segments
