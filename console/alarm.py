"""How an emergency's severity is shown: an IEC 60601-1-8 alarm priority, never colour alone.

Critical is an immediate life threat (high priority: immediate response); emergent and urgent
need a prompt response (medium); semi- and non-urgent call for awareness (low). Each priority
has its colour (high red, medium yellow, low cyan, in console.css), a label in words and its own
icon shape, so it reads the same to someone who cannot tell the colours apart.
"""

from __future__ import annotations

PRIORITY_BY_SEVERITY = {
    "critical": "high",
    "emergent": "medium",
    "urgent": "medium",
    "semi_urgent": "low",
    "non_urgent": "low",
}
# Monitoring alarms already carry a priority in these words.
PRIORITIES = ("high", "medium", "low")
LABELS = {"high": "High priority", "medium": "Medium priority", "low": "Low priority"}


def alarm_priority(severity: str | None) -> str:
    """The alarm priority for an emergency severity (or a monitoring priority); low if unknown."""
    if severity in PRIORITIES:
        return severity
    return PRIORITY_BY_SEVERITY.get(severity or "", "low")


def priority_label(severity: str | None) -> str:
    return LABELS[alarm_priority(severity)]
