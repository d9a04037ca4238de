"""SPEC §3.4 on the running stack: an appointment update reaches the right inboxes, family in
words through their consent, and bad input changes nothing."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlmodel import select
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from activities.directory import find_targets, on_duty_query
from db.engine import reading, writing
from db.models import Appointment
from tests.utils.api import as_user
from tests.utils.history import events, idle
from events.topics import family_topic
from tests.utils.live import next_frame, publish_to, sse_events, staff_socket
from tests.utils.people import authorise
from tests.utils.records import attempts, audit_actions
from tests.utils.waiting import eventually
from workflows.appointment import AppointmentWorkflow

pytestmark = pytest.mark.e2e


def booking(patient_id: str, **overrides: object) -> dict:
    start = datetime.now(UTC) + timedelta(days=3)
    body = {"patient_id": patient_id, "provider_id": "dr-lim", "facility_id": "vigil-general",
            "department": "Cardiology clinic", "room": "3", "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(minutes=30)).isoformat()}
    body.update(overrides)
    return body


async def room_change_frame(ws, appointment_id: str, kind: str) -> dict:  # type: ignore[no-untyped-def]
    """The inbox frame of this appointment's room change (passing over earlier updates)."""
    while True:
        frame = await next_frame(ws, subject_id=appointment_id, kind=kind)
        if frame["payload"]["detail"]["update"] == "room_change":
            return frame


def appointments_of(patient_id: str) -> list[Appointment]:
    with reading() as session:
        return list(session.exec(select(Appointment).where(Appointment.patient_id == patient_id)))


async def test_a_room_change_reaches_the_patient_the_provider_and_the_on_duty_nurse_and_family_in_words(
        stack, admin: httpx.AsyncClient) -> None:
    patient = f"patient-{uuid.uuid4().hex[:8]}"
    await authorise(admin, patient, "cg-appt-yes", ["appointments"])
    await authorise(admin, patient, "cg-appt-no", ["monitoring"])
    booked = await admin.post("/appointments", json=booking(patient))
    assert booked.status_code == 201, booked.text
    appointment_id = booked.json()["id"]
    await eventually(lambda: appointments_of(patient), what="the projection")

    seen: list[dict] = []
    family = as_user(stack.api_url, "cg-appt-yes", "family")
    following = asyncio.create_task(sse_events(family, f"/patients/{patient}/updates", count=100,
                                               timeout_s=30, into=seen))
    # The family member without appointments consent follows the same stream (their monitoring
    # consent opens it). Markers on their own topic bracket the room change: the stream is
    # in order, so whatever it would show of the change arrives before the second marker.
    unconsented_seen: list[dict] = []
    unconsented = as_user(stack.api_url, "cg-appt-no", "family")
    their_topic = family_topic(patient, "cg-appt-no")
    watching = asyncio.create_task(sse_events(
        unconsented, f"/patients/{patient}/updates", count=100, timeout_s=30,
        into=unconsented_seen))

    async def marker(n: int) -> None:
        publish_to(their_topic, "monitoring", [{"subject_id": f"marker-{n}", "text": "marker"}])
        await eventually(lambda: any(e["data"]["payload"].get("subject_id") == f"marker-{n}"
                                     for e in unconsented_seen), what=f"marker {n} streamed")

    await marker(1)
    async with staff_socket(stack.ws_url(), patient, roles=("patient",)) as patient_ws, \
            staff_socket(stack.ws_url(), "nurse-siti") as nurse_ws, \
            staff_socket(stack.ws_url(), "dr-lim") as provider_ws, \
            staff_socket(stack.ws_url(), "cg-appt-yes", roles=("family",)) as family_ws:
        changed = await admin.post(f"/appointments/{appointment_id}/updates",
                                   json={"type": "room_change", "room": "12"})
        assert changed.status_code == 200, changed.text
        frames = [await room_change_frame(ws, appointment_id, kind)
                  for ws, kind in ((patient_ws, "appointment"), (nurse_ws, "appointment"),
                                   (provider_ws, "appointment"), (family_ws, "appointment_family"))]
    for frame in frames:  # each in the reader's own language (the nurse's is Malay)
        assert "12" in frame["payload"]["text"], frame
    assert frames[3]["payload"]["text"].startswith("Appointment of the person you care for")
    told = await eventually(lambda: [e for e in seen if e["event"] == "appointment"
                                     and "room 12" in e["data"]["payload"]["text"]],
                            what="the family stream's room change in words")
    assert told[0]["data"]["payload"]["subject_id"] == appointment_id
    following.cancel()
    await family.aclose()
    await marker(2)  # published after the room change's family event
    watching.cancel()
    await unconsented.aclose()
    assert [e["data"]["payload"]["subject_id"] for e in unconsented_seen] == [
        "marker-1", "marker-2"], "without appointments consent: nothing of the appointment"

    on_duty = {t.staff_id for t in find_targets(on_duty_query("vigil-general"))}
    assert "nurse-siti" in on_duty
    expected = {patient, "dr-lim", "cg-appt-yes", *on_duty}  # and nobody else: not cg-appt-no

    def room_change_recipients() -> set[str]:
        return {a.recipient_id for a in attempts(appointment_id) if "/u2/" in a.id}

    await eventually(lambda: room_change_recipients() == expected,
                     what=f"the room change's deliveries to exactly {sorted(expected)}")
    assert "appointment.room_change" in audit_actions(appointment_id)

    async with as_user(stack.api_url, "cg-appt-yes", "family") as yes, \
            as_user(stack.api_url, "cg-appt-no", "family") as no:
        seen = await yes.get(f"/appointments/{appointment_id}")
        refused = await no.get(f"/appointments/{appointment_id}")
    assert seen.status_code == 200 and seen.json()["room"] == "12"
    assert "provider_id" not in seen.json(), "family see where and when, not who treats"
    assert refused.status_code == 403


