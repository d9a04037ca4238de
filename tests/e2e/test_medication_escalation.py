"""SPEC §3.3 on the running stack: an unconfirmed dose escalates to the caregiver whose consent
covers medication, and to nobody whose consent was revoked or covers something else."""

from __future__ import annotations

import httpx
import pytest

from cli.stack import Stack
from tests.utils.api import as_user
from tests.utils.live import next_frame, staff_socket
from tests.utils.medication_stack import (
    consent,
    dose_id,
    dose_is,
    minutes_ahead,
    new_caregiver,
    new_patient,
    outbox,
    plan_body,
    start_plan,
)
from tests.utils.monitoring import coordinator  # noqa: F401 - the demo coordinator, a fixture
from tests.utils.records import attempts
from tests.utils.waiting import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.clock_minutes(2)]
SECRETS = ("Metformin", "500 mg", "with food")  # never on a lock screen


async def test_an_unconfirmed_dose_escalates_to_the_consented_caregiver_not_the_revoked_one(
        stack: Stack, coordinator: httpx.AsyncClient) -> None:
    patient = await new_patient(coordinator, name="Aminah binti Ali")
    kept, revoked, other = [await new_caregiver(coordinator) for _ in range(3)]
    await consent(coordinator, patient["id"], kept["id"], ["medication"])
    revoked_consent = await consent(coordinator, patient["id"], revoked["id"], ["medication"])
    await consent(coordinator, patient["id"], other["id"], ["emergencies"])  # not medication
    first, second = minutes_ahead(2)
    sid = await start_plan(coordinator, plan_body(
        patient["id"], [first, second], escalation_channels=["websocket", "sms"]))
    async with staff_socket(stack.ws_url(), kept["id"], roles=("family",)) as carer:
        await eventually(lambda: dose_is(sid, first, "open"), timeout_s=90,
                         what="the first dose reminded")
        # In force when the schedule started and when the dose opened; revoked before it closes.
        gone = await coordinator.post(
            f"/patients/{patient['id']}/consents/{revoked_consent}/revoke",
            json={"reason": "the patient withdrew it (test)"})
        assert gone.status_code == 200, gone.text

        missed = await eventually(lambda: dose_is(sid, first, "missed"), timeout_s=90,
                                  what="the first dose recorded missed")
        assert missed.escalated_to == [kept["id"]], "the contacts as consent stood at the close"
        told = await eventually(lambda: len(attempts(sid, kind="medication_missed")) == 2 and {
            a.recipient_id for a in attempts(sid, kind="medication_missed")},
            what="the escalation sent on both channels")
        assert told == {kept["id"]}, "nobody whose consent was revoked or does not cover it"

        frame = await next_frame(carer, kind="medication_missed")
        label = f"{first.hour}:{first.minute:02d}"
        assert frame["payload"]["text"].startswith(f"Vigil: Aminah's {label} medicine has not")
        assert frame["payload"]["detail"]["medications"][0]["name"] == "Metformin"
        (sms,) = await eventually(lambda: attempts(sid, kind="medication_missed", channel="sms",
                                                   outcome="sent"), what="the caregiver's SMS")
        (texted,) = outbox(sms.id)
        assert "Aminah's" in texted.text and "binti" not in texted.text
        assert not any(s in texted.text for s in SECRETS)

    # The caregiver with consent confirms the next dose for the patient; the revoked one cannot.
    await eventually(lambda: dose_is(sid, second, "open"), what="the second dose reminded")
    body = {"dose_id": dose_id(second), "outcome": "taken"}
    async with as_user(stack.api_url, revoked["id"], "family") as former:
        refused = await former.post(f"/medication-schedules/{sid}/doses/confirm", json=body)
        assert refused.status_code == 403, refused.text
    async with as_user(stack.api_url, kept["id"], "family") as carer_api:
        confirmed = await carer_api.post(f"/medication-schedules/{sid}/doses/confirm", json=body)
        assert confirmed.status_code == 200 and confirmed.json()["outcome"] == "taken"
    taken = await eventually(lambda: dose_is(sid, second, "taken"), what="taken on behalf")
    assert (taken.confirmed_by, taken.on_behalf) == (kept["id"], True)
