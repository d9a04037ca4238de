"""The permissions table has one row per route, and each row's roles are the route's real gate.

The live matrix (tests/e2e/test_permissions_matrix.py) calls every route with every
role; this checks, without a server, that the roles a route's `require(...)`
dependency admits are exactly the roles its row names, so a route whose gate is
widened or narrowed without its row fails here first.
"""

from __future__ import annotations

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, APIWebSocketRoute

from api.main import OUTSIDE_ROUTERS, V1_ROUTERS, create_app
from api.permissions import BY_KEY, RULES, STAFF, V1, Access, Rule, Scope
from services.principal import ROLES

# Routes that take any valid token and decide in their own body or service, from the records
# (consent, the patient's own id): the live matrix checks these.
DECIDES_IN_BODY = {("GET", f"{V1}/patients/{{patient_id}}/updates"), ("WS", f"{V1}/ws"),
                   ("GET", f"{V1}/patients"), ("GET", f"{V1}/patients/{{patient_id}}"),
                   ("GET", f"{V1}/patients/{{patient_id}}/consents"),
                   ("POST", f"{V1}/patients/{{patient_id}}/consents"),
                   ("POST", f"{V1}/patients/{{patient_id}}/consents/{{consent_id}}/revoke"),
                   ("GET", f"{V1}/caregivers"), ("GET", f"{V1}/caregivers/{{person_id}}"),
                   ("GET", f"{V1}/appointments"), ("GET", f"{V1}/appointments/{{appointment_id}}"),
                   ("GET", f"{V1}/appointments/{{appointment_id}}/events"),
                   ("GET", f"{V1}/patients/{{patient_id}}/medication-administrations"),
                   *((m, f"{V1}/medication-schedules{path}") for m, path in (
                       ("GET", ""), ("GET", "/{schedule_id}"), ("POST", "/{schedule_id}/doses/confirm"),
                       ("GET", "/{schedule_id}/adherence"), ("GET", "/{schedule_id}/events")))}


def _served() -> dict[tuple[str, str], APIRoute | APIWebSocketRoute]:
    served: dict[tuple[str, str], APIRoute | APIWebSocketRoute] = {}
    for prefix, routers in ((V1, V1_ROUTERS), ("", OUTSIDE_ROUTERS)):
        for router in routers:
            for route in router.routes:
                if isinstance(route, APIWebSocketRoute):
                    served["WS", prefix + route.path] = route
                elif isinstance(route, APIRoute):
                    for method in route.methods:
                        served[method, prefix + route.path] = route
    return served


def _gates(dependant: Dependant) -> list[frozenset[str]]:
    """The role sets of every require(...) dependency a route has, however deep."""
    found = [dependant.call.roles] if hasattr(dependant.call, "roles") else []
    for sub in dependant.dependencies:
        found += _gates(sub)
    return found


def _needs_token(dependant: Dependant) -> bool:
    return any(getattr(sub.call, "__name__", "") == "current_principal" or _needs_token(sub)
               for sub in dependant.dependencies)


def test_every_served_route_has_exactly_one_row() -> None:
    served = set(_served())
    rows = {rule.key for rule in RULES}
    assert served - rows == set(), "add a row to api/permissions.py for each new route"
    assert rows - served == set(), "api/permissions.py names routes the API does not serve"


def test_the_openapi_document_lists_no_route_without_a_row() -> None:
    paths = create_app().openapi()["paths"]
    missing = [(method.upper(), path) for path, ops in paths.items() for method in ops
               if (method.upper(), path) not in BY_KEY]
    assert missing == []


def test_each_rows_roles_are_the_roles_its_route_admits() -> None:
    wrong = {}
    for key, route in _served().items():
        rule = BY_KEY[key]
        if isinstance(route, APIWebSocketRoute) or key in DECIDES_IN_BODY:
            continue
        gates = _gates(route.dependant)
        if rule.access is Access.TOKEN:
            if len(gates) != 1 or gates[0] != rule.gate:
                wrong[key] = (gates, sorted(rule.gate))
        elif gates or _needs_token(route.dependant):
            wrong[key] = ("asks for a token", rule.access)
    assert wrong == {}


def test_family_and_patients_reach_only_what_is_theirs() -> None:
    # Never a route for any subject: only their patient (by consent, or being them), their own
    # record and consent, and the socket carrying their own inbox.
    unconditional = [rule.key for rule in RULES if rule.method != "WS"
                     and {"family", "patient"} & set(rule.allow)]
    assert unconditional == []
    family = {rule.key: rule.scoped["family"] for rule in RULES if "family" in rule.scoped}
    assert family == {("WS", f"{V1}/ws"): Scope.OWN_INBOX,
                      ("GET", f"{V1}/patients/{{patient_id}}/updates"): Scope.CONSENT,
                      ("POST", f"{V1}/patients/{{patient_id}}/consents/{{consent_id}}/revoke"):
                      Scope.OWN_CONSENT,
                      ("GET", f"{V1}/caregivers/{{person_id}}"): Scope.SELF,
                      ("GET", f"{V1}/appointments"): Scope.APPOINTMENT_CONSENT,
                      ("GET", f"{V1}/appointments/{{appointment_id}}"): Scope.APPOINTMENT_CONSENT,
                      **{key: Scope.MEDICATION_CONSENT for key in (
                          ("GET", f"{V1}/medication-schedules"),
                          ("GET", f"{V1}/medication-schedules/{{schedule_id}}"),
                          ("POST", f"{V1}/medication-schedules/{{schedule_id}}/doses/confirm"),
                          ("GET", f"{V1}/medication-schedules/{{schedule_id}}/adherence"),
                          ("GET", f"{V1}/medication-schedules/{{schedule_id}}/events"),
                          ("GET", f"{V1}/patients/{{patient_id}}/medication-administrations"))}}
    assert {rule.scoped["patient"] for rule in RULES if "patient" in rule.scoped} == \
        {Scope.PATIENT_SELF, Scope.OWN_INBOX}


def test_an_auditor_reads_and_never_acts() -> None:
    acts = [rule.key for rule in RULES if "auditor" in rule.gate and rule.method != "GET"
            and rule.access is Access.TOKEN and rule.method != "WS"
            and not rule.path.startswith((f"{V1}/review/", f"{V1}/audit/"))]
    # Replaying for review and witnessing the chain's head change nothing clinical.
    assert acts == [], "an auditor may only read"


def test_the_rows_say_who_in_words() -> None:
    row = Rule("POST", "/x", "x", "api", ("admin",), {"provider": Scope.PAGED})
    assert row.who() == "admin; provider if paged for it"
    assert row.allows(["provider"], {Scope.PAGED}) and not row.allows(["provider"])
    assert not row.allows(["family", "auditor"], set(Scope))
    assert Rule("GET", "/y", "y", "api", STAFF).who() == "staff"
    assert set(ROLES) >= {role for rule in RULES for role in rule.gate}
