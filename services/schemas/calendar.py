"""Bodies for the Ramadan calendar admins keep (Malaysia fixes Ramadan by sighting)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class RamadanDatesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    first_day: date = Field(description="The first day of fasting, as announced (YYYY-MM-DD)")
    last_day: date = Field(description="The last day of fasting (the day before Syawal 1)")
    note: str = Field("", max_length=500, description="Whose announcement; kept and audited")


class RamadanDatesPublic(BaseModel):
    hijri_year: int
    first_day: date
    last_day: date
    source: Literal["sighted", "computed"]
    note: str = ""
    set_by: str | None = None
    updated_at: datetime | None = None
