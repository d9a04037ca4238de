"""SPEC §3a on the running stack: patients and caregivers in the directory, consent from records,
revocation at once, and pages reaching a patient through the one delivery path."""

from __future__ import annotations

import asyncio
import json
import uuid

import httpx
import pytest
from sqlmodel import col, select
from temporalio.testing import ActivityEnvironment

from activities.delivery import DeliveryActivities
from activities.delivery_types import DeliveryRequest
from activities.recipients import forget_push_token
from channels.local import OutboxChannel, WebSocketChannel
from db.engine import reading, writing
from db.models import Caregiver, DeliveryAttempt, OutboxMessage
from tests.utils import monitoring
from tests.utils.api import as_user
from tests.utils.live import next_frame, sse_events, staff_socket
from tests.utils.monitoring import NEWS2_5, a_reading, feed
from tests.utils.people import authorise
from tests.utils.records import audit_entry
from tests.utils.waiting import eventually

pytestmark = pytest.mark.e2e
coordinator, open_session = monitoring.coordinator, monitoring.open_session  # fixtures


def a_patient(**overrides: object) -> dict:
    body = {"id": f"patient-{uuid.uuid4().hex[:8]}", "name": "Siti Hajar", "language": "ms",
            "time_zone": "Asia/Kuala_Lumpur", "phone": "+60123456789",
            "home": {"latitude": 3.157, "longitude": 101.712},
            "preferences": {"quiet_hours": {"start": "22:30", "end": "06:30"},
                            "prayer": {"enabled": True, "adjustments": {"maghrib": 2}},
                            "ramadan_mode": True, "halal_only": True}}
    body.update(overrides)
    return body


async def opening(client: httpx.AsyncClient, path: str) -> int:
    """The status a stream opens with (without waiting for a body that may never end)."""
    async with client.stream("GET", path) as response:
        return response.status_code


async def test_patients_are_kept_with_their_preferences_and_bad_input_names_the_field(
        coordinator: httpx.AsyncClient) -> None:
    created = await coordinator.post("/patients", json=a_patient())
    assert created.status_code == 201, created.text
    patient = created.json()
    prayer = patient["preferences"]["prayer"]
    assert prayer["method"] == {"name": "JAKIM", "fajr_angle": 18.0, "isha_angle": 18.0,
                                "asr": "shafii"}, "JAKIM is the default method"
    assert prayer["adjustments"]["maghrib"] == 2 and patient["preferences"]["halal_only"]

    changed = await coordinator.patch(f"/patients/{patient['id']}", json={
        "language": "en", "reason": "patient prefers English"})
    assert changed.status_code == 200 and changed.json()["language"] == "en"
    assert changed.json()["preferences"] == patient["preferences"], "untouched fields kept"
    assert audit_entry(patient["id"], "patient.changed").detail["reason"] == "patient prefers English"
    read = await coordinator.get(f"/patients/{patient['id']}")
    assert read.json()["language"] == "en"
    assert audit_entry(patient["id"], "patient_data.read").actor == "coord-lee"

    refused = {
        "body.time_zone": a_patient(time_zone="Mars/Olympus_Mons"),
        "body.language": a_patient(language="fr"),
        "body.phone": a_patient(phone="0123456789"),
        "body.home": a_patient(home=None),  # prayer times need a home
        "body.preferences.prayer.adjustments.fajr": a_patient(
            preferences={"prayer": {"enabled": True, "adjustments": {"fajr": 90}}}),
        "body.preferences.quiet_hours.end": a_patient(
            preferences={"quiet_hours": {"start": "22:00", "end": "25:00"}}),
    }
    for field, body in refused.items():
        answer = await coordinator.post("/patients", json=body)
        assert answer.status_code == 422, (field, answer.text)
        assert field in {d["field"] for d in answer.json()["error"]["details"]}, answer.text
        assert (await coordinator.get(f"/patients/{body['id']}")).status_code == 404, "nothing kept"
    cleared = await coordinator.patch(f"/patients/{patient['id']}", json={"home": None})
    assert cleared.status_code == 422 and "body.home" in cleared.json()["error"]["message"]

    await coordinator.post("/caregivers", json={"id": f"cg-{patient['id']}", "name": "Hana",
                                                "relationship": "daughter"})
    for field, grant in {"body.scopes.0": {"scopes": ["billing"], "reason": "asked"},
                         "reason": {"scopes": ["monitoring"]}}.items():
        answer = await coordinator.post(f"/patients/{patient['id']}/consents",
                                        json={"person_id": f"cg-{patient['id']}", **grant})
        assert answer.status_code == 422, answer.text
        assert field in {d["field"] for d in answer.json()["error"]["details"]}, answer.text
    taken = await coordinator.post("/caregivers", json={"id": "dr-tan", "name": "Not Dr Tan",
                                                        "relationship": "friend"})
    assert taken.status_code == 409, "people share one id space with staff"


