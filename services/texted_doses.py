"""Which doses an SMS reply ("TAKEN", "1", "SKIP <reason>") answers: those the newest
medication SMS to the person replying was about, patient or caregiver alike.

Each medication SMS's delivery record names its schedule (`subject_id`) and its dose
(`dose_id`). The reply answers the dose of the newest such SMS to that person (not one that
failed or was reported undelivered), and with it the doses of the same patient that other
schedules texted them about at the same reminder time (one reply stands for every reminder of
that moment). Whatever became of a dose since, the reply is about that dose: still open, it is
confirmed; missed, the workflow takes it as late or says it is too late. A newer dose that has
opened meanwhile is never what the reply answers.

None when the answered SMS cannot be identified (none on record, or the newest recorded before
messages named their dose): the caller keeps its own rule for that.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from db.engine import reading
from db.models import DeliveryAttempt, DoseRecord, as_utc
from services.received_messages import received_messages

MEDICATION_MESSAGES = ("medication_reminder", "medication_missed")
_LOOK_BACK = 200  # medication SMS to one person, newest first, read at most
_CLOCK_SLACK = timedelta(minutes=1)  # an SMS about a dose is never sent before its reminder


def medication_sms(recipient_ids: list[str]) -> Any:
    """The medication messages texted to these people (not failed), newest first."""
    return received_messages(recipient_ids, MEDICATION_MESSAGES, channel="sms")


def newest_medication_sms(recipient_ids: list[str]) -> DeliveryAttempt | None:
    """The newest medication message texted to any of these people."""
    with reading() as session:
        return session.exec(medication_sms(recipient_ids)).first()


def _dose_of(session: Session, attempt: DeliveryAttempt) -> DoseRecord | None:
    if attempt.dose_id is None:
        return None
    return session.get(DoseRecord, f"{attempt.subject_id}/{attempt.dose_id}")


def texted_doses(recipient_id: str) -> list[DoseRecord] | None:
    """The doses a reply from this person answers (one patient's; at most one per schedule),
    or None when the SMS it answers cannot be identified."""
    with reading() as session:
        texted = session.exec(medication_sms([recipient_id]).limit(_LOOK_BACK)).all()
        answered = _dose_of(session, texted[0]) if texted else None
        if answered is None:
            return None
        moment = as_utc(answered.remind_at) or answered.remind_at
        doses = {answered.schedule_id: answered}
        for attempt in texted[1:]:
            if _sent_at(attempt) < moment - _CLOCK_SLACK:
                break  # older than the moment's reminders: about an earlier dose
            if attempt.subject_id in doses:
                continue
            dose = _dose_of(session, attempt)
            if (dose is not None and dose.patient_id == answered.patient_id
                    and as_utc(dose.remind_at) == moment):
                doses[dose.schedule_id] = dose
    return list(doses.values())


def _sent_at(attempt: DeliveryAttempt) -> datetime:
    return as_utc(attempt.created_at) or attempt.created_at
