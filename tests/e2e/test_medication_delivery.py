"""SPEC §3.3 on the running stack: a dose's reminder reaches the patient (their app's WebSocket,
the outbox, the fake SMS and email providers), is confirmed from the app, by an SMS reply
through the signed Twilio webhook and by the email's signed link; an unconfirmed dose
escalates to the caregiver whose consent covers it and to nobody whose consent was revoked;
a worker killed mid-dose neither loses nor repeats a reminder."""

from __future__ import annotations

import re
import uuid
from collections import Counter
from typing import Any

import httpx
import pytest
from sqlmodel import select
from temporalio.api.enums.v1 import EventType

from channels.messages import safe_text
from cli.stack import Stack
from db.engine import reading
from db.models import OutboxMessage
from tests.utils.api import as_user
from tests.utils.channel_stack import FROM_NUMBER, PUBLIC_URL, ChannelStack
from tests.utils.history import count, events, idle
from tests.utils.live import next_frame, staff_socket
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

pytestmark = pytest.mark.e2e
SECRETS = ("Metformin", "500 mg", "with food")  # never on a lock screen


@pytest.fixture
async def coordinator(stack: Stack) -> Any:
    async with as_user(stack.api_url, "coord-lee", "coordinator") as client:
        yield client


def outbox(attempt_id: str) -> list[OutboxMessage]:
    with reading() as session:
        return list(session.exec(select(OutboxMessage)
                                 .where(OutboxMessage.attempt_id == attempt_id)).all())


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
