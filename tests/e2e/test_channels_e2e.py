"""SPEC §4 end to end: critical emergencies paged through the real Twilio, SendGrid and FCM
libraries (against fake providers) and acknowledged from an SMS reply, a keypress and an email."""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET

import pytest

from db.engine import reading
from db.models import Staff
from tests.fakes.fcm_fake import fcm_error
from tests.fakes.twilio_fake import twilio_error
from tests.utils.api import as_user
from tests.utils.channel_stack import (
    FROM_NUMBER,
    PUBLIC_URL,
    ChannelStack,
    accepted,
    emergency_paging,
)
from tests.utils.records import attempts, audit_actions, audit_entry, emergency
from tests.utils.waiting import eventually

pytestmark = pytest.mark.e2e

SECRETS = ("Jane", "sepsis")  # from the emergency's description: never on a phone or in a mail


async def acknowledged_by(emergency_id: str, staff_id: str, via: str) -> None:
    row = await eventually(lambda: emergency(emergency_id).status == "acknowledged"
                           and emergency(emergency_id), what="the acknowledgement")
    assert row.owner_id == staff_id
    assert audit_entry(emergency_id, "emergency.acknowledged").detail["via"] == via


def staff(staff_id: str) -> Staff:
    with reading() as session:
        return session.get(Staff, staff_id)


def posted(channels: ChannelStack, suffix: str, **where: str) -> list:
    return [r for r in channels.twilio.requests if r.path.endswith(suffix)
            and all(r.body.get(k) == v for k, v in where.items())]


async def test_critical_emergency_is_acknowledged_by_an_sms_reply(channel_stack) -> None:
    steps = [{"channel": "websocket"}, {"channel": "push"}, {"channel": "sms"},
             {"channel": "voice", "after_s": 30}]
    async with emergency_paging(channel_stack, ["en", "ms"], steps) as scene:
        ada, siti = scene.people
        await accepted(scene.emergency_id, siti.id, "sms")
        (page,) = posted(channel_stack, "/Messages.json", To=siti.phone)
        assert f"Balas ACK {scene.short_code}" in page.body["Body"], "Malay, with the reply code"
        assert page.body["StatusCallback"] == f"{PUBLIC_URL}/webhooks/twilio/sms-status"
        assert not any(secret.encode() in page.raw for secret in SECRETS)
        reply = await channel_stack.twilio_post("/webhooks/twilio/sms", {
            "MessageSid": f"SM{uuid.uuid4().hex}", "From": siti.phone, "To": FROM_NUMBER,
            "Body": f"ack {scene.short_code}"})
        assert reply.status_code == 200 and reply.headers["content-type"].startswith("application/xml")
        assert "<Message>VIGIL: diterima." in reply.text
        await acknowledged_by(scene.emergency_id, siti.id, "sms")
        late = await channel_stack.twilio_post("/webhooks/twilio/sms", {
            "MessageSid": f"SM{uuid.uuid4().hex}", "From": ada.phone, "To": FROM_NUMBER, "Body": "1"})
        assert f"already taken by {siti.name}" in late.text
        assert emergency(scene.emergency_id).owner_id == siti.id


async def test_critical_emergency_is_acknowledged_by_pressing_1_and_other_calls_are_ended(
        channel_stack) -> None:
    steps = [{"channel": "websocket"}, {"channel": "push"}, {"channel": "sms"},
             {"channel": "voice", "after_s": 1}]
    async with emergency_paging(channel_stack, ["en", "zh"], steps) as scene:
        ada, wei = scene.people
        calls = {p.id: await accepted(scene.emergency_id, p.id, "voice") for p in scene.people}
        (placed,) = posted(channel_stack, "/Calls.json", To=ada.phone)
        assert placed.body["StatusCallback"] == f"{PUBLIC_URL}/webhooks/twilio/voice-status"
        gather = ET.fromstring(placed.body["Twiml"]).find("Gather")
        assert "Press 1 to acknowledge" in gather.find("Say").text
        assert not any(secret in placed.body["Twiml"] for secret in SECRETS)
        for person in scene.people:
            ringing = await channel_stack.twilio_post("/webhooks/twilio/voice-status", {
                "CallSid": calls[person.id].provider_message_id, "CallStatus": "ringing"})
            assert ringing.status_code == 204
        assert {a.provider_status for a in attempts(scene.emergency_id, channel="voice")} == {"ringing"}

        action = gather.attrib["action"].removeprefix(PUBLIC_URL)
        ada_call = calls[ada.id].provider_message_id
        again = await channel_stack.twilio_post(action, {"CallSid": ada_call, "Digits": "7"})
        assert "<Gather" in again.text and "Press 1" in again.text, "anything else repeats the page"
        pressed = await channel_stack.twilio_post(action, {"CallSid": ada_call, "Digits": "1"})
        assert "Acknowledged" in pressed.text and "<Hangup" in pressed.text
        await acknowledged_by(scene.emergency_id, ada.id, "voice")

        wei_call = calls[wei.id].provider_message_id
        hung_up = await eventually(lambda: posted(channel_stack, f"/Calls/{wei_call}.json"),
                                   what="Wei's ringing call ended")
        assert hung_up[0].body == {"Status": "completed"}
        assert not posted(channel_stack, f"/Calls/{ada_call}.json"), "the acknowledger's call stays"
        await eventually(lambda: "delivery.call_ended" in audit_actions(scene.emergency_id),
                         what="the hang-up audited")