async def test_an_update_the_state_does_not_allow_is_409_and_bad_input_is_422_naming_the_field(
        admin: httpx.AsyncClient) -> None:
    patient = f"patient-{uuid.uuid4().hex[:8]}"
    await authorise(admin, patient, "cg-appt-yes", ["appointments"])
    start = datetime.now(UTC) + timedelta(days=3)
    refused = {
        "body.ends_at": booking(patient, ends_at=(start - timedelta(hours=1)).isoformat(),
                                starts_at=start.isoformat()),
        "body.starts_at": booking(patient, starts_at="2026-12-01T09:00:00"),  # no zone
        "body.patient_id": booking("patient-nobody"),
        "body.provider_id": booking(patient, provider_id="coord-lee"),
        "body.care_team.0": booking(patient, care_team=["dr-nobody"]),
    }
    for field, body in refused.items():
        answer = await admin.post("/appointments", json=body)
        assert answer.status_code == 422, (field, answer.text)
        assert field in {d["field"] for d in answer.json()["error"]["details"]}, answer.text
    assert appointments_of(patient) == [], "nothing started"

    appointment_id = (await admin.post("/appointments", json=booking(patient))).json()["id"]
    unknown = await admin.post(f"/appointments/{appointment_id}/updates", json={"type": "teleported"})
    assert unknown.status_code == 422 and "body.type" in unknown.text
    early = await admin.post(f"/appointments/{appointment_id}/updates", json={"type": "completed"})
    assert early.status_code == 409 and early.json()["error"]["code"] == "invalid_transition"
    cancelled = await admin.post(f"/appointments/{appointment_id}/updates",
                                 json={"type": "cancelled", "reason": "patient asked"})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    await asyncio.sleep(0)  # the update's answer already says cancelled; the next is refused
    late = await admin.post(f"/appointments/{appointment_id}/updates", json={"type": "checked_in"})
    assert late.status_code == 409, late.text
    row = await eventually(lambda: (r := appointments_of(patient)) and r[0].status == "cancelled"
                           and r[0], what="the projection says cancelled")
    assert row.last_update == "cancelled"


