"""Bodies for creating, steering, confirming and reading medication schedules.

Times, dates and zones are plain strings here on purpose: `clinical.dose_times`
knows what a schedule can be and names the field that is wrong
(`schedule.times[0]`), so the answer is the same from the API and a workflow.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from services.schemas.directory import Language
from services.schemas.emergencies import Strict

Name = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:@-]+$")]
Channel = Literal["websocket", "push", "sms", "voice", "email"]
Via = Literal["app", "websocket", "push", "sms", "email"]


class MedicationIn(Strict):
    id: Name
    name: str = Field(min_length=1, max_length=200)
    dose: str = Field(min_length=1, max_length=100, description="e.g. 500 mg")
    instructions: str = Field("", max_length=1000)
    time_critical: bool = Field(False, description="Never moved or held (insulin, levodopa)")
    max_shift_min: int = Field(30, ge=0, le=240, description="Most a prayer window may move it")
    halal: Literal["halal", "not_halal", "unknown"] | None = None
    with_breakfast: bool = Field(False, description="In Ramadan, once daily goes to suhoor")


class ScheduleIn(Strict):
    start_date: str = Field(description="YYYY-MM-DD in the patient's zone")
    end_date: str | None = Field(None, description="YYYY-MM-DD, inclusive")
    times: list[str] = Field(default_factory=list, description="HH:MM wall-clock times of day")
    every_hours: int | None = Field(None, description="Instead of times: every N hours")
    first_time: str = Field("08:00", description="The first dose of an every-N-hours plan")
    weekdays: list[str] | None = Field(None, description="mon..sun; left out: every day")


class QuietHoursIn(Strict):
    start: str = Field(description="HH:MM")
    end: str = Field(description="HH:MM")


class PrayerIn(Strict):
    """Prayer-time awareness; the defaults are what JAKIM publishes for Malaysia."""

    fajr_angle: float = Field(18.0, ge=10, le=25)
    isha_angle: float = Field(18.0, ge=10, le=25)
    madhab: Literal["shafi", "hanafi"] = "shafi"
    adjustments: dict[Literal["fajr", "dhuhr", "asr", "maghrib", "isha"],
                      Annotated[int, Field(ge=-30, le=30)]] | None = None
    window_min: int = Field(20, ge=1, le=90, description="A prayer window: adhan to adhan + this")


class PreferencesIn(Strict):
    zone: str = Field(description="IANA zone, e.g. Asia/Kuala_Lumpur")
    language: Language = "en"
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    quiet_hours: QuietHoursIn | None = None
    prayer: PrayerIn | None = Field(None, description="Set to turn prayer-time awareness on")
    ramadan_mode: bool = False
    ramadan_calendar: list[tuple[str, str]] = Field(
        default_factory=list, description="Sighted [first, last] days; otherwise computed")
    halal_only: bool = False


class RemindersIn(Strict):
    channels: list[Channel] = Field(default_factory=lambda: ["websocket", "push", "sms"],
                                    min_length=1)
    confirm_window_min: int = Field(60, ge=5, le=720)
    re_reminders: int = Field(2, ge=0, le=5)
    re_reminder_every_min: int = Field(15, ge=1, le=240)
    escalation_channels: list[Channel] = Field(default_factory=lambda: ["websocket", "push", "sms"],
                                               min_length=1)


class ScheduleCreate(Strict):
    patient_id: Name
    medications: list[MedicationIn] = Field(min_length=1, max_length=20)
    schedule: ScheduleIn
    reminders: RemindersIn = Field(default_factory=RemindersIn)
    preferences: PreferencesIn
    escalation_contacts: list[Name] = Field(default_factory=list, max_length=20)


class ConfirmBody(Strict):
    dose_id: str = Field(min_length=1, max_length=40)
    outcome: Literal["taken", "skipped"]
    reason: str = Field("", max_length=500, description="Required when skipped")
    via: Via = "app"


class ConfirmFrame(Strict):
    """A WebSocket `confirm` frame: the dose named by its schedule, as the reminder gave them."""

    schedule_id: str = Field(min_length=1, max_length=100)
    dose_id: str = Field(min_length=1, max_length=40)
    outcome: Literal["taken", "skipped"]
    reason: str = Field("", max_length=500, description="Required when skipped")


class SteerBody(Strict):
    reason: str = Field("", max_length=500)


class ChangeBody(Strict):
    medications: list[MedicationIn] | None = Field(None, min_length=1, max_length=20)
    schedule: ScheduleIn | None = None
    reminders: RemindersIn | None = None
    reason: str = Field("", max_length=500)
