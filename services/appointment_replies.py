"""The patient's answer to an appointment reminder, however it arrives: the app, an SMS
reply, or the reminder email's signed link. Each becomes the workflow's `reply` update
(the workflow decides whether it makes sense now and tells the coordinators of a request
to reschedule); every way in is refused unless it is the patient's own.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select

from channels.ack_links import ExpiredAckLink, InvalidAckLink, read_ack_token
from channels.appointment_messages import local_when
from channels.appointment_replies import answer_text, appointment_answer
from db.engine import reading
from db.models import Appointment, DeliveryAttempt, Patient, as_utc, utcnow
from services.appointments import get_row
from services.people import patient_by_phone
from services.received_messages import received_messages
from services.errors import VigilError
from services.principal import Principal
from services.workflow_commands import send_update
from settings import get_settings
from workflows.appointment import AppointmentWorkflow
from workflows.appointment_types import NOT_ARRIVED, PatientReply, ReplyResult


async def reply_as(*, client: Any, appointment_id: str, patient_id: str, answer: str,
                   via: str) -> ReplyResult:
    """Send the patient's answer; a refusal comes back as the VigilError its kind names."""
    result: ReplyResult = await send_update(
        client=client, workflow_id=appointment_id, update=AppointmentWorkflow.reply,
        arg=PatientReply(answer=answer, actor=patient_id, via=via),
        when_gone=VigilError(409, "appointment_closed", "This appointment is already closed."))
    return result


def check_own(user: Principal, appointment_id: str) -> Appointment:
    """The appointment, if the caller is its patient; a 403 otherwise (staff too)."""
    row = get_row(appointment_id)
    if not ("patient" in user.roles and user.sub == row.patient_id):
        raise VigilError(403, "forbidden", "Only the patient answers their reminders.")
    return row


# --- SMS --------------------------------------------------------------------------------


REMINDERS = ("appointment_reminder",)


def answered_appointment(patient_id: str) -> Appointment | None:
    """The appointment a patient's SMS reply answers: the one of the newest reminder sent to
    them (on any channel, not failed), if it is still ahead and not arrived; never another one
    in its place. With no reminder on record, their soonest appointment still ahead."""
    with reading() as session:
        reminded = session.exec(received_messages([patient_id], REMINDERS)).first()
        if reminded is not None:
            row = session.get(Appointment, reminded.subject_id)
            return row if row is not None and _answerable(row) else None
        return session.exec(select(Appointment).where(
            Appointment.patient_id == patient_id, col(Appointment.status).in_(NOT_ARRIVED),
            Appointment.starts_at > utcnow()).order_by(col(Appointment.starts_at))).first()


def _answerable(row: Appointment) -> bool:
    starts_at = as_utc(row.starts_at)
    return row.status in NOT_ARRIVED and starts_at is not None and starts_at > utcnow()


async def answer_patient_sms(*, client: Any, sender: str, text: str) -> str | None:
    """The reply to a patient's CONFIRM / RESCHEDULE text, after acting on it; None when the
    text is not one (or the sender is no patient), so the staff's ACK handling answers it."""
    answer = appointment_answer(text)
    if answer is None:
        return None
    patient = await asyncio.to_thread(patient_by_phone, sender)
    if patient is None:
        return None
    lang = patient.language
    row = await asyncio.to_thread(answered_appointment, patient.id)
    if row is None:
        return answer_text("no_appointment", lang)
    try:
        await reply_as(client=client, appointment_id=row.id, patient_id=patient.id,
                       answer=answer, via="sms")
    except VigilError as error:
        return answer_text("no_appointment" if error.status == 409 else "unavailable", lang)
    key = "confirmed" if answer == "confirm" else "reschedule_asked"
    return answer_text(key, lang, when=local_when(row.starts_at, row.time_zone))


# --- the reminder email's signed link ----------------------------------------------------


@dataclass
class LinkHolder:
    patient: Patient
    appointment: Appointment


def link_holder(token: str) -> LinkHolder:
    """Whose reminder a genuine link belongs to; 410 when expired, 404 when not genuine or not
    an appointment reminder to this patient (a forged link changes nothing)."""
    try:
        claim = read_ack_token(token, secret=get_settings().jwt_secret)
    except ExpiredAckLink:
        raise VigilError(410, "link_expired", "This link has expired: answer in the Vigil app.")
    except InvalidAckLink:
        raise VigilError(404, "link_invalid", "This link is not valid.")
    with reading() as session:
        attempt = session.get(DeliveryAttempt, claim.attempt_id)
        patient = session.get(Patient, claim.staff_id)
        row = session.get(Appointment, attempt.subject_id) if attempt else None
    if (attempt is None or patient is None or row is None or attempt.kind != "appointment_reminder"
            or attempt.recipient_id != patient.id or row.patient_id != patient.id):
        raise VigilError(404, "link_invalid", "This link is not valid.")
    return LinkHolder(patient, row)
