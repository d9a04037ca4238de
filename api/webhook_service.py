"""What every provider webhook shares: the URL it signed, replay protection, commands as staff.

Twilio signs the URL it was configured with, which behind a proxy is not the
URL this process sees, so signatures are checked over `public_base_url` plus
the path and query. Twilio signatures carry no timestamp, so a signed request
can be replayed forever: `once` makes sure only the first copy acts.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request
from sqlalchemy.exc import IntegrityError
from starlette.datastructures import ImmutableMultiDict

from api.emergency_service import run_command
from api.errors import ApiError
from db.engine import reading, writing
from db.models import Staff, WebhookReceipt
from settings import get_settings
from workflows.emergency_types import Actor


def public_url(request: Request) -> str:
    """The URL the provider called, as it signed it."""
    url = get_settings().public_base_url.rstrip("/") + request.url.path
    return f"{url}?{request.url.query}" if request.url.query else url


async def form_params(request: Request) -> ImmutableMultiDict[str, str]:
    """The urlencoded body, repeated keys kept (they are signed too)."""
    body = (await request.body()).decode("utf-8", "replace")
    return ImmutableMultiDict(parse_qsl(body, keep_blank_values=True))


async def once(key: str, handle: Callable[[], Awaitable[str]], *, pending: str) -> str:
    """Run `handle` for the first request with `key`; a replay gets the first answer and acts not.

    The receipt is claimed before acting, so two copies arriving together
    cannot both act; if acting fails the claim is dropped and a retry may act.
    """
    try:
        with writing() as session:
            session.add(WebhookReceipt(key=key))
            session.flush()
    except IntegrityError:
        with reading() as session:
            seen = session.get(WebhookReceipt, key)
        return seen.response if seen and seen.response is not None else pending
    try:
        response = await handle()
    except BaseException:
        with writing() as session:
            if (claimed := session.get(WebhookReceipt, key)) is not None:
                session.delete(claimed)
        raise
    with writing() as session:
        claimed = session.get(WebhookReceipt, key)
        if claimed is not None:
            claimed.response = response
            session.add(claimed)
    return response


@dataclass
class Answer:
    """How a command sent from a phone or a link went, in words the replies use."""

    key: str  # done, taken, closed, not_paged, unavailable
    owner: str = ""


async def command_as(client: Any, person: Staff, emergency_id: str, update: Any,
                     make_arg: Callable[[Actor], Any]) -> Answer:
    """Send an update to the emergency as `person`, who proved who they are by phone or link."""
    if client is None:
        return Answer("unavailable")
    actor = Actor(staff_id=person.id, name=person.name, is_admin=person.role == "admin")
    try:
        result = await run_command(client=client, emergency_id=emergency_id, update=update,
                                   arg=make_arg(actor))
    except ApiError as error:
        details = error.details if isinstance(error.details, dict) else {}
        if error.code == "already_acknowledged":
            if details.get("owner_id") == person.id:
                return Answer("done", person.name)  # theirs already: say so again, change nothing
            return Answer("taken", str(details.get("owner_name") or ""))
        if error.code in ("emergency_closed", "not_found"):
            return Answer("closed")
        if error.code in ("not_paged", "forbidden", "not_owner"):
            return Answer("not_paged")
        return Answer("unavailable")
    return Answer("done", getattr(result, "owner_name", None) or "")