async def test_critical_emergency_is_acknowledged_from_the_email_link(channel_stack) -> None:
    steps = [{"channel": "websocket"}, {"channel": "push"}, {"channel": "sms"}, {"channel": "email"}]
    async with emergency_paging(channel_stack, ["ta"], steps) as scene:
        (kavi,) = scene.people
        await accepted(scene.emergency_id, kavi.id, "email")
        (mail,) = [r for r in channel_stack.sendgrid.requests
                   if r.body["personalizations"][0]["to"][0]["email"] == kavi.email]
        text, html = (c["value"] for c in mail.body["content"])
        assert "அவசர நிலை" in mail.body["subject"] and "ACK" not in mail.body["subject"]
        assert not any(secret in text + html + mail.body["subject"] for secret in SECRETS)
        link = re.search(r"Acknowledge: (\S+)", text).group(1)
        assert link.startswith(f"{PUBLIC_URL}/ack/") and link in html

        async with channel_stack.http() as browser:
            opened = await browser.get(link.removeprefix(PUBLIC_URL))
            assert opened.status_code == 200 and '<form method="post">' in opened.text
            assert emergency(scene.emergency_id).status == "active", "opening the link takes nothing"
            taken = await browser.post(link.removeprefix(PUBLIC_URL))
        assert taken.status_code == 200 and "Acknowledged" in taken.text
        await acknowledged_by(scene.emergency_id, kavi.id, "email")


async def test_critical_emergency_pushes_a_high_priority_data_message(channel_stack) -> None:
    steps = [{"channel": "websocket"}, {"channel": "push"}]
    async with emergency_paging(channel_stack, ["en"], steps) as scene:
        (ada,) = scene.people
        await accepted(scene.emergency_id, ada.id, "push")
        (push,) = [r for r in channel_stack.fcm.sends() if r.body["message"]["token"] == ada.push_token]
        message = push.body["message"]
        assert message["android"]["priority"] == "high"
        assert message["data"]["emergency_id"] == scene.emergency_id
        assert message["data"]["short_code"] == scene.short_code
        assert "ACK" not in message["data"]["text"] and "Open Vigil" in message["data"]["text"]
        assert not any(secret in str(message) for secret in SECRETS)
        async with as_user(channel_stack.stack.api_url, ada.id, "provider") as app:
            taken = await app.post(f"/emergencies/{scene.emergency_id}/acknowledge",
                                   json={"via": "push"})
        assert taken.status_code == 200, taken.text
        await acknowledged_by(scene.emergency_id, ada.id, "push")


# --- provider failures ----------------------------------------------------------------

SMS_ROUTE = "/2010-04-01/Accounts/{account_sid}/Messages.json"
FCM_ROUTE = "/v1/projects/{project}/messages:send"
LATER = [{"channel": "voice", "after_s": 90}]  # never by the clock in these tests


async def test_sms_refused_with_503_is_retried_with_backoff_until_twilio_takes_it(
        channel_stack) -> None:
    channel_stack.twilio.fail_next(503, twilio_error(20503, "Service Unavailable", 503), times=2,
                                   path=SMS_ROUTE)
    async with emergency_paging(channel_stack, ["en"], [{"channel": "sms"}, *LATER]) as scene:
        (ada,) = scene.people
        page = await accepted(scene.emergency_id, ada.id, "sms")
        assert (page.outcome, page.tries) == ("sent", 3)
        assert len(posted(channel_stack, "/Messages.json", To=ada.phone)) == 3
        assert audit_actions(scene.emergency_id).count("delivery.retrying") == 2
        assert not attempts(scene.emergency_id, channel="voice"), "a transient error is not a fall-through"


async def test_invalid_number_is_recorded_and_the_next_channel_is_tried_at_once(
        channel_stack) -> None:
    invalid = "The 'To' number is not a valid phone number."
    channel_stack.twilio.fail_next(400, twilio_error(21211, invalid), path=SMS_ROUTE)
    async with emergency_paging(channel_stack, ["en"], [{"channel": "sms"}, *LATER]) as scene:
        (ada,) = scene.people
        call = await accepted(scene.emergency_id, ada.id, "voice")
        (sms,) = attempts(scene.emergency_id, channel="sms")
        assert (sms.outcome, sms.tries) == ("failed", 1)
        assert "21211" in sms.error and invalid in sms.error
        assert call.created_at >= sms.created_at


async def test_unregistered_push_token_is_removed_and_the_next_channel_is_tried(
        channel_stack) -> None:
    channel_stack.fcm.fail_next(404, fcm_error(404, "NOT_FOUND", "UNREGISTERED", "Not found."),
                                path=FCM_ROUTE)
    steps = [{"channel": "push"}, {"channel": "sms", "after_s": 90}]
    async with emergency_paging(channel_stack, ["en"], steps) as scene:
        (ada,) = scene.people
        await accepted(scene.emergency_id, ada.id, "sms")
        (push,) = attempts(scene.emergency_id, channel="push")
        assert push.outcome == "failed" and "NOT_FOUND" in push.error
        assert staff(ada.id).push_token is None
        assert audit_entry(ada.id, "staff.push_token_removed") is not None
