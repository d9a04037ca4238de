"""The world the permissions matrix calls into: what each scoped row's subject is.

One emergency that paged only the in-scope provider, one monitoring session
with that provider on its care team, a patient who has consented to one
caregiver, a facility of the matrix's own with a staff entry and an on-call
schedule (so no rota elsewhere changes who other tests page), a policy to replace.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
from sqlmodel import select

from api.permissions import BY_KEY, V1
from channels.ack_links import AckClaim, ack_token
from cli.stack import Stack
from db.engine import reading
from db.models import AuditEntry, MonitoringSession
from services.emergencies import find_by_key
from settings import get_settings
from tests.utils.api import as_user, emergency_body
from tests.utils.callers import PROVIDER, Caller, callers
from tests.utils.monitoring import session_body
from tests.utils.records import attempts
from tests.utils.waiting import eventually


def medication_body(patient_id: str) -> dict[str, Any]:
    start = (datetime.now(timezone.utc) + timedelta(days=2)).date().isoformat()
    return {"patient_id": patient_id,
            "medications": [{"id": "m1", "name": "Metformin", "dose": "500 mg"}],
            "schedule": {"start_date": start, "times": ["08:00", "20:00"]},
            "preferences": {"zone": "Asia/Kuala_Lumpur", "language": "en"}}


def appointment_body(patient_id: str) -> dict[str, Any]:
    start = datetime.now(timezone.utc) + timedelta(days=3)
    return {"patient_id": patient_id, "provider_id": "dr-lim", "facility_id": "vigil-general",
            "department": "Cardiology clinic", "room": "3", "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(minutes=30)).isoformat()}


@dataclass
class World:
    tag: str
    patient_id: str
    caregiver_id: str  # consented to: emergencies and monitoring
    grantee_id: str = ""  # the caregiver the allowed grants name
    consent_id: str = ""
    policy_id: str = ""  # pages dr-tan, then dr-kumar, then dr-aziz; WebSocket only
    emergency_id: str = ""
    session_id: str = ""
    facility_id: str = ""
    staff_id: str = ""  # at the matrix's facility; replaced by PUT /staff/{id}
    put_policy_id: str = ""  # replaced by PUT /policies/{id}
    schedule_id: str = ""
    layer_id: str = ""  # replaced by PUT
    layer_to_delete: str = ""
    override_to_delete: str = ""
    swap_to_accept: str = ""  # both ask dr-tan (PROVIDER) to cover the put-me member's time
    swap_to_decline: str = ""
    link: str = ""  # a genuine acknowledge link for dr-tan's page
    webhook_endpoint_id: str = ""
    appointment_id: str = ""
    medication_id: str = ""
    numbers: dict[str, int] = field(default_factory=dict)  # caller name -> its own number

    def everyone(self) -> list[Caller]:
        return callers(self.patient_id, self.caregiver_id)

    def slug(self, caller: Caller, kind: str = "mx") -> str:
        """An id of this caller's own (person ids are one namespace: `kind` keeps them apart)."""
        return f"{kind}-{self.tag}-{self.numbers[caller.name]}"

    def allowed_readings(self) -> list[int]:
        """The heart rates of the readings the table lets through (JSON and FHIR)."""
        rule_json = BY_KEY["POST", f"{V1}/sessions/{{session_id}}/readings"]
        rule_fhir = BY_KEY["POST", f"{V1}/sessions/{{session_id}}/readings/fhir"]
        return [rate for c in self.everyone() if c.valid
                for rule, rate in ((rule_json, 50 + self.numbers[c.name]),
                                   (rule_fhir, 100 + self.numbers[c.name]))
                if rule.allows(c.roles, c.scopes)]


def policy(policy_id: str, targets: list[str]) -> dict[str, Any]:
    return {"id": policy_id, "name": "permissions matrix", "repeat_count": 0,
            "channels": [{"channel": "websocket"}],
            "tiers": [{"name": t, "targets": f"staff:{t}", "ack_timeout_s": 3600} for t in targets]}


def staff(name: str, facility_id: str) -> dict[str, Any]:
    return {"name": name, "role": "provider", "provider_type": "nurse",
            "facility_id": facility_id, "on_call": False}


def layer(name: str, member: str, priority: int) -> dict[str, Any]:
    """A weekly rotation; a schedule's layers each have their own priority."""
    return {"name": name, "members": [member], "rotation_start": "2026-01-05T08:00:00",
            "turn": "weekly", "priority": priority, "reason": "matrix"}