def fhir_appointment(patient_id: str, *, status: str = "booked", room: str = "3",
                     start: datetime | None = None) -> dict:
    start = start or datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    return {
        "resourceType": "Appointment", "status": status,
        "start": start.isoformat(), "end": (start + timedelta(minutes=30)).isoformat(),
        "participant": [
            {"actor": {"reference": f"Patient/{patient_id}"}, "status": "accepted"},
            {"actor": {"reference": "Practitioner/dr-lim"}, "status": "accepted"},
            {"actor": {"reference": "Location/vigil-general", "display": "Clinic B",
                       "identifier": {"system": "urn:vigil:room", "value": room}},
             "status": "accepted"}]}


async def book_by_fhir(admin: httpx.AsyncClient) -> tuple[str, dict, dict]:
    """A new patient whose family may see appointments, booked by a FHIR resource: (patient,
    the resource, the booked appointment)."""
    patient = f"patient-{uuid.uuid4().hex[:8]}"
    await authorise(admin, patient, "cg-appt-yes", ["appointments"])
    resource = fhir_appointment(patient)
    booked = await admin.post("/appointments/fhir", json=resource)
    assert booked.status_code == 201, booked.text
    return patient, resource, booked.json()


async def test_a_fhir_appointment_books_and_its_update_fans_out_and_nonsense_is_422(
        stack, admin: httpx.AsyncClient) -> None:
    patient, resource, booked = await book_by_fhir(admin)
    appointment_id = booked["id"]
    assert booked["room"] == "3" and booked["status"] == "scheduled"

    async with staff_socket(stack.ws_url(), patient, roles=("patient",)) as patient_ws:
        moved = await admin.put(f"/appointments/{appointment_id}/fhir",
                                json={**resource, "participant": fhir_appointment(
                                    patient, room="9")["participant"], "status": "arrived"})
        assert moved.status_code == 200, moved.text
        assert moved.json()["applied"] == ["room_change", "checked_in"]
        frame = await room_change_frame(patient_ws, appointment_id, "appointment")
    assert "9" in frame["payload"]["text"]

    refused = [
        ("start", {**resource, "status": "proposed", "start": None}),  # proposed, but when?
        ("resourceType", {**resource, "resourceType": "Observation"}),
        ("start", {**resource, "start": "yesterday"}),
        ("status", {**resource, "status": "fulfilled"}),  # a new appointment is not done yet
    ]
    for field, body in refused:
        body = {k: v for k, v in body.items() if v is not None}
        answer = await admin.post("/appointments/fhir", json=body)
        assert answer.status_code == 422, (field, answer.text)
        assert answer.json()["error"]["details"][0]["field"] == field, answer.text
    unknown = await admin.post("/appointments/fhir", json=fhir_appointment("patient-nobody"))
    assert unknown.status_code == 422 and "body.patient_id" in unknown.text
    backwards = await admin.put(f"/appointments/{appointment_id}/fhir",
                                json={**resource, "status": "noshow", "participant": fhir_appointment(
                                    patient, room="9")["participant"]})
    assert backwards.status_code == 422, backwards.text
    assert backwards.json()["error"]["details"][0]["field"] == "status"
    with reading() as session:
        row = session.get(Appointment, appointment_id)
    assert row is not None and row.room == "9"


async def test_a_fhir_update_is_worked_out_from_the_workflow_not_from_a_row_behind_it(
        stack, admin: httpx.AsyncClient, temporal_address: str) -> None:
    """The workflow writes the row after it moves, so a resource sent right after a change can
    meet a row that has not caught up. Its updates are worked out from where the workflow is:
    a no-show after check-in is the 422 naming `status`, not a refusal from the engine."""
    _, resource, booked = await book_by_fhir(admin)
    appointment_id = booked["id"]
    arrived = await admin.put(f"/appointments/{appointment_id}/fhir",
                              json={**resource, "status": "arrived"})
    assert arrived.status_code == 200 and arrived.json()["applied"] == ["checked_in"], arrived.text

    def row_status() -> str:
        with reading() as session:
            row = session.get(Appointment, appointment_id)
            return row.status if row else ""

    await eventually(lambda: row_status() == "checked_in", what="the check-in on the row")
    with writing() as session:  # the row as it stood a moment before the workflow wrote it
        row = session.get(Appointment, appointment_id)
        assert row is not None
        row.status, row.room = "scheduled", "1"
        session.add(row)

    backwards = await admin.put(f"/appointments/{appointment_id}/fhir",
                                json={**resource, "status": "noshow"})
    assert backwards.status_code == 422, backwards.text
    detail = backwards.json()["error"]["details"][0]
    assert detail["field"] == "status" and "checked_in" in detail["message"], detail
    handle = (await Client.connect(temporal_address)).get_workflow_handle(appointment_id)
    view = await handle.query(AppointmentWorkflow.state)
    assert (view.status, view.room) == ("checked_in", "3")


