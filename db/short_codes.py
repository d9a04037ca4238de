"""Short codes: the few characters a page carries so a reply ("ACK 4821") finds its subject."""

from __future__ import annotations

import secrets
from typing import Any

from db.engine import reading


def free_short_code(taken: Any, *, prefix: str = "", digits: int = 4) -> str:
    """A code not among those `taken` (a select of codes still open) returns."""
    with reading() as session:
        in_use = set(session.exec(taken).all())
    low = 10 ** (digits - 1)
    while (code := f"{prefix}{secrets.randbelow(9 * low) + low}") in in_use:
        pass
    return code
