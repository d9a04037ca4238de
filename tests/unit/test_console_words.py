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
from console.charts import LIMIT_LABELS
from console.i18n import LANGUAGES, catalogue, translator
from services.schemas.appointments import UpdateType

ROOT = Path(__file__).parents[2]
TEMPLATES = ROOT / "console" / "templates"
CONSOLE_CODE = [ROOT / "api" / "console_session.py", *(ROOT / "api" / "routes").glob("console*.py")]
# Words the console's Python hands to a template, which translates them there.
FROM_CODE = {*console.DONE.values(), *console_sessions.DONE.values(),
             *console_medication.DONE.values(), "active", "paused", "stopped", "completed",
             *console_auth.REASONS.values(), *LABELS.values(),
             *(title for title, _ in CHART_LABELS.values()), *EMERGENCY_FAMILY.values(),
             *FAMILY_TEXT.values(), *(text for _, text in FAMILY_STATUS.values()), STEADY[1],
             "Saved.", "You are not authorised for this patient.",
             "taken", "late", "skipped", "missed", "open", "created", "patient", "family",
             *(kind.replace("_", " ") for kind in UpdateType.__args__), *LIMIT_LABELS.values(),
             "must be a number"}


def refusal_words() -> set[str]:
    """The console's own refusals (`ConsoleRefusal(status, code, "words" "more words", ...)`)."""
    found = set()
    for source in CONSOLE_CODE:
        for literals in re.findall(r'ConsoleRefusal\(\s*\d+,\s*"\w+",\s*((?:f?"[^"]*"\s*)+)',
                                   source.read_text()):
            assert not literals.startswith("f"), f"{source.name}: pass values, not an f-string"
            found.add("".join(re.findall(r'"([^"]*)"', literals)))
    return found


def written_words() -> set[str]:
    found: set[str] = set()
    for page in TEMPLATES.glob("*.html"):
        text = page.read_text()
        found |= set(re.findall(r'_\(\s*"((?:[^"\\]|\\.)*)"', text))
        found |= set(re.findall(r"_\(\s*'((?:[^'\\]|\\.)*)'", text))
    return found | FROM_CODE | refusal_words()


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


# Names, not words: the product, its engine, a clinical score, a setting, the policy target
# syntax (`staff:<id>`); and p50/p90 (one letter) are notation.
NOT_WORDS = {"Vigil", "Temporal", "NEWS2", "VIGIL_DEV_MODE", "staff", "schedule", "id"}
READ_ATTRIBUTES = ("aria-label", "title", "placeholder", "alt")


def bare_words(page: str) -> list[str]:
    """Text a template writes as it is, not through `_()`: attribute values people read, text
    between tags, and literal labels handed to the form macros."""
    text = re.sub(r"\{#.*?#\}|<(script|style)\b.*?</\1>", "", page, flags=re.S)
    found = re.findall(r'\bf\.\w+\(\s*[^,()]+,\s*("[^"]*[A-Za-z][^"]*")', text)
    text = re.sub(r"\{%.*?%\}|\{\{.*?\}\}", " ", text, flags=re.S)
    for name in READ_ATTRIBUTES:
        found += re.findall(rf'\b{name}="([^"]*[A-Za-z][^"]*)"', text)
    text = re.sub(r'[\w-]+="[^"]*"', " ", text)  # attributes (also those a macro writes)
    for node in re.sub(r"<[^>]*>|&\w+;", "\n", text).splitlines():
        if any(len(re.findall("[A-Za-z]", word)) > 1 and word not in NOT_WORDS
               for word in re.findall(r"[A-Za-z]\w*", node)):
            found.append(node.strip())
    return found


@pytest.mark.parametrize("page", sorted(TEMPLATES.glob("*.html")), ids=lambda page: page.name)
def test_no_template_writes_english_outside_the_translator(page: Path) -> None:
    assert bare_words(page.read_text()) == []


def test_the_bare_word_check_can_fail() -> None:
    page = ('<h1>Edit policy</h1> <div aria-label="Chart"></div> {{ f.text("n", "Name", v) }}'
            '<p>{{ _("Fine") }} <code>{{ value }}</code>, <b>Vigil</b></p>')
    assert bare_words(page) == ['"Name"', "Chart", "Edit policy"]
