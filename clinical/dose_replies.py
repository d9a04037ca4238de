"""What a patient's SMS reply to a medication reminder means, in en, ms, zh and ta.

The reminder asks for "TAKEN" in every language (channels/messages.py), so the
English words always work; each language adds its own. "1" means taken. A skip
needs its reason after the word ("SKIP nausea", "LANGKAU loya", "跳过 恶心"):
without one the workflow refuses it and the patient is asked why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# One table: the words for each answer, by language. Matched without regard to case.
DOSE_REPLY_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "taken": {
        "en": ("TAKEN", "TAKE", "YES", "1"),
        "ms": ("SUDAH", "DIAMBIL", "YA"),
        "zh": ("已服", "已吃", "吃了", "服了"),
        "ta": ("எடுத்தேன்", "எடுத்துவிட்டேன்", "ஆம்"),
    },
    "skipped": {
        "en": ("SKIP", "SKIPPED"),
        "ms": ("LANGKAU", "TIDAK"),
        "zh": ("跳过", "不吃"),
        "ta": ("தவிர்", "தவிர்த்தேன்"),
    },
}
_SPACE = re.compile(r"\s+")
# Chinese writes no space between the word and the reason; the other languages do.
_RUNS_ON = re.compile(r"^[\u4e00-\u9fff]")


@dataclass(frozen=True)
class DoseReply:
    outcome: str  # taken or skipped
    reason: str = ""  # what followed SKIP


def parse_dose_reply(text: str) -> DoseReply | None:
    """The answer an SMS gives, or None if it is not one (help is sent instead)."""
    cleaned = _SPACE.sub(" ", text or "").strip().strip(".!。！")
    upper = cleaned.upper()
    words = sorted(((word, outcome) for outcome, languages in DOSE_REPLY_WORDS.items()
                    for group in languages.values() for word in group),
                   key=lambda pair: -len(pair[0]))  # the longest first: தவிர்த்தேன் before தவிர்
    for word, outcome in words:
        if upper == word:
            return DoseReply(outcome)
    for word, outcome in words:
        if outcome != "skipped" or not upper.startswith(word):
            continue
        rest = cleaned[len(word):]
        if rest[:1] in (" ", ":", ",", "-") or _RUNS_ON.match(word):  # "SKIPPY" is not SKIP
            return DoseReply(outcome, rest.strip(" :,-，："))
    return None
