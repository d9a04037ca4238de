"""What every provider webhook request shares: the URL it signed and its form body.

Twilio signs the URL it was configured with, which behind a proxy is not the
URL this process sees, so signatures are checked over `public_base_url` plus
the path and query.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import Request
from starlette.datastructures import ImmutableMultiDict

from settings import get_settings


def public_url(request: Request) -> str:
    """The URL the provider called, as it signed it."""
    url = get_settings().public_base_url.rstrip("/") + request.url.path
    return f"{url}?{request.url.query}" if request.url.query else url


async def form_params(request: Request) -> ImmutableMultiDict[str, str]:
    """The urlencoded body, repeated keys kept (they are signed too)."""
    body = (await request.body()).decode("utf-8", "replace")
    return ImmutableMultiDict(parse_qsl(body, keep_blank_values=True))
