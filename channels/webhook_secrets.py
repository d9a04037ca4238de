"""Outbound webhook secrets: made in the Standard Webhooks form, kept encrypted, signed with.

A signing secret must be recoverable to sign with, so it cannot be hashed; it
is encrypted with Fernet (AES-128-CBC with HMAC-SHA256, `cryptography`) under
a key from settings that never enters the database. A read of the endpoint
table therefore yields only ciphertext. `VIGIL_WEBHOOK_SECRET_KEYS` may list
several keys, newest first: the newest encrypts, any of them decrypts, so the
key itself can be rotated.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import datetime

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from standardwebhooks.webhooks import Webhook

from settings import Settings, get_settings

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """A fresh signing secret: `whsec_` and 32 random bytes in base64, as the spec has it."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _fernet(settings: Settings) -> MultiFernet:
    if settings.webhook_secret_keys:
        keys = [k.strip() for k in settings.webhook_secret_keys.split(",") if k.strip()]
    else:
        # Derived, with a label of its own, from the audit key: that key is already kept
        # outside the database and refused at startup when it is the development one.
        digest = hashlib.sha256(b"vigil-webhook-secrets\0" + settings.audit_key.encode()).digest()
        keys = [base64.urlsafe_b64encode(digest).decode()]
    return MultiFernet([Fernet(key) for key in keys])


def encrypt(secret: str, settings: Settings | None = None) -> str:
    return _fernet(settings or get_settings()).encrypt(secret.encode()).decode()


def decrypt(token: str, settings: Settings | None = None) -> str:
    """The secret back; an unreadable one (a key dropped from settings) raises ValueError."""
    try:
        return _fernet(settings or get_settings()).decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise ValueError("the webhook secret cannot be decrypted with the configured keys") from error


def signature_header(secrets_: list[str], webhook_id: str, at: datetime, body: str) -> str:
    """`webhook-signature`: one `v1,...` per secret, space-separated (both during a rotation)."""
    return " ".join(Webhook(secret).sign(webhook_id, at, body) for secret in secrets_)
