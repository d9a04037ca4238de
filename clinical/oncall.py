"""Who is on call: the one resolver of a rota, a pure function of a schedule and a moment.

A schedule lives in one time zone and is made of layers and overrides:
- a layer rotates its members turn by turn from its first hand-off
  (`rotation_start`, local wall time), optionally only inside weekly windows
  (weekday nights, weekends); where several layers have someone, the highest
  `priority` wins (ties: the one listed first);
- an override puts a named person on for [starts_at, ends_at) and wins over
  every layer.
Nobody on call is an answer too (person None): the gap alarm looks for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from clinical.oncall_time import to_utc, to_wall, turn_step, window_intervals

HORIZON = timedelta(days=366)  # how far `until` looks for the next change


@dataclass(frozen=True)
class Window:
    """A weekly stretch a layer covers: opening on `days` (0 = Monday) at `opens`."""

    days: tuple[int, ...]
    opens: time
    closes: time  # at or before `opens`: the next day


@dataclass(frozen=True)
class Layer:
    id: str
    members: tuple[str, ...]
    rotation_start: datetime  # naive, local wall time of the first hand-off
    turn: str = "weekly"  # daily, weekly, 12h, custom
    turn_hours: int | None = None  # the custom turn's length
    priority: int = 0
    windows: tuple[Window, ...] = ()  # empty: always


@dataclass(frozen=True)
class Override:
    id: str
    person: str
    starts_at: datetime  # aware
    ends_at: datetime


@dataclass(frozen=True)
class Schedule:
    id: str
    time_zone: str
    layers: tuple[Layer, ...] = ()
    overrides: tuple[Override, ...] = ()


@dataclass(frozen=True)
class OnCall:
    person: str | None
    source: str | None  # "layer:<id>" or "override:<id>"; None when nobody is on
    until: datetime | None  # when this answer next changes; None: not within HORIZON


@dataclass(frozen=True)
class Shift:
    person: str | None
    source: str | None
    starts_at: datetime
    ends_at: datetime


def hand_off(layer: Layer, zone: ZoneInfo, k: int) -> datetime:
    """When turn k starts: the occurrences of `turn_rule`, as instants.

    Daily, weekly and 12-hour turns keep their local hand-off time across a clock
    change (the shift over it is an hour longer or shorter). Custom turns count
    elapsed hours from the first hand-off: a turn as short as the hour the clocks
    skip would otherwise start and end at the same instant, and be skipped.
    """
    step = turn_step(layer.turn, layer.turn_hours)
    if layer.turn == "custom":
        return to_utc(layer.rotation_start, zone) + k * step
    return to_utc(layer.rotation_start + k * step, zone)


def _turn(layer: Layer, zone: ZoneInfo, at: datetime) -> tuple[int, datetime, datetime] | None:
    """The index of the turn holding `at` and its UTC bounds; None before the first hand-off.

    k is estimated arithmetically and then corrected, so a years-old rotation is cheap.
    """
    if at < hand_off(layer, zone, 0):
        return None
    step = turn_step(layer.turn, layer.turn_hours)
    k = max(0, (to_wall(at, zone) - layer.rotation_start) // step)
    while k > 0 and hand_off(layer, zone, k) > at:
        k -= 1
    while hand_off(layer, zone, k + 1) <= at:
        k += 1
    return k, hand_off(layer, zone, k), hand_off(layer, zone, k + 1)


def _windows(layer: Layer, zone: ZoneInfo, lo: datetime, hi: datetime) -> list[tuple[datetime, datetime]]:
    return [span for w in layer.windows
            for span in window_intervals(w.days, w.opens, w.closes, zone, lo, hi)]


def _layer_person(layer: Layer, zone: ZoneInfo, at: datetime) -> str | None:
    turn = _turn(layer, zone, at)
    if turn is None or not layer.members:
        return None
    if layer.windows and not any(s <= at < e for s, e in
                                 _windows(layer, zone, at, at + timedelta(microseconds=1))):
        return None
    return layer.members[turn[0] % len(layer.members)]


def _answer(schedule: Schedule, zone: ZoneInfo, at: datetime) -> tuple[str | None, str | None]:
    for override in schedule.overrides:
        if override.starts_at <= at < override.ends_at:
            return override.person, f"override:{override.id}"
    ranked = sorted(enumerate(schedule.layers), key=lambda pair: (-pair[1].priority, pair[0]))
    for _, layer in ranked:
        person = _layer_person(layer, zone, at)
        if person is not None:
            return person, f"layer:{layer.id}"
    return None, None


def _change_points(schedule: Schedule, zone: ZoneInfo, lo: datetime, hi: datetime) -> list[datetime]:
    """Every instant in (lo, hi) at which the answer may change."""
    points: set[datetime] = set()
    for override in schedule.overrides:
        points.update((override.starts_at, override.ends_at))
    for layer in schedule.layers:
        turn = _turn(layer, zone, lo)
        k = turn[0] + 1 if turn else 0
        while (boundary := hand_off(layer, zone, k)) < hi:
            points.add(boundary)
            k += 1
        for start, end in _windows(layer, zone, lo, hi):
            points.update((start, end))
    return sorted(p for p in points if lo < p < hi)


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("the moment must be timezone-aware")
    return at


def shifts(schedule: Schedule, starts_at: datetime, ends_at: datetime) -> list[Shift]:
    """The answer over [starts_at, ends_at) as consecutive shifts (gaps are person None)."""
    zone = ZoneInfo(schedule.time_zone)
    lo, hi = _utc(starts_at), _utc(ends_at)
    if hi <= lo:
        return []
    found: list[Shift] = []
    for at in [lo, *_change_points(schedule, zone, lo, hi)]:
        person, source = _answer(schedule, zone, at)
        if found and (found[-1].person, found[-1].source) == (person, source):
            continue
        if found:
            found[-1] = Shift(found[-1].person, found[-1].source, found[-1].starts_at, at)
        found.append(Shift(person, source, at, hi))
    return found


def _next_change(schedule: Schedule, zone: ZoneInfo, at: datetime,
                 answer: tuple[str | None, str | None]) -> datetime | None:
    looked = at
    for span in (timedelta(days=2), timedelta(days=14), timedelta(days=60), HORIZON):
        for point in _change_points(schedule, zone, looked, at + span):
            if _answer(schedule, zone, point) != answer:
                return point
        looked = at + span - timedelta(microseconds=1)
    return None


def who_is_on_call(schedule: Schedule, at: datetime) -> OnCall:
    """Who is on call at `at`, from which layer or override, and until when."""
    zone = ZoneInfo(schedule.time_zone)
    person, source = answer = _answer(schedule, zone, _utc(at))
    return OnCall(person, source, _next_change(schedule, zone, at, answer))


def turns(layer: Layer, time_zone: str, starts_at: datetime,
          ends_at: datetime) -> Iterator[tuple[str, datetime, datetime]]:
    """A layer's own turns (member, start, end) touching [starts_at, ends_at), ignoring windows."""
    zone = ZoneInfo(time_zone)
    turn = _turn(layer, zone, _utc(starts_at))
    k = turn[0] if turn else 0
    while (start := hand_off(layer, zone, k)) < ends_at:
        if layer.members:
            yield layer.members[k % len(layer.members)], start, hand_off(layer, zone, k + 1)
        k += 1
