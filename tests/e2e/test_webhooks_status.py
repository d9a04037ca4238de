"""Provider status callbacks land on the delivery attempt, and a late failure moves the page on."""

from __future__ import annotations

import pytest

from tests.utils.api import as_user
from tests.utils.channel_stack import accepted, emergency_paging, make_ward
from tests.utils.monitoring import NEWS2_5, a_reading, feed, session_body
from tests.utils.records import attempts, audit_actions
from tests.utils.waiting import eventually

pytestmark = pytest.mark.e2e

LATER_VOICE = {"channel": "voice", "after_s": 90}  # never by the clock in these tests


async def sms_status(channels, sid: str | None, status: str, **extra: str) -> None:
    response = await channels.twilio_post("/webhooks/twilio/sms-status", {
        "MessageSid": sid, "MessageStatus": status, "AccountSid": "AC", **extra})
    assert response.status_code == 204, response.text


async def test_sms_delivery_statuses_are_recorded_on_the_attempt_and_never_go_back(
        channel_stack) -> None:
    async with emergency_paging(channel_stack, ["en"], [{"channel": "sms"}, LATER_VOICE]) as scene:
        (ada,) = scene.people
        sid = (await accepted(scene.emergency_id, ada.id, "sms")).provider_message_id
        for status in ("queued", "sent"):
            await sms_status(channel_stack, sid, status)
            (page,) = attempts(scene.emergency_id, channel="sms")
            assert (page.provider_status, page.outcome, page.delivered_at) == (status, "sent", None)
        await sms_status(channel_stack, sid, "delivered")
        await sms_status(channel_stack, sid, "sent")  # late, out of order
        await sms_status(channel_stack, sid, "delivered")  # a replay
        (page,) = attempts(scene.emergency_id, channel="sms")
        assert (page.provider_status, page.outcome) == ("delivered", "delivered")
        assert page.delivered_at is not None
        assert audit_actions(scene.emergency_id).count("delivery.status") == 3


async def test_undelivered_sms_moves_the_page_to_the_next_channel_at_once(channel_stack) -> None:
    async with emergency_paging(channel_stack, ["en"], [{"channel": "sms"}, LATER_VOICE]) as scene:
        (ada,) = scene.people
        sid = (await accepted(scene.emergency_id, ada.id, "sms")).provider_message_id
        assert not attempts(scene.emergency_id, channel="voice")
        await sms_status(channel_stack, sid, "undelivered", ErrorCode="30003")
        (page,) = attempts(scene.emergency_id, channel="sms")
        assert (page.provider_status, page.outcome) == ("undelivered", "undelivered")
        assert "30003" in page.error
        await accepted(scene.emergency_id, ada.id, "voice")  # well before its 90 s
        await sms_status(channel_stack, sid, "undelivered", ErrorCode="30003")  # a replay
        await sms_status(channel_stack, sid, "failed", ErrorCode="30003")
        assert len(attempts(scene.emergency_id, recipient_id=ada.id)) == 2, "one fall-through only"
        assert audit_actions(scene.emergency_id).count("delivery.status") == 1


@pytest.mark.parametrize("status", ["no-answer", "busy"])
async def test_unanswered_call_is_not_delivered_and_email_is_tried_next(
        channel_stack, status) -> None:
    async with emergency_paging(channel_stack, ["en"], [{"channel": "voice"}]) as scene:
        (ada,) = scene.people
        sid = (await accepted(scene.emergency_id, ada.id, "voice")).provider_message_id
        for step in ("initiated", "ringing", status):
            response = await channel_stack.twilio_post("/webhooks/twilio/voice-status",
                                                       {"CallSid": sid, "CallStatus": step})
            assert response.status_code == 204
        (call,) = attempts(scene.emergency_id, channel="voice")
        assert (call.provider_status, call.outcome) == (status, "undelivered")
        await accepted(scene.emergency_id, ada.id, "email")