def deliveries_scheduled(history: list) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    """(recipient, task queue) of every delivery the workflow scheduled: each `deliver`
    activity, and each request of each `deliver_batch`."""
    found = []
    for event in history:
        if event.event_type != EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            continue
        scheduled = event.activity_task_scheduled_event_attributes
        name, queue = scheduled.activity_type.name, scheduled.task_queue.name
        if name == "deliver":
            request = json.loads(scheduled.input.payloads[0].data)
            found.append((request["recipient_id"], queue))
        elif name == "deliver_batch":
            batch = json.loads(scheduled.input.payloads[0].data)
            found.extend((request["recipient_id"], queue) for request in batch["requests"])
    return found


async def test_an_emergency_appointment_pages_the_care_team_on_every_channel_through_the_emergency_queue(
        stack, admin: httpx.AsyncClient, temporal_address: str) -> None:
    patient = f"patient-{uuid.uuid4().hex[:8]}"
    await authorise(admin, patient, "cg-appt-yes", ["appointments"])
    booked = await admin.post("/appointments", json=booking(
        patient, emergency=True, care_team=["dr-tan", "dr-kumar"]))
    assert booked.status_code == 201, booked.text
    appointment_id = booked.json()["id"]
    every = {"websocket", "push", "sms", "voice", "email"}

    def care_team_channels() -> dict[str, set[str]]:
        reached: dict[str, set[str]] = {}
        for a in attempts(appointment_id):
            if a.recipient_id in ("dr-tan", "dr-kumar") and a.outcome in ("sent", "delivered"):
                reached.setdefault(a.recipient_id, set()).add(a.channel)
        return reached

    await eventually(lambda: care_team_channels() == {"dr-tan": every, "dr-kumar": every},
                     what="the care team paged on every channel")
    history = await idle_history(temporal_address, appointment_id)
    scheduled = deliveries_scheduled(history)
    care_team_queues = {queue for person, queue in scheduled if person in ("dr-tan", "dr-kumar")}
    emergency_queue = stack.env["VIGIL_TASK_QUEUE"]
    assert care_team_queues == {emergency_queue}, scheduled
    assert {queue for _, queue in scheduled} == {emergency_queue}, "every page of it, the patient's too"
    assert emergency_queue != stack.env["VIGIL_ROUTINE_TASK_QUEUE"]
    started = (await Client.connect(temporal_address)).get_workflow_handle(appointment_id)
    assert (await started.describe()).task_queue == stack.env["VIGIL_ROUTINE_TASK_QUEUE"], \
        "the workflow itself stays routine: only its pages jump the queue"


async def idle_history(temporal_address: str, workflow_id: str) -> list:  # type: ignore[type-arg]
    await idle(temporal_address, workflow_id)
    return await events(temporal_address, workflow_id)


async def new_patient(admin: httpx.AsyncClient, **fields: object) -> str:
    """A patient of this test's own, reachable by email and phone."""
    patient = f"patient-{uuid.uuid4().hex[:8]}"
    created = await admin.post("/patients", json={
        "id": patient, "name": "Patient", "time_zone": "Asia/Kuala_Lumpur",
        "email": f"{patient}@patients.example",
        "phone": f"+6019{uuid.uuid4().int % 10**7:07d}", **fields})
    assert created.status_code == 201, created.text
    return patient


