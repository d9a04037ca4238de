"""SPEC §3.3 on the running stack: a worker killed mid-dose neither loses nor repeats a reminder."""

from __future__ import annotations

from collections import Counter

import httpx
import pytest
from temporalio.api.enums.v1 import EventType

from cli.stack import Stack
from tests.utils.api import as_user
from tests.utils.history import count, events, idle
from tests.utils.medication_stack import (
    dose,
    dose_id,
    dose_is,
    minutes_ahead,
    new_patient,
    plan_body,
    reminders,
    start_plan,
)
from tests.utils.monitoring import coordinator  # noqa: F401 - the demo coordinator, a fixture
from tests.utils.waiting import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.clock_minutes(2)]


async def test_the_worker_killed_mid_dose_neither_loses_nor_repeats_a_reminder(
        stack: Stack, coordinator: httpx.AsyncClient, temporal_address: str) -> None:
    patient = await new_patient(coordinator)
    (at,) = minutes_ahead(1)
    sid = await start_plan(coordinator, plan_body(patient["id"], [at],
                                                  channels=["websocket", "sms"], re_reminders=1,
                                                  re_reminder_every_min=1))
    await eventually(lambda: len(reminders(sid, outcome="sent")) == 2, timeout_s=90,
                     what="the first reminder sent on both channels")
    await idle(temporal_address, sid)  # asleep until the re-reminder is due
    fired = count(await events(temporal_address, sid), EventType.EVENT_TYPE_TIMER_FIRED)

    async def re_reminder_due() -> bool:
        history = await events(temporal_address, sid)
        return count(history, EventType.EVENT_TYPE_TIMER_FIRED) > fired

    stack.kill_worker()
    try:
        await eventually(re_reminder_due, timeout_s=90,
                         what="the re-reminder's timer to fire while no worker runs")
    finally:
        stack.start_worker()
    await eventually(lambda: len(reminders(sid, outcome="sent")) == 4, timeout_s=60,
                     what="the re-reminder sent once the worker is back")
    opened = await eventually(lambda: (found := dose(sid, at)) and found.reminders == 2 and found,
                              what="the dose's record counting both reminders")
    assert opened.outcome == "open"
    sent = Counter((a.id.split("/")[1], a.channel, a.tries) for a in reminders(sid))
    assert sent == {("d1r0", "websocket", 1): 1, ("d1r0", "sms", 1): 1,
                    ("d1r1", "websocket", 1): 1, ("d1r1", "sms", 1): 1}, "none lost, none twice"
    async with as_user(stack.api_url, patient["id"], "patient") as own:
        confirmed = await own.post(f"/medication-schedules/{sid}/doses/confirm",
                                   json={"dose_id": dose_id(at), "outcome": "taken", "via": "push"})
    assert confirmed.status_code == 200 and confirmed.json()["outcome"] == "taken"
    assert (await eventually(lambda: dose_is(sid, at, "taken"), what="taken")).via == "push"
    await coordinator.post(f"/medication-schedules/{sid}/stop", json={"reason": "test over"})
