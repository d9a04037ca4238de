"""SPEC §3.3 and §3a on the running stack: a caregiver answers a missed-dose SMS by replying, and
the reply, through the signed Twilio webhook, answers the dose of the newest medication SMS to
that phone, of whichever of their two patients it was about (here too late: that patient's next
dose has begun, and is not confirmed in its place); a revoked consent is refused, saying so,
with nothing recorded."""

from __future__ import annotations

import uuid

import pytest

from cli.stack import Stack
from tests.utils.api import as_user
from tests.utils.channel_stack import FROM_NUMBER, ChannelStack
from tests.utils.medication_stack import (
    consent,
    dose,
    dose_id,
    dose_is,
    minutes_ahead,
    new_caregiver,
    new_patient,
    plan_body,
    start_plan,
)
from tests.utils.records import attempts
from tests.utils.waiting import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.clock_minutes(3)]


def _texted(stack: ChannelStack, phone: str) -> list[str]:
    return [r.body["Body"] for r in stack.twilio.requests if r.body.get("To") == phone]


async def test_a_caregivers_sms_reply_answers_the_newest_messaged_patients_dose_until_revoked(
        channel_stack: ChannelStack) -> None:
    stack: Stack = channel_stack.stack
    async with as_user(stack.api_url, "coord-lee", "coordinator") as staff:
        aminah = await new_patient(staff, name="Aminah binti Ali")
        mei = await new_patient(staff, name="Mei Ling Tan")
        carer = await new_caregiver(staff, language="zh")
        await consent(staff, aminah["id"], carer["id"], ["medication"])
        for_mei = await consent(staff, mei["id"], carer["id"], ["medication"])
        t0, t1, t2 = minutes_ahead(3)
        # Each plan's first dose is missed when its second opens: Aminah's at t1, Mei's at t2,
        # so the caregiver's newest medication SMS is about Mei; both second doses stay open.
        by_aminah = await start_plan(staff, plan_body(aminah["id"], [t0, t1],
                                                      escalation_channels=["sms"]))
        by_mei = await start_plan(staff, plan_body(mei["id"], [t1, t2],
                                                   escalation_channels=["sms"]))
        await eventually(lambda: dose_is(by_aminah, t0, "missed") and dose_is(by_mei, t1, "missed"),
                         timeout_s=240, what="both first doses missed")
        await eventually(lambda: all(attempts(sid, kind="medication_missed", channel="sms",
                                              outcome="sent") for sid in (by_aminah, by_mei)),
                         what="both escalations texted to the caregiver")
        texts = await eventually(lambda: len(_texted(channel_stack, carer["phone"])) == 2
                                 and _texted(channel_stack, carer["phone"]),
                                 what="both texts at the provider")
        assert all("回复 TAKEN" in text for text in texts), "the caregiver is asked to reply"
        await eventually(lambda: dose_is(by_aminah, t1, "open") and dose_is(by_mei, t2, "open"),
                         what="both second doses open")

        reply = {"MessageSid": f"SM{uuid.uuid4().hex}", "From": carer["phone"],
                 "To": FROM_NUMBER, "Body": "已服"}
        forged = await channel_stack.twilio_post("/webhooks/twilio/sms", reply,
                                                 signature="bm90IHR3aWxpbw==")
        assert forged.status_code == 403
        answered = await channel_stack.twilio_post("/webhooks/twilio/sms", reply)
        label = f"{t1.hour}:{t1.minute:02d}"
        assert answered.status_code == 200, answered.text
        assert f"Mei {label} 的药已无法确认" in answered.text, answered.text

        revoked = await staff.post(f"/patients/{mei['id']}/consents/{for_mei}/revoke",
                                   json={"reason": "the patient withdrew it (test)"})
        assert revoked.status_code == 200, revoked.text
        refused = await channel_stack.twilio_post(
            "/webhooks/twilio/sms", {**reply, "MessageSid": f"SM{uuid.uuid4().hex}", "Body": "1"})
        assert refused.status_code == 200 and "无权确认此人的用药" in refused.text, refused.text

        # Neither reply touched an open dose: the coordinator confirms both on time.
        for sid, at in ((by_aminah, t1), (by_mei, t2)):
            done = await staff.post(f"/medication-schedules/{sid}/doses/confirm",
                                    json={"dose_id": dose_id(at), "outcome": "taken"})
            assert done.status_code == 200 and done.json()["outcome"] == "taken", done.text
        for sid, at in ((by_aminah, t0), (by_mei, t1)):
            still = dose(sid, at)
            assert (still.outcome, still.confirmed_by) == ("missed", None), "nothing recorded"

        for sid in (by_aminah, by_mei):
            await staff.post(f"/medication-schedules/{sid}/stop", json={"reason": "test over"})
