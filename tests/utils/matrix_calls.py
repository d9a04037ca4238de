"""A valid request for every route of the permissions table, as each caller would send it.

Each request names something of the caller's own (an idempotency key, an id, a
heart rate, a name), so a refused write can be looked for afterwards: `created`
says whether it left a trace.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import jwt
from sqlmodel import select

from api.permissions import V1
from db.engine import reading
from db.models import (
    Appointment,
    AuditEntry,
    Caregiver,
    Consent,
    EscalationPolicy,
    Facility,
    MedicationSchedule,
    MonitoringSession,
    OnCallLayer,
    OnCallOverride,
    OnCallSchedule,
    OnCallSwap,
    Patient,
    RamadanDates,
    Staff,
    WebhookEndpoint,
)
from clinical.ramadan import ramadan_bounds
from services.emergencies import find_by_key
from tests.utils.api import emergency_body
from tests.utils.callers import PROVIDER, Call, Caller
from tests.utils.matrix_world import (
    World,
    appointment_body,
    layer,
    medication_body,
    override,
    policy,
    rota_file,
    staff,
    swap,
)
from tests.utils.medication_fhir import medication_request
from tests.utils.monitoring import NORMAL, a_reading, session_body

OUTSIDE = ("/healthz", "/readyz", "/metrics", "/openapi.json", "/docs", "/webhooks", "/ack",
           "/calendar")


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
    forged_feed = jwt.encode({"sub": f"schedule:{w.schedule_id}", "aud": "vigil:calendar-feed",
                              "exp": 2**31}, "not-our-secret-" * 3, algorithm="HS256")
    since = (datetime.now(timezone.utc) - timedelta(minutes=10)).isoformat()
    n = w.numbers
    table: dict[str, Callable[[Caller], Call]] = {
        "POST /emergencies": lambda c: Call("POST", f"{V1}/emergencies", emergency_body(
            idempotency_key=w.slug(c), patient_id=w.patient_id, policy_id=w.policy_id),
            created=lambda: find_by_key(w.slug(c)) is not None),
        "GET /emergencies": lambda c: Call("GET", f"{V1}/emergencies?limit=5"),
        "GET /emergencies/{emergency_id}": lambda c: Call("GET", e),
        "GET /emergencies/{emergency_id}/events": lambda c: Call(
            "GET", f"{e}/events", stream=True),
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
        "POST /staff": lambda c: Call("POST", f"{V1}/staff",
                                      {"id": w.slug(c), **staff("new", w.facility_id)},
                                      created=_exists(Staff, w.slug(c))),
        "PUT /staff/{staff_id}": lambda c: Call(
            "PUT", f"{V1}/staff/{w.staff_id}", staff(f"put by {c.name}", w.facility_id),
            created=_named(Staff, w.staff_id, f"put by {c.name}")),
        "GET /facilities": lambda c: Call("GET", f"{V1}/facilities"),
        "POST /facilities": lambda c: Call("POST", f"{V1}/facilities",
                                           {"id": w.slug(c), "name": "Matrix clinic"},
                                           created=_exists(Facility, w.slug(c))),
        "GET /policies": lambda c: Call("GET", f"{V1}/policies"),
        "GET /policies/{policy_id}": lambda c: Call("GET", f"{V1}/policies/{w.policy_id}"),
        "POST /policies": lambda c: Call("POST", f"{V1}/policies", policy(w.slug(c), ["dr-kumar"]),
                                         created=_exists(EscalationPolicy, w.slug(c))),
        "PUT /policies/{policy_id}": lambda c: Call(
            "PUT", f"{V1}/policies/{w.put_policy_id}",
            {**_without_id(policy("x", ["dr-kumar"])), "name": f"put by {c.name}"},
            created=_named(EscalationPolicy, w.put_policy_id, f"put by {c.name}")),
        "GET /outbox": lambda c: Call("GET", f"{V1}/outbox?limit=5"),
        "GET /audit": lambda c: Call("GET", f"{V1}/audit?limit=5"),
        "GET /audit/verify": lambda c: Call("GET", f"{V1}/audit/verify"),
        "POST /audit/checkpoints": lambda c: Call("POST", f"{V1}/audit/checkpoints"),
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
            patient_id=w.slug(c, "sp"), care_team=[PROVIDER]),
            created=_session_for(w.slug(c, "sp"))),
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
        "GET /openapi.json": lambda c: Call("GET", "/openapi.json"),
        "GET /docs": lambda c: Call("GET", "/docs"),
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
        "GET /calendar/{token}.ics": lambda c: Call("GET", f"/calendar/{forged_feed}.ics"),
        "GET /ack/{token}": lambda c: Call("GET", f"/ack/{forged_link}"),
        "POST /ack/{token}": lambda c: Call("POST", f"/ack/{forged_link}"),
        "GET /ack/appointment/{token}": lambda c: Call("GET", f"/ack/appointment/{forged_link}"),
        "POST /ack/appointment/{token}": lambda c: Call(
            "POST", f"/ack/appointment/{forged_link}", data={"answer": "confirm"}),
    }
    table.update(_people(w))
    table.update(_schedules(w))
    table.update(_webhook_endpoints(w))
    table.update(_appointments(w))
    table.update(_medication(w))
    found = {}
    for name, make in table.items():
        method, path = name.split(" ", 1)
        found[method, path if path.startswith(OUTSIDE) else V1 + path] = make
    return found


def _without_id(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "id"}


def _granted_with(w: World, reason: str) -> Callable[[], bool]:
    def probe() -> bool:
        with reading() as session:
            return session.exec(select(Consent).where(
                Consent.person_id == w.grantee_id, Consent.reason == reason)).first() is not None
    return probe


def _consent_revoked(consent_id: str) -> Callable[[], bool]:
    def probe() -> bool:
        with reading() as session:
            consent = session.get(Consent, consent_id)
            return consent is None or consent.revoked_at is not None
    return probe


def _layer_named(schedule_id: str, name: str) -> Callable[[], bool]:
    def probe() -> bool:
        with reading() as session:
            return session.exec(select(OnCallLayer).where(
                OnCallLayer.schedule_id == schedule_id,
                OnCallLayer.name == name)).first() is not None
    return probe


def _gone(model: type, key: str) -> Callable[[], bool]:
    def probe() -> bool:
        with reading() as session:
            return session.get(model, key) is None
    return probe


def _override_for(schedule_id: str, reason: str) -> Callable[[], bool]:
    def probe() -> bool:
        with reading() as session:
            return session.exec(select(OnCallOverride).where(
                OnCallOverride.schedule_id == schedule_id,
                OnCallOverride.reason == reason)).first() is not None
    return probe


def _swap_for(schedule_id: str, reason: str) -> Callable[[], bool]:
    def probe() -> bool:
        with reading() as session:
            return session.exec(select(OnCallSwap).where(
                OnCallSwap.schedule_id == schedule_id, OnCallSwap.reason == reason)).first() \
                is not None
    return probe


def _swap_decided(swap_id: str) -> Callable[[], bool]:
    def probe() -> bool:
        with reading() as session:
            row = session.get(OnCallSwap, swap_id)
            return row is not None and row.status != "requested"
    return probe


def _webhook_endpoints(w: World) -> dict[str, Callable[[Caller], Call]]:
    e = f"{V1}/webhook-endpoints/{w.webhook_endpoint_id}"
    return {
        "POST /webhook-endpoints": lambda c: Call("POST", f"{V1}/webhook-endpoints", {
            "url": f"http://127.0.0.1:9/{w.slug(c)}", "event_types": ["emergency.created"],
            "enabled": False}, created=_endpoint_for(f"http://127.0.0.1:9/{w.slug(c)}")),
        "GET /webhook-endpoints": lambda c: Call("GET", f"{V1}/webhook-endpoints"),
        "GET /webhook-endpoints/{endpoint_id}": lambda c: Call("GET", e),
        "PATCH /webhook-endpoints/{endpoint_id}": lambda c: Call(
            "PATCH", e, {"url": f"http://127.0.0.1:9/patched-{w.slug(c)}"},
            created=_endpoint_for(f"http://127.0.0.1:9/patched-{w.slug(c)}")),
        "POST /webhook-endpoints/{endpoint_id}/rotate-secret": lambda c: Call(
            "POST", f"{e}/rotate-secret", {"overlap_s": 0}),
        "GET /webhook-endpoints/{endpoint_id}/deliveries": lambda c: Call("GET", f"{e}/deliveries"),
        "POST /webhook-endpoints/{endpoint_id}/replay": lambda c: Call(
            "POST", f"{e}/replay", {"since": "2000-01-01T00:00:00Z"}),
    }


def _appointments(w: World) -> dict[str, Callable[[Caller], Call]]:
    a = f"{V1}/appointments/{w.appointment_id}"
    fhir = {"resourceType": "Appointment", "status": "booked"}  # too little: a 422 when allowed
    return {
        "POST /appointments": lambda c: Call("POST", f"{V1}/appointments",
                                             {**appointment_body(w.patient_id), "room": w.slug(c)},
                                             created=_appointment_in(w.slug(c))),
        "POST /appointments/fhir": lambda c: Call("POST", f"{V1}/appointments/fhir", fhir),
        "PUT /appointments/{appointment_id}/fhir": lambda c: Call("PUT", f"{a}/fhir", fhir),
        "GET /appointments": lambda c: Call("GET", f"{V1}/appointments?patient_id={w.patient_id}"),
        "GET /appointments/{appointment_id}": lambda c: Call("GET", a),
        "POST /appointments/{appointment_id}/updates": lambda c: Call(
            "POST", f"{a}/updates", {"type": "room_change", "room": f"r-{w.slug(c)}"},
            created=_appointment_in(f"r-{w.slug(c)}")),
        "POST /appointments/{appointment_id}/reply": lambda c: Call(
            "POST", f"{a}/reply", {"answer": "confirm"},
            created=_audited(w.appointment_id, "appointment.patient_confirmed", _sub(c))),
        "GET /appointments/{appointment_id}/events": lambda c: Call("GET", f"{a}/events",
                                                                    stream=True),
        "GET /appointments/facilities/{facility_id}/events": lambda c: Call(
            "GET", f"{V1}/appointments/facilities/vigil-general/events", stream=True),
    }


def _medication(w: World) -> dict[str, Callable[[Caller], Call]]:
    m = f"{V1}/medication-schedules/{w.medication_id}"
    return {
        "POST /medication-schedules": lambda c: Call("POST", f"{V1}/medication-schedules",
                                                     medication_body(w.patient_id)),
        "GET /medication-schedules": lambda c: Call(
            "GET", f"{V1}/medication-schedules?patient_id={w.patient_id}"),
        "GET /medication-schedules/{schedule_id}": lambda c: Call("GET", m),
        "POST /medication-schedules/{schedule_id}/doses/confirm": lambda c: Call(
            "POST", f"{m}/doses/confirm", {"dose_id": "2020-01-01T08:00", "outcome": "taken"}),
        "POST /medication-schedules/{schedule_id}/pause": lambda c: Call(
            "POST", f"{m}/pause", {"reason": "matrix"}),
        "POST /medication-schedules/{schedule_id}/resume": lambda c: Call("POST", f"{m}/resume"),
        "PUT /medication-schedules/{schedule_id}": lambda c: Call(
            "PUT", m, {"schedule": medication_body(w.patient_id)["schedule"], "reason": "matrix"}),
        "POST /medication-schedules/{schedule_id}/stop": lambda c: Call("POST", f"{m}/stop"),
        "GET /medication-schedules/{schedule_id}/adherence": lambda c: Call(
            "GET", f"{m}/adherence"),
        "GET /medication-schedules/{schedule_id}/events": lambda c: Call(
            "GET", f"{m}/events", stream=True),
        "POST /medication-schedules/fhir": lambda c: Call(
            "POST", f"{V1}/medication-schedules/fhir",
            medication_request(w.patient_id, w.slug(c)),
            created=_schedule_with(w.patient_id, w.slug(c))),
        "GET /patients/{patient_id}/medication-administrations": lambda c: Call(
            "GET", f"{V1}/patients/{w.patient_id}/medication-administrations"),
        "GET /ramadan-calendar": lambda c: Call("GET", f"{V1}/ramadan-calendar"),
        # 1497's computed dates, so an allowed call changes no one's reminders.
        "PUT /ramadan-calendar/{hijri_year}": lambda c: Call(
            "PUT", f"{V1}/ramadan-calendar/1497", {
                "first_day": ramadan_bounds(1497)[0].isoformat(),
                "last_day": ramadan_bounds(1497)[1].isoformat(), "note": w.slug(c)},
            created=_ramadan_noted(1497, w.slug(c))),
        "DELETE /ramadan-calendar/{hijri_year}": lambda c: Call(
            "DELETE", f"{V1}/ramadan-calendar/1498"),  # never set: allowed is a 404
    }


def _sub(caller: Caller) -> str | None:
    """Whom the caller's token names (read, not trusted: only to look for their trace)."""
    if not caller.bearer:
        return None
    return jwt.decode(caller.bearer, options={"verify_signature": False}).get("sub")


