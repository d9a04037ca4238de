"""Refusals of a console form, each put next to the field it is about.

The API names a bad field by its place in the JSON body (`location.room`, `devices.0.id`,
`thresholds.spo2_low`); a console form names its inputs in its own way. Each form gives the map
from one to the other, and anything it cannot place is shown at the top of the form.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from pydantic import ValidationError

from services.errors import VigilError

TOP = "_form"


def _place(loc: tuple[object, ...], field_for: Callable[[tuple[str, ...]], str | None]) -> str:
    path = tuple(str(part) for part in loc)
    return field_for(path) or TOP


def validation_errors(error: ValidationError,
                      field_for: Callable[[tuple[str, ...]], str | None]) -> dict[str, str]:
    """The first message for each form field, from the API request model's own checks."""
    found: dict[str, str] = {}
    for item in error.errors():
        message = str(item["msg"]).removeprefix("Value error, ")
        field = _place(item["loc"], field_for)
        if field == TOP:
            message = f"{'.'.join(str(p) for p in item['loc'])}: {message}"
        found.setdefault(field, message)
    return found


def _path(named: str) -> tuple[str, ...]:
    """`tiers[0].targets` and `body.tiers.0.targets` both as ("tiers", "0", "targets")."""
    parts = tuple(re.findall(r"[^.\[\]]+", named))
    return parts[1:] if parts[:1] == ("body",) else parts


def refusal_errors(error: VigilError,
                   field_for: Callable[[tuple[str, ...]], str | None]) -> dict[str, str]:
    """A service's refusal, placed by the field its details name (if any)."""
    details = error.details
    items = details if isinstance(details, list) else [details] if isinstance(details, dict) else []
    for item in items:
        named = item.get("field") if isinstance(item, dict) else None
        if isinstance(named, str):
            field = _place(_path(named), field_for)
            if field != TOP:
                return {field: str(item.get("reason") or item.get("message") or error.message)}
    return {TOP: error.message}
