"""A 3-person weekly rotation, a weekend layer and two overrides, across London's clocks going
forward (29 March 2026, 01:00 GMT -> 02:00 BST) and in Kuala Lumpur, which has no DST."""

from __future__ import annotations

from datetime import datetime, time

import pytest

from clinical.oncall import Layer, Override, Schedule, Window, who_is_on_call

WEEKEND = (Window((5,), time(9), time(9)), Window((6,), time(9), time(9)))  # Sat 09:00 -> Mon 09:00


def rota(zone: str, swap: tuple[str, str], sick: tuple[str, str]) -> Schedule:
    return Schedule("cardiology", zone, layers=(
        Layer("weekday", ("ana", "ben", "cai"), datetime(2026, 3, 16, 9), "weekly"),  # a Monday
        Layer("weekend", ("dee", "eli"), datetime(2026, 3, 14, 9), "weekly", priority=1,
              windows=WEEKEND),  # a Saturday
    ), overrides=(
        Override("swap", "fay", datetime.fromisoformat(swap[0]), datetime.fromisoformat(swap[1])),
        Override("sick", "gus", datetime.fromisoformat(sick[0]), datetime.fromisoformat(sick[1])),
    ))


# The swap covers the hour the clocks skip; the sick cover starts as the weekend ends.
LONDON = rota("Europe/London", ("2026-03-29T00:00+00:00", "2026-03-29T03:00+00:00"),
              ("2026-03-30T09:00+01:00", "2026-03-31T09:00+01:00"))
KUALA_LUMPUR = rota("Asia/Kuala_Lumpur", ("2026-03-29T08:00+08:00", "2026-03-29T11:00+08:00"),
                    ("2026-03-30T09:00+08:00", "2026-03-31T09:00+08:00"))


@pytest.mark.parametrize("at, person, source, until", [
    ("2026-03-18T12:00+00:00", "ana", "layer:weekday", "2026-03-21T09:00+00:00"),
    ("2026-03-23T08:59+00:00", "eli", "layer:weekend", "2026-03-23T09:00+00:00"),
    ("2026-03-23T09:00+00:00", "ben", "layer:weekday", "2026-03-28T09:00+00:00"),
    ("2026-03-28T10:00+00:00", "dee", "layer:weekend", "2026-03-29T00:00+00:00"),
    ("2026-03-29T00:59+00:00", "fay", "override:swap", "2026-03-29T03:00+00:00"),
    ("2026-03-29T02:30+01:00", "fay", "override:swap", "2026-03-29T03:00+00:00"),  # after the jump
    ("2026-03-29T04:00+01:00", "dee", "layer:weekend", "2026-03-30T09:00+01:00"),
    ("2026-03-30T08:59+01:00", "dee", "layer:weekend", "2026-03-30T09:00+01:00"),
    ("2026-03-30T09:00+01:00", "gus", "override:sick", "2026-03-31T09:00+01:00"),
    # The weekly hand-off stays at 09:00 local: 09:00 GMT before the change, 09:00 BST after.
    ("2026-03-31T09:00+01:00", "cai", "layer:weekday", "2026-04-04T09:00+01:00"),
    ("2026-04-06T08:59+01:00", "eli", "layer:weekend", "2026-04-06T09:00+01:00"),
    ("2026-04-06T09:00+01:00", "ana", "layer:weekday", "2026-04-11T09:00+01:00"),
])
def test_london_rota_across_the_clocks_going_forward(at: str, person: str, source: str,
                                                     until: str) -> None:
    answer = who_is_on_call(LONDON, datetime.fromisoformat(at))
    assert (answer.person, answer.source, answer.until) == (
        person, source, datetime.fromisoformat(until))


@pytest.mark.parametrize("at, person, source, until", [
    ("2026-03-18T12:00+08:00", "ana", "layer:weekday", "2026-03-21T09:00+08:00"),
    ("2026-03-23T08:59+08:00", "eli", "layer:weekend", "2026-03-23T09:00+08:00"),
    ("2026-03-23T09:00+08:00", "ben", "layer:weekday", "2026-03-28T09:00+08:00"),
    ("2026-03-28T10:00+08:00", "dee", "layer:weekend", "2026-03-29T08:00+08:00"),
    ("2026-03-29T09:30+08:00", "fay", "override:swap", "2026-03-29T11:00+08:00"),
    ("2026-03-29T11:00+08:00", "dee", "layer:weekend", "2026-03-30T09:00+08:00"),
    ("2026-03-30T09:00+08:00", "gus", "override:sick", "2026-03-31T09:00+08:00"),
    ("2026-03-31T09:00+08:00", "cai", "layer:weekday", "2026-04-04T09:00+08:00"),
    ("2026-04-06T09:00+08:00", "ana", "layer:weekday", "2026-04-11T09:00+08:00"),
])
def test_kuala_lumpur_rota_without_daylight_saving(at: str, person: str, source: str,
                                                   until: str) -> None:
    answer = who_is_on_call(KUALA_LUMPUR, datetime.fromisoformat(at))
    assert (answer.person, answer.source, answer.until) == (
        person, source, datetime.fromisoformat(until))


def test_before_the_first_hand_off_nobody_is_on_call_until_it() -> None:
    answer = who_is_on_call(LONDON, datetime.fromisoformat("2026-03-10T12:00+00:00"))
    assert (answer.person, answer.source) == (None, None)
    assert answer.until == datetime.fromisoformat("2026-03-14T09:00+00:00")
