"""The session page's server-drawn charts: every reading is placed, and the alarm limits drawn."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from clinical.thresholds import default_thresholds
from console.charts import HEIGHT, PAD_BOTTOM, PAD_TOP, line_chart, session_charts

T0 = datetime(2026, 1, 1, 8, 0, tzinfo=timezone.utc)


def test_a_rising_heart_rate_is_drawn_left_to_right_and_upwards_with_its_limits() -> None:
    series = [(T0 + timedelta(minutes=i), v) for i, v in enumerate((70, 90, 130))]
    chart = line_chart("heart_rate", series, default_thresholds("continuous_vitals"))
    xs, ys = zip(*chart.dots)
    assert list(xs) == sorted(xs) and list(ys) == sorted(ys, reverse=True)
    assert PAD_TOP <= min(ys) and max(ys) <= HEIGHT - PAD_BOTTOM
    drawn = [(label, value) for label, value, _ in chart.limits]
    assert drawn == [("low 50", 50), ("high 120", 120)]
    above = next(y for label, _, y in chart.limits if label.startswith("high"))
    assert ys[-1] < above < ys[1]  # 130 is drawn above the 120 line, 90 below it
    assert chart.latest == 130 and chart.count == 3
    assert [label for label, _ in chart.x_labels] == ["08:00:00", "08:02:00"]


def test_one_reading_still_makes_a_chart_and_news2_comes_first() -> None:
    charts = session_charts({"spo2": [(T0, 97.0)], "news2": [(T0, 0)], "pain_scale": []},
                            default_thresholds("post_operative"))
    assert [c.key for c in charts] == ["news2", "spo2"]
    assert charts[1].count == 1 and ("low 94", 94.0) in [(l, v) for l, v, _ in charts[1].limits]
    assert [label for label, _, _ in charts[0].limits] == ["NEWS2 5", "NEWS2 7"]
