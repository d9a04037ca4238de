"""Who gets paged first: emergency priority by role, then distance."""

from __future__ import annotations

import pytest

from activities.directory import distance_m, emergency_priority, order_targets
from db.models import Staff


def person(sid: str, role: str, ptype: str | None, north_m: float | None) -> Staff:
    lat = None if north_m is None else 3.0 + north_m / 111_320
    return Staff(id=sid, name=sid, role=role, provider_type=ptype, latitude=lat, longitude=101.0)


@pytest.mark.parametrize("role,ptype,rank", [
    ("provider", "emergency", 0), ("provider", "primary_care", 1), ("admin", None, 1),
    ("provider", "specialist", 2), ("provider", "nurse", 2), ("provider", "rapid_response", 2),
    ("coordinator", None, 3), ("auditor", None, 3),
])
def test_emergency_priority_by_role(role: str, ptype: str | None, rank: int) -> None:
    assert emergency_priority(role, ptype) == rank


def test_priority_beats_distance_and_nearest_first_within_a_rank() -> None:
    people = [
        person("nurse-near", "provider", "nurse", 5),
        person("er-far", "provider", "emergency", 900),
        person("er-near", "provider", "emergency", 50),
        person("gp", "provider", "primary_care", 10),
        person("er-unknown", "provider", "emergency", None),
    ]
    order = [t.staff_id for t in order_targets(people, 3.0, 101.0)]
    assert order == ["er-near", "er-far", "er-unknown", "gp", "nurse-near"]


def test_distance_is_great_circle_metres() -> None:
    assert distance_m(3.0, 101.0, 3.0, 101.0) == 0
    assert 110_000 < distance_m(0, 0, 1, 0) < 112_000
