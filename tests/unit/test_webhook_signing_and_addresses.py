"""Webhook secrets, signatures and the SSRF address check: pure functions, no servers."""

from __future__ import annotations

import socket
from datetime import datetime, timedelta, timezone

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from channels.webhook_addresses import UnsafeWebhookUrl, check_url
from channels.webhook_http import Answer, retry_after_seconds
from channels.webhook_secrets import decrypt, encrypt, new_secret, signature_header
from activities.webhook_sender import classify
from settings import Settings

BODY = '{"type":"emergency.created","timestamp":"2026-11-29T00:00:00+00:00","data":{}}'


def _headers(secrets: list[str], at: datetime, body: str = BODY) -> dict[str, str]:
    return {"webhook-id": "msg_1", "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": signature_header(secrets, "msg_1", at, body)}


def test_a_signature_verifies_with_the_library_a_receiver_uses_and_forgeries_do_not() -> None:
    secret, other, now = new_secret(), new_secret(), datetime.now(timezone.utc)
    assert Webhook(secret).verify(BODY, _headers([secret], now))["type"] == "emergency.created"
    with pytest.raises(WebhookVerificationError, match="signature"):
        Webhook(secret).verify(BODY.replace("created", "resolved"), _headers([secret], now))
    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(secret).verify(BODY, _headers([secret], now - timedelta(minutes=10)))
    with pytest.raises(WebhookVerificationError, match="signature"):
        Webhook(secret).verify(BODY, _headers([other], now))


def test_during_a_rotation_both_secrets_sign() -> None:
    old, new, now = new_secret(), new_secret(), datetime.now(timezone.utc)
    headers = _headers([new, old], now)
    assert headers["webhook-signature"].count("v1,") == 2
    Webhook(old).verify(BODY, headers)
    Webhook(new).verify(BODY, headers)


def test_secrets_are_stored_encrypted_and_the_key_can_rotate() -> None:
    secret = new_secret()
    first = Settings(webhook_secret_keys=None, audit_key="k" * 40)
    stored = encrypt(secret, first)
    assert secret not in stored and secret.removeprefix("whsec_") not in stored
    assert decrypt(stored, first) == secret
    from cryptography.fernet import Fernet

    a, b = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    stored = encrypt(secret, Settings(webhook_secret_keys=a))
    assert decrypt(stored, Settings(webhook_secret_keys=f"{b},{a}")) == secret
    with pytest.raises(ValueError, match="decrypted"):
        decrypt(stored, Settings(webhook_secret_keys=b))


@pytest.mark.parametrize("url, why", [
    ("https://169.254.169.254/latest", "metadata"),
    ("https://10.0.0.1/hooks", "private"),
    ("https://192.168.1.5/hooks", "private"),
    ("https://[fe80::1]/hooks", "link-local"),
    ("https://localhost/hooks", "loopback"),  # a hostname resolving to 127.0.0.1
    ("http://127.0.0.1:8080/hooks", "loopback"),
    ("https://metadata.google.internal/x", "metadata"),
    ("https://user:pw@example.org/x", "password"),
])
def test_unsafe_urls_are_refused_outside_dev_mode(url: str, why: str) -> None:
    with pytest.raises(UnsafeWebhookUrl, match=why):
        check_url(url, dev_mode=False)


def test_dev_mode_allows_loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    assert check_url("http://localhost:9/x", dev_mode=True).address in ("127.0.0.1", "::1")
    with pytest.raises(UnsafeWebhookUrl, match="private"):
        check_url("https://10.0.0.1/x", dev_mode=True)
    with pytest.raises(UnsafeWebhookUrl, match="https"):  # plain http to a public host
        monkeypatch.setattr(socket, "getaddrinfo",
                            lambda *a, **k: [(0, 0, 0, "", ("93.184.215.14", 80))])
        check_url("http://example.org/x", dev_mode=True)


def test_a_public_host_is_pinned_to_the_address_that_was_checked(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "getaddrinfo",
                        lambda *a, **k: [(0, 0, 0, "", ("93.184.215.14", 443))])
    target = check_url("https://hooks.example.org/in", dev_mode=False)
    assert (target.host, target.address, target.port) == ("hooks.example.org", "93.184.215.14", 443)
    monkeypatch.setattr(socket, "getaddrinfo",  # one private answer among public ones
                        lambda *a, **k: [(0, 0, 0, "", ("93.184.215.14", 443)),
                                         (0, 0, 0, "", ("10.1.2.3", 443))])
    with pytest.raises(UnsafeWebhookUrl, match="10.1.2.3"):
        check_url("https://hooks.example.org/in", dev_mode=False)


@pytest.mark.parametrize("status, outcome", [(200, "delivered"), (204, "delivered"),
                                             (301, "retry"), (410, "gone"), (429, "retry"),
                                             (503, "retry"), (None, "retry")])
def test_answers_are_classified(status: int | None, outcome: str) -> None:
    assert classify(Answer(status, 1.0)) == outcome


def test_retry_after_in_seconds_or_as_a_date() -> None:
    now = datetime(2026, 11, 29, tzinfo=timezone.utc)
    assert retry_after_seconds("120") == 120
    assert retry_after_seconds("Sun, 29 Nov 2026 00:01:00 GMT", now) == 60
    assert retry_after_seconds("soon") is None
