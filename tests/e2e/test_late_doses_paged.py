"""What a caregiver's fresh socket replays about doses (services/open_doses.py), on SQLite and
PostgreSQL: the missed-dose pages in their inbox whose dose they may still confirm late; and
over a real socket to the running stack, that a caregiver's fresh socket is shown them.

Pages go out through the real delivery activity to the WebSocket channel; doses and schedules
are written as the schedule's record activity writes them. No workflow runs: a late window is
at least five minutes of wall clock (the shortest confirm window), and what a late
confirmation then does is the workflow's (tests/workflows/test_medication_*).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlmodel import select

from db.engine import writing
from db.models import Caregiver, Consent, MedicationSchedule, Patient, utcnow
from services.open_doses import late_doses_paged
from cli.stack import Stack
from tests.utils.dose_rows import EIGHT, dose, person, schedule, text
from tests.utils.live import next_frame, staff_socket

EVERYTHING = 2**31 - 1  # every event id (an INTEGER column)


def consent(patient_id: str, caregiver_id: str, scopes: list[str]) -> Consent:
    row = Consent(id=f"consent-{uuid.uuid4().hex[:8]}", patient_id=patient_id,
                  person_id=caregiver_id, scopes=scopes, granted_by=patient_id)
    with writing() as session:
        session.add(row)
    return row


def paged_about(caregiver_id: str) -> list[str]:
    """`schedule id/dose id` of each page replayed, in order."""
    return [f"{e['payload']['subject_id']}/{e['payload']['detail']['dose_id']}"
            for e in late_doses_paged(caregiver_id, EVERYTHING)]


def test_a_missed_dose_is_replayed_while_it_may_still_be_confirmed_late(any_db: str) -> None:
    carer, patient = person(Caregiver), person(Patient)
    consent(patient, carer, ["medication"])
    plan = schedule(patient)
    first = dose(patient, plan, EIGHT, "open")
    text(carer, first, "d1x", kind="medication_missed", channel="websocket")
    assert paged_about(carer) == [], "an open dose is the patient's to confirm"

    dose(patient, plan, EIGHT, "missed")
    assert paged_about(carer) == [first.id], "missed, and the schedule has opened no dose since"

    dose(patient, plan, EIGHT + timedelta(hours=4), "suppressed")  # a fast day's dose, not sent
    assert paged_about(carer) == [first.id], "a suppressed dose does not end the late window"

    dose(patient, plan, EIGHT + timedelta(hours=12), "open")
    assert paged_about(carer) == [], "the next dose has begun: it can no longer be late"


def test_only_pages_to_this_caregiver_with_consent_in_force_about_a_running_schedule(
        any_db: str) -> None:
    carer, other_carer = person(Caregiver), person(Caregiver)
    aminah, mei, siti = person(Patient), person(Patient), person(Patient)
    for patient in (aminah, mei):
        consent(patient, carer, ["medication"])
    consent(siti, carer, ["emergencies"])  # does not cover medication
    consent(aminah, other_carer, ["medication"])
    doses = {p: dose(p, schedule(p), EIGHT, "missed") for p in (aminah, mei, siti)}
    for row in doses.values():
        text(carer, row, "d1x", kind="medication_missed", channel="websocket")
    assert paged_about(carer) == [doses[aminah].id, doses[mei].id], \
        "in the order they were paged; not Siti's, whose consent does not cover medication"
    assert paged_about(other_carer) == [], "never paged: another caregiver's pages are not theirs"

    with writing() as session:  # Mei withdraws her consent
        mine = session.exec(select(Consent).where(Consent.patient_id == mei)).one()
        mine.revoked_at = utcnow()
        session.add(mine)
    assert paged_about(carer) == [doses[aminah].id]
    with writing() as session:  # Aminah's schedule is stopped
        stopped = session.get(MedicationSchedule, doses[aminah].schedule_id)
        assert stopped is not None
        stopped.status = "stopped"
        session.add(stopped)
    assert paged_about(carer) == []


@pytest.mark.e2e
async def test_a_caregivers_fresh_socket_is_shown_the_missed_dose_they_may_confirm_late(
        stack: Stack) -> None:
    carer, patient = person(Caregiver), person(Patient)
    consent(patient, carer, ["medication"])
    plan = schedule(patient)
    over = dose(patient, plan, EIGHT - timedelta(hours=12), "missed")
    text(carer, over, "d1x", kind="medication_missed", channel="websocket")
    late = dose(patient, plan, EIGHT, "missed")  # the next dose began, then it was missed too
    text(carer, late, "d2x", kind="medication_missed", channel="websocket")
    async with staff_socket(stack.ws_url(), carer, roles=("family",)) as app:
        frame = await next_frame(app, timeout_s=15, type="event")
    # Replayed in id order: had the dose that can no longer be late been replayed, it came first.
    assert frame["kind"] == "medication_missed", frame
    assert (frame["payload"]["subject_id"], frame["payload"]["detail"]["dose_id"]) == (
        plan, late.dose_id), "the page about the dose that may still be confirmed late"
