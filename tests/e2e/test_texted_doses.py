"""Which dose an SMS reply answers (services/texted_doses.py), on SQLite and PostgreSQL: the dose
the newest medication SMS to that phone was about, as the one delivery path records it.

Messages go out through the real delivery activity (to a provider that accepts everything);
doses are written as the schedule's record activity writes them. No workflow runs: what the
reply then does to each dose is the workflow's (tests/e2e/test_medication_sms_reply_answers.py).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from db.engine import writing
from db.models import Caregiver, DeliveryAttempt, Patient
from services.texted_doses import texted_doses
from tests.utils.dose_rows import EIGHT, dose, person, schedule, text

def answered(recipient_id: str) -> list[str] | None:
    doses = texted_doses(recipient_id)
    return None if doses is None else sorted(d.id for d in doses)




def test_a_reply_answers_the_texted_dose_not_the_one_opened_since(any_db: str) -> None:
    patient, plan = person(Patient), schedule()
    assert answered(patient) is None, "no SMS on record: the caller keeps its own rule"
    first = dose(patient, plan, EIGHT, "open")
    text(patient, first, "d1r0")
    assert answered(patient) == [first.id], "the open dose it was texted about"

    dose(patient, plan, EIGHT, "missed")
    second = dose(patient, plan, EIGHT + timedelta(minutes=1), "open")
    assert answered(patient) == [first.id], "the missed dose, never the one opened since"

    unsent = text(patient, second, "d2r0")
    with writing() as session:  # as Twilio's status callback reports it
        unsent.outcome = "undelivered"
        session.add(unsent)
    assert answered(patient) == [first.id], "an SMS that never arrived is not answered"

    text(patient, second, "d2r1")  # the re-reminder reaches the phone
    assert answered(patient) == [second.id]


def test_a_reply_stands_for_every_schedule_texted_at_that_reminder_time(any_db: str) -> None:
    patient, morning, evening = person(Patient), schedule(), schedule()
    earlier = dose(patient, evening, EIGHT - timedelta(hours=12), "missed")
    text(patient, earlier, "d1r0")
    both = [dose(patient, plan, EIGHT, "open") for plan in (morning, evening)]
    for row in both:
        text(patient, row, "d2r0")
    assert answered(patient) == sorted(row.id for row in both)


def test_a_caregiver_of_two_patients_answers_the_newest_message_to_their_phone(
        any_db: str) -> None:
    carer, aminah, mei = person(Caregiver), person(Patient), person(Patient)
    for_aminah = dose(aminah, schedule(), EIGHT, "missed")
    for_mei = dose(mei, schedule(), EIGHT, "missed")
    text(carer, for_aminah, "d1x", kind="medication_missed")
    text(carer, for_mei, "d1x", kind="medication_missed")
    assert answered(carer) == [for_mei.id], "the newest message, and only that patient's"
    assert answered(aminah) is None and answered(mei) is None, "the patients were not texted"


def test_a_message_from_before_doses_were_named_is_not_guessed_at(any_db: str) -> None:
    patient = person(Patient)
    with writing() as session:
        session.add(DeliveryAttempt(id=f"old-{uuid.uuid4().hex}/d1r0/{patient}/sms",
                                    subject_id=schedule(), recipient_id=patient, channel="sms",
                                    kind="medication_reminder", outcome="sent"))
    assert answered(patient) is None
