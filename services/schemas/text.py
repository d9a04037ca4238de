"""The one rule for text that comes in: no control characters, no lone surrogates, bounded.

PostgreSQL refuses NUL in text and a lone surrogate cannot be encoded, so such a
string would pass the API and fail later, after a workflow had started and paged
(its record activity then retries forever). Every request model derives from
`RequestModel`, whose validator applies the rule to every string it holds,
nested lists and dicts included, and names the field. Tab, newline and carriage
return stay allowed: a description or a reason may have lines.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator

# C0 controls except \t \n \r, DEL, and UTF-16 surrogates (only ever lone ones in a str).
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
MAX_TEXT = 10_000  # characters in any one string; fields that need less say so themselves


def check_text(value: str) -> str:
    """The rule itself: the value back, or ValueError saying what is wrong."""
    if FORBIDDEN.search(value):
        raise ValueError("must not contain control characters (such as NUL) or lone surrogates")
    if len(value) > MAX_TEXT:
        raise ValueError(f"must be at most {MAX_TEXT} characters")
    return value


def _check_all(value: Any) -> None:
    if isinstance(value, str):
        check_text(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_all(key)
            _check_all(item)
    elif isinstance(value, (list, tuple, set)):
        for item in value:
            _check_all(item)


class RequestModel(BaseModel):
    """Base of every request body: unknown fields refused, every string checked."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _text_rule(cls, value: Any, info: ValidationInfo) -> Any:
        _check_all(value)
        return value
