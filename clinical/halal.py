"""Halal warnings: a plan for a patient who asked for halal-only medicines is accepted with a
warning naming each medicine not known to be halal, so the coordinator sees it on the plan."""

from __future__ import annotations

HALAL_STATUSES = ("halal", "not_halal", "unknown")


def halal_warnings(medications: list[tuple[str, str | None]], halal_only: bool) -> list[str]:
    """One warning per (name, halal status) that is not 'halal', when the patient asked."""
    if not halal_only:
        return []
    warnings = []
    for name, status in medications:
        if status == "not_halal":
            warnings.append(f"{name} is marked not halal; the patient asked for halal-only "
                            "medicines.")
        elif status != "halal":
            warnings.append(f"{name} has no known halal status; the patient asked for halal-only "
                            "medicines.")
    return warnings
