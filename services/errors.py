"""The one refusal every layer above the workflows raises; the API renders it as JSON."""

from __future__ import annotations

from typing import Any


class VigilError(Exception):
    """A refusal with an HTTP status, a stable code and a human message."""

    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


def not_found(what: str, ident: str) -> VigilError:
    return VigilError(404, "not_found", f"No {what} with id {ident!r}.")