async def test_a_patient_offline_is_emailed_an_everyday_update_and_one_online_is_not(
        stack, admin: httpx.AsyncClient) -> None:
    patient = await new_patient(admin)
    booked = await admin.post("/appointments", json=booking(patient))  # nobody has the app open
    assert booked.status_code == 201, booked.text
    appointment_id = booked.json()["id"]

    def patient_channels(scope: str) -> set[str]:
        return {a.channel for a in attempts(appointment_id, recipient_id=patient)
                if f"/{scope}/" in a.id and a.outcome in ("sent", "delivered")}

    await eventually(lambda: patient_channels("u1") == {"websocket", "email"},
                     what="the booking by WebSocket and, offline, by email")
    async with staff_socket(stack.ws_url(), patient, roles=("patient",)) as ws:
        delayed = await admin.post(f"/appointments/{appointment_id}/updates",
                                   json={"type": "provider_delay", "delay_minutes": 15})
        assert delayed.status_code == 200, delayed.text
        frame = await next_frame(ws, subject_id=appointment_id, kind="appointment")
        while frame["payload"]["detail"]["update"] != "provider_delay":
            frame = await next_frame(ws, subject_id=appointment_id, kind="appointment")
    await eventually(lambda: patient_channels("u2") == {"websocket"}, what="the delay's page")
    history = await idle_history(stack.env["VIGIL_TEMPORAL_ADDRESS"], appointment_id)
    answers = [json.loads(e.activity_task_completed_event_attributes.result.payloads[0].data)
               for e in history if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
               and _activity_type(history, e) == "person_online"]
    assert answers == [False, True], "offline at booking, online at the delay: both recorded"
    assert patient_channels("u2") == {"websocket"}, "online: no email"


def _activity_type(history: list, completed) -> str:  # type: ignore[no-untyped-def,type-arg]
    scheduled_id = completed.activity_task_completed_event_attributes.scheduled_event_id
    scheduled = next(e for e in history if e.event_id == scheduled_id)
    return scheduled.activity_task_scheduled_event_attributes.activity_type.name


async def test_impossible_updates_are_422_naming_the_field_and_change_nothing(
        stack, admin: httpx.AsyncClient) -> None:
    patient = await new_patient(admin)
    appointment_id = (await admin.post("/appointments", json=booking(patient))).json()["id"]
    await eventually(lambda: "appointment.reminders_planned" in audit_actions(appointment_id),
                     what="the reminders planned after booking")
    # The booking's pages are sent beside the planning and may be recorded after it.
    await idle(stack.env["VIGIL_TEMPORAL_ADDRESS"], appointment_id)
    before, row = audit_actions(appointment_id), appointments_of(patient)[0]
    now = datetime.now(UTC)
    refused = {
        "body.starts_at": {"type": "rescheduled", "starts_at": (now - timedelta(hours=1)).isoformat(),
                           "ends_at": now.isoformat()},
        "body.ends_at": {"type": "rescheduled", "starts_at": (now + timedelta(days=5)).isoformat(),
                         "ends_at": (now + timedelta(days=4)).isoformat()},
        "body.provider_id": {"type": "provider_change", "provider_id": "dr-nobody"},
        "room": {"type": "room_change"},
        "body.delay_minutes": {"type": "provider_delay", "delay_minutes": 0},
        "body.urgency": {"type": "urgency_change", "urgency": "apocalyptic"},
        "body.type": {"type": "teleported"},
    }
    for field, body in refused.items():
        answer = await admin.post(f"/appointments/{appointment_id}/updates", json=body)
        assert answer.status_code == 422, (field, answer.text)
        named = {d.get("field") for d in answer.json()["error"]["details"]} \
            if isinstance(answer.json()["error"]["details"], list) \
            else {answer.json()["error"]["details"].get("field")}
        assert field in named, (field, answer.text)
    malformed = await admin.put(f"/appointments/{appointment_id}/fhir",
                                json={"resourceType": "Appointment", "status": "booked",
                                      "participant": "everyone"})
    assert malformed.status_code == 422, malformed.text
    assert audit_actions(appointment_id) == before, "no update recorded"
    after = appointments_of(patient)[0]
    assert (after.room, after.starts_at, after.provider_id, after.urgency, after.last_update) == (
        row.room, row.starts_at, row.provider_id, row.urgency, row.last_update)
