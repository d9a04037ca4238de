"""NEWS2 scoring against the RCP 2017 chart, edge by edge, and its trend."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinical.news2 import PARAMETERS, news2_trend, score_news2, trend_ends
from clinical.vitals import CONSCIOUSNESS_LEVELS, VitalSigns

NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


def single(**vitals) -> dict[str, int]:
    return score_news2(VitalSigns(**vitals)).scores


@pytest.mark.parametrize(
    "rate, expected",
    [(8, 3), (9, 1), (11, 1), (12, 0), (20, 0), (21, 2), (24, 2), (25, 3)],
)
def test_respiration_rate_band_edges(rate, expected):
    assert single(respiratory_rate=rate)["respiratory_rate"] == expected


@pytest.mark.parametrize(
    "spo2, expected", [(91, 3), (92, 2), (93, 2), (94, 1), (95, 1), (96, 0), (100, 0)]
)
@pytest.mark.parametrize("on_oxygen", [False, True])
def test_spo2_scale1_band_edges_ignore_oxygen(spo2, on_oxygen, expected):
    score = score_news2(VitalSigns(spo2=spo2, on_oxygen=on_oxygen), spo2_scale=1)
    assert score.scores["spo2"] == expected


@pytest.mark.parametrize(
    "spo2, on_oxygen, expected",
    [
        (83, False, 3), (84, False, 2), (85, False, 2), (86, False, 1), (87, False, 1),
        (88, False, 0), (92, False, 0), (92, True, 0), (93, False, 0), (100, False, 0),
        (93, True, 1), (94, True, 1), (95, True, 2), (96, True, 2), (97, True, 3),
        (83, True, 3), (88, True, 0),
    ],
)
def test_spo2_scale2_band_edges(spo2, on_oxygen, expected):
    score = score_news2(VitalSigns(spo2=spo2, on_oxygen=on_oxygen), spo2_scale=2)
    assert score.scores["spo2"] == expected


def test_spo2_scale2_on_oxygen_97_scores_3():
    assert score_news2(VitalSigns(spo2=97, on_oxygen=True), spo2_scale=2).scores["spo2"] == 3


def test_spo2_scale2_on_air_97_scores_0():
    assert score_news2(VitalSigns(spo2=97, on_oxygen=False), spo2_scale=2).scores["spo2"] == 0


def test_spo2_scale2_unknown_oxygen_scores_as_air_and_is_incomplete():
    score = score_news2(VitalSigns(spo2=97), spo2_scale=2)
    assert score.scores["spo2"] == 0
    assert "on_oxygen" in score.missing


@pytest.mark.parametrize("on_oxygen, expected", [(True, 2), (False, 0)])
def test_air_or_oxygen(on_oxygen, expected):
    assert single(on_oxygen=on_oxygen)["on_oxygen"] == expected


@pytest.mark.parametrize(
    "systolic, expected",
    [(90, 3), (91, 2), (100, 2), (101, 1), (110, 1), (111, 0), (219, 0), (220, 3)],
)
def test_systolic_band_edges(systolic, expected):
    assert single(systolic_bp=systolic)["systolic_bp"] == expected


@pytest.mark.parametrize(
    "pulse, expected",
    [(40, 3), (41, 1), (50, 1), (51, 0), (90, 0), (91, 1), (110, 1), (111, 2), (130, 2), (131, 3)],
)
def test_pulse_band_edges(pulse, expected):
    assert single(heart_rate=pulse)["heart_rate"] == expected


@pytest.mark.parametrize("level", CONSCIOUSNESS_LEVELS)
def test_anything_but_alert_scores_3(level):
    assert single(consciousness=level)["consciousness"] == (0 if level == "alert" else 3)


@pytest.mark.parametrize(
    "temperature, expected",
    [(35.0, 3), (35.1, 1), (36.0, 1), (36.1, 0), (38.0, 0), (38.1, 1), (39.0, 1), (39.1, 2)],
)
def test_temperature_band_edges(temperature, expected):
    assert single(temperature_c=temperature)["temperature_c"] == expected


@pytest.mark.parametrize(
    "vitals, parameter, expected",
    [
        ({"temperature_c": 35.05}, "temperature_c", 1),
        ({"temperature_c": 38.05}, "temperature_c", 1),
        ({"heart_rate": 90.5}, "heart_rate", 1),
        ({"respiratory_rate": 8.5}, "respiratory_rate", 1),
        ({"spo2": 91.5}, "spo2", 2),
    ],
)
def test_values_between_chart_bands_fall_into_the_higher_band(vitals, parameter, expected):
    assert single(**vitals)[parameter] == expected


FULL_NORMAL = dict(
    respiratory_rate=16, spo2=98, on_oxygen=False, systolic_bp=120,
    heart_rate=70, consciousness="alert", temperature_c=37.0,
)


def test_normal_complete_vitals_score_zero_and_complete():
    score = score_news2(VitalSigns(**FULL_NORMAL))
    assert (score.total, score.complete, score.missing, score.risk) == (0, True, [], "low")


def test_incomplete_vitals_are_flagged_with_the_missing_parameters():
    score = score_news2(VitalSigns(heart_rate=120, spo2=97))
    assert score.complete is False
    assert score.missing == ["respiratory_rate", "on_oxygen", "systolic_bp",
                             "consciousness", "temperature_c"]
    assert score.total == 2


@pytest.mark.parametrize(
    "changes, total, risk",
    [
        ({"respiratory_rate": 22, "heart_rate": 100}, 3, "low"),
        ({"consciousness": "voice"}, 3, "low_medium"),
        ({"respiratory_rate": 22, "heart_rate": 115, "temperature_c": 38.5}, 5, "medium"),
        ({"respiratory_rate": 22, "heart_rate": 115, "temperature_c": 39.5}, 6, "medium"),
        ({"respiratory_rate": 22, "heart_rate": 115, "on_oxygen": True, "temperature_c": 38.5},
         7, "high"),
    ],
)
def test_risk_bands(changes, total, risk):
    score = score_news2(VitalSigns(**{**FULL_NORMAL, **changes}))
    assert (score.total, score.risk) == (total, risk)


def test_unknown_spo2_scale_is_rejected():
    with pytest.raises(ValueError):
        score_news2(VitalSigns(spo2=95), spo2_scale=3)


def maybe(strategy):
    return st.one_of(st.none(), strategy)


@given(
    respiratory_rate=maybe(st.floats(0, 80)),
    spo2=maybe(st.floats(50, 100)),
    on_oxygen=maybe(st.booleans()),
    systolic_bp=maybe(st.floats(40, 300)),
    heart_rate=maybe(st.floats(20, 300)),
    consciousness=maybe(st.sampled_from(CONSCIOUSNESS_LEVELS)),
    temperature_c=maybe(st.floats(25, 45)),
    scale=st.sampled_from([1, 2]),
)
def test_total_is_the_sum_of_parameter_scores_and_within_0_to_20(scale, **vitals):
    score = score_news2(VitalSigns(**vitals), spo2_scale=scale)
    assert score.total == sum(score.scores.values())
    assert 0 <= score.total <= 20
    assert score.max_single == max(score.scores.values(), default=0)
    assert set(score.scores) | set(score.missing) == set(PARAMETERS)
    assert score.complete == all(v is not None for v in vitals.values())


def ago(minutes: float) -> datetime:
    return NOW - timedelta(minutes=minutes)


@pytest.mark.parametrize(
    "history, expected",
    [
        ([(ago(50), 2), (ago(20), 1), (ago(0), 5)], "rising"),
        ([(ago(50), 6), (ago(20), 7), (ago(0), 3)], "falling"),
        ([(ago(50), 4), (ago(20), 8), (ago(0), 4)], "stable"),
        ([(ago(0), 4)], "unknown"),
        ([], "unknown"),
        # The 9 is outside the hour, so 3 -> 5 is what counts.
        ([(ago(90), 9), (ago(30), 3), (ago(0), 5)], "rising"),
        # A point from the future is ignored, not taken as the latest.
        ([(ago(30), 3), (ago(0), 3), (NOW + timedelta(minutes=5), 9)], "stable"),
    ],
)
def test_trend_compares_latest_with_earliest_in_the_window(history, expected):
    assert news2_trend(history, NOW) == expected


def test_trend_window_is_configurable():
    history = [(ago(50), 2), (ago(5), 4), (ago(0), 4)]
    assert news2_trend(history, NOW, window=timedelta(minutes=10)) == "stable"
    assert news2_trend(history, NOW) == "rising"


@given(st.lists(st.tuples(st.integers(-7200, 600), st.integers(0, 20)), max_size=40),
       st.integers(0, 20))
def test_trend_from_its_two_ends_is_the_trend_from_the_whole_history(points, current) -> None:
    history = sorted((NOW + timedelta(seconds=s), score) for s, score in points)
    ends = trend_ends(history, NOW, key=lambda p: p)
    assert news2_trend([*ends, (NOW, current)], NOW) == news2_trend([*history, (NOW, current)], NOW)
    assert news2_trend(ends, NOW) == news2_trend(history, NOW)
