"""A caregiver's SMS reply to a medication message ("TAKEN", "1", "SKIP <reason>", in any of
the four languages): it confirms the waiting dose of the patient the message was about, on the
patient's behalf, through the same `confirm_dose` as the app, the API and the console, so it
counts only while the caregiver's consent with the `medication` scope is in force (decided
from the consent records there, never here).

Which patient: among those the caregiver has (or had) a `medication` consent for, the ones
with a dose waiting (open, or missed and still confirmable late); one such patient is the
answer; with several, the one of the newest medication SMS sent to the caregiver's phone.
A revoked consent is refused with a reply saying so, and nothing is recorded.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlmodel import col, select

from channels.messages import first_name
from channels.replies import sms_reply
from clinical.dose_replies import parse_dose_reply
from db.engine import reading
from db.models import Caregiver, Consent, DeliveryAttempt, DoseRecord, MedicationSchedule, Patient
from services.dose_confirmations import REFUSAL_REPLY, confirm_dose, dose_time_label
from services.errors import VigilError
from services.principal import Principal

MEDICATION_MESSAGES = ("medication_reminder", "medication_missed")
# The caregiver's own words for the patient's refusals ("your next dose" is the patient's).
_CARER_REFUSAL = {"dose_too_late": "carer_dose_too_late", "no_open_dose": "carer_no_open_dose",
                  "forbidden": "carer_not_allowed"}


def caregiver_by_phone(number: str) -> Caregiver | None:
    """The one caregiver with this number (E.164, as Twilio sends it); None if not exactly one."""
    with reading() as session:
        found = session.exec(select(Caregiver).where(Caregiver.phone == number.strip())).all()
    return found[0] if len(found) == 1 else None


def newest_medication_sms(recipient_ids: list[str]) -> DeliveryAttempt | None:
    """The newest medication message texted to any of these people (not one that failed)."""
    with reading() as session:
        return session.exec(select(DeliveryAttempt).where(
            col(DeliveryAttempt.recipient_id).in_(recipient_ids),
            col(DeliveryAttempt.kind).in_(MEDICATION_MESSAGES), DeliveryAttempt.channel == "sms",
            col(DeliveryAttempt.outcome).not_in(("failed", "undelivered")))
            .order_by(col(DeliveryAttempt.created_at).desc())).first()


def waiting_doses(patient_id: str) -> list[DoseRecord]:
    """Per running schedule of the patient, its newest dose if that is open, or missed and not
    yet followed by another (the workflow may still take it as late)."""
    with reading() as session:
        running = session.exec(select(MedicationSchedule.id).where(
            MedicationSchedule.patient_id == patient_id,
            MedicationSchedule.status == "active")).all()
        waiting = []
        for schedule_id in running:
            newest = session.exec(select(DoseRecord).where(
                DoseRecord.schedule_id == schedule_id, DoseRecord.outcome != "suppressed")
                .order_by(col(DoseRecord.remind_at).desc())).first()
            if newest is not None and newest.outcome in ("open", "missed"):
                waiting.append(newest)
    return waiting


def _medication_patients(caregiver_id: str) -> list[str]:
    """Patients who gave (or once gave) this caregiver a consent with the `medication` scope."""
    with reading() as session:
        consents = session.exec(select(Consent).where(Consent.person_id == caregiver_id)).all()
    return sorted({c.patient_id for c in consents if "medication" in (c.scopes or [])})


def _by_newest_message(caregiver_id: str, patient_ids: list[str]) -> str | None:
    """Of these patients, the one the newest medication SMS to the caregiver was about."""
    with reading() as session:
        attempts = session.exec(select(DeliveryAttempt).where(
            DeliveryAttempt.recipient_id == caregiver_id, DeliveryAttempt.channel == "sms",
            col(DeliveryAttempt.kind).in_(MEDICATION_MESSAGES),
            col(DeliveryAttempt.outcome).not_in(("failed", "undelivered")))
            .order_by(col(DeliveryAttempt.created_at).desc()).limit(200)).all()
        for attempt in attempts:
            schedule = session.get(MedicationSchedule, attempt.subject_id)
            if schedule is not None and schedule.patient_id in patient_ids:
                return schedule.patient_id
    return None


def doses_to_answer(caregiver_id: str) -> tuple[Patient | None, list[DoseRecord], str | None]:
    """(the patient, their waiting doses, None), or (None, [], the reply key saying why not)."""
    linked = _medication_patients(caregiver_id)
    if not linked:
        return None, [], "carer_not_allowed"
    waiting = {pid: doses for pid in linked if (doses := waiting_doses(pid))}
    if not waiting:
        return None, [], "carer_no_open_dose"
    chosen = (next(iter(waiting)) if len(waiting) == 1
              else _by_newest_message(caregiver_id, list(waiting)))
    if chosen is None:
        return None, [], "carer_which"
    with reading() as session:
        patient = session.get(Patient, chosen)
    return patient, waiting[chosen], None


async def answer_caregiver_dose_sms(*, client: Any, caregiver: Caregiver, text: str) -> str:
    """The reply to a caregiver's SMS after confirming, for the patient, the doses it answers."""
    lang = caregiver.language
    reply = parse_dose_reply(text)
    if reply is None:
        return sms_reply("dose_help", lang)
    patient, doses, why_not = await asyncio.to_thread(doses_to_answer, caregiver.id)
    if patient is None:
        return sms_reply(why_not or "carer_no_open_dose", lang)
    user = Principal(caregiver.id, ("family",))  # as the app's token would: consent decides
    name = first_name(patient.name)
    answers = []
    for dose in doses:
        time = dose_time_label(dose.remind_at, patient.time_zone)
        try:
            result = await confirm_dose(client=client, user=user, schedule_id=dose.schedule_id,
                                        dose_id=dose.dose_id, outcome=reply.outcome,
                                        reason=reply.reason, via="sms")
        except VigilError as error:
            key = "forbidden" if error.code == "forbidden" else REFUSAL_REPLY.get(
                error.code, "dose_too_late")
            answers.append(sms_reply(_CARER_REFUSAL.get(key, key), lang))
            continue
        answers.append(sms_reply(f"carer_dose_{result.outcome}", lang, patient=name, time=time))
    return " ".join(dict.fromkeys(answers))  # the same answer once
