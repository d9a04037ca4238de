"""Medication messages on a lock screen: the time only, never the medicine, in four languages."""

from __future__ import annotations

import pytest

from channels.messages import LANGUAGES, medication_detail, safe_text

CONTENT = {"dose_time": "8:00", "severity": "", "patient_id": "patient-001",
           "medications": [{"name": "Metformin", "dose": "500 mg", "instructions": "diabetes"}]}


def test_the_sms_reminder_reads_as_specified() -> None:
    assert safe_text("medication_reminder", CONTENT, "en", "sms") == (
        "Vigil: it is time for your 8:00 medicine. Reply TAKEN or open the app.")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("channel", ["sms", "push", "websocket", "email"])
@pytest.mark.parametrize("kind", ["medication_reminder", "medication_missed"])
def test_no_medicine_diagnosis_or_patient_on_any_channel(kind: str, channel: str,
                                                         language: str) -> None:
    text = safe_text(kind, CONTENT, language, channel)
    assert "8:00" in text
    for secret in ("Metformin", "500 mg", "diabetes", "patient-001"):
        assert secret not in text


def test_each_language_has_its_own_words() -> None:
    texts = {lang: safe_text("medication_reminder", CONTENT, lang, "sms") for lang in LANGUAGES}
    assert len(set(texts.values())) == 4
    assert all("TAKEN" in text for text in texts.values())


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("channel", ["sms", "push", "websocket"])
def test_a_caregiver_is_told_whose_dose_by_first_name_only(channel: str, language: str) -> None:
    content = {**CONTENT, "patient_name": "Aminah binti Ali"}
    text = safe_text("medication_missed", content, language, channel)
    assert "Aminah" in text and "binti" not in text and "Ali" not in text
    for secret in ("Metformin", "500 mg", "diabetes", "patient-001"):
        assert secret not in text


def test_the_app_and_email_detail_lists_each_medicine() -> None:
    assert medication_detail(CONTENT, "ms") == ["Ubat:", "Metformin 500 mg (diabetes)"]
    assert medication_detail({"medications": []}, "en") == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_caregivers_sms_asks_for_a_reply_the_other_channels_for_the_app(language: str) -> None:
    content = {**CONTENT, "patient_name": "Aminah binti Ali"}
    assert "TAKEN" in safe_text("medication_missed", content, language, "sms")
    assert "TAKEN" not in safe_text("medication_missed", content, language, "push")
