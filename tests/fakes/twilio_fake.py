"""A fake of Twilio's 2010-04-01 REST API: Messages, Calls and call updates."""

from __future__ import annotations

import base64
import secrets
from contextlib import AbstractContextManager
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.server import FakeProvider, RecordedRequest, running

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "fake-auth-token"


def twilio_error(code: int, message: str, status: int = 400) -> dict[str, Any]:
    """An error body shaped like Twilio's."""
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


class TwilioFake(FakeProvider):
    def __init__(self, account_sid: str = ACCOUNT_SID, auth_token: str = AUTH_TOKEN) -> None:
        super().__init__()
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.calls: dict[str, dict[str, Any]] = {}

    def reset(self) -> None:
        super().reset()
        self.calls.clear()

    def routes(self) -> list[Route]:
        base = "/2010-04-01/Accounts/{account_sid}"
        return [
            self.route(base + "/Messages.json", self._create_message),
            self.route(base + "/Calls.json", self._create_call),
            self.route(base + "/Calls/{call_sid}.json", self._update_call),
        ]

    def unauthorized(self, request: Request) -> Response | None:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {expected}":
            return JSONResponse(twilio_error(20003, "Authenticate", 401), status_code=401)
        if request.path_params["account_sid"] != self.account_sid:
            return JSONResponse(
                twilio_error(20404, "The requested resource was not found", 404), status_code=404
            )
        return None

    def _resource(self, kind: str, sid: str, form: dict[str, Any]) -> dict[str, Any]:
        now = format_datetime(datetime.now(timezone.utc))
        return {
            "sid": sid,
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "to": form.get("To"),
            "from": form.get("From"),
            "status": "queued",
            "direction": "outbound-api",
            "date_created": now,
            "date_updated": now,
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/{kind}/{sid}.json",
        }

    async def _create_message(self, request: Request, recorded: RecordedRequest) -> Response:
        sid = "SM" + secrets.token_hex(16)
        body = self._resource("Messages", sid, recorded.body)
        body.update(body=recorded.body.get("Body"), num_segments="1", error_code=None)
        return JSONResponse(body, status_code=201)

    async def _create_call(self, request: Request, recorded: RecordedRequest) -> Response:
        sid = "CA" + secrets.token_hex(16)
        self.calls[sid] = self._resource("Calls", sid, recorded.body)
        return JSONResponse(self.calls[sid], status_code=201)

    async def _update_call(self, request: Request, recorded: RecordedRequest) -> Response:
        call = self.calls.get(request.path_params["call_sid"])
        if call is None:
            return JSONResponse(twilio_error(20404, "Call not found", 404), status_code=404)
        call["status"] = recorded.body.get("Status", call["status"])
        return JSONResponse(call)


def start_twilio_fake(**kwargs: Any) -> AbstractContextManager[TwilioFake]:
    """`with start_twilio_fake() as fake:` serves a TwilioFake on loopback."""
    return running(TwilioFake(**kwargs))
