"""Channels that need no provider: the staff WebSocket and the local outbox."""

from __future__ import annotations

from sqlmodel import Session

from channels.base import OutboundMessage, PermanentChannelError, SendResult
from db.engine import writing
from db.models import OutboxMessage
from events.publish import publish
from events.topics import staff_topic

_ADDRESS_FIELD = {"sms": "phone", "voice": "phone", "email": "email", "push": "push_token"}


class LocalChannel:
    """A channel whose sending is a write to Vigil's own database.

    The delivery activity calls `write` inside the transaction that records the
    attempt, so the page and its record commit together (and one transaction
    is all a WebSocket page costs).
    """

    channel: str

    def write(self, session: Session, message: OutboundMessage) -> SendResult:
        raise NotImplementedError

    def send(self, message: OutboundMessage) -> SendResult:
        with writing() as session:
            return self.write(session, message)


class WebSocketChannel(LocalChannel):
    """Puts the message in the staff member's live inbox; every API process streams it."""

    channel = "websocket"

    def write(self, session: Session, message: OutboundMessage) -> SendResult:
        payload = {
            "attempt_id": message.attempt_id,
            "subject_id": message.subject_id,
            "kind": message.kind,
            "severity": message.severity,
            "short_code": message.short_code,
            "location": message.location_text,
            "text": message.safe_text,
            "detail": message.detail,
        }
        event = publish(session, topic=staff_topic(message.recipient.staff_id),
                        kind=message.kind, payload=payload)
        return SendResult(provider_message_id=f"event:{event.id}")


class OutboxChannel(LocalChannel):
    """Stands in for a provider with no credentials: the message lands in the outbox table."""

    def __init__(self, channel: str) -> None:
        self.channel = channel

    def write(self, session: Session, message: OutboundMessage) -> SendResult:
        address = getattr(message.recipient, _ADDRESS_FIELD.get(self.channel, ""), None)
        if self.channel in _ADDRESS_FIELD and not address:
            raise PermanentChannelError(f"no {_ADDRESS_FIELD[self.channel]} on file for {self.channel}")
        row = OutboxMessage(attempt_id=message.attempt_id, channel=self.channel,
                            recipient_id=message.recipient.staff_id, address=address,
                            text=message.safe_text)
        session.add(row)
        session.flush()
        return SendResult(provider_message_id=f"outbox:{row.id}")
