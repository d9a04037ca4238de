"""SPEC §4: an inbound webhook without a valid provider signature gets 403 and changes nothing;
a replay of a genuine one changes nothing twice; an email link works only as signed."""

from __future__ import annotations

import time
import uuid
from urllib.parse import quote

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from sqlmodel import select
from temporalio.client import Client
from twilio.request_validator import RequestValidator

from channels.ack_links import AckClaim, ack_token
from db.engine import reading
from db.models import WebhookReceipt
from settings import get_settings
from tests.fakes.twilio_fake import AUTH_TOKEN
from tests.utils.channel_stack import (
    FROM_NUMBER,
    PUBLIC_URL,
    accepted,
    emergency_paging,
    make_ward,
)
from tests.utils.records import attempts, audit_actions
from tests.utils.waiting import eventually
from workflows.emergency import EmergencyEscalationWorkflow as Wf
from workflows.emergency_types import EmergencyState

pytestmark = pytest.mark.e2e

STEPS = [{"channel": "sms"}, {"channel": "voice"}, {"channel": "email"}]


async def snapshot(channels, emergency_id: str) -> tuple:
    """Everything a webhook could change: the workflow, its attempts and audit trail, receipts."""
    with reading() as session:
        receipts = len(session.exec(select(WebhookReceipt.key)).all())
    state = await workflow_state(channels, emergency_id)
    return (state.status, state.owner_id, state.tier, receipts, audit_actions(emergency_id),
            [(a.id, a.outcome, a.provider_status) for a in attempts(emergency_id)])


async def workflow_state(channels, emergency_id: str) -> EmergencyState:
    """The workflow's own state: current the moment an update returns, unlike the projection."""
    client = await Client.connect(channels.temporal_address)
    return await client.get_workflow_handle(emergency_id).query(Wf.state)


def twilio_requests(scene, sms, call) -> list[tuple[str, dict[str, str]]]:
    """One genuine-looking request for each Twilio route, each of which would change something."""
    responder = scene.people[0]
    return [
        ("/webhooks/twilio/sms", {"MessageSid": f"SM{uuid.uuid4().hex}", "From": responder.phone,
                                  "To": FROM_NUMBER, "Body": f"ACK {scene.short_code}"}),
        ("/webhooks/twilio/sms-status", {"MessageSid": sms.provider_message_id,
                                         "MessageStatus": "undelivered"}),
        ("/webhooks/twilio/voice-status", {"CallSid": call.provider_message_id,
                                           "CallStatus": "no-answer"}),
        (f"/webhooks/twilio/voice/gather?attempt_id={quote(call.id, safe='')}",
         {"CallSid": call.provider_message_id, "Digits": "1"}),
    ]


async def test_twilio_webhooks_refuse_missing_wrong_or_misdirected_signatures(channel_stack) -> None:
    async with emergency_paging(channel_stack, ["en"], STEPS) as scene:
        (ada,) = scene.people
        sms = await accepted(scene.emergency_id, ada.id, "sms")
        call = await accepted(scene.emergency_id, ada.id, "voice")
        await accepted(scene.emergency_id, ada.id, "email")
        before = await snapshot(channel_stack, scene.emergency_id)
        for path, params in twilio_requests(scene, sms, call):
            forgeries = {
                "missing": None,
                "garbage": "bm90LWEtc2lnbmF0dXJl",
                "wrong token": RequestValidator("not-the-token").compute_signature(
                    PUBLIC_URL + path, params),
                # Signed for the address this process listens on, not the public one Twilio calls.
                "internal url": RequestValidator(AUTH_TOKEN).compute_signature(
                    channel_stack.stack.api_url + path, params),
                "other body": RequestValidator(AUTH_TOKEN).compute_signature(
                    PUBLIC_URL + path, {**params, "From": "+15550000000"}),
            }
            for name, signature in forgeries.items():
                response = await channel_stack.twilio_post(path, params, signature=signature)
                assert response.status_code == 403, (path, name, response.text)
        unchanged = await snapshot(channel_stack, scene.emergency_id) == before
        assert unchanged, "a refused webhook changed something"

        # The same requests, genuinely signed, are accepted: the refusals were the signatures.
        for path, params in twilio_requests(scene, sms, call)[1:3]:
            assert (await channel_stack.twilio_post(path, params)).status_code == 204
        assert await snapshot(channel_stack, scene.emergency_id) != before


