"""How a provider's HTTP failure becomes a channel error the workflow can act on.

One rule for every HTTP provider: 408, 429, 5xx and network failures are
transient (Temporal retries with backoff); any other 4xx is permanent (an
invalid or unsubscribed number will not get better, so the next channel is
tried at once). Twilio and SendGrid differ only in how their exceptions carry
the status and the provider's message.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

from python_http_client.exceptions import HTTPError as SendGridHTTPError
from twilio.base.exceptions import TwilioException

from channels.base import ChannelError, PermanentChannelError, TransientChannelError

RETRYABLE_STATUSES = frozenset({408, 429})


def error_for_status(status: int, message: str) -> ChannelError:
    """The channel error for a provider's HTTP status."""
    if status in RETRYABLE_STATUSES or status >= 500:
        return TransientChannelError(message)
    return PermanentChannelError(message)


@contextmanager
def provider_errors(
    provider: str,
    http_error: type[Exception],
    describe: Callable[[Exception], tuple[int, str]],
) -> Iterator[None]:
    """Re-raise a provider's failures inside the block as channel errors."""
    try:
        yield
    except http_error as exc:
        status, detail = describe(exc)
        raise error_for_status(status, f"{provider} HTTP {status}: {detail}") from exc
    except OSError as exc:
        # requests' and urllib's network failures (refused, reset, DNS, timeouts) are OSErrors.
        raise TransientChannelError(f"{provider} unreachable: {exc!r}") from exc


def _describe_twilio(exc: Exception) -> tuple[int, str]:
    # str() of a Twilio exception paints ANSI colours when stderr is a TTY; build our own.
    status = getattr(exc, "status", None) or 0  # 0: raised before any HTTP exchange
    code = getattr(exc, "code", None)
    message = getattr(exc, "msg", None) or getattr(exc, "detail", None) or repr(exc)
    return status, f"error {code}: {message}" if code else message


def _describe_sendgrid(exc: Exception) -> tuple[int, str]:
    assert isinstance(exc, SendGridHTTPError)
    body = exc.body.decode("utf-8", "replace") if isinstance(exc.body, bytes) else str(exc.body)
    try:
        detail = "; ".join(e.get("message", "") for e in json.loads(body)["errors"])
    except (ValueError, KeyError, TypeError, AttributeError):
        detail = body[:500]
    return exc.status_code, detail


def twilio_errors() -> AbstractContextManager[None]:
    """Classify failures of the Twilio REST client (requests underneath)."""
    return provider_errors("twilio", TwilioException, _describe_twilio)


def sendgrid_errors() -> AbstractContextManager[None]:
    """Classify failures of the SendGrid client (urllib underneath)."""
    return provider_errors("sendgrid", SendGridHTTPError, _describe_sendgrid)
