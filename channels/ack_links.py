"""Signed, expiring acknowledge links for email pages.

The link is the credential: a short HS256 token (signed with the API's JWT
secret) naming the delivery attempt and the person it went to (and, in a
medication reminder, the dose it confirms). Its
audience differs from a bearer token's, so a link can never be used to call
the API, and a bearer token never passes as a link.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import jwt

from channels.base import OutboundMessage

AUDIENCE = "vigil:email-ack"
PATH = "/ack"
# Links whose message kind answers something other than an emergency page: the page they open.
PATHS_BY_KIND = {"appointment_reminder": "/ack/appointment"}
# News with nothing to answer: their emails carry no link at all.
NO_LINK_KINDS = ("appointment", "appointment_family")


@dataclass(frozen=True)
class AckClaim:
    attempt_id: str
    staff_id: str  # the person the message went to, whatever kind of person
    dose_id: str | None = None  # a medication reminder's dose


class InvalidAckLink(Exception):
    """Forged, altered or malformed."""


class ExpiredAckLink(InvalidAckLink):
    """Genuine, but past its expiry."""


def ack_token(claim: AckClaim, *, secret: str, ttl_s: int) -> str:
    """The token for one email page to one person."""
    payload = {"att": claim.attempt_id, "sub": claim.staff_id, "aud": AUDIENCE,
               "exp": int(time.time()) + ttl_s}
    if claim.dose_id is not None:
        payload["dose"] = claim.dose_id
    return jwt.encode(payload, secret, algorithm="HS256")


def read_ack_token(token: str, *, secret: str) -> AckClaim:
    """The claim a genuine, unexpired token carries; raises InvalidAckLink otherwise."""
    try:
        payload = jwt.decode(token, secret, algorithms=["HS256"], audience=AUDIENCE,
                             options={"require": ["att", "sub", "exp", "aud"]})
    except jwt.ExpiredSignatureError as error:
        raise ExpiredAckLink(str(error)) from error
    except jwt.PyJWTError as error:
        raise InvalidAckLink(str(error)) from error
    dose = payload.get("dose")
    return AckClaim(attempt_id=str(payload["att"]), staff_id=str(payload["sub"]),
                    dose_id=str(dose) if dose is not None else None)


def ack_link_builder(public_base_url: str, *, secret: str,
                     ttl_s: int) -> Callable[[OutboundMessage], str | None]:
    """What the email channel calls to put a link in each page."""
    base = public_base_url.rstrip("/")

    def link(message: OutboundMessage) -> str | None:
        if message.kind in NO_LINK_KINDS:
            return None
        dose = message.detail.get("dose_id") if message.kind.startswith("medication") else None
        claim = AckClaim(message.attempt_id, message.recipient.staff_id, dose)
        path = PATHS_BY_KIND.get(message.kind, PATH)
        return f"{base}{path}/{ack_token(claim, secret=secret, ttl_s=ttl_s)}"

    return link
