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


def test_a_routine_writer_past_its_patience_gets_a_turn_while_urgent_writers_keep_coming() -> None:
    turns = WriterTurns(patience_s=0.05)
    routine_done = threading.Event()
    urgent_waiting_at_routine_turn: list[int] = []
    urgent_turns_before_routine = [0]

    def urgent() -> None:  # back to back, so an urgent writer is always waiting
        deadline = time.monotonic() + 10
        while not routine_done.is_set() and time.monotonic() < deadline:
            with turns.turn(yielding=False):
                if not routine_done.is_set():
                    urgent_turns_before_routine[0] += 1
                time.sleep(0.002)

    def routine() -> None:
        with turns.turn(yielding=True):
            urgent_waiting_at_routine_turn.append(turns.waiting)
        routine_done.set()

    urgents = [threading.Thread(target=urgent) for _ in range(3)]
    for thread in urgents:
        thread.start()
    deadline = time.monotonic() + 10
    while urgent_turns_before_routine[0] < 3 and time.monotonic() < deadline:
        time.sleep(0.005)  # until the urgent stream is flowing
    waiter = threading.Thread(target=routine)
    waiter.start()
    waiter.join(15)
    for thread in urgents:
        thread.join(15)
    # It went in while urgent writers were still queued: it did not wait for the stream to end.
    assert urgent_waiting_at_routine_turn and urgent_waiting_at_routine_turn[0] > 0