async def test_sendgrid_events_refuse_missing_forged_stale_or_altered_signatures(
        channel_stack) -> None:
    async with emergency_paging(channel_stack, ["en"], [{"channel": "email"}]) as scene:
        (ada,) = scene.people
        mail = await accepted(scene.emergency_id, ada.id, "email")
        events = [{"event": "bounce", "attempt_id": mail.id, "email": ada.email}]
        before = await snapshot(channel_stack, scene.emergency_id)
        stale = int(time.time()) - get_settings().sendgrid_webhook_max_age_s - 60
        refused = [
            await channel_stack.sendgrid_post(events, signed=False),
            await channel_stack.sendgrid_post(events, key=ec.generate_private_key(ec.SECP256R1())),
            await channel_stack.sendgrid_post(events, timestamp=stale),
            await channel_stack.sendgrid_post(events, timestamp=int(time.time()) + 3600),
        ]
        assert [r.status_code for r in refused] == [403] * 4
        async with channel_stack.http() as client:  # a body other than the one signed
            genuine = await channel_stack.sendgrid_post([])
            assert genuine.status_code == 204
            altered = await client.post("/webhooks/sendgrid/events", json=events, headers={
                k: v for k, v in genuine.request.headers.items() if k.startswith("x-twilio-email")})
        assert altered.status_code == 403
        async with channel_stack.http() as client:  # digits that are not ASCII digits
            signed = {k: v for k, v in genuine.request.headers.items()
                      if k.startswith("x-twilio-email")}
            for stamp in (b"\xb2", b"17\xb2", "١٧٠٠٠٠٠٠٠٠".encode()):
                odd = await client.post("/webhooks/sendgrid/events", content=b"[]", headers={
                    **signed, "x-twilio-email-event-webhook-timestamp": stamp})
                assert odd.status_code == 403, (stamp, odd.text)
        assert await snapshot(channel_stack, scene.emergency_id) == before
        assert (await channel_stack.sendgrid_post(events)).status_code == 204
        assert attempts(scene.emergency_id, channel="email")[0].outcome == "undelivered"


async def test_a_replayed_sms_reply_acts_once_even_when_a_new_page_is_open(channel_stack) -> None:
    ward = make_ward(["en"])
    (ada,) = ward[1]
    reply = {"MessageSid": f"SM{uuid.uuid4().hex}", "From": ada.phone, "To": FROM_NUMBER,
             "Body": "ACK"}
    async with emergency_paging(channel_stack, [], [{"channel": "sms"}], ward=ward) as first:
        await accepted(first.emergency_id, ada.id, "sms")
        answer = await channel_stack.twilio_post("/webhooks/twilio/sms", reply)
        assert "acknowledged" in answer.text
        assert (await workflow_state(channel_stack, first.emergency_id)).owner_id == ada.id
    async with emergency_paging(channel_stack, [], [{"channel": "sms"}], ward=ward) as second:
        await accepted(second.emergency_id, ada.id, "sms")
        replayed = await channel_stack.twilio_post("/webhooks/twilio/sms", reply)
        assert replayed.text == answer.text, "the replay gets the first answer"
        state = await workflow_state(channel_stack, second.emergency_id)
        assert state.status == "active", "and acknowledges nothing new"


async def test_a_replayed_keypress_escalates_once(channel_stack) -> None:
    ward = make_ward(["en"])
    (ada,) = ward[1]
    tiers = [{"name": "responders", "targets": "responders", "ack_timeout_s": 120},
             {"name": "ada again", "targets": f"staff:{ada.id}", "ack_timeout_s": 120}]
    async with emergency_paging(channel_stack, [], [{"channel": "voice"}], ward=ward,
                                tiers=tiers) as scene:
        call = await accepted(scene.emergency_id, ada.id, "voice")
        path = f"/webhooks/twilio/voice/gather?attempt_id={quote(call.id, safe='')}"
        press = {"CallSid": call.provider_message_id, "Digits": "2"}
        first = await channel_stack.twilio_post(path, press)
        again = await channel_stack.twilio_post(path, press)
        assert "Paging the next person" in first.text and again.text == first.text
        state = await workflow_state(channel_stack, scene.emergency_id)
        assert (state.status, state.tier) == ("active", 1), "one tier on, not two"
        # The workflow moves on first and records the escalation by an activity just after.
        escalations = await eventually(
            lambda: audit_actions(scene.emergency_id).count("emergency.escalated"),
            what="the escalation's audit entry")
        assert escalations == 1


async def test_email_links_work_only_as_signed_and_unexpired(channel_stack) -> None:
    async with emergency_paging(channel_stack, ["en"], [{"channel": "email"}]) as scene:
        (ada,) = scene.people
        mail = await accepted(scene.emergency_id, ada.id, "email")
        secret = get_settings().jwt_secret  # the stack shares this process's environment
        expired = ack_token(AckClaim(mail.id, ada.id), secret=secret, ttl_s=-10)
        forged = ack_token(AckClaim(mail.id, ada.id), secret="x" * 40, ttl_s=600)
        someone_else = ack_token(AckClaim(mail.id, "dr-tan"), secret=secret, ttl_s=600)
        async with channel_stack.http() as browser:
            for token, status in [(expired, 410), (forged, 404), (someone_else, 404),
                                  ("not-a-token", 404)]:
                assert (await browser.get(f"/ack/{token}")).status_code == status
                assert (await browser.post(f"/ack/{token}")).status_code == status
            assert (await workflow_state(channel_stack, scene.emergency_id)).status == "active"
            good = ack_token(AckClaim(mail.id, ada.id), secret=secret, ttl_s=600)
            assert (await browser.post(f"/ack/{good}")).status_code == 200
        assert (await workflow_state(channel_stack, scene.emergency_id)).owner_id == ada.id
