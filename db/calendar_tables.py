"""Calendar facts admins set by hand: Ramadan as Malaysia's authorities fixed it by sighting."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Text
from sqlmodel import Column, Field, SQLModel

from db.models import Timestamp


class RamadanDates(SQLModel, table=True):
    """Ramadan of one Hijri year: its first and last day (Gregorian, inclusive).

    Where no row exists for a year, the computed Umm al-Qura dates apply
    (clinical/ramadan.py). Medication schedules read this through the
    `plan_medication_day` activity, so the dates a schedule acted on are in its history.
    """

    hijri_year: int = Field(primary_key=True)
    first_day: date
    last_day: date
    note: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    set_by: str
    updated_at: datetime = Timestamp()
