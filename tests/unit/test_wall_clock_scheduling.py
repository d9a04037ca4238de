"""make test's packing of the wall-clock files (tests/utils/wall_clock_scheduling.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.utils.wall_clock_scheduling import clock_minutes, pack


def test_files_are_packed_longest_first_into_groups_of_about_equal_minutes() -> None:
    minutes = {"a": 3, "b": 2, "c": 2, "d": 2, "e": 2, "f": 1.5, "g": 1, "h": 1, "i": 1}
    placed = pack(minutes, 4)
    load = [sum(m for f, m in minutes.items() if placed[f] == g) for g in range(4)]
    assert sorted(load) == [3.5, 4, 4, 4]
    assert set(placed) == set(minutes)


def test_with_no_room_for_groups_everything_waits_in_one() -> None:
    assert set(pack({"a": 1, "b": 2}, 0).values()) == {0}


def test_a_file_says_its_minutes_in_its_mark(tmp_path: Path) -> None:
    marked, plain, vague = (tmp_path / f"test_{n}.py" for n in ("marked", "plain", "vague"))
    marked.write_text("pytestmark = [pytest.mark.e2e, pytest.mark.clock_minutes(1.5)]\n")
    plain.write_text("pytestmark = pytest.mark.e2e\n")
    vague.write_text("pytestmark = [pytest.mark.e2e, pytest.mark.clock_minutes]\n")
    assert clock_minutes(marked) == 1.5
    assert clock_minutes(plain) is None
    with pytest.raises(ValueError, match="clock_minutes"):
        clock_minutes(vague)


def test_the_suites_waiting_files_are_the_ones_marked_and_each_says_how_long() -> None:
    root = Path(__file__).resolve().parents[1]
    minutes = {p.name: clock_minutes(p) for p in root.rglob("test_*.py")}
    waiting = {name for name, m in minutes.items() if m is not None}
    assert "test_medication_caregiver_sms.py" in waiting
    assert "test_wall_clock_scheduling.py" not in waiting