def override(person: str, reason: str) -> dict[str, Any]:
    start = datetime.now(timezone.utc) + timedelta(days=1)
    return {"person": person, "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=8)).isoformat(), "reason": reason}


def swap(colleague: str, days: int, reason: str = "matrix") -> dict[str, Any]:
    """A swap of an hour `days` from now (clear of the matrix's other overrides)."""
    start = datetime.now(timezone.utc) + timedelta(days=days)
    return {"colleague": colleague, "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=1)).isoformat(), "reason": reason}


def rota_file(person: str, days: int, reason: str) -> dict[str, Any]:
    """An import body: one event putting `person` on for an hour `days` from now."""
    start = (datetime.now(timezone.utc) + timedelta(days=days)).strftime("%Y%m%dT%H%M%SZ")
    end = (datetime.now(timezone.utc) + timedelta(days=days, hours=1)).strftime("%Y%m%dT%H%M%SZ")
    calendar = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//matrix//EN\r\nBEGIN:VEVENT\r\n"
                f"UID:{reason}\r\nDTSTART:{start}\r\nDTEND:{end}\r\n"
                f"ATTENDEE:urn:vigil:staff:{person}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    return {"calendar": calendar, "reason": reason}


async def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    return response.json()


async def build(stack: Stack) -> World:
    tag = uuid.uuid4().hex[:8]
    w = World(tag=tag, patient_id=f"pt-mx-{tag}", caregiver_id=f"cg-mx-{tag}",
              grantee_id=f"cg-mx-{tag}-2", facility_id=f"mx-{tag}", policy_id=f"mx-{tag}",
              put_policy_id=f"mx-{tag}-put", staff_id=f"mx-{tag}-put", schedule_id=f"mx-{tag}")
    w.numbers = {c.name: n for n, c in enumerate(w.everyone())}
    async with as_user(stack.api_url, "admin-raj", "admin") as admin, \
            as_user(stack.api_url, "coord-lee", "coordinator") as coordinator:
        await _ok(await admin.post("/facilities", json={"id": w.facility_id, "name": "Matrix"}))
        for body in (policy(w.policy_id, [PROVIDER, "dr-kumar", "dr-aziz"]),
                     policy(w.put_policy_id, ["dr-kumar"])):
            await _ok(await admin.post("/policies", json=body))
        await _ok(await admin.post("/staff", json={"id": w.staff_id,
                                                   **staff("before", w.facility_id)}))
        await _ok(await coordinator.post("/patients", json={
            "id": w.patient_id, "name": "Matrix Patient", "time_zone": "Asia/Kuala_Lumpur"}))
        for person in (w.caregiver_id, w.grantee_id):
            await _ok(await coordinator.post("/caregivers", json={
                "id": person, "name": "Matrix Family", "relationship": "daughter"}))
        w.consent_id = (await _ok(await coordinator.post(
            f"/patients/{w.patient_id}/consents", json={
                "person_id": w.caregiver_id, "scopes": ["emergencies", "monitoring"],
                "reason": "matrix: the patient asked"})))["id"]
        schedule = await _ok(await coordinator.post("/schedules", json={
            "id": w.schedule_id, "name": "Matrix rota", "facility_id": w.facility_id,
            "time_zone": "Asia/Kuala_Lumpur",
            "layers": [layer("put me", w.staff_id, 0), layer("delete me", w.staff_id, 1)]}))
        w.layer_id, w.layer_to_delete = (layer_row["id"] for layer_row in schedule["layers"])
        with_override = await _ok(await coordinator.post(
            f"/schedules/{w.schedule_id}/overrides", json=override(w.staff_id, "delete me")))
        w.override_to_delete = with_override["overrides"][0]["id"]
        async with as_user(stack.api_url, w.staff_id, "provider") as member:
            w.swap_to_accept, w.swap_to_decline = [(await _ok(await member.post(
                f"/schedules/{w.schedule_id}/swaps", json=swap(PROVIDER, days))))["id"]
                for days in (30, 32)]
        w.webhook_endpoint_id = (await _ok(await admin.post("/webhook-endpoints", json={
            "url": "http://127.0.0.1:9/matrix", "event_types": ["emergency.created"],
            "enabled": False})))["id"]
        w.medication_id = (await _ok(await coordinator.post(
            "/medication-schedules", json=medication_body(w.patient_id))))["id"]
        w.appointment_id = (await _ok(await admin.post(
            "/appointments", json=appointment_body(w.patient_id))))["id"]
        raised = await _ok(await admin.post("/emergencies", json=emergency_body(
            patient_id=w.patient_id, policy_id=w.policy_id)))
        w.emergency_id = raised["id"]
        started = await _ok(await coordinator.post("/sessions", json=session_body(
            patient_id=w.patient_id, care_team=[PROVIDER], viewers=["dr-lim"])))
        w.session_id = started["id"]
    page = await eventually(lambda: attempts(w.emergency_id, recipient_id=PROVIDER),
                            what="dr-tan paged")
    w.link = ack_token(AckClaim(page[0].id, PROVIDER), secret=get_settings().jwt_secret,
                       ttl_s=600)
    return w


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
    for caller in w.everyone():
        if (row := find_by_key(w.slug(caller))) is not None:
            await http.post(f"{V1}/emergencies/{row.id}/cancel", headers=admin.headers,
                            json={"reason": "test over"})
        with reading() as session:
            started = session.exec(select(MonitoringSession).where(
                MonitoringSession.patient_id == w.slug(caller, "sp"))).first()
        if started is not None:
            await http.post(f"{V1}/sessions/{started.id}/end", headers=coordinator.headers,
                            json={"reason": "test over"})



def changes_by(subject: str, *actions: str) -> set[tuple[str, str]]:
    """(action, actor) of the recorded changes to `subject` among `actions`."""
    with reading() as session:
        rows = session.exec(select(AuditEntry).where(AuditEntry.subject == subject)).all()
    return {(row.action, row.actor) for row in rows if row.action in actions}
