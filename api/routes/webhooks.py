"""Provider callbacks: Twilio SMS and call status, SMS replies and keypresses; SendGrid events.

Every route checks the provider's signature first and answers 403, having
changed nothing, when it is missing or wrong. Status callbacks are idempotent
by rank (see services.delivery_status); replies and keypresses act once per
MessageSid and per CallSid + digits, and a replay gets the first answer again.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.datastructures import ImmutableMultiDict
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse

from channels.sendgrid_email import SendGridEmailChannel
from channels.twilio_sms import TwilioSmsChannel
from channels.twilio_voice import TwilioVoiceChannel
from services.delivery_status import StatusReport, record_status
from api.errors import ERROR_RESPONSES, VigilError
from services.phone_replies import answer_keypress, answer_sms
from api.webhook_requests import form_params, public_url
from services.acknowledgements import once
from channels.sendgrid_email import sendgrid_event_signature_valid
from channels.twilio_webhooks import SIGNATURE_HEADER, twilio_signature_valid
from settings import get_settings

router = APIRouter(prefix="/webhooks", tags=["webhooks"], responses=ERROR_RESPONSES)

SENDGRID_SIGNATURE = "X-Twilio-Email-Event-Webhook-Signature"
SENDGRID_TIMESTAMP = "X-Twilio-Email-Event-Webhook-Timestamp"


def _forged() -> VigilError:
    return VigilError(403, "invalid_signature", "The request's provider signature is missing or wrong.")


def _xml(body: str) -> Response:
    return Response(body, media_type="application/xml")


def _required(form: Mapping[str, Any], field: str) -> str:
    """The id a replay is recognised by; without it a request cannot be acted on safely."""
    value = form.get(field)
    if not isinstance(value, str) or not value:
        raise VigilError(400, "invalid_request", f"{field} is required.")
    return value


async def _twilio_form(request: Request) -> ImmutableMultiDict[str, str]:
    """The form body, once X-Twilio-Signature is known to sign it and the public URL."""
    params = await form_params(request)
    token = get_settings().twilio_auth_token
    if not token or not twilio_signature_valid(token, public_url(request), params,
                                               request.headers.get(SIGNATURE_HEADER)):
        raise _forged()
    return params


@router.post("/twilio/sms")
async def twilio_sms(request: Request) -> Response:
    """An SMS reply: "ACK <code>", "ACK" or "1" acknowledges; anything else gets help (TwiML)."""
    form = await _twilio_form(request)
    sid = _required(form, "MessageSid")

    async def act() -> str:
        text = await answer_sms(client=request.app.state.temporal, sender=form.get("From", ""),
                                text=form.get("Body", ""))
        reply = MessagingResponse()
        reply.message(text)
        return str(reply)

    return _xml(await once(f"twilio-sms:{sid}", act,
                           pending=str(MessagingResponse())))


@router.post("/twilio/voice/gather")
async def twilio_gather(request: Request) -> Response:
    """A digit pressed on a page call: 1 acknowledges, 2 escalates now, else the page again.

    The page's `attempt_id` rides in the query string, which the signature covers.
    """
    form = await _twilio_form(request)
    call, digits = _required(form, "CallSid"), form.get("Digits", "")
    attempt_id = _required(request.query_params, "attempt_id")

    async def act() -> str:
        return await answer_keypress(client=request.app.state.temporal, attempt_id=attempt_id,
                                     digits=digits, gather_url=public_url(request))

    key = f"twilio-gather:{call}:{digits}"
    return _xml(await once(key, act, pending=str(VoiceResponse().hangup())))


async def _status(request: Request, channel: str, id_field: str, status_field: str) -> Response:
    form = await _twilio_form(request)
    code = form.get("ErrorCode")
    report = StatusReport(provider="twilio", channel=channel, status=form.get(status_field, ""),
                          table=(TwilioSmsChannel if channel == "sms" else TwilioVoiceChannel).status_ranks,
                          provider_message_id=form.get(id_field),
                          error=f"twilio {form.get(status_field)} (error {code})" if code else None)
    await record_status(report, request.app.state.temporal)
    return Response(status_code=204)


@router.post("/twilio/sms-status", status_code=204)
async def twilio_sms_status(request: Request) -> Response:
    """Twilio's status callback for an SMS page (queued, sent, delivered, undelivered, failed)."""
    return await _status(request, "sms", "MessageSid", "MessageStatus")


@router.post("/twilio/voice-status", status_code=204)
async def twilio_voice_status(request: Request) -> Response:
    """Twilio's status callback for a page call; no-answer and busy count as not delivered."""
    return await _status(request, "voice", "CallSid", "CallStatus")


@router.post("/sendgrid/events", status_code=204)
async def sendgrid_events(request: Request) -> Response:
    """SendGrid's signed Event Webhook: delivered, bounce and dropped update the email page."""
    settings = get_settings()
    body = await request.body()
    stamp = request.headers.get(SENDGRID_TIMESTAMP, "")
    signature = request.headers.get(SENDGRID_SIGNATURE, "")
    if not (settings.sendgrid_webhook_public_key and stamp.isdigit()
            and abs(time.time() - int(stamp)) <= settings.sendgrid_webhook_max_age_s
            and sendgrid_event_signature_valid(settings.sendgrid_webhook_public_key, body,
                                               signature, stamp)):
        raise _forged()
    try:
        events = json.loads(body)
    except ValueError:
        raise VigilError(400, "invalid_request", "The body is not JSON.")
    if not isinstance(events, list):
        raise VigilError(400, "invalid_request", "The body is not a list of events.")
    for event in events:
        if isinstance(event, dict) and event.get("attempt_id") and event.get("event") in SendGridEmailChannel.status_ranks:
            reason = event.get("reason") or event.get("response")
            await record_status(StatusReport(
                provider="sendgrid", channel="email", status=event["event"], table=SendGridEmailChannel.status_ranks,
                attempt_id=str(event["attempt_id"]),
                error=f"sendgrid {event['event']}: {reason}" if reason else None,
            ), request.app.state.temporal)
    return Response(status_code=204)