def _audited(subject: str, action: str, actor: str | None) -> Callable[[], bool]:
    """Whether `actor` left this audit entry on `subject`."""
    def probe() -> bool:
        with reading() as session:
            return session.exec(select(AuditEntry).where(
                AuditEntry.subject == subject, AuditEntry.action == action,
                AuditEntry.actor == actor)).first() is not None
    return probe


def _schedule_with(patient_id: str, medicine_id: str) -> Callable[[], bool]:
    def probe() -> bool:
        with reading() as session:
            rows = session.exec(select(MedicationSchedule).where(
                MedicationSchedule.patient_id == patient_id)).all()
        return any(m["id"] == medicine_id for r in rows for m in r.medications)
    return probe


def _ramadan_noted(hijri_year: int, note: str) -> Callable[[], bool]:
    def probe() -> bool:
        with reading() as session:
            row = session.get(RamadanDates, hijri_year)
        return row is not None and row.note == note
    return probe


def _appointment_in(room: str) -> Callable[[], bool]:
    def probe() -> bool:
        with reading() as session:
            return session.exec(select(Appointment).where(Appointment.room == room)).first() \
                is not None
    return probe


def _endpoint_for(url: str) -> Callable[[], bool]:
    def probe() -> bool:
        with reading() as session:
            return session.exec(select(WebhookEndpoint).where(
                WebhookEndpoint.url == url)).first() is not None
    return probe


