"""The directory a medication schedule reads (PatientDirectory), on SQLite and PostgreSQL: the
patient's record becomes the plan's preferences, and escalation follows consent as it stands."""

from __future__ import annotations

import uuid
from datetime import timedelta

from activities.care_directory import PatientDirectory
from clinical.prayer_times import PrayerSettings
from db.engine import writing
from db.models import Caregiver, Consent, Patient, utcnow
from workflows.medication_types import Preferences


def _people(tag: str) -> None:
    with writing() as session:
        session.add(Patient(id=f"patient-{tag}", name="Siti Hajar", language="ms",
                            time_zone="Asia/Kuala_Lumpur", home_latitude=3.157,
                            home_longitude=101.712, preferences={
                                "quiet_hours": {"start": "22:30:00", "end": "06:30:00"},
                                "prayer": {"enabled": True,
                                           "method": {"name": "JAKIM", "fajr_angle": 20.0,
                                                      "isha_angle": 18.0, "asr": "shafii"},
                                           "adjustments": {"maghrib": 2}},
                                "ramadan_mode": True, "halal_only": True}))
        for n in range(4):
            session.add(Caregiver(id=f"cg-{tag}-{n}", name=f"Carer {n}", relationship="son"))
        session.flush()
        granted = utcnow() - timedelta(days=1)
        for n, scopes, escalates, revoked in [(0, ["medication"], True, False),
                                              (1, ["medication"], True, True),
                                              (2, ["medication"], False, False),
                                              (3, ["emergencies"], True, False)]:
            session.add(Consent(id=f"consent-{tag}-{n}", patient_id=f"patient-{tag}",
                                person_id=f"cg-{tag}-{n}", scopes=scopes,
                                escalation_contact=escalates, granted_by="coord-lee",
                                granted_at=granted, revoked_at=utcnow() if revoked else None))


def test_the_patients_record_becomes_the_plans_preferences(any_db: str) -> None:
    tag = uuid.uuid4().hex[:8]
    _people(tag)
    snapshot = Preferences(zone="UTC", language="en", prayer=PrayerSettings(window_min=30),
                           ramadan_calendar=[("2027-02-08", "2027-03-09")])
    prefs = PatientDirectory().preferences(f"patient-{tag}", snapshot)
    assert prefs is not None
    assert (prefs.zone, prefs.language) == ("Asia/Kuala_Lumpur", "ms"), "the record wins"
    assert (prefs.latitude, prefs.longitude) == (3.157, 101.712)
    assert prefs.quiet_hours is not None and (prefs.quiet_hours.start, prefs.quiet_hours.end) == (
        "22:30", "06:30")
    assert prefs.prayer == PrayerSettings(fajr_angle=20.0, isha_angle=18.0, madhab="shafi",
                                          adjustments={"maghrib": 2}, window_min=30)
    assert prefs.ramadan_mode and prefs.halal_only
    assert prefs.ramadan_calendar == [("2027-02-08", "2027-03-09")], "kept from the snapshot"
    assert PatientDirectory().name(f"patient-{tag}") == "Siti Hajar"
    assert PatientDirectory().preferences("patient-nobody") is None


def test_escalation_goes_to_consented_escalation_contacts_as_consent_stands_now(
        any_db: str) -> None:
    tag = uuid.uuid4().hex[:8]
    _people(tag)
    directory = PatientDirectory()
    assert directory.escalation_contacts(f"patient-{tag}") == [f"cg-{tag}-0"]
    with writing() as session:
        consent = session.get(Consent, f"consent-{tag}-0")
        assert consent is not None
        consent.revoked_at = utcnow()
        session.add(consent)
    assert directory.escalation_contacts(f"patient-{tag}") == [], "revoked: told at once no more"
    assert directory.escalation_contacts("patient-nobody") == [], "no consent, nobody"
