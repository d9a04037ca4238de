"""Refuse a URL holding a control character before any route sees it.

A path or query carrying NUL (`/emergencies/a%00b`) would reach PostgreSQL and
fail there as a 500. It is answered 400 here, by the same rule as request bodies
(services/schemas/text.py); a websocket handshake with such a URL is refused.
Body size is api/limits.py's.
"""

from __future__ import annotations

from urllib.parse import unquote

from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import error_json
from services.schemas.text import FORBIDDEN


class InputLimits:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            query = unquote(scope.get("query_string", b"").decode("latin-1"))
            for part, text in (("path", scope["path"]), ("query", query)):
                if not FORBIDDEN.search(text):
                    continue
                if scope["type"] == "websocket":
                    await send({"type": "websocket.close", "code": 1008})
                    return
                await error_json(400, "invalid_url", f"The URL's {part} holds a control "
                                 "character (such as NUL).", {"field": part})(scope, receive, send)
                return
        await self.app(scope, receive, send)
