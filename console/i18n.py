"""The console's words in English, Malay, Chinese and Tamil.

English is the source: templates write `_("English words")` and each other language has a
catalogue (console/i18n/<code>.json) from those words to its own, as gettext does. A missing
entry falls back to English (tests/unit/test_console_words.py keeps the catalogues complete).
The language is the one the person chose (`?lang=`, kept in a cookie), else their browser's.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path

from fastapi import Request

LANGUAGES = {"en": "English", "ms": "Bahasa Melayu", "zh": "中文", "ta": "தமிழ்"}
LANG_COOKIE = "vigil_lang"
CATALOGUE_DIR = Path(__file__).parent / "i18n"


@cache
def catalogue(lang: str) -> dict[str, str]:
    if lang == "en" or lang not in LANGUAGES:
        return {}
    return json.loads((CATALOGUE_DIR / f"{lang}.json").read_text(encoding="utf-8"))


def translator(lang: str) -> Callable[[str], str]:
    """`_` for one language: the catalogue's words for `text`, or `text` itself."""
    words = catalogue(lang)

    def translate(text: str, **values: object) -> str:
        found = words.get(text) or text
        return found.format(**values) if values else found
    return translate


def _from_header(header: str) -> str | None:
    """The first language of Accept-Language the console speaks (`ms-MY` counts as `ms`)."""
    ranked = []
    for part in header.split(","):
        code, _, q = part.strip().partition(";q=")
        try:
            ranked.append((float(q or 1), code.split("-")[0].lower()))
        except ValueError:
            continue
    for _, code in sorted(ranked, key=lambda item: -item[0]):
        if code in LANGUAGES:
            return code
    return None


def chosen_language(request: Request) -> tuple[str, bool]:
    """The page's language, and whether it was just chosen (so the cookie should keep it)."""
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return asked, True
    kept = request.cookies.get(LANG_COOKIE)
    if kept in LANGUAGES:
        return kept, False
    return _from_header(request.headers.get("accept-language", "")) or "en", False
