"""A caregiver's SMS reply to a medication message ("TAKEN", "1", "SKIP <reason>", in any of
the four languages): it confirms, on the patient's behalf, the dose the newest medication SMS
to the caregiver's phone was about (services/texted_doses.py, as a patient's own reply does),
through the same `confirm_dose` as the app, the API and the console, so it counts only while
the caregiver's consent with the `medication` scope is in force (decided from the consent
records there, never here). A missed dose is taken as late, or refused as too late once the
next dose has begun; the newer dose is never confirmed in its place.

With no such SMS on record: among the patients the caregiver has (or had) a `medication`
consent for, the ones with a dose waiting (open, or missed and still confirmable late); one
such patient is the answer; with several, the one of the newest medication SMS sent to the
caregiver's phone. A revoked consent is refused with a reply saying so, and nothing is recorded.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlmodel import col, select

from channels.messages import first_name
from channels.replies import sms_reply
from clinical.dose_replies import parse_dose_reply
from db.engine import reading
from db.models import Caregiver, Consent, DoseRecord, MedicationSchedule, Patient
from services.dose_confirmations import confirm_by_sms
from services.principal import Principal
from services.texted_doses import medication_sms, texted_doses

# The caregiver's own words for the patient's answers ("your next dose" is the patient's);
# any other key is the patient's own (dose_skip_reason, dose_unavailable).
_CARER_REPLY = {"dose_taken": "carer_dose_taken", "dose_late": "carer_dose_late",
                "dose_skipped": "carer_dose_skipped", "dose_too_late": "carer_dose_too_late",
                "no_open_dose": "carer_no_open_dose", "forbidden": "carer_not_allowed"}


def caregiver_by_phone(number: str) -> Caregiver | None:
    """The one caregiver with this number (E.164, as Twilio sends it); None if not exactly one."""
    with reading() as session:
        found = session.exec(select(Caregiver).where(Caregiver.phone == number.strip())).all()
    return found[0] if len(found) == 1 else None


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
        attempts = session.exec(medication_sms([caregiver_id]).limit(200)).all()
        for attempt in attempts:
            schedule = session.get(MedicationSchedule, attempt.subject_id)
            if schedule is not None and schedule.patient_id in patient_ids:
                return schedule.patient_id
    return None


def doses_to_answer(caregiver_id: str) -> tuple[Patient | None, list[DoseRecord], str | None]:
    """(the patient, the doses the reply answers, None), or (None, [], the reply key saying
    why not)."""
    linked = _medication_patients(caregiver_id)
    if not linked:
        return None, [], "carer_not_allowed"
    texted = texted_doses(caregiver_id)
    if texted is not None:  # consent is decided by `confirm_dose`, as for every other path
        chosen, doses = texted[0].patient_id, texted
    else:
        waiting = {pid: doses for pid in linked if (doses := waiting_doses(pid))}
        if not waiting:
            return None, [], "carer_no_open_dose"
        found = (next(iter(waiting)) if len(waiting) == 1
                 else _by_newest_message(caregiver_id, list(waiting)))
        if found is None:
            return None, [], "carer_which"
        chosen, doses = found, waiting[found]
    with reading() as session:
        patient = session.get(Patient, chosen)
    return patient, doses, None


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
    answers = await confirm_by_sms(client=client, user=user, doses=doses, reply=reply,
                                   zone=patient.time_zone)
    name = first_name(patient.name)
    texts = [sms_reply(_CARER_REPLY.get(a.key, a.key), lang, patient=name, time=a.time)
             for a in answers]
    return " ".join(dict.fromkeys(texts))  # the same answer once
