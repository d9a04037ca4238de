"""SPEC §3.4 on the running stack: the patient confirms or asks to reschedule from the reminder,
in the app, by SMS or through the email's signed link; a request to reschedule reaches the
clinic's coordinators; anyone else, and a forged link, changes nothing."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest
from sqlmodel import col, select

from db.engine import reading
from db.models import AuditEntry
from tests.utils.api import as_user
from tests.utils.channel_stack import FROM_NUMBER, PUBLIC_URL
from tests.utils.records import attempts
from tests.utils.waiting import eventually

pytestmark = pytest.mark.e2e


async def new_patient(admin: httpx.AsyncClient, language: str = "en") -> tuple[str, str]:
    """A patient of this test's own, reachable by email and phone: (id, phone)."""
    patient = f"patient-{uuid.uuid4().hex[:8]}"
    phone = f"+6018{uuid.uuid4().int % 10**7:07d}"
    created = await admin.post("/patients", json={
        "id": patient, "name": "Patient", "time_zone": "Asia/Kuala_Lumpur", "language": language,
        "email": f"{patient}@patients.example", "phone": phone})
    assert created.status_code == 201, created.text
    return patient, phone


async def book(admin: httpx.AsyncClient, patient: str, *, reminder_in_s: float = 0,
               hours_ahead: float = 1) -> str:
    """An appointment `hours_ahead`; with `reminder_in_s`, one reminder due that soon."""
    start = datetime.now(UTC) + timedelta(hours=hours_ahead)
    body = {"patient_id": patient, "provider_id": "dr-lim", "facility_id": "vigil-general",
            "room": "3", "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(minutes=30)).isoformat()}
    if reminder_in_s:
        body["reminder_offsets_h"] = [hours_ahead - reminder_in_s / 3600]
    else:  # none during the test
        body["reminder_offsets_h"] = [hours_ahead / 2]
    booked = await admin.post("/appointments", json=body)
    assert booked.status_code == 201, booked.text
    return booked.json()["id"]


def answers(appointment_id: str) -> list[tuple[str, str, str]]:
    """(action, actor, via) of every patient answer the workflow recorded."""
    with reading() as session:
        rows = session.exec(select(AuditEntry).where(
            AuditEntry.subject == appointment_id,
            col(AuditEntry.action).in_(["appointment.patient_confirmed",
                                        "appointment.reschedule_requested"]))
            .order_by(col(AuditEntry.seq))).all()
    return [(r.action, r.actor, r.detail.get("via")) for r in rows]


def told_coordinators(appointment_id: str) -> set[str]:
    return {a.recipient_id for a in attempts(appointment_id)
            if a.recipient_id.startswith("coord-") and a.outcome in ("sent", "delivered")}


async def test_the_patient_answers_in_the_app_and_a_reschedule_request_reaches_the_coordinators(
        stack, admin: httpx.AsyncClient) -> None:
    patient, _ = await new_patient(admin)
    appointment_id = await book(admin, patient)
    async with as_user(stack.api_url, patient, "patient") as app, \
            as_user(stack.api_url, f"{patient}-other", "patient") as other, \
            as_user(stack.api_url, "dr-lim", "provider") as provider:
        wrong = [await other.post(f"/appointments/{appointment_id}/reply",
                                  json={"answer": "confirm"}),
                 await provider.post(f"/appointments/{appointment_id}/reply",
                                     json={"answer": "confirm"}),
                 await app.post(f"/appointments/{appointment_id}/reply", json={"answer": "maybe"}),
                 await app.post("/appointments/appointment-nobody/reply",
                                json={"answer": "confirm"})]
        assert [r.status_code for r in wrong] == [403, 403, 422, 404], [r.text for r in wrong]
        assert "body.answer" in wrong[2].text
        assert answers(appointment_id) == [], "nothing recorded for any of them"
        confirmed = await app.post(f"/appointments/{appointment_id}/reply",
                                   json={"answer": "confirm"})
        asked = await app.post(f"/appointments/{appointment_id}/reply",
                               json={"answer": "reschedule"})
    assert confirmed.status_code == 200 and confirmed.json()["answer"] == "confirm", confirmed.text
    assert asked.status_code == 200 and asked.json()["status"] == "scheduled", asked.text
    await eventually(lambda: len(answers(appointment_id)) == 2, what="both answers recorded")
    assert answers(appointment_id) == [("appointment.patient_confirmed", patient, "app"),
                                       ("appointment.reschedule_requested", patient, "app")]
    await eventually(lambda: told_coordinators(appointment_id) == {"coord-lee"},
                     what="the clinic's coordinator told of the request")


async def test_the_patient_answers_by_the_reminder_emails_link_and_by_sms_and_a_forged_link_changes_nothing(
        channel_stack) -> None:
    async with as_user(channel_stack.stack.api_url, "admin-raj", "admin") as admin:
        patient, phone = await new_patient(admin, language="ms")
        appointment_id = await book(admin, patient, reminder_in_s=3)

    def mails() -> list[str]:
        return [r.body["content"][0]["value"] for r in channel_stack.sendgrid.requests
                if r.body["personalizations"][0]["to"][0]["email"] == f"{patient}@patients.example"]

    (text,) = await eventually(lambda: [m for m in mails() if "/ack/appointment/" in m],
                               timeout_s=30, what="the reminder emailed (no app open)")
    booked_mail = [m for m in mails() if m != text]
    assert booked_mail and all("/ack" not in m for m in booked_mail), "news carries no link"
    link = re.search(r"Sahkan atau minta masa lain: (\S+)", text).group(1)  # in Malay
    assert link.startswith(f"{PUBLIC_URL}/ack/appointment/")
    token = link.rsplit("/", 1)[1]
    claims = jwt.decode(token, options={"verify_signature": False})
    forged = jwt.encode(claims, "not-the-stack-secret-" * 2, algorithm="HS256")
    async with channel_stack.http() as browser:
        refused = await browser.post(f"/ack/appointment/{forged}", data={"answer": "reschedule"})
        assert refused.status_code == 404, refused.text
        opened = await browser.get(link.removeprefix(PUBLIC_URL))
        assert opened.status_code == 200 and 'value="confirm"' in opened.text
        assert answers(appointment_id) == [], "a forged link and opening the link change nothing"
        confirmed = await browser.post(link.removeprefix(PUBLIC_URL), data={"answer": "confirm"})
    assert confirmed.status_code == 200 and "confirmed" in confirmed.text, confirmed.text
    await eventually(lambda: answers(appointment_id), what="the confirmation recorded")
    assert answers(appointment_id) == [("appointment.patient_confirmed", patient, "email")]

    reply = await channel_stack.twilio_post("/webhooks/twilio/sms", {
        "MessageSid": f"SM{uuid.uuid4().hex}", "From": phone, "To": FROM_NUMBER, "Body": "tukar"})
    assert reply.status_code == 200, reply.text
    assert "<Message>VIGIL: kami telah meminta klinik" in reply.text, "answered in Malay"
    forged_sms = await channel_stack.twilio_post("/webhooks/twilio/sms", {
        "MessageSid": f"SM{uuid.uuid4().hex}", "From": phone, "To": FROM_NUMBER,
        "Body": "CONFIRM"}, signature="not-twilio")
    assert forged_sms.status_code == 403
    await eventually(lambda: len(answers(appointment_id)) == 2, what="the SMS answer recorded")
    assert answers(appointment_id)[1] == ("appointment.reschedule_requested", patient, "sms")
    await eventually(lambda: told_coordinators(appointment_id) == {"coord-lee"},
                     what="the clinic's coordinator told of the request")


async def test_an_sms_reply_answers_the_appointment_it_was_reminded_of_not_the_soonest(
        channel_stack) -> None:
    async with as_user(channel_stack.stack.api_url, "admin-raj", "admin") as admin:
        patient, phone = await new_patient(admin)
        soonest = await book(admin, patient, hours_ahead=1)  # reminded only in half an hour
        reminded = await book(admin, patient, hours_ahead=3, reminder_in_s=3)
    await eventually(lambda: any(a.kind == "appointment_reminder" and a.outcome in
                                 ("sent", "delivered") for a in attempts(reminded)),
                     timeout_s=30, what="the later appointment's reminder sent")
    reply = await channel_stack.twilio_post("/webhooks/twilio/sms", {
        "MessageSid": f"SM{uuid.uuid4().hex}", "From": phone, "To": FROM_NUMBER,
        "Body": "CONFIRM"})
    assert reply.status_code == 200, reply.text
    await eventually(lambda: answers(reminded), what="the reminded appointment confirmed")
    assert answers(reminded) == [("appointment.patient_confirmed", patient, "sms")]
    assert answers(soonest) == [], "the soonest appointment was not what the patient answered"
