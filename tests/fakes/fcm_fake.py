"""A fake of FCM HTTP v1 send, plus the OAuth token endpoint a service account calls first."""

from __future__ import annotations

import secrets
from contextlib import AbstractContextManager
from functools import cache
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.server import FakeProvider, RecordedRequest, running

PROJECT_ID = "vigil-test"
TOKEN_PATH = "/token"


def fcm_error(http_status: int, status: str, error_code: str | None, message: str) -> dict:
    """An error body shaped like FCM v1's (google.rpc.Status with an FcmError detail)."""
    error: dict[str, Any] = {"code": http_status, "message": message, "status": status}
    if error_code:
        detail_type = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
        error["details"] = [{"@type": detail_type, "errorCode": error_code}]
    return {"error": error}


@cache
def _private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def service_account_info(token_uri: str, project_id: str = PROJECT_ID) -> dict[str, str]:
    """A service-account JSON whose token exchange goes to `token_uri` (the fake)."""
    return {
        "type": "service_account",
        "project_id": project_id,
        "private_key_id": "fake-key-id",
        "private_key": _private_key_pem(),
        "client_email": f"vigil@{project_id}.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": token_uri,
    }


class FcmFake(FakeProvider):
    def __init__(self, project_id: str = PROJECT_ID) -> None:
        super().__init__()
        self.project_id = project_id
        self.issued_tokens: list[str] = []

    @property
    def token_uri(self) -> str:
        return self.url + TOKEN_PATH

    def reset(self) -> None:
        super().reset()
        self.issued_tokens.clear()

    def routes(self) -> list[Route]:
        return [
            self.route(TOKEN_PATH, self._token, auxiliary=True),
            self.route("/v1/projects/{project}/messages:send", self._send),
        ]

    async def _token(self, request: Request, recorded: RecordedRequest) -> Response:
        if recorded.body.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        self.issued_tokens.append("ya29.fake-" + secrets.token_urlsafe(12))
        return JSONResponse(
            {"access_token": self.issued_tokens[-1], "expires_in": 3600, "token_type": "Bearer"}
        )

    def sends(self) -> list[RecordedRequest]:
        """The FCM send requests, without the token exchanges."""
        return [r for r in self.requests if r.path.endswith("/messages:send")]

    def unauthorized(self, request: Request) -> Response | None:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if token not in self.issued_tokens:
            body = fcm_error(401, "UNAUTHENTICATED", None, "Request had invalid credentials.")
            return JSONResponse(body, status_code=401)
        if request.path_params["project"] != self.project_id:
            body = fcm_error(403, "PERMISSION_DENIED", None, "Permission denied on project.")
            return JSONResponse(body, status_code=403)
        return None

    async def _send(self, request: Request, recorded: RecordedRequest) -> Response:
        message_id = secrets.token_hex(8)
        return JSONResponse({"name": f"projects/{self.project_id}/messages/{message_id}"})


def start_fcm_fake(**kwargs: Any) -> AbstractContextManager[FcmFake]:
    """`with start_fcm_fake() as fake:` serves an FcmFake on loopback."""
    return running(FcmFake(**kwargs))
