"""SPEC §3.3 on the running stack: an SMS reply answers the dose it was texted about. The patient
is texted about their 1st dose, which is missed when the 2nd opens (a minute later; the 2nd's SMS
never reaches the phone); the caregiver is texted that the 1st was missed. Their replies, coming
in while the 2nd dose is open, answer the 1st, which the workflow refuses as too late now that
the next dose has begun; the open dose is left for the patient to confirm."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest

from channels.replies import sms_reply
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
    reminders,
    start_plan,
)
from tests.utils.records import attempts
from tests.utils.waiting import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.clock_minutes(2)]


def label(at: datetime) -> str:
    return f"{at.hour}:{at.minute:02d}"


async def test_a_reply_to_a_missed_doses_sms_answers_that_dose_never_the_next_one_opened_since(
        channel_stack: ChannelStack) -> None:
    async with as_user(channel_stack.stack.api_url, "coord-lee", "coordinator") as staff:
        patient = await new_patient(staff, name="Siti Nur", language="ms")
        carer = await new_caregiver(staff, language="ta")
        await consent(staff, patient["id"], carer["id"], ["medication"])
        first, second = minutes_ahead(2)
        sid = await start_plan(staff, plan_body(patient["id"], [first, second], channels=["sms"],
                                                escalation_channels=["sms"]))
        await eventually(lambda: dose_is(sid, first, "missed") and dose_is(sid, second, "open"),
                         timeout_s=150, what="the 1st dose missed as the 2nd opens")
        texted = await eventually(
            lambda: len(sent := reminders(sid, channel="sms", outcome="sent")) == 2 and sent,
            what="both reminders texted to the patient")
        assert [a.dose_id for a in texted] == [dose_id(first), dose_id(second)]
        (escalation,) = await eventually(lambda: attempts(sid, kind="medication_missed",
                                                          channel="sms", outcome="sent"),
                                         what="the caregiver texted about the 1st dose")
        assert (escalation.recipient_id, escalation.dose_id) == (carer["id"], dose_id(first))
        # The 2nd reminder never reaches the patient's phone, as Twilio reports it.
        status = await channel_stack.twilio_post("/webhooks/twilio/sms-status", {
            "MessageSid": texted[1].provider_message_id, "MessageStatus": "undelivered",
            "ErrorCode": "30003", "AccountSid": "AC"})
        assert status.status_code == 204, status.text
        await eventually(lambda: reminders(sid, channel="sms", outcome="undelivered"),
                         what="the 2nd SMS recorded undelivered")

        said = await channel_stack.twilio_post("/webhooks/twilio/sms", {
            "MessageSid": f"SM{uuid.uuid4().hex}", "From": patient["phone"], "To": FROM_NUMBER,
            "Body": "SUDAH"})
        assert said.status_code == 200, said.text
        assert sms_reply("dose_too_late", "ms", time=label(first)) in said.text, said.text
        by_carer = await channel_stack.twilio_post("/webhooks/twilio/sms", {
            "MessageSid": f"SM{uuid.uuid4().hex}", "From": carer["phone"], "To": FROM_NUMBER,
            "Body": "1"})
        assert by_carer.status_code == 200, by_carer.text
        assert sms_reply("carer_dose_too_late", "ta", patient="Siti",
                         time=label(first)) in by_carer.text, by_carer.text

        # The 2nd dose was left open: the app confirms it on time, as the patient's own.
        async with as_user(channel_stack.stack.api_url, patient["id"], "patient") as app:
            confirmed = await app.post(f"/medication-schedules/{sid}/doses/confirm",
                                       json={"dose_id": dose_id(second), "outcome": "taken"})
        assert confirmed.status_code == 200 and confirmed.json()["outcome"] == "taken", \
            confirmed.text
        taken = await eventually(lambda: dose_is(sid, second, "taken"), what="the 2nd taken")
        assert (taken.via, taken.confirmed_by) == ("app", patient["id"])
        missed = dose(sid, first)
        assert (missed.outcome, missed.confirmed_by) == ("missed", None)
        await staff.post(f"/medication-schedules/{sid}/stop", json={"reason": "test over"})
