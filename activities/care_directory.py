"""The patient directory as a medication schedule reads it: Patient, Caregiver and Consent rows.

Read at the moment a schedule acts (the day's plan, a missed dose), never
snapshotted: a revoked consent stops the next escalation, and the answer the
workflow acted on is in its history as the activity's result.
"""

from __future__ import annotations

from typing import Any

from activities.consents import consented_people
from clinical.prayer_times import PrayerSettings, adjustments_for
from clinical.quiet_hours import QuietHours
from db.engine import reading
from db.models import Patient
from workflows.medication_types import Preferences


def _hhmm(value: str) -> str:
    return str(value)[:5]  # "22:00:00" as the directory answers it, "22:00" as the rules want


def _prayer(stored: dict[str, Any], window_min: int) -> PrayerSettings | None:
    if not stored.get("enabled"):
        return None
    method, adjustments = stored.get("method") or {}, stored.get("adjustments") or {}
    default = PrayerSettings()
    own = {k: int(v) for k, v in adjustments.items()}
    return PrayerSettings(
        fajr_angle=float(method.get("fajr_angle", default.fajr_angle)),
        isha_angle=float(method.get("isha_angle", default.isha_angle)),
        madhab="hanafi" if method.get("asr") == "hanafi" else "shafi",
        adjustments=adjustments_for(str(method.get("name", "JAKIM")), own), window_min=window_min)


def preferences_of(patient: Patient, snapshot: Preferences | None = None) -> Preferences:
    """The patient's record as the plan's preferences; what the record does not hold (the
    prayer window's length, a sighted Ramadan calendar) comes from the schedule's snapshot."""
    stored = patient.preferences or {}
    quiet = stored.get("quiet_hours")
    window = snapshot.prayer.window_min if snapshot and snapshot.prayer else 20
    return Preferences(
        zone=patient.time_zone, language=patient.language or "en",
        latitude=patient.home_latitude, longitude=patient.home_longitude,
        quiet_hours=QuietHours(_hhmm(quiet["start"]), _hhmm(quiet["end"])) if quiet else None,
        prayer=_prayer(stored.get("prayer") or {}, window),
        ramadan_mode=bool(stored.get("ramadan_mode")),
        ramadan_calendar=list(snapshot.ramadan_calendar) if snapshot else [],
        halal_only=bool(stored.get("halal_only")))


class PatientDirectory:
    """`CareDirectory` over the tables: the patient's record, and consent as it stands now."""

    def preferences(self, patient_id: str,
                    snapshot: Preferences | None = None) -> Preferences | None:
        with reading() as session:
            patient = session.get(Patient, patient_id)
        return preferences_of(patient, snapshot) if patient is not None else None

    def name(self, patient_id: str) -> str | None:
        with reading() as session:
            patient = session.get(Patient, patient_id)
        return patient.name if patient is not None else None

    def escalation_contacts(self, patient_id: str) -> list[str] | None:
        # Consent is the only authority: a patient with no records has nobody to escalate to.
        return consented_people(patient_id=patient_id, scope="medication", escalation_only=True)
