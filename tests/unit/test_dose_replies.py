"""A patient's SMS reply to a reminder: TAKEN, 1 or SKIP <reason>, in en, ms, zh and ta."""

from __future__ import annotations

import pytest

from clinical.dose_replies import DOSE_REPLY_WORDS, DoseReply, parse_dose_reply
from channels.messages import LANGUAGES
from channels.replies import sms_reply


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_has_words_for_taken_and_skipped(language: str) -> None:
    for outcome, by_language in DOSE_REPLY_WORDS.items():
        assert by_language[language], f"{outcome} in {language}"
        for word in by_language[language]:
            assert parse_dose_reply(word) == DoseReply(outcome)
            assert parse_dose_reply(f" {word.lower()}. ") == DoseReply(outcome)


@pytest.mark.parametrize(("text", "reply"), [
    ("TAKEN", DoseReply("taken")), ("taken", DoseReply("taken")), ("1", DoseReply("taken")),
    ("SKIP nausea", DoseReply("skipped", "nausea")),
    ("skip:  felt dizzy", DoseReply("skipped", "felt dizzy")),
    ("LANGKAU loya", DoseReply("skipped", "loya")),
    ("跳过恶心", DoseReply("skipped", "恶心")), ("跳过 恶心", DoseReply("skipped", "恶心")),
    ("已服", DoseReply("taken")), ("எடுத்தேன்", DoseReply("taken")),
    # the longer Tamil word is not the shorter one with a "reason" glued on
    ("தவிர்த்தேன்", DoseReply("skipped")),
    ("தவிர்த்தேன் காய்ச்சல்", DoseReply("skipped", "காய்ச்சல்")),
    ("SKIP", DoseReply("skipped")),  # no reason: the workflow refuses and the patient is asked
])
def test_replies_are_read_in_any_of_the_four_languages(text: str, reply: DoseReply) -> None:
    assert parse_dose_reply(text) == reply


@pytest.mark.parametrize("text", ["", "hello", "ACK", "ACK 4821", "skippy", "2", "TAKEN TAKEN"])
def test_anything_else_is_not_an_answer(text: str) -> None:
    assert parse_dose_reply(text) is None


@pytest.mark.parametrize("outcome", ["taken", "late", "skipped", "too_late"])
def test_a_caregiver_is_answered_in_their_language_naming_the_patient_not_the_medicine(
        outcome: str) -> None:
    texts = {lang: sms_reply(f"carer_dose_{outcome}", lang, patient="Aminah", time="8:00")
             for lang in LANGUAGES}
    assert len(set(texts.values())) == len(LANGUAGES), "each language its own words"
    assert all("Aminah" in text and "8:00" in text for text in texts.values())


@pytest.mark.parametrize("outcome", ["taken", "late", "skipped", "too_late"])
def test_a_patient_is_answered_naming_the_time_of_the_dose_their_reply_answered(
        outcome: str) -> None:
    texts = {lang: sms_reply(f"dose_{outcome}", lang, time="8:00") for lang in LANGUAGES}
    assert len(set(texts.values())) == len(LANGUAGES), "each language its own words"
    assert all("8:00" in text for text in texts.values())


@pytest.mark.parametrize("key", ["carer_not_allowed", "carer_no_open_dose", "carer_which"])
def test_a_caregivers_refusals_exist_in_every_language(key: str) -> None:
    assert len({sms_reply(key, lang) for lang in LANGUAGES}) == len(LANGUAGES)
