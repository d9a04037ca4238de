"""The console speaks English, Malay, Chinese and Tamil: each catalogue has every word it writes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from activities.emergency_records import FAMILY_TEXT as EMERGENCY_FAMILY
from activities.monitoring_records import FAMILY_STATUS, FAMILY_TEXT, STEADY
from api.routes import console, console_auth, console_medication, console_sessions
from console.alarm import LABELS
from console.charts import LABELS as CHART_LABELS
from console.i18n import LANGUAGES, catalogue, translator
from services.schemas.appointments import UpdateType

TEMPLATES = Path(__file__).parents[2] / "console" / "templates"
# Words the console's Python hands to a template, which translates them there.
FROM_CODE = {*console.DONE.values(), *console_sessions.DONE.values(),
             *console_medication.DONE.values(), "active", "paused", "stopped", "completed",
             *console_auth.REASONS.values(), *LABELS.values(),
             *(title for title, _ in CHART_LABELS.values()), *EMERGENCY_FAMILY.values(),
             *FAMILY_TEXT.values(), *(text for _, text in FAMILY_STATUS.values()), STEADY[1],
             "Saved.", "You are not authorised for this patient.",
             "taken", "late", "skipped", "missed", "open", "created", "patient", "family",
             *(kind.replace("_", " ") for kind in UpdateType.__args__)}


def written_words() -> set[str]:
    found: set[str] = set()
    for page in TEMPLATES.glob("*.html"):
        text = page.read_text()
        found |= set(re.findall(r'_\(\s*"((?:[^"\\]|\\.)*)"', text))
        found |= set(re.findall(r"_\(\s*'((?:[^'\\]|\\.)*)'", text))
    return found | FROM_CODE


@pytest.mark.parametrize("lang", [code for code in LANGUAGES if code != "en"])
def test_every_word_the_console_writes_is_in_each_catalogue(lang: str) -> None:
    words, wanted = catalogue(lang), written_words()
    assert sorted(wanted - set(words)) == [], f"missing from console/i18n/{lang}.json"
    assert sorted(set(words) - wanted) == [], f"console/i18n/{lang}.json has unused entries"
    for english, translated in words.items():
        assert translated.strip(), english
        placeholders = sorted(re.findall(r"\{\w+\}", english))
        assert placeholders == sorted(re.findall(r"\{\w+\}", translated)), english


def test_a_missing_word_falls_back_to_english_and_placeholders_are_filled() -> None:
    assert translator("ms")("Taken by {name}.", name="Siti") == "Diambil oleh Siti."
    assert translator("zh")("not in any catalogue") == "not in any catalogue"
    assert translator("en")("{name} has it.", name="Mei") == "Mei has it."
