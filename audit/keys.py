"""The audit key: HMACs that a database writer cannot recompute.

The hash chain (audit/chain.py) shows an entry was changed only to someone who
trusts the hashes; anyone who can write to the database can recompute them.
The key lives in the environment (`VIGIL_AUDIT_KEY`), never in the database,
so an entry's `mac` and a checkpoint's `signature` can be made only by Vigil.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from settings import get_settings


def canonical(values: list[Any]) -> bytes:
    """The one JSON rendering that hashes and MACs are computed over."""
    return json.dumps(values, sort_keys=True, separators=(",", ":"), default=str).encode()


def audit_key() -> bytes:
    return get_settings().audit_key.encode()


def sign(key: bytes, values: list[Any]) -> str:
    """HMAC-SHA256 over the canonical rendering of `values`."""
    return hmac.new(key, canonical(values), hashlib.sha256).hexdigest()


def signed_by(key: bytes, values: list[Any], signature: str | None) -> bool:
    return signature is not None and hmac.compare_digest(sign(key, values), signature)


def entry_mac(key: bytes, *, seq: int, at: str, actor: str, action: str, subject: str,
              detail: dict, prev_mac: str) -> str:
    """An entry's MAC: its fields chained on the previous entry's MAC, not its hash.

    Chaining on the MAC keeps an edit local: a writer who edits one entry and
    recomputes every later hash breaks exactly one MAC, at the entry edited.
    """
    return sign(key, ["vigil-audit-entry/1", seq, at, actor, action, subject, detail, prev_mac])
