"""Fixtures the channel adapter tests share: a fake Twilio on loopback, reset per test."""

from __future__ import annotations

import pytest

from tests.fakes.twilio_fake import start_twilio_fake


@pytest.fixture(scope="module")
def twilio_server():
    with start_twilio_fake() as fake:
        yield fake


@pytest.fixture
def twilio(twilio_server):
    twilio_server.reset()
    return twilio_server
