"""Push pages through Firebase Cloud Messaging (HTTP v1) as high-priority data messages."""

from __future__ import annotations

import firebase_admin
from firebase_admin import exceptions, messaging
from google.auth.exceptions import GoogleAuthError, TransportError

from channels.base import (
    ChannelError,
    OutboundMessage,
    PermanentChannelError,
    SendResult,
    TransientChannelError,
)
from channels.provider_errors import error_for_status


class InvalidPushTokenError(PermanentChannelError):
    """The device token is dead: the caller should delete it, not merely skip this channel."""

    token_invalid = True


# The token itself is the problem (app uninstalled, token from another project, malformed).
TOKEN_INVALID = (
    messaging.UnregisteredError,
    messaging.SenderIdMismatchError,
    exceptions.InvalidArgumentError,
)
TRANSIENT = (
    messaging.QuotaExceededError,
    exceptions.UnavailableError,
    exceptions.InternalError,
    exceptions.DeadlineExceededError,  # what firebase_admin raises on a timeout
)


def push_message(message: OutboundMessage) -> messaging.Message:
    """The FCM message for one page.

    Android gets data only, at high priority, so the app itself raises a
    full-screen alarm. APNs rejects priority 10 for a data-only (silent) push,
    so iOS also gets a visible alert, and that alert carries `safe_text` only.
    """
    return messaging.Message(
        token=message.recipient.push_token,
        data={
            "emergency_id": message.subject_id,
            "short_code": message.short_code,
            "severity": message.severity,
            "kind": message.kind,
            "attempt_id": message.attempt_id,
            "text": message.safe_text,
            # A reminder's action button confirms this dose through the API (never its name).
            **({"schedule_id": message.subject_id, "dose_id": str(message.detail["dose_id"])}
               if message.kind.startswith("medication") and message.detail.get("dose_id") else {}),
        },
        android=messaging.AndroidConfig(priority="high"),
        apns=messaging.APNSConfig(
            headers={"apns-priority": "10", "apns-push-type": "alert"},
            payload=messaging.APNSPayload(
                aps=messaging.Aps(alert=messaging.ApsAlert(body=message.safe_text), sound="default")
            ),
        ),
    )


def classify_fcm_error(exc: exceptions.FirebaseError) -> ChannelError:
    """The channel error for a failed FCM send."""
    text = f"fcm {exc.code}: {exc}"
    if isinstance(exc, TOKEN_INVALID):
        return InvalidPushTokenError(text)
    if isinstance(exc, TRANSIENT):
        return TransientChannelError(text)
    if exc.http_response is not None:  # e.g. 502 arrives as UnknownError
        return error_for_status(exc.http_response.status_code, text)
    return TransientChannelError(text)  # no HTTP answer at all: a network failure


def classify_auth_error(exc: GoogleAuthError) -> ChannelError:
    """The channel error when the OAuth token exchange before the send fails.

    firebase_admin lets these through unwrapped: a bad service-account key is
    permanent, an unreachable or overloaded token endpoint is not.
    """
    text = f"fcm oauth: {exc}"
    if exc.retryable or isinstance(exc, TransportError):
        return TransientChannelError(text)
    return PermanentChannelError(text)


class FcmPushChannel:
    channel = "push"

    def __init__(self, app: firebase_admin.App) -> None:
        self._app = app

    def send(self, message: OutboundMessage) -> SendResult:
        """Send the data message; the returned message name is the provider id."""
        if not message.recipient.push_token:
            raise PermanentChannelError(f"staff {message.recipient.staff_id} has no push token")
        try:
            name = messaging.send(push_message(message), app=self._app)
        except exceptions.FirebaseError as exc:
            raise classify_fcm_error(exc) from exc
        except GoogleAuthError as exc:
            raise classify_auth_error(exc) from exc
        return SendResult(provider_message_id=name)
