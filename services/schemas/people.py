"""Bodies for patients, caregivers and consent: what may be stored, checked field by field."""

from __future__ import annotations

from datetime import time
from functools import lru_cache
from typing import Annotated, Literal
from zoneinfo import available_timezones

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from services.schemas.directory import PHONE, Language, Strict
from services.schemas.emergencies import Utc

Scope = Literal["emergencies", "monitoring", "medication", "appointments"]
SCOPES: tuple[str, ...] = ("emergencies", "monitoring", "medication", "appointments")
PersonId = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._-]+$")]
Reason = Annotated[str, Field(min_length=3, max_length=500)]
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
# A wall-clock time in the patient's zone, answered as "22:00:00". JSON Schema's "time" format
# is RFC 3339's, which needs an offset, so the document would call Vigil's own answers invalid.
LocalTime = Annotated[time, WithJsonSchema({
    "type": "string", "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]+)?)?$",
    "description": "Local wall-clock time, HH:MM[:SS]", "examples": ["22:00"]})]


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _known_zone(value: str) -> str:
    # The tz database's names only: ZoneInfo() alone would also open arbitrary file paths.
    if value not in _zones():
        raise ValueError(f"unknown IANA time zone {value!r} (e.g. Asia/Kuala_Lumpur)")
    return value


TimeZone = Annotated[str, AfterValidator(_known_zone)]


class Contact(Strict):
    """How to reach a person. The app (WebSocket) needs no address: their inbox is their id."""

    phone: str | None = Field(None, pattern=PHONE, description="E.164, e.g. +60123456789")
    email: str | None = Field(None, pattern=EMAIL)
    push_token: str | None = Field(None, max_length=4096)


class GeoPoint(Strict):
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)


class QuietHours(Strict):
    """Local wall-clock times in the patient's zone; may span midnight (22:00 to 07:00)."""

    start: LocalTime
    end: LocalTime

    @model_validator(mode="after")
    def _not_empty(self) -> QuietHours:
        if self.start == self.end:
            raise ValueError("quiet hours must start and end at different times")
        return self


class PrayerMethod(Strict):
    """How prayer times are calculated. The default is what JAKIM publishes for Malaysia:
    Fajr 18° since the National Fatwa Council's 2019 decision (20° before it), Isha 18°,
    Shafi'i Asr; the same defaults as clinical/prayer_times.py `PrayerSettings`."""

    name: str = Field("JAKIM", min_length=1, max_length=50)
    fajr_angle: float = Field(18.0, ge=10, le=25, description="Sun's depression at Fajr, degrees")
    isha_angle: float = Field(18.0, ge=10, le=25, description="Sun's depression at Isha, degrees")
    asr: Literal["shafii", "hanafi"] = Field("shafii", description="Asr shadow factor 1 or 2")


Minutes = Annotated[int, Field(ge=-30, le=30)]


class PrayerAdjustments(Strict):
    """Minutes added to each calculated time (local mosque practice, ihtiyati)."""

    fajr: Minutes = 0
    dhuhr: Minutes = 0
    asr: Minutes = 0
    maghrib: Minutes = 0
    isha: Minutes = 0


class PrayerAwareness(Strict):
    enabled: bool = False
    method: PrayerMethod = Field(default_factory=PrayerMethod)
    adjustments: PrayerAdjustments = Field(default_factory=PrayerAdjustments)


class PatientPreferences(Strict):
    quiet_hours: QuietHours | None = None
    prayer: PrayerAwareness = Field(default_factory=PrayerAwareness)
    ramadan_mode: bool = False
    halal_only: bool = Field(False, description="Only halal-certified medicines")


class PatientIn(Contact):
    name: str = Field(min_length=1, max_length=200)
    language: Language = "en"
    time_zone: TimeZone = Field(description="IANA zone, e.g. Asia/Kuala_Lumpur")
    preferences: PatientPreferences = Field(default_factory=PatientPreferences)
    # After preferences, so its check can see them; checked even when left out.
    home: GeoPoint | None = Field(None, description="For prayer times", validate_default=True)

    @field_validator("home")
    @classmethod
    def _prayer_needs_home(cls, value: GeoPoint | None, info) -> GeoPoint | None:  # type: ignore[no-untyped-def]
        preferences = info.data.get("preferences")
        if value is None and preferences is not None and preferences.prayer.enabled:
            raise ValueError("prayer-time awareness needs the patient's home location")
        return value


class PatientCreate(PatientIn):
    id: PersonId | None = Field(None, description="Leave out for a new patient-... id")
    reason: Reason | None = None


class PatientChange(BaseModel):
    """A partial update: the given fields replace the stored ones, and the whole is re-checked."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, min_length=1, max_length=200)
    language: Language | None = None
    time_zone: TimeZone | None = None
    phone: str | None = Field(None, pattern=PHONE)
    email: str | None = Field(None, pattern=EMAIL)
    push_token: str | None = Field(None, max_length=4096)
    home: GeoPoint | None = None
    preferences: PatientPreferences | None = None
    reason: Reason | None = None


class PatientPublic(PatientIn):
    model_config = ConfigDict(extra="ignore")
    id: str
    created_at: Utc
    updated_at: Utc


class CaregiverIn(Contact):
    name: str = Field(min_length=1, max_length=200)
    relationship: str = Field(min_length=1, max_length=100, description="spouse, son, neighbour, ...")
    language: Language = "en"


class CaregiverCreate(CaregiverIn):
    id: PersonId | None = Field(None, description="Leave out for a new cg-... id")
    reason: Reason | None = None


class CaregiverPublic(CaregiverIn):
    model_config = ConfigDict(extra="ignore")
    id: str
    created_at: Utc


class ConsentCreate(Strict):
    person_id: PersonId = Field(description="The caregiver or family member")
    scopes: list[Scope] = Field(min_length=1, max_length=4)
    escalation_contact: bool = Field(False, description="May be escalated to (e.g. a missed dose)")
    reason: Reason | None = Field(None, description="Required when staff grant on the patient's behalf")

    @field_validator("scopes")
    @classmethod
    def _each_once(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("each scope may appear once")
        return sorted(value, key=SCOPES.index)


class ConsentRevoke(Strict):
    reason: Reason | None = Field(None, description="Required when staff revoke")


class ConsentPublic(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str
    patient_id: str
    person_id: str
    scopes: list[str]
    escalation_contact: bool
    granted_by: str
    reason: str | None
    granted_at: Utc
    revoked_at: Utc | None
    revoked_by: str | None
    revoke_reason: str | None
