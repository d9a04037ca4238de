"""One JAKIM default everywhere: the patient record, the schedule body and the pure rules."""

from __future__ import annotations

from clinical.prayer_times import PrayerSettings
from services.schemas.medication import PrayerIn
from services.schemas.people import PrayerMethod


def test_patient_schedule_and_rules_default_to_the_same_jakim_angles_and_asr() -> None:
    rules, patient, schedule = PrayerSettings(), PrayerMethod(), PrayerIn()
    assert (patient.fajr_angle, patient.isha_angle) == (rules.fajr_angle, rules.isha_angle)
    assert (schedule.fajr_angle, schedule.isha_angle) == (rules.fajr_angle, rules.isha_angle)
    assert (rules.fajr_angle, rules.isha_angle) == (18.0, 18.0)
    assert (patient.asr, schedule.madhab, rules.madhab) == ("shafii", "shafi", "shafi")
