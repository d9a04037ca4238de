"""Channels that need no provider: the staff WebSocket and the local outbox."""

from __future__ import annotations

from sqlalchemy import insert
from sqlmodel import Session

from channels.base import OutboundMessage, PermanentChannelError, SendResult
from db.engine import writing
from db.models import OutboxMessage, utcnow
from events.publish import publish_many
from events.topics import staff_topic

_ADDRESS_FIELD = {"sms": "phone", "voice": "phone", "email": "email", "push": "push_token"}
_OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]


class LocalChannel:
    """A channel whose sending is a write to Vigil's own database.

    The delivery activity calls `write_many` with every message of a page on this
    channel, inside the transaction that records their attempts: the pages and
    their records commit together, and one transaction is all a tier's WebSocket
    pages cost.
    """

    channel: str

    def write_many(self, session: Session, messages: list[OutboundMessage]
                   ) -> list[SendResult | PermanentChannelError]:
        """Write the messages in the caller's transaction; what each came to, in order."""
        raise NotImplementedError

    def send(self, message: OutboundMessage) -> SendResult:
        """The message on its own, in a transaction of its own."""
        with writing() as session:
            (result,) = self.write_many(session, [message])
        if isinstance(result, PermanentChannelError):
            raise result
        return result


class WebSocketChannel(LocalChannel):
    """Puts the message in the staff member's live inbox; every API process streams it."""

    channel = "websocket"

    def write_many(self, session: Session, messages: list[OutboundMessage]
                   ) -> list[SendResult | PermanentChannelError]:
        events = publish_many(session, [
            (staff_topic(m.recipient.staff_id), m.kind,
             {"attempt_id": m.attempt_id, "subject_id": m.subject_id, "kind": m.kind,
              "severity": m.severity, "short_code": m.short_code, "location": m.location_text,
              "text": m.safe_text, "detail": m.detail})
            for m in messages])
        return [SendResult(provider_message_id=f"event:{event.id}") for event in events]


class OutboxChannel(LocalChannel):
    """Stands in for a provider with no credentials: the message lands in the outbox table."""

    def __init__(self, channel: str) -> None:
        self.channel = channel

    def write_many(self, session: Session, messages: list[OutboundMessage]
                   ) -> list[SendResult | PermanentChannelError]:
        field = _ADDRESS_FIELD.get(self.channel)
        addresses = [getattr(m.recipient, field, None) if field else None for m in messages]
        rows = [{"attempt_id": m.attempt_id, "channel": self.channel,
                 "recipient_id": m.recipient.staff_id, "address": address,
                 "text": m.safe_text, "created_at": utcnow()}
                for m, address in zip(messages, addresses) if address or not field]
        with session.no_autoflush:  # nothing pending bears on an append-only row
            ids = iter(session.execute(
                insert(_OUTBOX).returning(_OUTBOX.c.id, sort_by_parameter_order=True),
                rows).scalars().all() if rows else [])
        return [SendResult(provider_message_id=f"outbox:{next(ids)}") if address or not field
                else PermanentChannelError(f"no {field} on file for {self.channel}")
                for address in addresses]
