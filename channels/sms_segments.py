"""How much text fits in a few SMS segments.

A page must arrive whole or not at all on old handsets, and carriers bill and
split per segment, so the SMS body is cut to a fixed number of segments here
rather than left to the network. Concatenated segments lose room to the
header that joins them: GSM-7 153 septets each (160 alone), UCS-2 67 UTF-16
units each (70 alone).
"""

from __future__ import annotations

# GSM 03.38 default alphabet (without ESC, which only introduces the extension table).
GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Extension table characters: each is sent as ESC + char, so costs two septets.
GSM7_EXTENDED = "\f^{}\\[~]|€"

_SINGLE = {"GSM-7": 160, "UCS-2": 70}
_PER_PART = {"GSM-7": 153, "UCS-2": 67}


def sms_encoding(text: str) -> str:
    """'GSM-7' if every character is in the GSM alphabet, else 'UCS-2'."""
    gsm = set(GSM7_BASIC) | set(GSM7_EXTENDED)
    return "GSM-7" if all(ch in gsm for ch in text) else "UCS-2"


def _cost(ch: str, encoding: str) -> int:
    if encoding == "GSM-7":
        return 2 if ch in GSM7_EXTENDED else 1
    return 2 if ord(ch) > 0xFFFF else 1  # astral characters take a UTF-16 surrogate pair


def fit_to_segments(text: str, max_segments: int = 2) -> str:
    """The longest prefix of `text` that goes out in at most `max_segments` segments."""
    encoding = sms_encoding(text)
    budget = _SINGLE[encoding] if max_segments == 1 else _PER_PART[encoding] * max_segments
    used = 0
    for i, ch in enumerate(text):
        used += _cost(ch, encoding)
        if used > budget:
            return text[:i].rstrip()
    return text
