"""Every live-event topic, named once: who publishes to it and who listens share these names."""

from __future__ import annotations


def emergency_topic(emergency_id: str) -> str:
    """One emergency's changes and deliveries."""
    return f"emergency:{emergency_id}"


def session_topic(session_id: str) -> str:
    """One monitoring session's readings, alarms, changes and deliveries."""
    return f"session:{session_id}"


def staff_topic(staff_id: str) -> str:
    """A person's inbox: every page to them (the WebSocket and the SSE inbox)."""
    return f"staff:{staff_id}"


def family_topic(patient_id: str, member: str | None = None) -> str:
    """A patient's family stream: emergency status for everyone the patient authorised, and
    one topic per family member a monitoring session names (`member`)."""
    return f"family:{patient_id}" if member is None else f"family:{patient_id}:{member}"


def medication_topic(schedule_id: str) -> str:
    """One medication schedule's reminders, confirmations, changes and deliveries."""
    return f"medication:{schedule_id}"


def subject_topic(subject_id: str) -> str:
    """The stream a workflow's subject is watched on: its session's, schedule's or emergency's."""
    if subject_id.startswith("session-"):
        return session_topic(subject_id)
    if subject_id.startswith("medication-"):
        return medication_topic(subject_id)
    return emergency_topic(subject_id)
