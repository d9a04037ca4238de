"""Turns one set of vitals into an alarm priority, in the spirit of IEC 60601-1-8.

high   -> start a child emergency escalation
medium -> page the care team with a short escalation policy
low    -> notify the session's viewers
"""

from dataclasses import dataclass, field
from datetime import datetime

from clinical.news2 import PARAMETERS, News2Score, news2_trend, score_news2
from clinical.thresholds import Finding, Thresholds, check_thresholds
from clinical.vitals import VitalSigns

PRIORITIES = ("none", "low", "medium", "high")
RESPONSES = {
    "high": "start_emergency",
    "medium": "page_care_team",
    "low": "notify_viewers",
    "none": "none",
}
NEWS2_KEY = "news2"

_LABELS = {
    "heart_rate": ("Heart rate", " bpm"),
    "spo2": ("SpO2", " %"),
    "on_oxygen": ("Supplemental oxygen", ""),
    "systolic_bp": ("Systolic BP", " mmHg"),
    "respiratory_rate": ("Respiratory rate", "/min"),
    "temperature_c": ("Temperature", " °C"),
    "blood_glucose": ("Blood glucose", " mmol/L"),
    "consciousness": ("Consciousness", ""),
}


@dataclass
class AlarmCondition:
    """One alarm condition this reading shows, keyed so repeats can be recognised."""

    key: str
    priority: str
    reasons: list[str] = field(default_factory=list)
    # NEWS2 total for the news2 condition; None for threshold conditions.
    score: int | None = None
    # The vitals a later reading must carry before it can show this condition gone.
    parameters: list[str] = field(default_factory=list)


@dataclass
class Assessment:
    """The verdict on one reading."""

    priority: str
    response: str
    reasons: list[str]
    news2: News2Score
    trend: str
    findings: list[Finding]
    conditions: list[AlarmCondition]
    alarm_keys: list[str]
    measured: list[str]


def assess(
    vitals: VitalSigns,
    thresholds: Thresholds,
    news2_history: list[tuple[datetime, int]],
    now: datetime,
) -> Assessment:
    """Combine NEWS2, its trend and the threshold findings into one priority."""
    news2 = score_news2(vitals, thresholds.spo2_scale)
    # A partial total understates NEWS2, so it would fake a falling trend;
    # only complete scores belong in the trend (and in the caller's history).
    points = list(news2_history) + ([(now, news2.total)] if news2.complete else [])
    trend = news2_trend(points, now)
    findings = check_thresholds(vitals, thresholds)
    conditions = []
    news2_condition = _news2_condition(news2, trend)
    if news2_condition is not None:
        conditions.append(news2_condition)
    conditions.extend(_finding_condition(f) for f in findings)
    priority = max((c.priority for c in conditions), key=PRIORITIES.index, default="none")
    return Assessment(
        priority=priority,
        response=RESPONSES[priority],
        reasons=[reason for c in conditions for reason in c.reasons],
        news2=news2,
        trend=trend,
        findings=findings,
        conditions=conditions,
        alarm_keys=[c.key for c in conditions],
        measured=vitals.measured(),
    )


def _news2_condition(news2: News2Score, trend: str) -> AlarmCondition | None:
    red = [name for name in PARAMETERS if news2.scores.get(name) == 3]
    red_text = ", ".join(_LABELS[name][0] for name in red)
    if news2.total >= 7:
        priority, reason = "high", f"NEWS2 {news2.total}: high clinical risk"
    elif red and trend == "rising":
        priority, reason = "high", f"{red_text} scores 3 and NEWS2 is rising"
    elif news2.total >= 5:
        priority, reason = "medium", f"NEWS2 {news2.total}: medium clinical risk"
    elif red:
        priority, reason = "medium", f"{red_text} scores 3 (NEWS2 {news2.total})"
    elif news2.total >= 1:
        priority, reason = "low", f"NEWS2 {news2.total}: low clinical risk"
    else:
        return None
    reasons = [reason]
    if not news2.complete:
        missing = ", ".join(_LABELS[name][0] for name in news2.missing)
        reasons.append(f"NEWS2 from incomplete vitals (missing {missing})")
    return AlarmCondition(
        key=NEWS2_KEY,
        priority=priority,
        reasons=reasons,
        score=news2.total,
        parameters=list(PARAMETERS),
    )


def _finding_condition(finding: Finding) -> AlarmCondition:
    label, unit = _LABELS[finding.parameter]
    side = "below" if finding.direction == "low" else "above"
    kind = "critical limit" if finding.critical else "limit"
    reason = (
        f"{label} {_number(finding.value)}{unit} {side} {kind} "
        f"{_number(finding.limit)}{unit}"
    )
    return AlarmCondition(
        key=finding.key,
        priority="high" if finding.critical else "medium",
        reasons=[reason],
        parameters=[finding.parameter],
    )


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
