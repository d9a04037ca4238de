"""A patient's SMS answer to an appointment reminder: the words, and what Vigil answers.

Distinct from the staff's ACK words (and from a medication's), so one inbound
number serves them all: CONFIRM or RESCHEDULE, or the same in Malay, Chinese
or Tamil. Matching ignores case and anything after the first word ("Confirm,
see you then" confirms).
"""

from __future__ import annotations

from channels.messages import LANGUAGES

# answer -> the words that mean it, every language at once (a patient may text in any).
REPLY_WORDS = {
    "confirm": ("CONFIRM", "SAHKAN", "确认", "உறுதி"),
    "reschedule": ("RESCHEDULE", "TUKAR", "改期", "மாற்று"),
}
_BY_WORD = {word.casefold(): answer for answer, words in REPLY_WORDS.items() for word in words}

_ANSWERS = {
    "confirmed": {
        "en": "VIGIL: thank you, your appointment on {when} is confirmed.",
        "ms": "VIGIL: terima kasih, temujanji anda pada {when} disahkan.",
        "zh": "VIGIL：谢谢，您 {when} 的预约已确认。",
        "ta": "VIGIL: நன்றி, {when} அன்று உங்கள் சந்திப்பு உறுதி செய்யப்பட்டது.",
    },
    "reschedule_asked": {
        "en": "VIGIL: we have asked the clinic to find you another time than {when}.",
        "ms": "VIGIL: kami telah meminta klinik mencari masa lain selain {when}.",
        "zh": "VIGIL：我们已请诊所为您另找 {when} 以外的时间。",
        "ta": "VIGIL: {when} தவிர வேறு நேரம் கண்டுபிடிக்க மருத்துவமனையிடம் கேட்டுள்ளோம்.",
    },
    "no_appointment": {
        "en": "VIGIL: you have no upcoming appointment to answer.",
        "ms": "VIGIL: anda tiada temujanji akan datang untuk dijawab.",
        "zh": "VIGIL：您没有即将到来的预约。",
        "ta": "VIGIL: பதிலளிக்க உங்களுக்கு வரவிருக்கும் சந்திப்பு இல்லை.",
    },
    "unavailable": {
        "en": "VIGIL: your answer could not be recorded just now. Please use the Vigil app.",
        "ms": "VIGIL: jawapan anda tidak dapat direkodkan. Sila guna aplikasi Vigil.",
        "zh": "VIGIL：暂时无法记录您的回复。请使用 Vigil 应用。",
        "ta": "VIGIL: உங்கள் பதிலைப் பதிவு செய்ய இயலவில்லை. Vigil செயலியைப் பயன்படுத்தவும்.",
    },
}


def appointment_answer(text: str) -> str | None:
    """confirm or reschedule, if the text's first word says so; None otherwise."""
    words = text.strip().split()
    if not words:
        return None
    first = words[0].strip(".,!?。，！").casefold()
    return _BY_WORD.get(first)


def answer_text(key: str, language: str = "en", **fields: str) -> str:
    """Vigil's SMS answer `key` (confirmed, reschedule_asked, ...) in `language`."""
    texts = _ANSWERS[key]
    return texts[language if language in LANGUAGES else "en"].format(**fields)