def _people(w: World) -> dict[str, Callable[[Caller], Call]]:
    p = f"{V1}/patients/{w.patient_id}"
    return {
        "POST /patients": lambda c: Call("POST", f"{V1}/patients", {
            "id": w.slug(c, "pt"), "name": "New Patient", "time_zone": "Asia/Kuala_Lumpur"},
            created=_exists(Patient, w.slug(c, "pt"))),
        "GET /patients": lambda c: Call("GET", f"{V1}/patients?limit=5"),
        "GET /patients/{patient_id}": lambda c: Call("GET", p),
        "PATCH /patients/{patient_id}": lambda c: Call(
            "PATCH", p, {"name": f"patched by {c.name}", "reason": "matrix"},
            created=_named(Patient, w.patient_id, f"patched by {c.name}")),
        "GET /patients/{patient_id}/consents": lambda c: Call("GET", f"{p}/consents"),
        "POST /patients/{patient_id}/consents": lambda c: Call("POST", f"{p}/consents", {
            "person_id": w.grantee_id, "scopes": ["emergencies"], "reason": f"by {c.name}"},
            created=_granted_with(w, f"by {c.name}")),
        "POST /patients/{patient_id}/consents/{consent_id}/revoke": lambda c: Call(
            "POST", f"{p}/consents/{w.consent_id}/revoke", {"reason": "matrix revoke"},
            created=_consent_revoked(w.consent_id)),
        "POST /caregivers": lambda c: Call("POST", f"{V1}/caregivers", {
            "id": w.slug(c, "cg"), "name": "New Family", "relationship": "son"},
            created=_exists(Caregiver, w.slug(c, "cg"))),
        "GET /caregivers": lambda c: Call("GET", f"{V1}/caregivers?limit=5"),
        "GET /caregivers/{person_id}": lambda c: Call("GET", f"{V1}/caregivers/{w.caregiver_id}"),
    }


