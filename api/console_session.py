"""The console's browser session: the bearer JWT in a cookie, CSRF tokens, and its refusals.

- The token is the same HS256 JWT the API takes, kept in an HttpOnly, SameSite=Strict cookie
  scoped to /console: page scripts cannot read it and other sites cannot make the browser send it.
- CSRF: a random nonce in its own HttpOnly cookie, renewed at every sign-in and sign-out; each
  form carries HMAC(secret, nonce) in a hidden field (or the X-CSRF-Token header). A POST whose
  field does not match is refused. The HMAC (rather than the bare nonce) means a cookie planted by
  a neighbouring host is useless without the server's secret.
- A missing, expired or forged session sends the browser to sign-in with the page it wanted as
  `next`; a refusal from a service is a page naming it, with the API's status code.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ValidationError
from temporalio.client import Client

from api.auth import decode_token
from console import STATIC_DIR, TEMPLATES_DIR
from console.alarm import LABELS, PRIORITY_BY_SEVERITY, alarm_priority, priority_label
from console.i18n import LANG_COOKIE, LANGUAGES, chosen_language, translator
from services.errors import VigilError
from services.principal import Principal
from settings import get_settings

SESSION_COOKIE = "vigil_session"
CSRF_COOKIE = "vigil_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
COOKIE_PATH = "/console"
HOME = "/console/me"  # staff go on to their inbox, patients and family to their patient

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
templates.env.globals.update(alarm_priority=alarm_priority, priority_label=priority_label,
                             priority_map=PRIORITY_BY_SEVERITY, priority_labels=LABELS)


class SignInRequired(Exception):
    """No usable session: go to sign-in, then come back to `next`."""

    def __init__(self, next_url: str, reason: str) -> None:
        self.next_url, self.reason = next_url, reason


class ConsoleRefusal(Exception):
    """A refusal shown as a page, with the status the matching API route would answer."""

    def __init__(self, status: int, code: str, message: str, **values: object) -> None:
        # `words` is the English the page translates; `message` is it filled in with `values`.
        self.status, self.code, self.words, self.values = status, code, message, values
        self.message = message.format(**values) if values else message

    @classmethod
    def of(cls, error: VigilError) -> ConsoleRefusal:
        return cls(error.status, error.code, error.message)


def safe_next(value: str | None) -> str:
    """Only a console path is a place to return to: never another site (open redirect)."""
    if value and value.startswith("/console/") and not value.startswith("//") and "\\" not in value:
        return value
    return HOME


def _csrf_for(nonce: str) -> str:
    key = get_settings().jwt_secret.encode()
    return hmac.new(key, f"console-csrf:{nonce}".encode(), hashlib.sha256).hexdigest()


def _cookie(response: Response, request: Request, name: str, value: str) -> None:
    response.set_cookie(name, value, path=COOKIE_PATH, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")


def session_principal(request: Request, roles: tuple[str, ...], next_url: str) -> Principal:
    """The signed-in person, if their token is valid and holds one of `roles`."""
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        raise SignInRequired(next_url, "signed_out")
    try:
        user = decode_token(raw)
    except VigilError as error:
        raise SignInRequired(next_url, "expired" if error.code == "token_expired" else "invalid")
    if not user.has_any(roles):
        raise ConsoleRefusal(403, "forbidden", "This page needs one of the roles: {roles}.",
                             roles=", ".join(roles))
    return user


def check_csrf(request: Request, submitted: str | None) -> None:
    """Refuse a POST that does not carry this browser session's CSRF token."""
    nonce = request.cookies.get(CSRF_COOKIE)
    given = submitted or request.headers.get(CSRF_HEADER) or ""
    if not nonce or not hmac.compare_digest(given, _csrf_for(nonce)):
        raise ConsoleRefusal(403, "csrf_failed", "This form was not sent from this Vigil session "
                             "(or it has expired). Go back, reload the page and try again.")


@contextmanager
def as_page() -> Iterator[None]:
    """A service's refusal, shown as the console's refusal page with the same status."""
    try:
        yield
    except VigilError as error:
        raise ConsoleRefusal.of(error)


def temporal(request: Request) -> Client:
    """The API's Temporal client, or the refusal the API would answer without one."""
    client = request.app.state.temporal
    if client is None:
        raise ConsoleRefusal(503, "temporal_unavailable",
                             "The workflow engine is not reachable yet.")
    return client


def form_body(model: type[BaseModel], **fields: Any) -> Any:
    """Check form fields with the API's own request model: the same limits, the field named."""
    try:
        return model.model_validate(fields)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        raise ConsoleRefusal(422, "invalid_request", "{field}: {message}", field=field,
                             message=first["msg"])


def render(request: Request, template: str, context: dict[str, Any], *, status: int = 200,
           new_csrf: bool = False) -> HTMLResponse:
    """A page, with the CSRF token its forms need (issuing the nonce if the browser has none)."""
    nonce = None if new_csrf else request.cookies.get(CSRF_COOKIE)
    fresh = nonce is None
    nonce = nonce or secrets.token_urlsafe(32)
    lang, chosen = chosen_language(request)
    response = templates.TemplateResponse(
        request, template, {"csrf_token": _csrf_for(nonce), "dev_mode": get_settings().dev_mode,
                            "lang": lang, "languages": LANGUAGES, "_": translator(lang),
                            **context}, status_code=status)
    if fresh:
        _cookie(response, request, CSRF_COOKIE, nonce)
    if chosen:
        _cookie(response, request, LANG_COOKIE, lang)
    return response


def signed_in(request: Request, token: str, next_url: str) -> RedirectResponse:
    """Keep the token and start a fresh CSRF nonce (one from before sign-in is never reused)."""
    response = RedirectResponse(safe_next(next_url), status_code=303)
    _cookie(response, request, SESSION_COOKIE, token)
    _cookie(response, request, CSRF_COOKIE, secrets.token_urlsafe(32))
    return response


def signed_out(request: Request, reason: str, next_url: str | None = None) -> RedirectResponse:
    where = f"/console/sign-in?reason={reason}"
    if next_url:
        where += f"&next={quote(safe_next(next_url), safe='')}"
    response = RedirectResponse(where, status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH)
    response.delete_cookie(CSRF_COOKIE, path=COOKIE_PATH)
    return response


def install_console(app: FastAPI) -> None:
    """Serve the console's own static files and turn its refusals into pages."""
    app.mount("/console/static", StaticFiles(directory=str(STATIC_DIR)), name="console-static")

    async def to_sign_in(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SignInRequired)
        return signed_out(request, exc.reason, exc.next_url)

    async def refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ConsoleRefusal)
        return render(request, "refused.html", {"refusal": exc, "user": None}, status=exc.status)

    app.add_exception_handler(SignInRequired, to_sign_in)
    app.add_exception_handler(ConsoleRefusal, refused)
