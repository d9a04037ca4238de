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


def test_a_patient_record_reads_the_same_at_intake_and_when_the_day_is_planned() -> None:
    """JAKIM's ihtiyati applies where the patient chose JAKIM and set no minutes of their own,
    whether the FHIR intake or the worker's directory reads the record."""
    from activities.care_directory import preferences_of
    from clinical.prayer_times import JAKIM_ADJUSTMENTS
    from db.models import Patient
    from services.medication_fhir import patient_preferences

    def patient(adjustments: dict[str, int], method: str = "JAKIM") -> Patient:
        return Patient(id="p", name="Aminah", time_zone="Asia/Kuala_Lumpur", language="ms",
                       home_latitude=3.139, home_longitude=101.687, preferences={
                           "prayer": {"enabled": True, "method": {"name": method},
                                      "adjustments": adjustments}})

    none = {p: 0 for p in JAKIM_ADJUSTMENTS}
    own = dict(none, maghrib=5)
    for stored, expected in ((none, JAKIM_ADJUSTMENTS), (own, own)):
        planned = preferences_of(patient(stored)).prayer
        taken = patient_preferences(patient(stored)).prayer
        assert planned is not None and taken is not None
        assert planned.adjustments == taken.adjustments == expected
    assert preferences_of(patient(none, "MWL")).prayer.adjustments == none  # type: ignore[union-attr]
