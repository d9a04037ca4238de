"""Every console route has a row in api/permissions.py naming the API route whose rule it keeps."""

from __future__ import annotations

from fastapi.routing import APIRoute

from api.main import CONSOLE_ROUTERS
from api.console_permissions import CONSOLE, CONSOLE_BY_KEY
from api.permissions import BY_KEY, Access


def _served() -> set[tuple[str, str]]:
    return {(method, route.path) for router in CONSOLE_ROUTERS for route in router.routes
            if isinstance(route, APIRoute) for method in route.methods}


def test_every_console_route_has_exactly_one_row() -> None:
    served, rows = _served(), set(CONSOLE_BY_KEY)
    assert served - rows == set(), "add a row to api.console_permissions.CONSOLE for each console route"
    assert rows - served == set(), "api.console_permissions.CONSOLE names routes the console lacks"


def test_a_console_write_mirrors_an_api_write_and_only_sign_in_is_public() -> None:
    public = {r.path for r in CONSOLE if r.access is Access.PUBLIC}
    assert public == {"/console", "/console/sign-in", "/console/dev-sign-in", "/console/sign-out"}
    for route in CONSOLE:
        if route.method == "POST" and route.mirrors and route.path != "/console/socket-token":
            assert BY_KEY[route.mirrors].method in ("POST", "PUT"), route.path
