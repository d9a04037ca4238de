"""Send one signed webhook request and say what came of it; never follows a redirect.

The request goes to the address `webhook_addresses.check_url` approved (the
host name still names the server for TLS and the Host header), at most
`timeout_s`, and only the first `max_bytes` of the answer are read.
"""

from __future__ import annotations

import contextlib
import functools
import ssl
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from datetime import datetime, timezone
from urllib.parse import urlsplit, urlunsplit

import httpx

from channels.webhook_addresses import Target


@dataclass(frozen=True)
class Answer:
    status_code: int | None  # None: no answer (timeout, refused connection, TLS failure)
    latency_ms: float
    retry_after_s: float | None = None
    error: str | None = None
    body: str = ""


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """`Retry-After` as seconds: a number of seconds, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


def _pinned(target: Target) -> str:
    """The URL with the checked address in place of the host name."""
    parts = urlsplit(target.url)
    address = f"[{target.address}]" if ":" in target.address else target.address
    return urlunsplit((parts.scheme, f"{address}:{target.port}", parts.path or "/", parts.query, ""))


@functools.cache
def _tls() -> ssl.SSLContext:
    """The TLS settings every webhook client shares (certificates verified against the CA
    bundle): loading the bundle takes tens of milliseconds, more than a loopback try's own CPU."""
    return httpx.create_ssl_context(trust_env=False)


def client(timeout_s: float) -> httpx.Client:
    """An HTTP client for webhook requests: never a redirect, no proxy from the environment.
    One client may serve a batch of requests to one endpoint (its connection is kept)."""
    return httpx.Client(timeout=timeout_s, follow_redirects=False, trust_env=False, verify=_tls())


def post(target: Target, body: str, headers: dict[str, str], *, timeout_s: float,
         max_bytes: int, using: httpx.Client | None = None) -> Answer:
    """POST `body` to the target; transport failures are answers too (status None)."""
    default_port = 443 if target.scheme == "https" else 80
    host_header = target.host if target.port == default_port else f"{target.host}:{target.port}"
    started = time.perf_counter()
    try:
        with contextlib.nullcontext(using) if using else client(timeout_s) as http, \
                http.stream("POST", _pinned(target), content=body.encode(),
                            headers={**headers, "host": host_header,
                                     "content-type": "application/json"},
                            extensions={"sni_hostname": target.host}) as response:
            read = b""
            for chunk in response.iter_bytes():
                read += chunk
                if len(read) >= max_bytes:
                    break  # the rest of an oversized answer is never read
            latency = (time.perf_counter() - started) * 1000
            return Answer(response.status_code, latency,
                          retry_after_seconds(response.headers.get("retry-after")),
                          body=read[:max_bytes].decode(errors="replace"))
    except httpx.HTTPError as error:
        latency = (time.perf_counter() - started) * 1000
        return Answer(None, latency, error=f"{type(error).__name__}: {error}"[:500])
