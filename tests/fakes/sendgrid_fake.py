"""A fake of SendGrid's v3 mail send."""

from __future__ import annotations

import secrets
from contextlib import AbstractContextManager
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.server import FakeProvider, RecordedRequest, running

API_KEY = "SG.fake-key"


def sendgrid_error(message: str, field: str | None = None) -> dict[str, Any]:
    """An error body shaped like SendGrid's."""
    return {"errors": [{"message": message, "field": field, "help": None}]}


class SendGridFake(FakeProvider):
    def __init__(self, api_key: str = API_KEY) -> None:
        super().__init__()
        self.api_key = api_key
        self.message_ids: list[str] = []

    def reset(self) -> None:
        super().reset()
        self.message_ids.clear()

    def routes(self) -> list[Route]:
        return [self.route("/v3/mail/send", self._send)]

    def unauthorized(self, request: Request) -> Response | None:
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            message = "The provided authorization grant is invalid, expired, or revoked"
            return JSONResponse(sendgrid_error(message), status_code=401)
        return None

    async def _send(self, request: Request, recorded: RecordedRequest) -> Response:
        if not isinstance(recorded.body, dict) or "personalizations" not in recorded.body:
            return JSONResponse(
                sendgrid_error("The personalizations field is required.", "personalizations"), 400
            )
        self.message_ids.append(secrets.token_urlsafe(16))
        return Response(status_code=202, headers={"X-Message-Id": self.message_ids[-1]})


def start_sendgrid_fake(**kwargs: Any) -> AbstractContextManager[SendGridFake]:
    """`with start_sendgrid_fake() as fake:` serves a SendGridFake on loopback."""
    return running(SendGridFake(**kwargs))
