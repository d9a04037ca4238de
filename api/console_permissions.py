"""The console's permissions: each console route follows the row of the API route it
stands in for (api/permissions.py), so the console is never a side door."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from api.permissions import ADMINS, BY_KEY, ROLES, V1, Access, Scope

_E = "/emergencies/{emergency_id}"  # the API's paths, as api/permissions.py writes them
_S = "/sessions/{session_id}"
_W = "/review/workflows/{workflow_id}"

# Every console route follows the row of the API route it stands in for (`mirrors`): the
# console is a client of the same services behind the same checks, never a side door.
# tests/unit/test_console_permissions.py checks every console route has a row here, and
# tests/e2e/test_console_permissions.py calls each one as every kind of caller and compares
# its answer with the API's. `own` are the scopes that always hold because the route serves
# only the caller's own subject (their inbox); routes with no API twin name their `allow`.


@dataclass(frozen=True)
class ConsoleRoute:
    method: str
    path: str
    mirrors: tuple[str, str] | None = None  # (method, path) of a row of api/permissions.py
    own: frozenset[Scope] = frozenset()
    allow: tuple[str, ...] = ()  # without a twin: who may call it
    access: Access = Access.TOKEN

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.path

    def allows(self, roles: Iterable[str], scopes: Iterable[Scope] = ()) -> bool:
        if self.access is Access.PUBLIC:
            return True
        if self.mirrors is None:
            return any(role in self.allow for role in roles)
        return BY_KEY[self.mirrors].allows(roles, {*scopes, *self.own})


def _c(method: str, path: str, mirrors: str | None = None, **kw: object) -> ConsoleRoute:
    twin = (mirrors.split(" ", 1)[0], V1 + mirrors.split(" ", 1)[1]) if mirrors else None
    return ConsoleRoute(method, "/console" + path, twin, **kw)  # type: ignore[arg-type]


_CE = "/emergencies/{emergency_id}"
_CS = "/sessions/{session_id}"
_CW = "/review/workflows/{workflow_id}"
CONSOLE: tuple[ConsoleRoute, ...] = (
    *(_c(m, p, access=Access.PUBLIC) for m, p in (
        ("GET", ""), ("GET", "/sign-in"), ("POST", "/sign-in"), ("POST", "/dev-sign-in"),
        ("POST", "/sign-out"))),
    _c("GET", "/me", allow=ROLES),
    _c("POST", "/socket-token", "GET /staff/{staff_id}/inbox", own=frozenset({Scope.SELF})),
    _c("GET", "/inbox", "GET /staff/{staff_id}/inbox", own=frozenset({Scope.SELF})),
    _c("GET", _CE, f"GET {_E}"),
    _c("GET", f"{_CE}/events", f"GET {_E}/events"),
    *(_c("POST", f"{_CE}/{verb}", f"POST {_E}/{verb}")
      for verb in ("acknowledge", "resolve", "cancel", "hand-over", "escalate")),
    _c("GET", "/sessions", "GET /sessions"),
    _c("GET", "/sessions/new", "POST /sessions"),
    _c("POST", "/sessions", "POST /sessions"),
    _c("GET", _CS, f"GET {_S}"),
    _c("GET", f"{_CS}/events", f"GET {_S}/events"),
    _c("POST", f"{_CS}/alarms/{{key}}/acknowledge", f"POST {_S}/alarms/{{key}}/acknowledge"),
    _c("POST", f"{_CS}/thresholds", f"PUT {_S}/thresholds"),
    _c("POST", f"{_CS}/end", f"POST {_S}/end"),
    _c("GET", "/review", "GET /review/workflows"),
    _c("GET", _CW, f"GET {_W}/timeline"),
    _c("POST", f"{_CW}/replay", f"POST {_W}/replay"),
    _c("GET", f"{_CW}/export", f"GET {_W}/export"),
    _c("POST", "/review/replay", "POST /review/replay"),
    _c("GET", "/review/verify", "GET /audit/verify"),
    _c("GET", "/dashboard", allow=ADMINS),
    _c("GET", "/staff", "GET /staff"),
    _c("GET", "/staff/new", "POST /staff"),
    _c("POST", "/staff", "POST /staff"),
    _c("GET", "/staff/{staff_id}/edit", "PUT /staff/{staff_id}"),
    _c("POST", "/staff/{staff_id}", "PUT /staff/{staff_id}"),
    _c("GET", "/policies", "GET /policies"),
    _c("GET", "/policies/new", "POST /policies"),
    _c("POST", "/policies", "POST /policies"),
    _c("GET", "/policies/{policy_id}/edit", "PUT /policies/{policy_id}"),
    _c("POST", "/policies/{policy_id}", "PUT /policies/{policy_id}"),
    _c("GET", "/medication", "GET /medication-schedules"),
    _c("GET", "/medication/new", "POST /medication-schedules"),
    _c("POST", "/medication", "POST /medication-schedules"),
    _c("GET", "/medication/{schedule_id}", "GET /medication-schedules/{schedule_id}"),
    _c("GET", "/medication/{schedule_id}/events", "GET /medication-schedules/{schedule_id}/events"),
    *(_c("POST", f"/medication/{{schedule_id}}/{verb}",
         f"POST /medication-schedules/{{schedule_id}}/{verb}")
      for verb in ("pause", "resume", "stop")),
    _c("POST", "/medication/{schedule_id}/doses/confirm",
       "POST /medication-schedules/{schedule_id}/doses/confirm"),
    _c("GET", "/clinic/{facility_id}", "GET /appointments/facilities/{facility_id}/events"),
    _c("GET", "/clinic/{facility_id}/events", "GET /appointments/facilities/{facility_id}/events"),
    _c("GET", "/patients/{patient_id}", "GET /patients/{patient_id}/updates"),
    _c("GET", "/patients/{patient_id}/updates", "GET /patients/{patient_id}/updates"),
)
CONSOLE_BY_KEY: Mapping[tuple[str, str], ConsoleRoute] = MappingProxyType(
    {route.key: route for route in CONSOLE})
assert len(CONSOLE_BY_KEY) == len(CONSOLE), "one row per console route"
assert all(r.mirrors in BY_KEY for r in CONSOLE if r.mirrors), "a console row mirrors a real row"
