"""SPEC §3.3 on the running stack: a dose's reminder reaches the patient (their app's WebSocket,
the outbox, the fake SMS and email providers) and is confirmed from the app, by an SMS reply
through the signed Twilio webhook and by the email's signed link. The escalation and the
worker-kill cases have files of their own, so they wait for their minutes side by side."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

from channels.messages import safe_text
from cli.stack import Stack
from tests.utils.api import as_user
from tests.utils.channel_stack import FROM_NUMBER, PUBLIC_URL, ChannelStack
from tests.utils.live import next_frame, staff_socket
from tests.utils.medication_stack import (
    dose,
    dose_id,
    dose_is,
    minutes_ahead,
    new_patient,
    outbox,
    plan_body,
    reminders,
    start_plan,
)
from tests.utils.monitoring import coordinator  # noqa: F401 - the demo coordinator, a fixture
from tests.utils.waiting import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.clock_minutes(1.5)]
SECRETS = ("Metformin", "500 mg", "with food")  # never on a lock screen


async def test_a_reminder_reaches_the_patients_app_and_the_outbox_and_the_app_confirms_it(
        stack: Stack, coordinator: httpx.AsyncClient) -> None:
    patient = await new_patient(coordinator, language="ms")
    (at,) = minutes_ahead(1)
    sid = await start_plan(coordinator, plan_body(patient["id"], [at],
                                                  channels=["websocket", "sms", "email"]))
    async with staff_socket(stack.ws_url(), patient["id"], roles=("patient",)) as app:
        frame = await next_frame(app, timeout_s=90, kind="medication_reminder")
        payload = frame["payload"]
        label = f"{at.hour}:{at.minute:02d}"
        assert payload["subject_id"] == sid and payload["detail"]["dose_id"] == dose_id(at)
        assert payload["detail"]["medications"][0]["name"] == "Metformin", "the app has detail"
        assert payload["text"] == f"Vigil: sudah tiba masa untuk ubat anda pada {label}. " \
                                  "Buka aplikasi untuk mengesahkan."

        (sms,) = await eventually(lambda: reminders(sid, channel="sms", outcome="sent"),
                                  what="the SMS reminder written to the outbox")
        (texted,) = outbox(sms.id)
        assert texted.address == patient["phone"]
        assert texted.text == safe_text("medication_reminder", {"dose_time": label}, "ms", "sms")
        assert "Balas TAKEN" in texted.text and not any(s in texted.text for s in SECRETS)
        (mailed,) = outbox((await eventually(lambda: reminders(sid, channel="email"),
                                             what="the email reminder"))[0].id)
        assert mailed.address == patient["email"]

        await eventually(lambda: dose_is(sid, at, "open"), what="the dose recorded open")
        await app.send('{"type": "confirm", "schedule_id": "%s", "dose_id": "%s", '
                       '"outcome": "taken", "ref": "c1"}' % (sid, dose_id(at)))
        answer = await next_frame(app, type="result", ref="c1")
        assert answer["ok"] and answer["outcome"] == "taken", answer
        await app.send('{"type": "confirm", "schedule_id": "%s", "dose_id": "%s", '
                       '"outcome": "taken", "ref": "c2"}' % (sid, dose_id(at)))
        again = await next_frame(app, type="result", ref="c2")
        assert not again["ok"] and again["code"] == "dose_not_open"
        assert "already recorded taken" in again["message"]
        await app.send('{"type": "confirm", "schedule_id": "%s", "outcome": "maybe", '
                       '"ref": "c3"}' % sid)
        bad = await next_frame(app, type="result", ref="c3")
        assert not bad["ok"] and bad["code"] == "invalid_frame"
    taken = await eventually(lambda: dose_is(sid, at, "taken"), what="the dose recorded taken")
    assert (taken.via, taken.confirmed_by, taken.on_behalf) == ("websocket", patient["id"], False)
    await coordinator.post(f"/medication-schedules/{sid}/stop", json={"reason": "test over"})


async def test_a_reminder_is_confirmed_by_an_sms_reply_and_by_the_emails_signed_link(
        channel_stack: ChannelStack) -> None:
    async with as_user(channel_stack.stack.api_url, "coord-lee", "coordinator") as staff:
        texting = await new_patient(staff, language="zh")
        mailing = await new_patient(staff, language="en")
        (at,) = minutes_ahead(1)
        by_sms = await start_plan(staff, plan_body(texting["id"], [at], channels=["sms"]))
        by_mail = await start_plan(staff, plan_body(mailing["id"], [at], channels=["email"]))

        await eventually(lambda: dose_is(by_sms, at, "open") and dose_is(by_mail, at, "open"),
                         timeout_s=90, what="both doses reminded")
        (texted,) = await eventually(lambda: [r for r in channel_stack.twilio.requests
                                              if r.body.get("To") == texting["phone"]],
                                     what="the SMS at the provider")
        assert "回复 TAKEN" in texted.body["Body"]
        assert not any(s.encode() in texted.raw for s in SECRETS)

        reply = {"MessageSid": f"SM{uuid.uuid4().hex}", "From": texting["phone"],
                 "To": FROM_NUMBER, "Body": "TAKEN"}
        forged = await channel_stack.twilio_post("/webhooks/twilio/sms", reply,
                                                 signature="bm90IHR3aWxpbw==")
        assert forged.status_code == 403
        live = (await staff.get(f"/medication-schedules/{by_sms}")).json()["live"]
        assert live["open_dose"]["dose_id"] == dose_id(at), "the forged reply confirmed nothing"
        answered = await channel_stack.twilio_post("/webhooks/twilio/sms", reply)
        assert answered.status_code == 200 and "已记录为已服用" in answered.text, answered.text
        taken = await eventually(lambda: dose_is(by_sms, at, "taken"), what="taken by SMS")
        assert (taken.via, taken.confirmed_by) == ("sms", texting["id"])
        twice = await channel_stack.twilio_post("/webhooks/twilio/sms",
                                                {**reply, "MessageSid": f"SM{uuid.uuid4().hex}"})
        assert "您目前没有需要确认的药" in twice.text, "sent twice: nothing waits, not 'too late'"

        (mail,) = await eventually(lambda: [r for r in channel_stack.sendgrid.requests
                                            if r.body["personalizations"][0]["to"][0]["email"]
                                            == mailing["email"]], what="the email at the provider")
        text = mail.body["content"][0]["value"]
        assert "Metformin 500 mg (with food)" in text, "the email carries the detail"
        assert not any(s in mail.body["subject"] for s in SECRETS)
        link = re.search(r"Confirm: (\S+)", text).group(1).removeprefix(PUBLIC_URL)
        async with channel_stack.http() as browser:
            opened = await browser.get(link)
            assert opened.status_code == 200 and 'value="skipped"' in opened.text
            assert dose(by_mail, at).outcome == "open", "opening the link confirms nothing"
            unsaid = await browser.post(link, data={"outcome": "skipped"})
            assert unsaid.status_code == 422 and "Say why" in unsaid.text
            skipped = await browser.post(link, data={"outcome": "skipped", "reason": "nausea"})
            assert skipped.status_code == 200 and "Recorded as skipped" in skipped.text
            twice = await browser.post(link, data={"outcome": "taken"})
            assert twice.status_code == 409 and "already recorded skipped" in twice.text
        mailed = dose(by_mail, at)
        assert (mailed.outcome, mailed.via, mailed.reason) == ("skipped", "email", "nausea")
        for sid in (by_sms, by_mail):
            await staff.post(f"/medication-schedules/{sid}/stop", json={"reason": "test over"})
