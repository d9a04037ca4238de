"""The console's colours meet WCAG 2.1 AA, and every severity has an IEC alarm priority."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from console.alarm import PRIORITY_BY_SEVERITY, alarm_priority
from services.schemas.emergencies import Severity

CSS = (Path(__file__).parents[2] / "console" / "static" / "console.css").read_text()
COLOURS = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-f]{6});", CSS))


def _luminance(hex_colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.mark.parametrize("fg, bg", [
    ("high-fg", "high-bg"), ("medium-fg", "medium-bg"), ("low-fg", "low-bg"),
    ("text", "page"), ("muted", "page"), ("link", "page"), ("text", "panel"), ("link", "panel"),
    ("button-fg", "button-bg"), ("ok-fg", "ok-bg"), ("lost-fg", "lost-bg"),
])
def test_every_colour_pair_meets_wcag_aa(fg: str, bg: str) -> None:
    assert contrast(COLOURS[fg], COLOURS[bg]) >= 4.5


def test_the_alarm_colours_are_red_yellow_and_cyan() -> None:
    red, yellow, cyan = (COLOURS[f"{p}-bg"] for p in ("high", "medium", "low"))
    assert int(red[1:3], 16) > 0x99 and int(red[3:5], 16) < 0x33
    assert int(yellow[1:3], 16) > 0xcc and int(yellow[3:5], 16) > 0xaa and int(yellow[5:7], 16) < 0x33
    assert int(cyan[1:3], 16) < 0x33 and int(cyan[5:7], 16) > 0xaa


def test_every_severity_has_a_priority_and_critical_is_high() -> None:
    assert set(PRIORITY_BY_SEVERITY) == set(Severity.__args__)  # type: ignore[attr-defined]
    assert alarm_priority("critical") == "high"
    assert alarm_priority("non_urgent") == "low"
    assert alarm_priority("medium") == "medium"  # monitoring alarms carry a priority already
