"""The check every inbound Twilio webhook (status callback, reply, gathered digit) passes first."""

from __future__ import annotations

from collections.abc import Mapping

from twilio.request_validator import RequestValidator

SIGNATURE_HEADER = "X-Twilio-Signature"


def twilio_signature_valid(
    auth_token: str, url: str, params: Mapping[str, str], signature: str | None
) -> bool:
    """Whether `signature` (the X-Twilio-Signature header) signs this URL and form body.

    `url` must be the public URL Twilio called, query string included, not
    the one seen behind a proxy. `params` may be a plain dict or Starlette's
    FormData (repeated keys are signed too). Uses twilio's RequestValidator,
    which compares in constant time.
    """
    if not signature:
        return False
    return RequestValidator(auth_token).validate(url, params, signature)
