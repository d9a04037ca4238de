"""Email pages through SendGrid's v3 mail send, and the check on its signed event webhook."""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from cryptography.exceptions import UnsupportedAlgorithm

from sendgrid import SendGridAPIClient
from sendgrid.helpers.eventwebhook import EventWebhook
from sendgrid.helpers.mail import ClickTracking, CustomArg, Email, Mail, To, TrackingSettings

from channels.base import (
    FINAL_RANK,
    UNDELIVERED,
    OutboundMessage,
    PermanentChannelError,
    SendResult,
    StatusRanks,
)
from channels.messages import link_label, medication_detail
from channels.provider_errors import sendgrid_errors


# SendGrid Event Webhook events that speak of delivery.
STATUS_RANKS: StatusRanks = {
    "processed": (1, "sent"), "deferred": (2, "sent"), "delivered": (FINAL_RANK, "delivered"),
    "open": (FINAL_RANK + 1, "delivered"), "click": (FINAL_RANK + 1, "delivered"),
    "bounce": (FINAL_RANK, UNDELIVERED), "dropped": (FINAL_RANK, UNDELIVERED),
}


class SendGridEmailChannel:
    status_ranks = STATUS_RANKS
    channel = "email"

    def __init__(
        self,
        api_client: SendGridAPIClient,
        sender: str,
        ack_link_builder: Callable[[OutboundMessage], str | None],
    ) -> None:
        self._api = api_client
        self._sender = sender
        self._ack_link = ack_link_builder

    def build_mail(self, message: OutboundMessage) -> Mail:
        """The mail for one page: safe text and the signed link (acknowledge, or confirm a dose).

        Inboxes preview on lock screens and mail is not an authenticated view,
        so a page's `detail` stays out. A medication message lists the medicines
        in its body (never its subject): the patient asked for them by email, and
        a caregiver is sent one only under consent that covers medication.
        """
        link = self._ack_link(message)
        label = link_label(message.kind, message.recipient.language)
        lines = (medication_detail(message.detail, message.recipient.language)
                 if message.kind.startswith("medication") else [])
        body = "".join(f"{line}\n" for line in lines)
        mail = Mail(
            from_email=Email(self._sender, "Vigil"),
            to_emails=To(message.recipient.email, message.recipient.name),
            subject=message.safe_text,
            plain_text_content=f"{message.safe_text}\n\n{body}"
                               + (f"{label}: {link}\n" if link else ""),
            html_content=(
                f"<p>{escape(message.safe_text)}</p>"
                + "".join(f"<p>{escape(line)}</p>" for line in lines)
                + (f'<p><a href="{escape(link)}">{escape(label)}</a></p>' if link else "")
            ),
        )
        # Echoed back on every event-webhook event, so delivered/bounced maps to the attempt.
        mail.custom_arg = [
            CustomArg("attempt_id", message.attempt_id),
            CustomArg("subject_id", message.subject_id),
        ]
        # Click tracking would wrap the signed link in a SendGrid redirect; keep it verbatim.
        mail.tracking_settings = TrackingSettings(click_tracking=ClickTracking(False, False))
        return mail

    def send(self, message: OutboundMessage) -> SendResult:
        """Send the mail; SendGrid's X-Message-Id header is the provider id."""
        if not message.recipient.email:
            raise PermanentChannelError(f"staff {message.recipient.staff_id} has no email address")
        with sendgrid_errors():
            response = self._api.send(self.build_mail(message))
        return SendResult(provider_message_id=response.headers.get("X-Message-Id"))


def sendgrid_event_signature_valid(
    public_key_b64: str, payload: bytes, signature_b64: str, timestamp: str
) -> bool:
    """Whether a Signed Event Webhook POST really came from SendGrid.

    ECDSA P-256 / SHA-256 over timestamp + raw body, checked by the helper
    shipped in the sendgrid package. `payload` must be the body exactly as
    received. A malformed key, signature or body counts as invalid rather than
    raising, so the webhook answers 403 either way.
    """
    if not (public_key_b64 and signature_b64 and timestamp):
        return False
    try:
        return EventWebhook(public_key_b64).verify_signature(
            payload.decode("utf-8"), signature_b64, timestamp
        )
    except (ValueError, TypeError, UnsupportedAlgorithm):  # bad base64 or key, non-UTF-8 body
        return False
