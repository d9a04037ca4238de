"""SPEC §3.3 and §5 over a real socket: a patient's app that connects without a resume point is
shown the doses of their own schedules still open (the reminder it missed, or, for a plan that
reminds by SMS only, the schedule's own event), and not a dose already confirmed."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection

from cli.stack import Stack
from services.open_doses import open_doses
from tests.utils.live import next_frame, staff_socket
from tests.utils.medication_stack import (
    dose_id,
    dose_is,
    minutes_ahead,
    new_patient,
    plan_body,
    start_plan,
)
from tests.utils.monitoring import coordinator  # noqa: F401 - the demo coordinator, a fixture
from tests.utils.waiting import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.clock_minutes(2)]


def _dose_of(frame: dict[str, Any]) -> tuple[str, str]:
    """(schedule id, dose id) of a replayed frame: a reminder's, or the schedule's own event."""
    payload = frame["payload"]
    if frame["kind"] == "medication_reminder":
        return payload["subject_id"], payload["detail"]["dose_id"]
    return frame["topic"].removeprefix("medication:"), payload["dose"]["dose_id"]


async def _frames_until(app: ClientConnection, schedule_id: str) -> list[dict[str, Any]]:
    """Event frames up to and including the first about `schedule_id` (replayed in id order)."""
    frames: list[dict[str, Any]] = []
    while True:
        frame = await next_frame(app, timeout_s=15, type="event")
        frames.append(frame)
        if _dose_of(frame)[0] == schedule_id:
            return frames


async def test_a_patients_fresh_socket_is_shown_their_open_doses_and_not_a_confirmed_one(
        stack: Stack, coordinator: httpx.AsyncClient) -> None:
    patient = await new_patient(coordinator)
    other = await new_patient(coordinator)
    first, second = minutes_ahead(2)
    # Reminded in the app first; the second plan reminds by SMS only, so nothing of it is in
    # the patient's inbox: the schedule's own event stands for it.
    in_app = await start_plan(coordinator, plan_body(patient["id"], [first]))
    by_sms = await start_plan(coordinator, plan_body(patient["id"], [second], channels=["sms"]))
    await eventually(lambda: dose_is(in_app, first, "open") and dose_is(by_sms, second, "open"),
                     timeout_s=150, what="both doses open")
    assert await eventually(lambda: open_doses(patient["id"], 10**12), what="the replay") and \
        open_doses(other["id"], 10**12) == [], "another patient is shown none of them"

    async with staff_socket(stack.ws_url(), patient["id"], roles=("patient",)) as app:
        frames = await _frames_until(app, by_sms)
        assert [_dose_of(f) for f in frames] == [(in_app, dose_id(first)),
                                                 (by_sms, dose_id(second))], frames
        assert frames[0]["kind"] == "medication_reminder"
        assert frames[0]["payload"]["detail"]["medications"][0]["name"] == "Metformin"
        await app.send(json.dumps({"type": "confirm", "schedule_id": in_app,
                                   "dose_id": dose_id(first), "outcome": "taken", "ref": "c1"}))
        answer = await next_frame(app, type="result", ref="c1")
        assert answer["ok"] and answer["outcome"] == "taken", answer
    await eventually(lambda: dose_is(in_app, first, "taken"), what="the first dose taken")

    # Opened again: only the dose still open. The replay is in id order and the confirmed
    # dose's reminder came first, so had it been replayed it would precede this frame.
    async with staff_socket(stack.ws_url(), patient["id"], roles=("patient",)) as app:
        frames = await _frames_until(app, by_sms)
        assert [_dose_of(f) for f in frames] == [(by_sms, dose_id(second))], frames
    for sid in (in_app, by_sms):
        await coordinator.post(f"/medication-schedules/{sid}/stop", json={"reason": "test over"})
