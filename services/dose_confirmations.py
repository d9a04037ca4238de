"""Confirming a dose, from every path: the API (the app, a push action), the WebSocket, an SMS
reply and the email's signed link. Each ends in the schedule's validated `confirm_dose` update,
which refuses a dose that is not open and says why.

Who confirms is decided as the API decides it (services.medication.actor_for): the patient for
themself, staff and caregivers on the patient's behalf, a caregiver only while a consent with
the `medication` scope is in force.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import col, select

from channels.replies import sms_reply
from clinical.dose_plan import dose_label
from clinical.dose_replies import DoseReply, parse_dose_reply
from clinical.dose_times import zone_named
from db.engine import reading
from db.models import DoseRecord, MedicationSchedule, Patient, as_utc
from services.errors import VigilError
from services.medication import actor_for, get_schedule, run_command
from services.principal import Principal
from services.texted_doses import texted_doses
from workflows.medication import MedicationScheduleWorkflow as Wf
from workflows.medication_types import ConfirmDose, ConfirmResult

# A workflow's refusal, as the SMS answer that explains it.
REFUSAL_REPLY = {"dose_not_open": "dose_too_late", "schedule_closed": "no_open_dose",
                  "invalid_confirmation": "dose_skip_reason",
                  "temporal_unavailable": "dose_unavailable"}
ANSWERED = ("taken", "late", "skipped")  # a dose recorded so needs no reply any more


def _actor(user: Principal, schedule_id: str) -> tuple[MedicationSchedule, Any]:
    row = get_schedule(schedule_id)
    return row, actor_for(user, row)


async def confirm_dose(*, client: Any, user: Principal, schedule_id: str, dose_id: str,
                       outcome: str, reason: str = "", via: str = "app") -> ConfirmResult:
    """Taken or skipped (with a reason), as `user`; a refusal is the VigilError it names."""
    if client is None:
        raise VigilError(503, "temporal_unavailable", "The workflow engine is not reachable yet.")
    row, actor = await asyncio.to_thread(_actor, user, schedule_id)
    try:
        return await run_command(client=client, row=row, update=Wf.confirm_dose,
                                 arg=ConfirmDose(actor, dose_id, outcome, reason, via))
    except VigilError as error:
        if error.code != "schedule_closed":
            raise
        # The schedule ended (its last dose just settled, say): what became of this dose is
        # the clearer answer than the schedule's status.
        done = await asyncio.to_thread(_recorded_outcome, schedule_id, dose_id)
        if done is None:
            raise
        raise VigilError(409, "dose_not_open", f"Dose {dose_id} is already recorded {done}.",
                         {"dose_id": dose_id}) from error


def _recorded_outcome(schedule_id: str, dose_id: str) -> str | None:
    with reading() as session:
        dose = session.get(DoseRecord, f"{schedule_id}/{dose_id}")
    return dose.outcome if dose is not None and dose.outcome != "open" else None


# --- by SMS ---------------------------------------------------------------------------------

def confirmable_doses(patient_id: str) -> list[DoseRecord]:
    """What a bare "TAKEN" means when no SMS it answers is on record (services/texted_doses.py):
    the patient's open doses; with none open, the newest missed dose of each running schedule
    (the workflow takes it as late, or says it is too late)."""
    running = select(MedicationSchedule.id).where(
        MedicationSchedule.patient_id == patient_id, col(MedicationSchedule.status) == "active")
    query = (select(DoseRecord).where(DoseRecord.patient_id == patient_id,
                                      col(DoseRecord.schedule_id).in_(running))
             .order_by(col(DoseRecord.remind_at).desc()))
    with reading() as session:
        opened = session.exec(query.where(DoseRecord.outcome == "open")).all()
        if opened:
            return list(opened)
        missed = session.exec(query.where(DoseRecord.outcome == "missed").limit(20)).all()
    newest: dict[str, DoseRecord] = {}
    for dose in missed:
        newest.setdefault(dose.schedule_id, dose)
    return list(newest.values())


def answered_doses(patient_id: str) -> list[DoseRecord]:
    """The doses a patient's SMS reply answers: those of the newest medication SMS to them."""
    texted = texted_doses(patient_id)
    return confirmable_doses(patient_id) if texted is None else texted


def dose_time_label(remind_at: datetime, zone: str) -> str:
    """The dose's time as its messages say it ("8:00"), on the patient's clock."""
    return dose_label(as_utc(remind_at) or remind_at, zone_named(zone))


@dataclass(frozen=True)
class SmsAnswer:
    key: str  # dose_taken, dose_late, dose_skipped; or a refusal's: dose_too_late, forbidden, ...
    time: str  # the dose's time, as its messages say it


async def confirm_by_sms(*, client: Any, user: Principal, doses: list[DoseRecord],
                         reply: DoseReply, zone: str) -> list[SmsAnswer]:
    """Each dose an SMS reply answers, confirmed as `user` through `confirm_dose`: what to say."""
    answers = []
    for dose in doses:  # one reply can stand for several schedules' doses at that time
        time = dose_time_label(dose.remind_at, zone)
        try:
            result = await confirm_dose(client=client, user=user, schedule_id=dose.schedule_id,
                                        dose_id=dose.dose_id, outcome=reply.outcome,
                                        reason=reply.reason, via="sms")
        except VigilError as error:
            key = await asyncio.to_thread(_refusal_key, error.code, dose)
            answers.append(SmsAnswer(key, time))
            continue
        answers.append(SmsAnswer(f"dose_{result.outcome}", time))
    return answers


def _refusal_key(code: str, dose: DoseRecord) -> str:
    if code == "forbidden":
        return code
    if code == "dose_not_open" and _recorded_outcome(dose.schedule_id, dose.dose_id) in ANSWERED:
        return "no_open_dose"  # answered already (a reply sent twice, say): nothing waits
    return REFUSAL_REPLY.get(code, "dose_too_late")


async def answer_dose_sms(*, client: Any, patient: Patient, text: str) -> str:
    """The reply to a patient's SMS after confirming the doses it answers (in their language)."""
    lang = patient.language
    reply = parse_dose_reply(text)
    if reply is None:
        return sms_reply("dose_help", lang)
    doses = await asyncio.to_thread(answered_doses, patient.id)
    if not doses:
        return sms_reply("no_open_dose", lang)
    answers = await confirm_by_sms(client=client, user=Principal(patient.id, ("patient",)),
                                   doses=doses, reply=reply, zone=patient.time_zone)
    texts = [sms_reply("dose_too_late" if a.key == "forbidden" else a.key, lang, time=a.time)
             for a in answers]
    return " ".join(dict.fromkeys(texts))  # the same answer once
