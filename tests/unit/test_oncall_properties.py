"""The rota resolver's properties, for any schedule hypothesis can think of."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from clinical.oncall import (
    Layer,
    Override,
    Schedule,
    Window,
    hand_off,
    shifts,
    turns,
    who_is_on_call,
)
from clinical.oncall_time import to_utc, turn_rule, turn_step

ZONES = ("Europe/London", "Asia/Kuala_Lumpur", "America/New_York", "Australia/Lord_Howe")
PEOPLE = ("ana", "ben", "cai", "dee", "eli", "fay")
# London's 2026 changes: clocks forward 29 March 01:00 UTC, back 25 October 01:00 UTC.
SPRING, AUTUMN = datetime(2026, 3, 29, 1, tzinfo=UTC), datetime(2026, 10, 25, 1, tzinfo=UTC)

walls = st.datetimes(min_value=datetime(2026, 3, 20), max_value=datetime(2026, 4, 5))
turn_kinds = st.sampled_from(["daily", "weekly", "12h", "custom"])
members = st.lists(st.sampled_from(PEOPLE), min_size=1, max_size=4, unique=True).map(tuple)
windows = st.builds(Window, days=st.lists(st.integers(0, 6), min_size=1, max_size=7, unique=True)
                    .map(lambda d: tuple(sorted(d))),
                    opens=st.times().map(lambda t: t.replace(microsecond=0)),
                    closes=st.times().map(lambda t: t.replace(microsecond=0)))


@st.composite
def layers(draw, layer_id: str, windowed: bool = True) -> Layer:  # type: ignore[no-untyped-def]
    turn = draw(turn_kinds)
    return Layer(id=layer_id, members=draw(members), rotation_start=draw(walls), turn=turn,
                 turn_hours=draw(st.integers(1, 72)) if turn == "custom" else None,
                 priority=draw(st.integers(0, 3)),
                 windows=tuple(draw(st.lists(windows, max_size=2))) if windowed else ())


@st.composite
def schedules(draw) -> Schedule:  # type: ignore[no-untyped-def]
    count = draw(st.integers(1, 3))
    zone = draw(st.sampled_from(ZONES))
    overrides, cursor = [], datetime(2026, 3, 25, tzinfo=UTC)
    for n in range(draw(st.integers(0, 3))):
        start = cursor + timedelta(minutes=draw(st.integers(0, 3000)))
        end = start + timedelta(minutes=draw(st.integers(1, 3000)))
        overrides.append(Override(f"o{n}", draw(st.sampled_from(PEOPLE)), start, end))
        cursor = end
    return Schedule("s", zone, tuple(draw(layers(f"l{n}")) for n in range(count)),
                    tuple(overrides))


moments = st.datetimes(min_value=datetime(2026, 3, 18), max_value=datetime(2026, 4, 12),
                       timezones=st.just(UTC))


@settings(max_examples=100, deadline=None)
@given(schedules(), moments)
def test_the_answer_is_a_member_of_the_winning_layer_or_the_overrides_person(schedule, at) -> None:
    answer = who_is_on_call(schedule, at)
    if answer.person is None:
        assert answer.source is None
        return
    kind, ident = answer.source.split(":")
    if kind == "override":
        assert answer.person == next(o.person for o in schedule.overrides if o.id == ident)
    else:
        assert answer.person in next(layer.members for layer in schedule.layers if layer.id == ident)
    assert answer.until is None or answer.until > at


@settings(max_examples=100, deadline=None)
@given(schedules(), st.data())
def test_an_override_wins_inside_its_range_and_never_outside(schedule, data) -> None:
    if schedule.overrides:
        override = data.draw(st.sampled_from(schedule.overrides))
        inside = data.draw(st.datetimes(min_value=override.starts_at.replace(tzinfo=None),
                                        max_value=override.ends_at.replace(tzinfo=None)
                                        - timedelta(microseconds=1), timezones=st.just(UTC)))
        answer = who_is_on_call(schedule, inside)
        assert (answer.person, answer.source) == (override.person, f"override:{override.id}")
        assert answer.until is None or answer.until <= override.ends_at
    outside = data.draw(moments.filter(
        lambda at: not any(o.starts_at <= at < o.ends_at for o in schedule.overrides)))
    source = who_is_on_call(schedule, outside).source
    assert source is None or source.startswith("layer:")


@settings(max_examples=100, deadline=None)
@given(layers("only", windowed=False), st.sampled_from(ZONES), st.integers(0, 20 * 24))
def test_adjacent_hand_offs_leave_no_gap_and_no_overlap(layer, zone, hours_in) -> None:
    start = to_utc(layer.rotation_start, ZoneInfo(zone)) + timedelta(hours=hours_in)
    end = start + timedelta(days=10)
    found = shifts(Schedule("s", zone, (layer,)), start, end)
    assert found[0].starts_at == start and found[-1].ends_at == end
    for before, after in zip(found, found[1:]):
        assert before.ends_at == after.starts_at, "a gap or an overlap at a hand-off"
        assert before.starts_at < before.ends_at
    assert all(s.person in layer.members for s in found)
    if len(layer.members) > 1:  # each hand-off goes to the next member in the rotation
        order = layer.members
        for before, after in zip(found, found[1:]):
            assert order.index(after.person) == (order.index(before.person) + 1) % len(order)
    middle = found[len(found) // 2]
    if middle is not found[-1]:
        assert who_is_on_call(Schedule("s", zone, (layer,)), middle.starts_at).until == middle.ends_at


@settings(max_examples=80, deadline=None)
@given(turn_kinds, st.integers(1, 30), members,
       st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 3, 28)),
       st.sampled_from([SPRING, AUTUMN]))
def test_a_daylight_saving_change_in_london_neither_skips_nor_doubles_a_shift(
        turn, turn_hours, people, start, change) -> None:
    zone = ZoneInfo("Europe/London")
    layer = Layer("l", people, start.replace(microsecond=0), turn,
                  turn_hours if turn == "custom" else None)
    lo, hi = change - timedelta(days=8), change + timedelta(days=8)
    found = list(turns(layer, "Europe/London", lo, hi))
    step = turn_step(turn, layer.turn_hours)
    # Every hand-off in the range is one turn, in rotation order: none missing, none twice.
    # Wall-clock turns hand off at the same local time; custom turns every `step` of real time.
    first = to_utc(layer.rotation_start, zone)
    k0 = max(0, (lo - first) // step - 2)
    while (first + (k0 + 1) * step if turn == "custom"
           else to_utc(layer.rotation_start + (k0 + 1) * step, zone)) <= lo:
        k0 += 1
    expected = [first + (k0 + i) * step if turn == "custom"
                else to_utc(layer.rotation_start + (k0 + i) * step, zone) for i in range(len(found))]
    assert [s for _, s, _ in found] == expected
    assert [p for p, _, _ in found] == [people[(k0 + i) % len(people)] for i in range(len(found))]
    assert found[-1][2] >= hi
    for (_, s1, e1), (_, s2, _) in zip(found, found[1:]):
        assert e1 == s2
        assert step - timedelta(hours=1) <= e1 - s1 <= step + timedelta(hours=1)
        assert e1 > s1
    if turn != "custom":  # local hand-off time kept, unless it fell in the skipped hour
        kept = [s.astimezone(zone).replace(tzinfo=None) == layer.rotation_start + (k0 + i) * step
                for i, (_, s, _) in enumerate(found)]
        assert kept.count(False) <= 1


def test_hand_offs_are_the_occurrences_of_the_layers_rrule() -> None:
    start = datetime(2026, 3, 27, 20, 0)
    for turn, hours in (("daily", None), ("weekly", None), ("12h", None)):
        layer = Layer("l", ("ana", "ben"), start, turn, hours)
        walls = list(islice(turn_rule(start, turn, hours), 6))
        zone = ZoneInfo("Europe/London")
        assert [hand_off(layer, zone, k) for k in range(6)] == [to_utc(w, zone) for w in walls]
    layer = Layer("l", ("ana",), start, "custom", 5)
    zone = ZoneInfo("Europe/London")
    instants = list(islice(turn_rule(to_utc(start, zone), "custom", 5), 6))
    assert [hand_off(layer, zone, k) for k in range(6)] == instants


def test_a_turn_at_a_wall_time_that_never_happens_starts_when_the_clocks_jump() -> None:
    layer = Layer("l", ("ana", "ben", "cai"), datetime(2026, 3, 28, 1, 30), "daily")
    found = list(turns(layer, "Europe/London", datetime(2026, 3, 28, tzinfo=UTC),
                       datetime(2026, 3, 31, tzinfo=UTC)))
    assert [(p, s) for p, s, _ in found] == [
        ("ana", datetime(2026, 3, 28, 1, 30, tzinfo=UTC)),
        ("ben", datetime(2026, 3, 29, 1, 0, tzinfo=UTC)),  # 01:30 local never happened
        ("cai", datetime(2026, 3, 30, 0, 30, tzinfo=UTC)),  # 01:30 BST
    ]


def test_windows_past_midnight_close_the_next_morning() -> None:
    nights = Layer("nights", ("ana",), datetime(2026, 3, 2, 8), "weekly",
                   windows=(Window((0, 1, 2, 3, 4), time(20), time(8)),))
    schedule = Schedule("s", "Asia/Kuala_Lumpur", (nights,))
    at = datetime(2026, 3, 6, 23, tzinfo=ZoneInfo("Asia/Kuala_Lumpur"))  # Friday 23:00
    assert who_is_on_call(schedule, at).person == "ana"
    assert who_is_on_call(schedule, at).until == datetime(2026, 3, 7, 0, tzinfo=UTC)  # 08:00 MYT
    assert who_is_on_call(schedule, at + timedelta(days=1)).person is None  # Saturday night
