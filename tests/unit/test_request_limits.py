"""Which budget a request spends: the routes that raise or answer an alarm are never ordinary."""

from __future__ import annotations

import pytest

from api.limits import route_class


@pytest.mark.parametrize(("method", "path", "kind"), [
    ("POST", "/api/v1/emergencies", "incident"),
    ("POST", "/api/v1/emergencies/emergency-1/acknowledge", "incident"),
    ("POST", "/api/v1/emergencies/emergency-1/escalate", "incident"),
    ("POST", "/api/v1/emergencies/emergency-1/hand-over", "incident"),
    ("POST", "/api/v1/sessions/session-1/alarms/news2/acknowledge", "incident"),
    ("GET", "/ack/signed-token", "incident"),
    ("POST", "/ack/signed-token", "incident"),
    ("POST", "/api/v1/sessions/session-1/readings", "exempt"),
    ("POST", "/api/v1/sessions/session-1/readings/fhir", "exempt"),
    ("POST", "/webhooks/twilio/sms", "exempt"),
    ("GET", "/readyz", "exempt"),
    ("GET", "/api/v1/emergencies", "general"),
    ("GET", "/api/v1/emergencies/emergency-1", "general"),
    ("GET", "/api/v1/sessions/session-1/readings", "general"),
    ("POST", "/api/v1/policies", "general"),
    ("GET", "/api/v1/staff/dr-tan/inbox", "general"),
])
def test_route_class(method: str, path: str, kind: str) -> None:
    assert route_class(method, path) == kind
