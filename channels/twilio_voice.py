"""Voice pages through Twilio's Calls API: the page is spoken and a keypress answers it."""

from __future__ import annotations

from urllib.parse import urlencode

from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client
from twilio.twiml.voice_response import Gather, VoiceResponse

from channels.base import (
    FINAL_RANK,
    UNDELIVERED,
    OutboundMessage,
    PermanentChannelError,
    SendResult,
    StatusRanks,
)
from channels.provider_errors import twilio_errors
from channels.replies import say_attributes

STATUS_EVENTS = ["initiated", "ringing", "answered", "completed"]
# Twilio's error when the call being updated has already ended.
CALL_NOT_IN_PROGRESS = 21220


def page_twiml(message: OutboundMessage, gather_action_url: str, repeats: int = 3) -> str:
    """TwiML that speaks the page and waits for one digit, asking again on silence.

    Only `safe_text` is spoken (it carries the "press 1" prompt in the
    recipient's language, see channels.messages), in a voice that speaks that
    language: a call may be answered on speaker or by someone else. Gather
    falls through to the next verb when no digit comes, so the page is simply
    repeated; after the last one the call ends unanswered and the escalation
    moves on.
    """
    response = VoiceResponse()
    voice = say_attributes(message.recipient.language)
    for _ in range(repeats):
        gather = Gather(num_digits=1, action=gather_action_url, method="POST", timeout=6)
        gather.say(message.safe_text, **voice)
        response.append(gather)
    response.hangup()
    return str(response)


# Twilio Calls API status callbacks; canceled is ours (hung up when answered elsewhere).
STATUS_RANKS: StatusRanks = {
    "queued": (1, "sent"), "initiated": (1, "sent"), "ringing": (2, "sent"),
    "in-progress": (3, "delivered"), "completed": (FINAL_RANK, "delivered"),
    "no-answer": (FINAL_RANK, UNDELIVERED), "busy": (FINAL_RANK, UNDELIVERED),
    "failed": (FINAL_RANK, UNDELIVERED), "canceled": (FINAL_RANK, None),  # canceled: by us, when answered elsewhere
}


class TwilioVoiceChannel:
    status_ranks = STATUS_RANKS
    channel = "voice"

    def __init__(
        self, client: Client, from_number: str, twiml_url_base: str, status_callback_url: str
    ) -> None:
        self._client = client
        self._from = from_number
        self._twiml_url_base = twiml_url_base.rstrip("/")
        self._status_callback = status_callback_url

    def gather_action_url(self, message: OutboundMessage) -> str:
        """Where Twilio posts the digit; the attempt id ties it back to this page."""
        return f"{self._twiml_url_base}/gather?{urlencode({'attempt_id': message.attempt_id})}"

    def send(self, message: OutboundMessage) -> SendResult:
        """Place the call with inline TwiML; the call SID is the provider id."""
        if not message.recipient.phone:
            raise PermanentChannelError(f"staff {message.recipient.staff_id} has no phone number")
        with twilio_errors():
            call = self._client.calls.create(
                to=message.recipient.phone,
                from_=self._from,
                twiml=page_twiml(message, self.gather_action_url(message)),
                status_callback=self._status_callback,
                status_callback_event=STATUS_EVENTS,
            )
        return SendResult(provider_message_id=call.sid)

    def end_call(self, call_sid: str) -> None:
        """Hang up a call that is no longer needed because someone else acknowledged.

        `completed` (unlike `canceled`) ends the call whether it is still
        ringing or already answered.
        """
        with twilio_errors():
            try:
                self._client.calls(call_sid).update(status="completed")
            except TwilioRestException as exc:
                if exc.code != CALL_NOT_IN_PROGRESS:  # already over: nothing to hang up
                    raise
