"""The world the permissions matrix calls into, and a valid request for every route in it.

One emergency that paged only the in-scope provider, one monitoring session
with that provider on its care team, a staff entry and a policy to replace. Each
caller's request names something of its own (an idempotency key, an id, a
heart rate), so a refused write can be looked for afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import jwt
from sqlmodel import select

from api.permissions import BY_KEY, V1
from channels.ack_links import AckClaim, ack_token
from cli.stack import Stack
from db.engine import reading
from db.models import AuditEntry, EscalationPolicy, Facility, MonitoringSession, Staff
from services.emergencies import find_by_key
from settings import get_settings
from tests.utils.api import as_user, emergency_body
from tests.utils.callers import PROVIDER, Call, Caller, callers
from tests.utils.monitoring import NORMAL, a_reading, session_body
from tests.utils.records import attempts
from tests.utils.waiting import eventually


@dataclass
class World:
    tag: str
    patient_id: str
    policy_id: str = ""  # pages dr-tan, then dr-kumar, then dr-aziz; WebSocket only
    emergency_id: str = ""
    session_id: str = ""
    staff_id: str = ""  # replaced by PUT /staff/{id}
    put_policy_id: str = ""  # replaced by PUT /policies/{id}
    link: str = ""  # a genuine acknowledge link for dr-tan's page
    numbers: dict[str, int] = field(default_factory=dict)  # caller name -> its own number

    def slug(self, caller: Caller) -> str:
        return f"mx-{self.tag}-{self.numbers[caller.name]}"

    def allowed_readings(self) -> list[int]:
        """The heart rates of the readings the table lets through (JSON and FHIR)."""
        rule_json = BY_KEY["POST", f"{V1}/sessions/{{session_id}}/readings"]
        rule_fhir = BY_KEY["POST", f"{V1}/sessions/{{session_id}}/readings/fhir"]
        return [rate for c in callers(self.patient_id) if c.valid
                for rule, rate in ((rule_json, 50 + self.numbers[c.name]),
                                   (rule_fhir, 100 + self.numbers[c.name]))
                if rule.allows(c.roles, c.scopes)]


def _policy(policy_id: str, targets: list[str]) -> dict[str, Any]:
    return {"id": policy_id, "name": "permissions matrix", "repeat_count": 0,
            "channels": [{"channel": "websocket"}],
            "tiers": [{"name": t, "targets": f"staff:{t}", "ack_timeout_s": 3600} for t in targets]}


def _policy_fields(targets: list[str]) -> dict[str, Any]:
    return {k: v for k, v in _policy("x", targets).items() if k != "id"}


def _staff(name: str) -> dict[str, Any]:
    return {"name": name, "role": "provider", "provider_type": "nurse",
            "facility_id": "vigil-general", "on_call": False}


async def build(stack: Stack) -> World:
    tag = uuid.uuid4().hex[:8]
    w = World(tag=tag, patient_id=f"patient-mx-{tag}")
    w.numbers = {c.name: n for n, c in enumerate(callers(w.patient_id))}
    async with as_user(stack.api_url, "admin-raj", "admin") as admin, \
            as_user(stack.api_url, "coord-lee", "coordinator") as coordinator:
        w.policy_id, w.put_policy_id, w.staff_id = f"mx-{tag}", f"mx-{tag}-put", f"mx-{tag}-put"
        for body in (_policy(w.policy_id, [PROVIDER, "dr-kumar", "dr-aziz"]),
                     _policy(w.put_policy_id, ["dr-kumar"])):
            assert (await admin.post("/policies", json=body)).status_code == 201
        made = await admin.post("/staff", json={"id": w.staff_id, **_staff("before")})
        assert made.status_code == 201, made.text
        raised = await admin.post("/emergencies", json=emergency_body(
            patient_id=w.patient_id, policy_id=w.policy_id))
        assert raised.status_code == 201, raised.text
        w.emergency_id = raised.json()["id"]
        started = await coordinator.post("/sessions", json=session_body(
            patient_id=w.patient_id, care_team=[PROVIDER], viewers=["dr-lim"]))
        assert started.status_code == 201, started.text
        w.session_id = started.json()["id"]
    page = await eventually(lambda: attempts(w.emergency_id, recipient_id=PROVIDER),
                            what="dr-tan paged")
    w.link = ack_token(AckClaim(page[0].id, PROVIDER), secret=get_settings().jwt_secret,
                       ttl_s=600)
    return w


def _observation(patient_id: str, rate: int) -> dict[str, Any]:
    return {"resourceType": "Observation", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
            "subject": {"reference": f"Patient/{patient_id}"},
            "device": {"reference": "Device/mon-1"},
            "effectiveDateTime": (datetime.now(timezone.utc) - timedelta(seconds=1)).isoformat(),
            "valueQuantity": {"value": rate, "unit": "/min", "code": "/min"}}


def _exists(model: type, key: str) -> Callable[[], bool]:
    def probe() -> bool:
        with reading() as session:
            return session.get(model, key) is not None
    return probe


def _named(model: type, key: str, name: str) -> Callable[[], bool]:
    def probe() -> bool:
        with reading() as session:
            row = session.get(model, key)
            return row is not None and row.name == name
    return probe


def _session_for(patient_id: str) -> Callable[[], bool]:
    def probe() -> bool:
        with reading() as session:
            return session.exec(select(MonitoringSession).where(
                MonitoringSession.patient_id == patient_id)).first() is not None
    return probe


def builders(w: World) -> dict[tuple[str, str], Callable[[Caller], Call]]:
    """A valid request for each route of the table, as `caller` would send it."""
    e, s, r = f"{V1}/emergencies/{w.emergency_id}", f"{V1}/sessions/{w.session_id}", f"{V1}/review"
    forged_link = jwt.encode({"att": "x", "sub": PROVIDER, "aud": "x", "exp": 2**31},
                             "not-our-secret-" * 3, algorithm="HS256")
    since = (datetime.now(timezone.utc) - timedelta(minutes=10)).isoformat()
    n = w.numbers
    table: dict[str, Callable[[Caller], Call]] = {
        "POST /emergencies": lambda c: Call("POST", f"{V1}/emergencies", emergency_body(
            idempotency_key=w.slug(c), patient_id=w.patient_id, policy_id=w.policy_id),
            created=lambda: find_by_key(w.slug(c)) is not None),
        "GET /emergencies": lambda c: Call("GET", f"{V1}/emergencies?limit=5"),
        "GET /emergencies/{emergency_id}": lambda c: Call("GET", e),
        "GET /emergencies/{emergency_id}/events": lambda c: Call("GET", f"{e}/events", stream=True),
        "POST /emergencies/{emergency_id}/acknowledge": lambda c: Call(
            "POST", f"{e}/acknowledge", {"via": "web"}),
        "POST /emergencies/{emergency_id}/resolve": lambda c: Call(
            "POST", f"{e}/resolve", {"outcome": "matrix"}),
        "POST /emergencies/{emergency_id}/cancel": lambda c: Call(
            "POST", f"{e}/cancel", {"reason": "matrix"}),
        "POST /emergencies/{emergency_id}/hand-over": lambda c: Call(
            "POST", f"{e}/hand-over", {"to_staff_id": "dr-aziz"}),
        "POST /emergencies/{emergency_id}/escalate": lambda c: Call(
            "POST", f"{e}/escalate", {"reason": "matrix"}),
        "WS /ws": lambda c: Call("WS", f"{V1}/ws"),
        "GET /staff/{staff_id}/inbox": lambda c: Call(
            "GET", f"{V1}/staff/{PROVIDER}/inbox", stream=True),
        "GET /patients/{patient_id}/updates": lambda c: Call(
            "GET", f"{V1}/patients/{w.patient_id}/updates", stream=True),
        "GET /staff": lambda c: Call("GET", f"{V1}/staff"),
        "GET /staff/{staff_id}": lambda c: Call("GET", f"{V1}/staff/{PROVIDER}"),
        "POST /staff": lambda c: Call("POST", f"{V1}/staff", {"id": w.slug(c), **_staff("new")},
                                      created=_exists(Staff, w.slug(c))),
        "PUT /staff/{staff_id}": lambda c: Call(
            "PUT", f"{V1}/staff/{w.staff_id}", _staff(f"put by {c.name}"),
            created=_named(Staff, w.staff_id, f"put by {c.name}")),
        "GET /facilities": lambda c: Call("GET", f"{V1}/facilities"),
        "POST /facilities": lambda c: Call("POST", f"{V1}/facilities",
                                           {"id": w.slug(c), "name": "Matrix clinic"},
                                           created=_exists(Facility, w.slug(c))),
        "GET /policies": lambda c: Call("GET", f"{V1}/policies"),
        "GET /policies/{policy_id}": lambda c: Call("GET", f"{V1}/policies/{w.policy_id}"),
        "POST /policies": lambda c: Call("POST", f"{V1}/policies", _policy(w.slug(c), ["dr-kumar"]),
                                         created=_exists(EscalationPolicy, w.slug(c))),
        "PUT /policies/{policy_id}": lambda c: Call(
            "PUT", f"{V1}/policies/{w.put_policy_id}",
            {**_policy_fields(["dr-kumar"]), "name": f"put by {c.name}"},
            created=_named(EscalationPolicy, w.put_policy_id, f"put by {c.name}")),
        "GET /outbox": lambda c: Call("GET", f"{V1}/outbox?limit=5"),
        "GET /audit": lambda c: Call("GET", f"{V1}/audit?limit=5"),
        "GET /audit/verify": lambda c: Call("GET", f"{V1}/audit/verify"),
        "GET /review/workflows": lambda c: Call("GET", f"{r}/workflows?patient_id={w.patient_id}"),
        "GET /review/workflows/{workflow_id}/history": lambda c: Call(
            "GET", f"{r}/workflows/{w.emergency_id}/history"),
        "GET /review/workflows/{workflow_id}/timeline": lambda c: Call(
            "GET", f"{r}/workflows/{w.emergency_id}/timeline"),
        "GET /review/workflows/{workflow_id}/timeline.html": lambda c: Call(
            "GET", f"{r}/workflows/{w.emergency_id}/timeline.html"),
        "GET /review/workflows/{workflow_id}/export": lambda c: Call(
            "GET", f"{r}/workflows/{w.emergency_id}/export"),
        "POST /review/workflows/{workflow_id}/replay": lambda c: Call(
            "POST", f"{r}/workflows/{w.emergency_id}/replay"),
        "POST /review/replay": lambda c: Call("POST", f"{r}/replay",
                                              {"closed_after": since, "limit": 1}),
        "POST /sessions": lambda c: Call("POST", f"{V1}/sessions", session_body(
            patient_id=w.slug(c), care_team=[PROVIDER]), created=_session_for(w.slug(c))),
        "GET /sessions": lambda c: Call("GET", f"{V1}/sessions?limit=5"),
        "GET /sessions/{session_id}": lambda c: Call("GET", s),
        "POST /sessions/{session_id}/readings": lambda c: Call(
            "POST", f"{s}/readings", a_reading({**NORMAL, "heart_rate": 50 + n[c.name]})),
        "POST /sessions/{session_id}/readings/fhir": lambda c: Call(
            "POST", f"{s}/readings/fhir", _observation(w.patient_id, 100 + n[c.name])),
        "GET /sessions/{session_id}/readings": lambda c: Call("GET", f"{s}/readings"),
        "PUT /sessions/{session_id}/thresholds": lambda c: Call(
            "PUT", f"{s}/thresholds", {"overrides": {"heart_rate_high": 130}, "reason": "matrix"}),
        "POST /sessions/{session_id}/alarms/{key}/acknowledge": lambda c: Call(
            "POST", f"{s}/alarms/news2/acknowledge"),
        "POST /sessions/{session_id}/end": lambda c: Call("POST", f"{s}/end", {"reason": "matrix"}),
        "GET /sessions/{session_id}/events": lambda c: Call("GET", f"{s}/events", stream=True),
        "GET /healthz": lambda c: Call("GET", "/healthz"),
        "GET /readyz": lambda c: Call("GET", "/readyz"),
        "GET /metrics": lambda c: Call("GET", "/metrics"),
        "POST /webhooks/twilio/sms": lambda c: Call("POST", "/webhooks/twilio/sms", data={
            "MessageSid": f"SM{w.slug(c)}", "From": "+60120000000", "Body": "ACK"}),
        "POST /webhooks/twilio/sms-status": lambda c: Call(
            "POST", "/webhooks/twilio/sms-status",
            data={"MessageSid": "SMx", "MessageStatus": "undelivered"}),
        "POST /webhooks/twilio/voice-status": lambda c: Call(
            "POST", "/webhooks/twilio/voice-status", data={"CallSid": "CAx", "CallStatus": "busy"}),
        "POST /webhooks/twilio/voice/gather": lambda c: Call(
            "POST", "/webhooks/twilio/voice/gather?attempt_id=x",
            data={"CallSid": f"CA{w.slug(c)}", "Digits": "1"}),
        "POST /webhooks/sendgrid/events": lambda c: Call(
            "POST", "/webhooks/sendgrid/events", [{"event": "bounce", "attempt_id": "x"}]),
        "GET /ack/{token}": lambda c: Call("GET", f"/ack/{forged_link}"),
        "POST /ack/{token}": lambda c: Call("POST", f"/ack/{forged_link}"),
    }
    found = {}
    for name, make in table.items():
        method, path = name.split(" ", 1)
        found[method, path if path.startswith(("/healthz", "/readyz", "/metrics", "/webhooks",
                                               "/ack")) else V1 + path] = make
    return found


# (command, caller, body, the answer that proves the refusals before it changed nothing)
def steering_steps(w: World) -> list[tuple[str, str, dict[str, Any], int]]:
    return [
        ("escalate", "provider", {"reason": "matrix"}, 200),
        ("escalate", "admin", {"reason": "matrix"}, 200),
        ("acknowledge", "provider", {"via": "web"}, 200),  # no refused acknowledge took it
        ("acknowledge", "admin", {"via": "web"}, 409),
        ("hand-over", "provider", {"to_staff_id": "dr-aziz"}, 200),  # still dr-tan's
        ("hand-over", "admin", {"to_staff_id": PROVIDER}, 200),
        ("resolve", "provider", {"outcome": "matrix"}, 200),  # nobody refused closed it
        ("resolve", "admin", {"outcome": "matrix"}, 409),
        ("cancel", "provider", {"reason": "matrix"}, 409),
        ("cancel", "admin", {"reason": "matrix"}, 409),
    ]


def steering_covers_the_table(w: World, everyone: list[Caller]) -> list[str]:
    """The steps call each command as exactly the callers the table allows."""
    wrong = []
    for verb in ("acknowledge", "resolve", "cancel", "hand-over", "escalate"):
        rule = BY_KEY["POST", f"{V1}/emergencies/{{emergency_id}}/{verb}"]
        allowed = {c.name for c in everyone if c.valid and rule.allows(c.roles, c.scopes)}
        stepped = {name for step, name, _, _ in steering_steps(w) if step == verb}
        if allowed != stepped:
            wrong.append(f"{verb}: table allows {sorted(allowed)}, steps call {sorted(stepped)}")
    return wrong


async def clean_up(http: httpx.AsyncClient, w: World, admin: Caller, coordinator: Caller) -> None:
    """Cancel the emergencies and end the sessions the allowed callers started."""
    for caller in callers(w.patient_id):
        if (row := find_by_key(w.slug(caller))) is not None:
            await http.post(f"{V1}/emergencies/{row.id}/cancel", headers=admin.headers,
                            json={"reason": "test over"})
        with reading() as session:
            started = session.exec(select(MonitoringSession).where(
                MonitoringSession.patient_id == w.slug(caller))).first()
        if started is not None:
            await http.post(f"{V1}/sessions/{started.id}/end", headers=coordinator.headers,
                            json={"reason": "test over"})



def changes_by(subject: str, *actions: str) -> set[tuple[str, str]]:
    """(action, actor) of the recorded changes to `subject` among `actions`."""
    with reading() as session:
        rows = session.exec(select(AuditEntry).where(AuditEntry.subject == subject)).all()
    return {(row.action, row.actor) for row in rows if row.action in actions}
