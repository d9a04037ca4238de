"""SQLite writers take turns, and a routine writer waits while an urgent one is waiting."""

from __future__ import annotations

import threading
import time

from db.engine import WriterTurns


def test_an_urgent_writer_goes_before_a_routine_writer_that_was_waiting_first() -> None:
    turns, order = WriterTurns(), []

    def write(name: str, yielding: bool) -> None:
        with turns.turn(yielding=yielding):
            order.append(name)

    with turns.turn(yielding=False):  # a writer holds the turn while both queue up
        routine = threading.Thread(target=write, args=("routine", True))
        routine.start()
        urgent = threading.Thread(target=write, args=("urgent", False))
        urgent.start()
        deadline = time.monotonic() + 10
        while turns._urgent_waiting == 0 and time.monotonic() < deadline:
            time.sleep(0.01)  # until the urgent writer is queued
        assert turns._urgent_waiting == 1
    routine.join(10)
    urgent.join(10)
    assert order == ["urgent", "routine"]


def test_writers_never_overlap() -> None:
    turns, inside, overlaps = WriterTurns(), [0], []

    def write(yielding: bool) -> None:
        for _ in range(50):
            with turns.turn(yielding=yielding):
                inside[0] += 1
                overlaps.append(inside[0] > 1)
                inside[0] -= 1

    threads = [threading.Thread(target=write, args=(i % 2 == 0,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(overlaps) == 300 and not any(overlaps)
