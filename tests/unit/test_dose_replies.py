"""A patient's SMS reply to a reminder: TAKEN, 1 or SKIP <reason>, in en, ms, zh and ta."""

from __future__ import annotations

import pytest

from clinical.dose_replies import DOSE_REPLY_WORDS, DoseReply, parse_dose_reply
from channels.messages import LANGUAGES


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
