"""Acknowledging from a phone: an SMS reply, or a key pressed during the call.

SMS: "ACK 4821" takes the emergency with that short code; "ACK" or "1" alone
takes the sender's one open page (and, if they have several, asks which).
The sender is the staff member whose phone number Twilio reports in `From`.
A patient's reply to a medication reminder ("TAKEN", "1", "SKIP <reason>", in
their language) goes to services.dose_confirmations instead; a caregiver's, to
services.caregiver_dose_replies (the patient's dose, on their behalf). Either answers
the dose the newest medication SMS to that phone was about (services.texted_doses).
A patient's CONFIRM or RESCHEDULE (services/appointment_replies.py) answers
their next appointment's reminder.
Call: 1 acknowledges, 2 escalates to the next person now, anything else
plays the page again.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from sqlmodel import col, select
from twilio.twiml.voice_response import VoiceResponse

from clinical.dose_replies import parse_dose_reply
from services.acknowledgements import command_as
from services.caregiver_dose_replies import answer_caregiver_dose_sms, caregiver_by_phone
from services.dose_confirmations import answer_dose_sms
from services.texted_doses import newest_medication_sms
from services.people import patient_by_phone
from services.appointment_replies import answer_patient_sms
from channels.base import OutboundMessage, Recipient
from channels.messages import location_text, safe_text
from channels.replies import say_attributes, sms_reply, voice_reply
from channels.twilio_voice import page_twiml
from db.engine import reading
from db.models import DeliveryAttempt, Emergency, Staff
from workflows.emergency import EmergencyEscalationWorkflow as Wf
from workflows.emergency_types import OPEN, AcknowledgeInput, EscalateInput

AWAITING_ACK = ("active", "unacknowledged")
_WORDS = re.compile(r"[A-Z]+|\d+")


def parse_ack(text: str) -> tuple[bool, str | None]:
    """(whether the text acknowledges, the short code it names if any)."""
    words = _WORDS.findall(text.upper())
    if words in (["ACK"], ["1"]):
        return True, None
    if len(words) == 2 and words[0] == "ACK" and words[1].isdigit():
        return True, words[1]
    return False, None


def staff_by_phone(number: str) -> Staff | None:
    """The one staff member with this number (E.164, as Twilio sends it); None if not exactly one."""
    with reading() as session:
        people = session.exec(select(Staff).where(Staff.phone == number.strip())).all()
    return people[0] if len(people) == 1 else None


def open_pages(staff_id: str) -> list[Emergency]:
    """Open emergencies that paged this person, newest first."""
    paged = select(DeliveryAttempt.subject_id).where(DeliveryAttempt.recipient_id == staff_id,
                                                     DeliveryAttempt.kind == "page")
    with reading() as session:
        return list(session.exec(select(Emergency).where(
            col(Emergency.status).in_(OPEN), col(Emergency.id).in_(paged))
            .order_by(col(Emergency.created_at).desc())).all())


def open_by_code(code: str) -> Emergency | None:
    with reading() as session:
        return session.exec(select(Emergency).where(
            Emergency.short_code == code, col(Emergency.status).in_(OPEN))).first()


async def answer_sms(*, client: Any, sender: str, text: str) -> str:
    """The reply to one inbound SMS, after acting on it."""
    patient_answer = await answer_patient_sms(client=client, sender=sender, text=text)
    if patient_answer is not None:  # a patient's CONFIRM / RESCHEDULE for an appointment
        return patient_answer
    person = await asyncio.to_thread(staff_by_phone, sender)
    is_ack, code = parse_ack(text)
    # Staff answer pages; a patient answers reminders ("1" is a page's ack for staff).
    if person is None or (not is_ack and parse_dose_reply(text) is not None):
        dose_answer = await _answer_dose_reply(client=client, sender=sender, text=text)
        if dose_answer is not None:
            return dose_answer
    if person is None:
        return sms_reply("unknown_sender")
    lang = person.language
    pages = await asyncio.to_thread(open_pages, person.id)
    waiting = [p for p in pages if p.status in AWAITING_ACK]
    if not is_ack:
        return sms_reply("help", lang, code=pages[0].short_code if pages else "1234")
    if code is not None:
        emergency = await asyncio.to_thread(open_by_code, code)
        if emergency is None:
            return sms_reply("unknown_code", lang, code=code)
    elif len(waiting) == 1:
        emergency = waiting[0]
    elif len(waiting) > 1:
        return sms_reply("which", lang, codes=", ".join(p.short_code for p in waiting))
    elif pages:  # nothing waiting, but a page of theirs was just taken: say by whom
        emergency = pages[0]
    else:
        return sms_reply("no_open_page", lang)
    answer = await command_as(client, person, emergency.id, Wf.acknowledge,
                              lambda actor: AcknowledgeInput(actor=actor, via="sms"))
    key = "acknowledged" if answer.key == "done" else answer.key
    return sms_reply(key, lang, code=emergency.short_code, owner=answer.owner)


async def _answer_dose_reply(*, client: Any, sender: str, text: str) -> str | None:
    """A patient's reply confirms their own dose, a caregiver's the patient's (on their behalf);
    a number that is both answers the newest medication SMS it was sent. None: neither."""
    patient = await asyncio.to_thread(patient_by_phone, sender)
    carer = await asyncio.to_thread(caregiver_by_phone, sender)
    if patient is not None and carer is not None:
        newest = await asyncio.to_thread(newest_medication_sms, [patient.id, carer.id])
        if newest is None or newest.recipient_id != carer.id:
            carer = None
    if carer is not None:
        return await answer_caregiver_dose_sms(client=client, caregiver=carer, text=text)
    if patient is not None:
        return await answer_dose_sms(client=client, patient=patient, text=text)
    return None


def _spoken(text: str, language: str) -> str:
    response = VoiceResponse()
    response.say(text, **say_attributes(language))
    response.hangup()
    return str(response)


def _call_parties(attempt_id: str) -> tuple[DeliveryAttempt | None, Staff | None,
                                             Emergency | None]:
    """The page attempt a call belongs to, the person called, and the emergency."""
    with reading() as session:
        attempt = session.get(DeliveryAttempt, attempt_id)
        person = session.get(Staff, attempt.recipient_id) if attempt else None
        emergency = session.get(Emergency, attempt.subject_id) if attempt else None
    return attempt, person, emergency


async def answer_keypress(*, client: Any, attempt_id: str, digits: str, gather_url: str) -> str:
    """TwiML answering one gathered digit on a page call."""
    attempt, person, emergency = await asyncio.to_thread(_call_parties, attempt_id)
    if attempt is None or person is None or emergency is None or attempt.channel != "voice":
        return _spoken(voice_reply("closed"), "en")
    lang = person.language
    if digits == "1":
        answer = await command_as(client, person, emergency.id, Wf.acknowledge,
                                  lambda actor: AcknowledgeInput(actor=actor, via="voice"))
        key = "acknowledged" if answer.key == "done" else answer.key
    elif digits == "2":
        if emergency.status == "acknowledged" and emergency.owner_id != person.id:
            return _spoken(voice_reply("taken", lang, owner=emergency.owner_name or ""), lang)
        answer = await command_as(client, person, emergency.id, Wf.escalate_now,
                                  lambda actor: EscalateInput(actor=actor, reason="pressed 2 on the call"))
        key = "escalated" if answer.key == "done" else answer.key
    else:
        return page_twiml(_voice_page(attempt, person, emergency), gather_url)
    return _spoken(voice_reply(key, lang, owner=answer.owner), lang)


def _voice_page(attempt: DeliveryAttempt, person: Staff, emergency: Emergency) -> OutboundMessage:
    """The page this call is playing, rebuilt to play it again."""
    content = {"severity": emergency.severity, "short_code": emergency.short_code,
               "location": emergency.location, "status": emergency.status}
    return OutboundMessage(
        attempt_id=attempt.id, channel="voice", subject_id=emergency.id, kind=attempt.kind,
        recipient=Recipient(staff_id=person.id, name=person.name, phone=person.phone,
                            language=person.language),
        severity=emergency.severity, short_code=emergency.short_code,
        location_text=location_text(emergency.location, person.language),
        safe_text=safe_text(attempt.kind, content, person.language, "voice"),
    )
