"""Readings for one session ride in one signal while the last is in flight; a lone one goes at once."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from services.reading_signals import ReadingSignals


class HeldSignals:
    """Signals the test lets through one at a time, keeping what each one carried."""

    def __init__(self) -> None:
        self.carried: list[list[Any]] = []
        self.release = asyncio.Semaphore(0)
        self.fail_with: Exception | None = None

    async def __call__(self, readings: list[Any]) -> None:
        self.carried.append(list(readings))
        await self.release.acquire()
        if self.fail_with is not None:
            raise self.fail_with


async def settled() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_a_lone_reading_is_signalled_at_once_and_later_ones_ride_together() -> None:
    signals, signal = ReadingSignals(), HeldSignals()
    first = asyncio.create_task(signals.send("s1", ["r1"], signal))
    await settled()
    assert signal.carried == [["r1"]], "the first reading waits for nothing"
    later = [asyncio.create_task(signals.send("s1", [r], signal)) for r in ("r2", "r3")]
    other = asyncio.create_task(signals.send("s2", ["x1"], signal))
    await settled()
    assert signal.carried == [["r1"], ["x1"]], "another session's reading is not held back"
    signal.release.release()
    await first
    await settled()
    assert signal.carried[-1] == ["r2", "r3"], "what arrived meanwhile goes in one signal, in order"
    assert not any(task.done() for task in later), "a request returns once its own signal is in"
    signal.release.release()
    signal.release.release()
    await asyncio.gather(*later, other)
    assert len(signal.carried) == 3


async def test_one_signal_carries_at_most_the_most_one_request_may() -> None:
    signals, signal = ReadingSignals(most=2), HeldSignals()
    sends = [asyncio.create_task(signals.send("s1", [f"r{i}"], signal)) for i in range(5)]
    for _ in range(3):
        await settled()
        signal.release.release()
    await asyncio.gather(*sends)
    # (all five arrive before the first signal leaves: it takes two, the most it may)
    assert signal.carried == [["r0", "r1"], ["r2", "r3"], ["r4"]]


async def test_a_failed_signal_is_reported_to_every_request_it_carried() -> None:
    signals, signal = ReadingSignals(), HeldSignals()
    first = asyncio.create_task(signals.send("s1", ["r1"], signal))
    await settled()
    riders = [asyncio.create_task(signals.send("s1", [r], signal)) for r in ("r2", "r3")]
    signal.release.release()
    await first
    await settled()
    signal.fail_with = RuntimeError("workflow not found")
    signal.release.release()
    for rider in riders:
        with pytest.raises(RuntimeError, match="workflow not found"):
            await rider
    signal.fail_with = None
    again = asyncio.create_task(signals.send("s1", ["r4"], signal))
    await settled()
    signal.release.release()
    await again
    assert signal.carried[-1] == ["r4"], "the session's next reading is signalled afresh"
