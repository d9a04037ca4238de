"""Signed iCalendar feeds: what a calendar app fetches, with the link as its only credential."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.errors import ERROR_RESPONSES
from services import oncall_queries
from services.calendar_links import PATH, read_feed_token
from settings import get_settings

router = APIRouter(prefix=PATH, tags=["on-call"], responses=ERROR_RESPONSES)


@router.get("/{token}.ics", response_class=Response,
            responses={200: {"content": {"text/calendar": {}}}})
def signed_feed(token: str) -> Response:
    """A schedule's or a person's shifts, last week and the next 60 days; 401 once expired,
    403 when forged."""
    kind, ident = read_feed_token(token, secret=get_settings().jwt_secret)
    body = oncall_queries.feed(kind=kind, ident=ident)
    return Response(body, media_type="text/calendar; charset=utf-8",
                    headers={"Cache-Control": "private, max-age=300"})
