"""Signed, expiring iCalendar feed URLs: a calendar app subscribes without a bearer token.

The same signer as the email acknowledge links (channels/ack_links.py): a short
HS256 token made with the API's secret, under an audience of its own, so a feed
link never passes as a bearer token or an acknowledge link, nor they as it. It
names one feed, `schedule:<id>` or `staff:<id>`, and when it stops working.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import jwt

from services.errors import VigilError

AUDIENCE = "vigil:calendar-feed"
PATH = "/calendar"
KINDS = ("schedule", "staff")


def feed_token(kind: str, ident: str, *, secret: str, ttl_s: int) -> tuple[str, datetime]:
    """The token for one feed, and when it expires."""
    expires = int(time.time()) + ttl_s
    token = jwt.encode({"sub": f"{kind}:{ident}", "aud": AUDIENCE, "exp": expires}, secret,
                       algorithm="HS256")
    return token, datetime.fromtimestamp(expires, UTC)


def feed_url(public_base_url: str, token: str) -> str:
    return f"{public_base_url.rstrip('/')}{PATH}/{token}.ics"


def read_feed_token(token: str, *, secret: str) -> tuple[str, str]:
    """(kind, id) of a genuine, unexpired token: 401 when expired, 403 when forged or altered."""
    try:
        payload = jwt.decode(token, secret, algorithms=["HS256"], audience=AUDIENCE,
                             options={"require": ["sub", "exp", "aud"]})
    except jwt.ExpiredSignatureError:
        raise VigilError(401, "link_expired", "This calendar link has expired; ask Vigil for a "
                         "new one.") from None
    except jwt.PyJWTError:
        raise VigilError(403, "invalid_link", "This calendar link is not valid.") from None
    kind, _, ident = str(payload["sub"]).partition(":")
    if kind not in KINDS or not ident:
        raise VigilError(403, "invalid_link", "This calendar link is not valid.")
    return kind, ident