async def test_answered_call_counts_as_delivered(channel_stack) -> None:
    async with emergency_paging(channel_stack, ["en"], [{"channel": "voice"}]) as scene:
        (ada,) = scene.people
        sid = (await accepted(scene.emergency_id, ada.id, "voice")).provider_message_id
        for step in ("ringing", "in-progress", "completed", "ringing"):
            await channel_stack.twilio_post("/webhooks/twilio/voice-status",
                                            {"CallSid": sid, "CallStatus": step})
        (call,) = attempts(scene.emergency_id, channel="voice")
        assert (call.provider_status, call.outcome) == ("completed", "delivered")
        assert call.delivered_at is not None


def email_event(attempt, event: str, **extra: str) -> dict:
    """An event as SendGrid posts it: our custom args ride along at the top level."""
    return {"email": "x@hospital.example", "event": event, "timestamp": 1700000000,
            "sg_event_id": f"ev-{event}", "sg_message_id": f"{attempt.provider_message_id}.filter",
            "attempt_id": attempt.id, "subject_id": attempt.subject_id, **extra}


async def test_sendgrid_events_mark_the_email_delivered(channel_stack) -> None:
    async with emergency_paging(channel_stack, ["en"], [{"channel": "email"}]) as scene:
        (ada,) = scene.people
        mail = await accepted(scene.emergency_id, ada.id, "email")
        response = await channel_stack.sendgrid_post([
            email_event(mail, "processed"), email_event(mail, "delivered"),
            email_event(mail, "spamreport")])  # not a delivery status: ignored
        assert response.status_code == 204, response.text
        (mail,) = attempts(scene.emergency_id, channel="email")
        assert (mail.provider_status, mail.outcome) == ("delivered", "delivered")


@pytest.mark.parametrize("event", ["bounce", "dropped"])
async def test_bounced_or_dropped_email_is_undelivered_and_sms_is_tried_next(
        channel_stack, event) -> None:
    steps = [{"channel": "email"}, {"channel": "sms", "after_s": 90}]
    async with emergency_paging(channel_stack, ["en"], steps) as scene:
        (ada,) = scene.people
        mail = await accepted(scene.emergency_id, ada.id, "email")
        response = await channel_stack.sendgrid_post(
            [email_event(mail, event, reason="550 5.1.1 mailbox does not exist")])
        assert response.status_code == 204
        (mail,) = attempts(scene.emergency_id, channel="email")
        assert (mail.provider_status, mail.outcome) == (event, "undelivered")
        assert "mailbox does not exist" in mail.error
        await eventually(lambda: attempts(scene.emergency_id, channel="sms"), timeout_s=10,
                         what="sms tried at once")


async def test_undelivered_sms_of_a_monitoring_alarm_moves_it_to_the_next_channel(
        channel_stack) -> None:
    facility_id, (nurse,) = make_ward(["en"])
    body = session_body(care_team=[nurse.id], viewers=[], family_viewers=[],
                        location={"facility_id": facility_id, "department": "Ward 5B"},
                        timing={"care_team_escalation_s": 1, "hysteresis_s": 30})
    async with as_user(channel_stack.stack.api_url, "coord-lee", "coordinator") as coordinator:
        response = await coordinator.post("/sessions", json=body)
        assert response.status_code == 201, response.text
        sid = response.json()["id"]
        try:
            await feed(coordinator, sid, a_reading(NEWS2_5))
            # Nobody acknowledges the alarm, so after 1 s it goes to the care team by SMS.
            sms = await accepted(sid, nurse.id, "sms")
            scope = sms.id.split("/")[1]
            await sms_status(channel_stack, sid=sms.provider_message_id, status="undelivered",
                             ErrorCode="30006")
            moved = await eventually(
                lambda: [a for a in attempts(sid, recipient_id=nurse.id, channel="websocket")
                         if a.id.split("/")[1] == scope],
                what="the unacknowledged alarm on the nurse's next channel")
        finally:
            await coordinator.post(f"/sessions/{sid}/end", json={"reason": "test over"})
    assert moved[0].kind == "alarm_unacknowledged"
    (page,) = attempts(sid, channel="sms")
    assert (page.provider_status, page.outcome) == ("undelivered", "undelivered")
