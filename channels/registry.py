"""Choose each channel's adapter: the real provider when its credentials are set, else the outbox.

Twilio needs account SID, auth token and from number (SMS and voice switch
together); SendGrid an API key and a sender; FCM a service-account file. Every
callback URL handed to a provider is built on `public_base_url`, the address
the providers reach the API at.
"""

from __future__ import annotations

import logging

import firebase_admin

from channels.ack_links import ack_link_builder
from channels.base import ChannelAdapter
from channels.clients import firebase_app, sendgrid_client, twilio_client
from channels.fcm_push import FcmPushChannel
from channels.local import OutboxChannel, WebSocketChannel
from channels.sendgrid_email import SendGridEmailChannel
from channels.twilio_sms import TwilioSmsChannel
from channels.twilio_voice import TwilioVoiceChannel
from settings import Settings

WEBHOOKS = "/webhooks"
FIREBASE_APP = "vigil"


def build_channels(settings: Settings) -> dict[str, ChannelAdapter]:
    """One adapter per channel name."""
    public = settings.public_base_url.rstrip("/") + WEBHOOKS
    channels: dict[str, ChannelAdapter] = {
        "websocket": WebSocketChannel(),
        **{name: OutboxChannel(name) for name in ("push", "sms", "voice", "email")},
    }
    sid, token, sender = (settings.twilio_account_sid, settings.twilio_auth_token,
                          settings.twilio_from_number)
    if sid and token and sender:
        # twilio logs every request and its headers at INFO; pages are not debug output.
        logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
        twilio = twilio_client(sid, token, settings.twilio_base_url)
        channels["sms"] = TwilioSmsChannel(twilio, sender, f"{public}/twilio/sms-status")
        channels["voice"] = TwilioVoiceChannel(twilio, sender, f"{public}/twilio/voice",
                                               f"{public}/twilio/voice-status")
    if settings.sendgrid_api_key and settings.sendgrid_sender:
        link = ack_link_builder(settings.public_base_url, secret=settings.jwt_secret,
                                ttl_s=settings.email_ack_link_ttl_s)
        sendgrid = sendgrid_client(settings.sendgrid_api_key, settings.sendgrid_base_url)
        channels["email"] = SendGridEmailChannel(sendgrid, settings.sendgrid_sender, link)
    if settings.firebase_credentials_file:
        channels["push"] = FcmPushChannel(_firebase(settings.firebase_credentials_file, settings))
    return channels


def _firebase(credentials_file: str, settings: Settings) -> firebase_admin.App:
    """One Firebase app per process, however often the channels are built."""
    try:
        return firebase_admin.get_app(FIREBASE_APP)
    except ValueError:
        return firebase_app(credentials_file, settings.firebase_project_id,
                            settings.fcm_base_url, name=FIREBASE_APP)
