"""Commands from a phone or a link: act once per provider request, and as the person it proves.

Twilio signatures carry no timestamp, so a signed request can be replayed
forever: `once` makes sure only the first copy acts. `command_as` sends an
emergency command as the staff member a phone number or signed link names.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError

from db.engine import reading, writing
from db.models import Staff, WebhookReceipt
from services.emergencies import run_command
from services.errors import VigilError
from workflows.emergency_types import Actor


async def once(key: str, handle: Callable[[], Awaitable[str]], *, pending: str) -> str:
    """Run `handle` for the first request with `key`; a replay gets the first answer and acts not.

    The receipt is claimed before acting, so two copies arriving together
    cannot both act; if acting fails the claim is dropped and a retry may act.
    """
    try:
        await asyncio.to_thread(_claim, key)
    except IntegrityError:
        seen = await asyncio.to_thread(_receipt, key)
        return seen.response if seen and seen.response is not None else pending
    try:
        response = await handle()
    except BaseException:
        await asyncio.to_thread(_release, key)
        raise
    await asyncio.to_thread(_answered, key, response)
    return response


def _claim(key: str) -> None:
    with writing() as session:
        session.add(WebhookReceipt(key=key))
        session.flush()


def _receipt(key: str) -> WebhookReceipt | None:
    with reading() as session:
        return session.get(WebhookReceipt, key)


def _release(key: str) -> None:
    with writing() as session:
        if (claimed := session.get(WebhookReceipt, key)) is not None:
            session.delete(claimed)


def _answered(key: str, response: str) -> None:
    with writing() as session:
        claimed = session.get(WebhookReceipt, key)
        if claimed is not None:
            claimed.response = response
            session.add(claimed)


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
    except VigilError as error:
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
