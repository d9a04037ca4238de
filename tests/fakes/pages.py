"""Sample pages for the channel tests, with a `detail` that must never leave the app."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from channels.base import OutboundMessage, Recipient

# Strings from `detail`; no request body sent to SMS, voice or push may contain them.
SECRET_DETAIL = {"patient_name": "Jane Doe", "diagnosis": "suspected sepsis"}

NURSE = Recipient(
    staff_id="staff-17",
    name="Ada Okafor",
    phone="+15005550006",
    email="ada.okafor@hospital.example",
    push_token="fcm-token-abc123",
)


def a_page(channel: str = "sms", **changes: Any) -> OutboundMessage:
    """A critical page to NURSE; keyword arguments replace fields."""
    page = OutboundMessage(
        attempt_id="att-0001",
        channel=channel,
        recipient=NURSE,
        subject_id="emg-42",
        kind="page",
        severity="CRITICAL",
        short_code="K7Q",
        location_text="Ward 4B bed 12",
        safe_text="CRITICAL Ward 4B bed 12 code K7Q",
        detail=dict(SECRET_DETAIL),
    )
    return replace(page, **changes)
