"""What a page says. Lock-screen text carries only severity, location and short code."""

from __future__ import annotations

from typing import Any

# Per-kind, per-language templates for SMS, voice and push. Keep them free of
# diagnosis and patient identity: they appear on lock screens and are spoken aloud.
_TEMPLATES: dict[str, dict[str, str]] = {
    "page": {
        "en": "VIGIL {severity}: emergency at {location}. Code {code}. Reply ACK {code} to take it.",
    },
    "ack_notice": {
        "en": "VIGIL: {owner} has taken the {severity} emergency at {location} (code {code}).",
    },
    "stand_down": {
        "en": "VIGIL: stand down. The emergency at {location} (code {code}) is {status}.",
    },
    "handover": {
        "en": "VIGIL {severity}: emergency at {location} handed over to you. Code {code}.",
    },
}


def location_text(location: dict[str, Any]) -> str:
    """'Facility, department, room N, floor F' from whatever parts are known."""
    parts = [location.get("facility_name") or location.get("facility"), location.get("department")]
    if location.get("room"):
        parts.append(f"room {location['room']}")
    if location.get("floor") not in (None, ""):
        parts.append(f"floor {location['floor']}")
    return ", ".join(str(p) for p in parts if p) or "unknown location"


def safe_text(kind: str, content: dict[str, Any], language: str = "en") -> str:
    """Render the lock-screen-safe text for one message kind in the recipient's language."""
    templates = _TEMPLATES.get(kind, _TEMPLATES["page"])
    template = templates.get(language) or templates["en"]
    return template.format(
        severity=str(content.get("severity", "")).upper().replace("_", "-"),
        location=location_text(content.get("location", {})),
        code=content.get("short_code", ""),
        owner=content.get("owner_name") or "a colleague",
        status=content.get("status", "closed"),
    )