def _schedules(w: World) -> dict[str, Callable[[Caller], Call]]:
    sc = f"{V1}/schedules/{w.schedule_id}"
    return {
        "GET /schedules": lambda c: Call("GET", f"{V1}/schedules?facility_id={w.facility_id}"),
        "POST /schedules": lambda c: Call("POST", f"{V1}/schedules", {
            "id": w.slug(c, "sc"), "name": "New rota", "facility_id": w.facility_id,
            "time_zone": "Asia/Kuala_Lumpur"}, created=_exists(OnCallSchedule, w.slug(c, "sc"))),
        "GET /schedules/{schedule_id}": lambda c: Call("GET", sc),
        "POST /schedules/{schedule_id}/layers": lambda c: Call(
            "POST", f"{sc}/layers", layer(f"added by {c.name}", w.staff_id, 10 + w.numbers[c.name]),
            created=_layer_named(w.schedule_id, f"added by {c.name}")),
        "PUT /schedules/{schedule_id}/layers/{layer_id}": lambda c: Call(
            "PUT", f"{sc}/layers/{w.layer_id}", layer(f"put by {c.name}", w.staff_id, 0),
            created=_named(OnCallLayer, w.layer_id, f"put by {c.name}")),
        "DELETE /schedules/{schedule_id}/layers/{layer_id}": lambda c: Call(
            "DELETE", f"{sc}/layers/{w.layer_to_delete}?reason=matrix",
            created=_gone(OnCallLayer, w.layer_to_delete)),
        "POST /schedules/{schedule_id}/overrides": lambda c: Call(
            "POST", f"{sc}/overrides", override(w.staff_id, f"by {c.name}"),
            created=_override_for(w.schedule_id, f"by {c.name}")),
        "DELETE /schedules/{schedule_id}/overrides/{override_id}": lambda c: Call(
            "DELETE", f"{sc}/overrides/{w.override_to_delete}?reason=matrix",
            created=_gone(OnCallOverride, w.override_to_delete)),
        "GET /schedules/{schedule_id}/on-call": lambda c: Call("GET", f"{sc}/on-call"),
        "GET /schedules/{schedule_id}/shifts": lambda c: Call("GET", f"{sc}/shifts"),
        "GET /schedules/{schedule_id}/calendar.ics": lambda c: Call("GET", f"{sc}/calendar.ics"),
        "GET /schedules/{schedule_id}/calendar-link": lambda c: Call(
            "GET", f"{sc}/calendar-link"),
        "POST /schedules/{schedule_id}/import": lambda c: Call(
            "POST", f"{sc}/import", rota_file(w.staff_id, 40 + w.numbers[c.name],
                                              f"import by {c.name}"),
            created=_override_for(w.schedule_id, f"import by {c.name}")),
        "GET /schedules/{schedule_id}/swaps": lambda c: Call("GET", f"{sc}/swaps"),
        "POST /schedules/{schedule_id}/swaps": lambda c: Call(
            "POST", f"{sc}/swaps", swap(w.staff_id, 60 + w.numbers[c.name], f"swap by {c.name}"),
            created=_swap_for(w.schedule_id, f"swap by {c.name}")),
        "POST /schedules/{schedule_id}/swaps/{swap_id}/accept": lambda c: Call(
            "POST", f"{sc}/swaps/{w.swap_to_accept}/accept", {"reason": f"by {c.name}"},
            created=_swap_decided(w.swap_to_accept)),
        "POST /schedules/{schedule_id}/swaps/{swap_id}/decline": lambda c: Call(
            "POST", f"{sc}/swaps/{w.swap_to_decline}/decline", {"reason": f"by {c.name}"},
            created=_swap_decided(w.swap_to_decline)),
        "GET /on-call/people/{staff_id}/calendar-link": lambda c: Call(
            "GET", f"{V1}/on-call/people/{PROVIDER}/calendar-link"),
        "GET /on-call": lambda c: Call("GET", f"{V1}/on-call?facility_id={w.facility_id}"),
        "GET /on-call/people/{staff_id}/shifts": lambda c: Call(
            "GET", f"{V1}/on-call/people/{w.staff_id}/shifts"),
    }


