"""Every live-event topic, named once: who publishes to it and who listens share these names."""

from __future__ import annotations


def emergency_topic(emergency_id: str) -> str:
    """One emergency's changes and deliveries."""
    return f"emergency:{emergency_id}"


def session_topic(session_id: str) -> str:
    """One monitoring session's readings, alarms, changes and deliveries."""
    return f"session:{session_id}"


def inbox_topic(person_id: str) -> str:
    """A person's inbox, staff, patient or caregiver alike: every page to them (the WebSocket and
    the SSE inbox). The "staff:" prefix is kept so recorded events stay on the same topic."""
    return f"staff:{person_id}"


staff_topic = inbox_topic  # the name the staff-only code used


def consent_topic(patient_id: str, person_id: str) -> str:
    """Changes to one person's consent for one patient: their open update streams re-check on it."""
    return f"consent:{patient_id}:{person_id}"


def family_topic(patient_id: str, member: str | None = None) -> str:
    """A patient's family stream: emergency status for everyone the patient authorised, and
    one topic per family member a monitoring session names (`member`)."""
    return f"family:{patient_id}" if member is None else f"family:{patient_id}:{member}"


def medication_topic(schedule_id: str) -> str:
    """One medication schedule's reminders, confirmations, changes and deliveries."""
    return f"medication:{schedule_id}"


def subject_topic(subject_id: str) -> str:
    """The live stream a workflow's subject is watched on: its session's, appointment's,
    medication schedule's or emergency's."""
    if subject_id.startswith("session-"):
        return session_topic(subject_id)
    if subject_id.startswith("appointment-"):
        return appointment_topic(subject_id)
    if subject_id.startswith("medication-"):
        return medication_topic(subject_id)
    return emergency_topic(subject_id)


def family_appointments_topic(patient_id: str) -> str:
    """A patient's appointment news in plain words, for family whose consent covers appointments."""
    return f"family-appointments:{patient_id}"


def appointment_topic(appointment_id: str) -> str:
    """One appointment's updates, reminders and deliveries."""
    return f"appointment:{appointment_id}"


def facility_appointments_topic(facility_id: str) -> str:
    """Every appointment change at one facility: the clinic board."""
    return f"appointments:{facility_id}"
