"""SMS pages through Twilio's Messages API."""

from __future__ import annotations

from twilio.rest import Client

from channels.base import (
    FINAL_RANK,
    UNDELIVERED,
    OutboundMessage,
    PermanentChannelError,
    SendResult,
    StatusRanks,
)
from channels.provider_errors import twilio_errors
from channels.sms_segments import fit_to_segments

MAX_SEGMENTS = 2


# Twilio Messages API status callbacks.
STATUS_RANKS: StatusRanks = {
    "accepted": (1, "sent"), "scheduled": (1, "sent"), "queued": (1, "sent"),
    "sending": (2, "sent"), "sent": (3, "sent"),
    "delivered": (FINAL_RANK, "delivered"), "read": (FINAL_RANK + 1, "delivered"),
    "undelivered": (FINAL_RANK, UNDELIVERED), "failed": (FINAL_RANK, UNDELIVERED),
    "canceled": (FINAL_RANK, UNDELIVERED),
}


class TwilioSmsChannel:
    status_ranks = STATUS_RANKS
    channel = "sms"

    def __init__(self, client: Client, from_number: str, status_callback_url: str) -> None:
        self._client = client
        self._from = from_number
        self._status_callback = status_callback_url

    def send(self, message: OutboundMessage) -> SendResult:
        """Send the lock-screen-safe text; the message SID is the provider id."""
        if not message.recipient.phone:
            raise PermanentChannelError(f"staff {message.recipient.staff_id} has no phone number")
        with twilio_errors():
            sms = self._client.messages.create(
                to=message.recipient.phone,
                from_=self._from,
                body=fit_to_segments(message.safe_text, MAX_SEGMENTS),
                status_callback=self._status_callback,
            )
        return SendResult(provider_message_id=sms.sid)
