"""The console's sign-in and sign-out, and the short-lived token its live page uses for the socket.

Production signs in with a bearer token from the hospital's identity provider (pasted, or posted
by a single sign-on front end); a development machine (`VIGIL_DEV_MODE`, set by `vigil up`) also
lists the demo people to sign in as.
"""

from __future__ import annotations

import time
from typing import Annotated

import jwt
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from api.auth import decode_token, mint_token
from api.console_session import (
    SESSION_COOKIE,
    ConsoleRefusal,
    check_csrf,
    render,
    safe_next,
    session_principal,
    signed_in,
    signed_out,
)
from api.deps import STAFF
from services.directory_reads import patients_and_family, person_role, staff_people
from services.errors import VigilError
from settings import get_settings

router = APIRouter(prefix="/console", tags=["console"], include_in_schema=False)

DEV_SESSION_S = 12 * 3600
# The socket checks its token only when it opens, so a minute is plenty; it is fetched afresh
# for every (re)connection, and the long-lived session token never reaches page scripts.
SOCKET_TOKEN_S = 60
Csrf = Annotated[str | None, Form(alias="csrf_token")]
REASONS = {"expired": "Your session expired. Sign in again to go back to where you were.",
           "invalid": "That session was not valid. Sign in again.",
           "signed_out": "Sign in to continue.", "bye": "You are signed out."}


@router.get("")
def console_home() -> RedirectResponse:
    """The console starts at the inbox."""
    return RedirectResponse("/console/inbox", status_code=303)


def _sign_in_page(request: Request, next_url: str, *, reason: str | None = None,
                  error: str | None = None, status: int = 200) -> HTMLResponse:
    dev = get_settings().dev_mode
    people = staff_people() if dev else []
    return render(request, "sign_in.html", {"next": safe_next(next_url), "people": people,
                                            "others": patients_and_family() if dev else [],
                                            "notice": REASONS.get(reason or ""), "error": error,
                                            "user": None}, status=status)


@router.get("/sign-in")
def sign_in_page(request: Request, next: str | None = None, reason: str | None = None) -> HTMLResponse:
    """Sign in with a token (and, on a development machine, as a demo person)."""
    return _sign_in_page(request, safe_next(next), reason=reason)


@router.post("/sign-in", response_model=None)
def sign_in(request: Request, csrf: Csrf = None, token: Annotated[str, Form()] = "",
            next: Annotated[str, Form()] = "") -> HTMLResponse | RedirectResponse:
    """Keep a valid bearer token in the session cookie."""
    check_csrf(request, csrf)
    try:
        decode_token(token.strip())
    except VigilError as error:
        return _sign_in_page(request, next, error=error.message, status=401)
    return signed_in(request, token.strip(), next)


@router.post("/dev-sign-in")
def dev_sign_in(request: Request, csrf: Csrf = None, staff_id: Annotated[str, Form()] = "",
                next: Annotated[str, Form()] = "") -> RedirectResponse:
    """Development only: sign in as a demo person (staff, patient or family), with the role the
    directories give them."""
    if not get_settings().dev_mode:
        raise ConsoleRefusal(404, "not_found", "Development sign-in is turned off.")
    check_csrf(request, csrf)
    try:
        role = person_role(staff_id)
    except VigilError as error:
        raise ConsoleRefusal.of(error)
    return signed_in(request, mint_token(staff_id, [role], DEV_SESSION_S), next)


@router.post("/sign-out")
def sign_out(request: Request, csrf: Csrf = None) -> RedirectResponse:
    """Forget the session (and its CSRF nonce)."""
    check_csrf(request, csrf)
    return signed_out(request, "bye")


@router.post("/socket-token")
def socket_token(request: Request) -> dict[str, str | int]:
    """A one-minute token for the staff WebSocket, never outliving the session it comes from."""
    check_csrf(request, None)
    user = session_principal(request, STAFF, "/console/inbox")
    expires = jwt.decode(request.cookies[SESSION_COOKIE], options={"verify_signature": False})["exp"]
    ttl = min(SOCKET_TOKEN_S, int(expires - time.time()))
    if ttl <= 0:
        raise ConsoleRefusal(401, "token_expired", "The session has expired.")
    return {"token": mint_token(user.sub, list(user.roles), ttl, list(user.patients) or None),
            "expires_in_s": ttl}