async def test_family_follow_a_session_only_while_their_consent_is_in_force(
        stack, admin: httpx.AsyncClient, coordinator: httpx.AsyncClient, open_session) -> None:
    patient = f"patient-{uuid.uuid4().hex[:8]}"
    consent = await authorise(admin, patient, "cg-hana", ["monitoring"])
    await authorise(admin, patient, "cg-no-monitoring", ["medication"])
    sid = (await open_session(patient_id=patient, family_viewers=["cg-hana"]))["id"]
    async with as_user(stack.api_url, "cg-hana", "family") as hana, \
            as_user(stack.api_url, "cg-no-monitoring", "family") as other, \
            as_user(stack.api_url, "cg-stranger", "family") as stranger:
        assert await opening(other, f"/patients/{patient}/updates") == 403
        assert await opening(stranger, f"/patients/{patient}/updates") == 403

        seen: list[dict] = []
        following = asyncio.create_task(sse_events(hana, f"/patients/{patient}/updates",
                                                   count=100, timeout_s=30, into=seen))
        await feed(coordinator, sid, a_reading(NEWS2_5))
        told = await eventually(lambda: [e for e in seen if e["event"] == "monitoring"],
                                what="the family update")
        assert told[0]["data"]["payload"]["subject_id"] == sid

        revoked = await admin.post(f"/patients/{patient}/consents/{consent}/revoke",
                                   json={"reason": "patient withdrew consent by phone"})
        assert revoked.status_code == 200 and revoked.json()["revoked_by"] == "admin-raj"
        await following  # returns because the server closed the open stream
        assert seen[-1]["event"] == "consent_revoked", "the open stream is told, then closed"
        assert await opening(hana, f"/patients/{patient}/updates") == 403
        again = await admin.post(f"/patients/{patient}/consents/{consent}/revoke",
                                 json={"reason": "twice"})
        assert again.json()["revoke_reason"] == "patient withdrew consent by phone", "once only"
    assert audit_entry(patient, "consent.revoked").actor == "admin-raj"


async def test_a_page_to_a_patient_goes_through_the_one_delivery_path_to_their_app_and_phone(
        stack, coordinator: httpx.AsyncClient) -> None:
    patient = (await coordinator.post("/patients", json=a_patient())).json()
    deliver = DeliveryActivities({"websocket": WebSocketChannel(), "sms": OutboxChannel("sms")})
    subject = f"schedule-{uuid.uuid4().hex[:8]}"
    async with staff_socket(stack.ws_url(), patient["id"], roles=("patient",)) as app:
        for channel in ("websocket", "sms"):
            request = DeliveryRequest(
                attempt_id=f"{subject}/dose-1/{patient['id']}/{channel}", subject_id=subject,
                recipient_id=patient["id"], channel=channel, kind="page",
                content={"severity": "non_urgent", "short_code": "D1234",
                         "location": {"department": "Home"}})
            result = await asyncio.to_thread(ActivityEnvironment().run, deliver.deliver, request)
            assert result.outcome == "sent", result
        frame = await next_frame(app, subject_id=subject, kind="page")
        await app.send(json.dumps({"type": "ack", "emergency_id": subject, "ref": "a"}))
        refused = await next_frame(app, ref="a")
    assert "D1234" in frame["payload"]["text"]
    assert refused["ok"] is False and refused["code"] == "forbidden", "patients never acknowledge"
    with reading() as session:
        sent = session.exec(select(DeliveryAttempt).where(DeliveryAttempt.subject_id == subject)
                            .order_by(col(DeliveryAttempt.channel))).all()
        texted = session.exec(select(OutboxMessage).where(
            col(OutboxMessage.attempt_id).startswith(subject))).one()
    assert [(a.recipient_id, a.channel, a.outcome, a.tries) for a in sent] == [
        (patient["id"], "sms", "sent", 1), (patient["id"], "websocket", "sent", 1)]
    assert texted.address == "+60123456789"


def test_an_invalid_push_token_is_forgotten_for_a_caregiver_too(sqlite_db: str) -> None:
    person_id = f"cg-{uuid.uuid4().hex[:8]}"
    with writing() as session:
        session.add(Caregiver(id=person_id, name="Hana", relationship="daughter",
                              push_token="stale-token"))
    with writing() as session:
        forget_push_token(session, person_id, "another-token")  # a newer token is kept
    with reading() as session:
        assert session.get(Caregiver, person_id).push_token == "stale-token"
    with writing() as session:
        forget_push_token(session, person_id, "stale-token")
    with reading() as session:
        assert session.get(Caregiver, person_id).push_token is None
    assert audit_entry(person_id, "caregiver.push_token_removed") is not None
