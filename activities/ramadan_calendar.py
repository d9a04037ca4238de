"""Ramadan as the admins fixed it by sighting (the `RamadanDates` table), for day planning.

`plan_medication_day` puts these dates ahead of a schedule's own calendar; a
Hijri year with no row keeps the computed dates (clinical/ramadan.py). Read by
the activity, so the dates a schedule acted on are in its history.
"""

from __future__ import annotations

from dataclasses import replace

from sqlmodel import col, select

from db.engine import reading
from db.models import RamadanDates
from workflows.medication_types import Preferences


def sighted_ramadan() -> list[tuple[str, str]]:
    """Every admin-set Ramadan, [first, last] ISO days, oldest first."""
    with reading() as session:
        rows = session.exec(select(RamadanDates).order_by(col(RamadanDates.hijri_year))).all()
    return [(r.first_day.isoformat(), r.last_day.isoformat()) for r in rows]


def with_sighted(prefs: Preferences, sighted: list[tuple[str, str]]) -> Preferences:
    """The table's dates first (they win for their year), then the schedule's own."""
    if not prefs.ramadan_mode or not sighted:
        return prefs
    return replace(prefs, ramadan_calendar=[*sighted, *prefs.ramadan_calendar])
