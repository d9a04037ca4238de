"""Signed calendar feed links: genuine ones name their feed; expired, forged, altered or
borrowed tokens (an acknowledge link, a bearer token) are refused."""

from __future__ import annotations

import time

import jwt
import pytest

from channels.ack_links import AckClaim, ack_token
from services.calendar_links import feed_token, feed_url, read_feed_token
from services.errors import VigilError

SECRET = "calendar-test-secret-" * 3


def test_a_genuine_link_names_its_feed_and_its_url_ends_in_ics() -> None:
    token, _ = feed_token("staff", "dr-tan", secret=SECRET, ttl_s=600)
    assert read_feed_token(token, secret=SECRET) == ("staff", "dr-tan")
    assert feed_url("https://vigil.example/", token) == f"https://vigil.example/calendar/{token}.ics"


@pytest.mark.parametrize("case, status", [
    ("expired", 401), ("forged", 403), ("altered", 403), ("an acknowledge link", 403),
    ("a bearer token", 403), ("an unknown kind", 403)])
def test_a_link_that_is_not_a_genuine_unexpired_feed_link_is_refused(case: str, status: int) -> None:
    genuine, _ = feed_token("schedule", "cardio", secret=SECRET, ttl_s=600)
    token = {
        "expired": feed_token("schedule", "cardio", secret=SECRET, ttl_s=-60)[0],
        "forged": feed_token("schedule", "cardio", secret="another-secret-" * 3, ttl_s=600)[0],
        "altered": genuine[:-3] + ("xyz" if not genuine.endswith("xyz") else "abc"),
        "an acknowledge link": ack_token(AckClaim("a-1", "dr-tan"), secret=SECRET, ttl_s=600),
        # Shaped like a bearer token, under the same secret, but with no feed audience.
        "a bearer token": jwt.encode({"sub": "schedule:cardio", "roles": ["admin"],
                                      "exp": int(time.time()) + 600}, SECRET, algorithm="HS256"),
        "an unknown kind": feed_token("patient", "p-1", secret=SECRET, ttl_s=600)[0],
    }[case]
    with pytest.raises(VigilError) as refused:
        read_feed_token(token, secret=SECRET)
    assert refused.value.status == status
